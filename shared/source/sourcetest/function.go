package sourcetest

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/fc-eventing/fc-eventing/shared/bus"
	"github.com/fc-eventing/fc-eventing/shared/bus/nats"
	"github.com/fc-eventing/fc-eventing/shared/bus/nats/embedded"
	"github.com/fc-eventing/fc-eventing/shared/event"
	"github.com/fc-eventing/fc-eventing/test/fcruntime"
)

// Deployed is a source function binary, built as for deployment, running
// under the local FC runtime API and publishing to a real NATS JetStream
// server embedded in the test.
type Deployed struct {
	Function *fcruntime.Function
	NATS     *embedded.Server
}

// Deploy builds pkg, writes eventSourceYAML into its configuration
// directory and starts it with FCE_BUS=nats plus env. Everything stops when
// the test ends.
func Deploy(t *testing.T, pkg, eventSourceYAML string, env ...string) *Deployed {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bin, err := fcruntime.Build(ctx, pkg)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := embedded.Start(embedded.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop := func() { once.Do(srv.Close) }
	t.Cleanup(stop)
	cfg := t.TempDir()
	if err := os.WriteFile(filepath.Join(cfg, "eventsource.yaml"), []byte(eventSourceYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	out := &testWriter{t: t}
	t.Cleanup(out.stop) // registered first, so it runs after the function is closed
	f, err := fcruntime.Start(ctx, fcruntime.Options{
		Binary:  bin,
		Env:     append([]string{"FCE_CONFIG_DIR=" + cfg, "FCE_BUS=nats", "FCE_NATS_URL=" + srv.URL()}, env...),
		Timeout: 5 * time.Second,
		Output:  out,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = f.Close(c)
	})
	return &Deployed{Function: f, NATS: srv}
}

// Events takes n events off the NATS bus the function publishes to.
func (d *Deployed) Events(t *testing.T, n int) []event.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := nats.New(ctx, nats.Config{URL: d.NATS.URL()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var mu sync.Mutex
	var got []event.Event
	_ = b.Consume(ctx, func(_ context.Context, m bus.Message) error {
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
		t.Fatalf("got %d events from NATS, want %d", len(got), n)
	}
	return got
}

// testWriter logs the function's output until the test is over.
type testWriter struct {
	mu      sync.Mutex
	t       *testing.T
	stopped bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.stopped {
		w.t.Logf("function: %s", p)
	}
	return len(p), nil
}

func (w *testWriter) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopped = true
}
