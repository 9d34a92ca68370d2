package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/fc-eventing/fc-eventing/shared/source"
	"github.com/fc-eventing/fc-eventing/shared/source/sourcetest"
	"github.com/fc-eventing/fc-eventing/test/fcruntime"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if err := fcruntime.CleanupBuilds(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}

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
	out, err := d.Function.Invoke(context.Background(), []byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	var ans source.Answer
	if err := json.Unmarshal(out, &ans); err != nil {
		t.Fatalf("answer %q: %v", out, err)
	}
	const id = "62A2E2EFD0DEFE3930847A6E:a/cat.jpg:ObjectCreated:PutObject"
	if len(ans.Events) != 1 || ans.Events[0] != id {
		t.Fatalf("answer = %+v", ans)
	}
	if got := d.Events(t, 1)[0]; got.ID != id || got.Source != "storage" || got.Subject != "uploads" || got.Type != "oss" {
		t.Errorf("event on the bus = %+v", got)
	}

	var fe *fcruntime.FunctionError
	if _, err := d.Function.Invoke(context.Background(), []byte("[")); !errors.As(err, &fe) {
		t.Errorf("malformed payload: error = %v, want a function error", err)
	}
	d.StopBus()
	if _, err := d.Function.Invoke(context.Background(), []byte(payload)); !errors.As(err, &fe) {
		t.Errorf("bus down: error = %v, want a function error", err)
	}
}
