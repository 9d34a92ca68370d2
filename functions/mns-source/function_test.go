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
	out, err := d.Function.Invoke(context.Background(), []byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	var ans source.Answer
	if err := json.Unmarshal(out, &ans); err != nil {
		t.Fatalf("answer %q: %v", out, err)
	}
	const id = "3405CA51807661353B3F0A1B2C3D4E5F"
	if len(ans.Events) != 1 || ans.Events[0] != id {
		t.Fatalf("answer = %+v", ans)
	}
	if got := d.Events(t, 1)[0]; got.ID != id || got.Source != "smq" || got.Subject != "orders" || got.Type != "mns" {
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
