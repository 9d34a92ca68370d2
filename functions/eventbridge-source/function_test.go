package main

import (
	"testing"

	"github.com/fc-eventing/fc-eventing/shared/event"
	"github.com/fc-eventing/fc-eventing/shared/source/sourcetest"
)

func TestMain(m *testing.M) { sourcetest.Main(m) }

const eventSource = `apiVersion: argoproj.io/v1alpha1
kind: EventSource
metadata:
  name: bridge
spec:
  eventbridge:
    ecs:
      source: acs.ecs
`

const payload = `{"id":"45ef4dew-7c35-447a-bd93-fab1","source":"acs.ecs","specversion":"1.0","type":"ecs:Instance:StateChange","time":"2026-03-01T06:28:17.093Z","aliyunpublishtime":"2026-03-01 14:28:17.093PRC","data":{"state":"Running"}}`

// TestDeployed runs the eventbridge-source binary as FC runs it, publishing
// to SMQ through the SMQ protocol server: it answers with the event ids once
// the bus holds them, and fails the invocation (so it is retried) when the
// bus is gone.
func TestDeployed(t *testing.T) {
	d := sourcetest.DeploySMQ(t, "github.com/fc-eventing/fc-eventing/functions/eventbridge-source", eventSource)
	sourcetest.CheckEventFunction(t, d, []byte(payload),
		event.Event{ID: "45ef4dew-7c35-447a-bd93-fab1", Source: "bridge", Subject: "ecs", Type: "eventbridge"})
}
