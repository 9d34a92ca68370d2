package sourcetest

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fc-eventing/fc-eventing/shared/bus"
	"github.com/fc-eventing/fc-eventing/shared/bus/memory"
	"github.com/fc-eventing/fc-eventing/shared/event"
)

// Update rewrites golden files with what the code produces
// (go test ./shared/source/... -update).
var Update = flag.Bool("update", false, "rewrite golden files")

// Received is the arrival time every golden test uses.
var Received = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// Golden compares events with the CloudEvents JSON in path, or writes it
// there with -update.
func Golden(t *testing.T, path string, events []event.Event) {
	t.Helper()
	if events == nil {
		events = []event.Event{}
	}
	got, err := json.MarshalIndent(events, "", "  ")
	if err != nil {
		t.Fatalf("encoding events: %v", err)
	}
	if *Update {
		if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run with -update to create it): %v", err)
	}
	var w, g any
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("golden file %s: %v", path, err)
	}
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(w, g); diff != "" {
		t.Errorf("events differ from %s (-want +got):\n%s", path, diff)
	}
}

// Read returns the bytes of a fixture.
func Read(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Drain takes n events off a memory bus, acknowledging each, and fails the
// test when they do not arrive within five seconds.
func Drain(t *testing.T, b *memory.Bus, n int) []event.Event {
	t.Helper()
	return take(t, b.Consume, n, 5*time.Second)
}

// take consumes events, acknowledging each, until n arrived or timeout
// passed, and fails the test unless exactly n did.
func take(t *testing.T, consume func(context.Context, bus.Handler) error, n int, timeout time.Duration) []event.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var mu sync.Mutex
	var got []event.Event
	_ = consume(ctx, func(_ context.Context, m bus.Message) error {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, m.Event)
		if len(got) == n {
			cancel()
		}
		return nil
	})
	mu.Lock()
	defer mu.Unlock()
	if len(got) != n {
		t.Fatalf("got %d events from the bus, want %d", len(got), n)
	}
	return got
}

// CheckOutcome asserts what every parser must guarantee for any input:
// events that are valid CloudEvents with JSON data.
func CheckOutcome(t *testing.T, events []event.Event) {
	t.Helper()
	for _, e := range events {
		if err := e.Validate(); err != nil {
			t.Fatalf("invalid event %+v: %v", e, err)
		}
		if !json.Valid(e.Data) {
			t.Fatalf("event %s data is not JSON: %q", e.ID, e.Data)
		}
	}
}
