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
  name: smq
spec:
  mns:
    orders:
      topic: orders
      jsonBody: true
`

const payload = `{"TopicOwner":"1","TopicName":"orders","Subscriber":"1","SubscriptionName":"s","MessageId":"3405CA51807661353B3F0A1B2C3D4E5F","MessageMD5":"x","Message":"{\"orderId\":\"A-1\"}","PublishTime":1772359200123}`

// TestDeployed runs the mns-source binary as FC runs it, publishing to SMQ (its default bus) through
// the SMQ protocol server: it answers with the event ids once the bus holds them,
// and fails the invocation (so it is retried) when the bus is gone.
func TestDeployed(t *testing.T) {
	d := sourcetest.DeploySMQ(t, "github.com/fc-eventing/fc-eventing/functions/mns-source", eventSource)
	sourcetest.CheckEventFunction(t, d, []byte(payload),
		event.Event{ID: "3405CA51807661353B3F0A1B2C3D4E5F", Source: "smq", Subject: "orders", Type: "mns"})
}
