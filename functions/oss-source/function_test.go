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
  name: storage
spec:
  oss:
    uploads:
      bucket: images
      events: ["ObjectCreated:*"]
`

const payload = `{"events":[{"eventName":"ObjectCreated:PutObject","eventSource":"acs:oss","eventTime":"2026-03-01T06:21:35.000Z","eventVersion":"1.0","oss":{"bucket":{"name":"images"},"object":{"key":"a/cat.jpg","size":10}},"region":"cn-hangzhou","responseElements":{"requestId":"62A2E2EFD0DEFE3930847A6E"}}]}`

// TestDeployed runs the oss-source binary as FC runs it, publishing to SMQ (its default bus) through
// the SMQ protocol server: it answers with the event ids once the bus holds them,
// and fails the invocation (so it is retried) when the bus is gone.
func TestDeployed(t *testing.T) {
	d := sourcetest.DeploySMQ(t, "github.com/fc-eventing/fc-eventing/functions/oss-source", eventSource)
	sourcetest.CheckEventFunction(t, d, []byte(payload),
		event.Event{ID: "62A2E2EFD0DEFE3930847A6E:a/cat.jpg:ObjectCreated:PutObject", Source: "storage", Subject: "uploads", Type: "oss"})
}
