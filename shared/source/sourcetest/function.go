package sourcetest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fc-eventing/fc-eventing/shared/bus"
	"github.com/fc-eventing/fc-eventing/shared/bus/smq"
	"github.com/fc-eventing/fc-eventing/shared/event"
	"github.com/fc-eventing/fc-eventing/test/fcruntime"
	smqserver "github.com/fc-eventing/fc-eventing/test/smqserver/server"
)

// Deployed is a source function binary, built as for deployment, running
// under the local FC runtime API and publishing to SMQ, the only bus a
// deployed source function publishes to, served by the SMQ protocol server.
type Deployed struct {
	Function *fcruntime.Function
	// StopBus takes the bus away, so publishing fails.
	StopBus func()
	consume func(ctx context.Context, h bus.Handler) error
}

var smqSeq atomic.Int64

// DeploySMQ runs pkg on its default bus, SMQ, served by the SMQ protocol
// server with signature checks; the function gets its credentials as FC
// passes a role's.
func DeploySMQ(t *testing.T, pkg, eventSourceYAML string, env ...string) *Deployed {
	t.Helper()
	const keyID, secret = "LTAI5tFunctionRole", "function-role-secret"
	srv, err := smqserver.Start(smqserver.New(smqserver.Config{AccessKeyID: keyID, AccessKeySecret: secret}), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop := func() { once.Do(func() { _ = srv.Close() }) }
	t.Cleanup(stop)
	queue := fmt.Sprintf("events-%d", smqSeq.Add(1))
	b, err := smq.New(smq.Config{Endpoint: srv.Endpoint, AccessKeyID: keyID, AccessKeySecret: secret, Queue: queue,
		DeadLetterQueue: queue + "-dlq", WaitSeconds: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Setup(time.Second); err != nil {
		t.Fatal(err)
	}
	d := &Deployed{StopBus: stop, consume: b.Consume}
	d.Function = start(t, pkg, eventSourceYAML, &fcruntime.Credentials{AccessKeyID: keyID, AccessKeySecret: secret},
		append([]string{"FCE_SMQ_ENDPOINT=" + srv.Endpoint, "FCE_SMQ_QUEUE=" + queue}, env...))
	return d
}

func start(t *testing.T, pkg, eventSourceYAML string, creds *fcruntime.Credentials, env []string) *fcruntime.Function {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bin, err := fcruntime.Build(ctx, pkg)
	if err != nil {
		t.Fatal(err)
	}
	cfg := t.TempDir()
	if err := os.WriteFile(filepath.Join(cfg, "eventsource.yaml"), []byte(eventSourceYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	out := &testWriter{t: t}
	t.Cleanup(out.stop) // registered before the close, so it runs after it
	f, err := fcruntime.Start(ctx, fcruntime.Options{
		Binary:      bin,
		Env:         append([]string{"FCE_CONFIG_DIR=" + cfg}, env...),
		Timeout:     5 * time.Second,
		Credentials: creds,
		Output:      out,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = f.Close(c)
	})
	return f
}

// Events takes n events off the bus the function publishes to.
func (d *Deployed) Events(t *testing.T, n int) []event.Event {
	t.Helper()
	return take(t, d.consume, n, 15*time.Second)
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
