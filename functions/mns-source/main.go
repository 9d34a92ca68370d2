// Command mns-source is the FC function that turns SMQ (MNS) topic and queue messages into events.
package main

import (
	"github.com/fc-eventing/fc-eventing/shared/source/function"
	"github.com/fc-eventing/fc-eventing/shared/source/mns"
)

func main() { function.Main("mns-source", function.Decoding(mns.New)) }
