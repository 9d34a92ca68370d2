// Command oss-source is the FC function that turns OSS notifications into events.
package main

import (
	"github.com/fc-eventing/fc-eventing/shared/source/function"
	"github.com/fc-eventing/fc-eventing/shared/source/oss"
)

func main() { function.Main("oss-source", function.Decoding(oss.New)) }
