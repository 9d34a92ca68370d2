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
  name: bridge
spec:
  eventbridge:
    ecs:
      source: acs.ecs
`

const payload = `{"id":"45ef4dew-7c35-447a-bd93-fab1","source":"acs.ecs","specversion":"1.0","type":"ecs:Instance:StateChange","time":"2026-03-01T06:28:17.093Z","aliyunpublishtime":"2026-03-01 14:28:17.093PRC","data":{"state":"Running"}}`

// TestDeployed runs the eventbridge-source binary as FC runs it, publishing to a real NATS
// JetStream server: it answers with the event ids once the bus holds them,
// and fails the invocation (so it is retried) when the bus is gone.
func TestDeployed(t *testing.T) {
	d := sourcetest.Deploy(t, "github.com/fc-eventing/fc-eventing/functions/eventbridge-source", eventSource)
	out, err := d.Function.Invoke(context.Background(), []byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	var ans source.Answer
	if err := json.Unmarshal(out, &ans); err != nil {
		t.Fatalf("answer %q: %v", out, err)
	}
	const id = "45ef4dew-7c35-447a-bd93-fab1"
	if len(ans.Events) != 1 || ans.Events[0] != id {
		t.Fatalf("answer = %+v", ans)
	}
	if got := d.Events(t, 1)[0]; got.ID != id || got.Source != "bridge" || got.Subject != "ecs" || got.Type != "eventbridge" {
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
