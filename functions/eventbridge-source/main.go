// Command eventbridge-source is the FC function that turns EventBridge events into events.
package main

import (
	"github.com/fc-eventing/fc-eventing/shared/source/eventbridge"
	"github.com/fc-eventing/fc-eventing/shared/source/function"
)

func main() { function.Main("eventbridge-source", function.Decoding(eventbridge.New)) }
