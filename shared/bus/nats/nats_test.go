package nats_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fc-eventing/fc-eventing/shared/bus"
	"github.com/fc-eventing/fc-eventing/shared/bus/bustest"
	"github.com/fc-eventing/fc-eventing/shared/bus/memory"
	fcnats "github.com/fc-eventing/fc-eventing/shared/bus/nats"
	"github.com/fc-eventing/fc-eventing/shared/bus/nats/embedded"
	"github.com/fc-eventing/fc-eventing/shared/bus/ossref"
	ossserver "github.com/fc-eventing/fc-eventing/test/ossserver/server"
)

var (
	server *embedded.Server
	seq    atomic.Int64
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "fceventing-nats-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	server, err = embedded.Start(embedded.Config{Dir: dir})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	server.Close()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// newBus returns a Bus on fresh streams of the shared embedded server.
func newBus(tb testing.TB, maxDeliveries int) *fcnats.Bus {
	return newBusConcurrency(tb, maxDeliveries, 1)
}

func newBusConcurrency(tb testing.TB, maxDeliveries, concurrency int) *fcnats.Bus {
	tb.Helper()
	n := seq.Add(1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := fcnats.New(ctx, fcnats.Config{
		URL:               server.URL(),
		Stream:            fmt.Sprintf("T%d", n),
		Subject:           fmt.Sprintf("t%d.events", n),
		DeadLetterSubject: fmt.Sprintf("t%d.deadletter", n),
		MaxDeliveries:     maxDeliveries,
		AckWait:           time.Second,
		RetryDelay:        50 * time.Millisecond,
		Concurrency:       concurrency,
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(b.Close)
	return b
}

func harness(tb testing.TB) bustest.Harness {
	b := newBus(tb, 3)
	dl, err := b.DeadLetters(context.Background(), "inspect")
	if err != nil {
		tb.Fatal(err)
	}
	return bustest.Harness{
		Publisher:     b,
		NewConsumer:   func() bus.Consumer { return b },
		DeadLetters:   dl,
		MaxDeliveries: 3,
		Dedupes:       true,
		Quiet:         1500 * time.Millisecond,
		Patience:      15 * time.Second,
	}
}

func TestConformance(t *testing.T) {
	bustest.Run(t, func(t *testing.T) bustest.Harness { return harness(t) })
}

// TestEventsSurviveRestart publishes, restarts the embedded server on the
// same data directory, and consumes.
func TestEventsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	srv, err := embedded.Start(embedded.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := fcnats.New(ctx, fcnats.Config{URL: srv.URL()})
	if err != nil {
		t.Fatal(err)
	}
	want := bustest.NewEvent("restart-1")
	if err := b.Publish(ctx, want); err != nil {
		t.Fatal(err)
	}
	b.Close()
	srv.Close()

	srv, err = embedded.Start(embedded.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	b, err = fcnats.New(ctx, fcnats.Config{URL: srv.URL()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	cctx, stop := context.WithCancel(ctx)
	var got string
	err = b.Consume(cctx, func(_ context.Context, m bus.Message) error {
		got = m.Event.ID
		stop()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got != want.ID {
		t.Errorf("after restart consumed %q, want %q", got, want.ID)
	}
}

func TestUnreachableServerIsUnavailable(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := fcnats.New(ctx, fcnats.Config{URL: "nats://127.0.0.1:1"})
	if err == nil {
		t.Fatal("New with an unreachable server returned nil error")
	}
}

func BenchmarkBus(b *testing.B) {
	b.Run("baseline=memory", func(b *testing.B) {
		bustest.Bench(b, func(b *testing.B) bustest.Harness {
			m := memory.New(memory.Options{})
			return bustest.Harness{Publisher: m, NewConsumer: func() bus.Consumer { return m }}
		})
	})
	b.Run("nats", func(b *testing.B) {
		bustest.Bench(b, func(b *testing.B) bustest.Harness {
			nb := newBusConcurrency(b, 3, 16)
			return bustest.Harness{Publisher: nb, NewConsumer: func() bus.Consumer { return nb }}
		})
	})
}

// TestOverMaxPayloadByReference sends an event larger than the server's
// max_payload through OSS.
func TestOverMaxPayloadByReference(t *testing.T) {
	oss, err := ossserver.Start(ossserver.New(ossserver.Config{AccessKeyID: "id", AccessKeySecret: "secret", Buckets: []string{"large"}}), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer oss.Close()
	store, err := ossref.New(ossref.Config{Endpoint: oss.Endpoint, Bucket: "large", AccessKeyID: "id", AccessKeySecret: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	e := bustest.NewEvent("huge")
	e.Data = json.RawMessage(`{"blob":"` + strings.Repeat("h", 2<<20) + `"}`)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	plain := newBus(t, 3)
	if err := plain.Publish(ctx, e); err == nil {
		t.Fatal("publishing over max_payload without a store succeeded")
	}

	n := seq.Add(1)
	b, err := fcnats.New(ctx, fcnats.Config{URL: server.URL(), Stream: fmt.Sprintf("T%d", n),
		Subject: fmt.Sprintf("t%d.events", n), DeadLetterSubject: fmt.Sprintf("t%d.deadletter", n), Blobs: store})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Publish(ctx, e); err != nil {
		t.Fatal(err)
	}
	cctx, stop := context.WithCancel(ctx)
	var got int
	if err := b.Consume(cctx, func(_ context.Context, m bus.Message) error {
		got = len(m.Event.Data)
		stop()
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got != len(e.Data) {
		t.Errorf("consumed %d bytes of data, want %d", got, len(e.Data))
	}
}

func TestUndecodableMessageDeadLettered(t *testing.T) {
	n := seq.Add(1)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cfg := fcnats.Config{URL: server.URL(), Stream: fmt.Sprintf("T%d", n), Subject: fmt.Sprintf("t%d.events", n),
		DeadLetterSubject: fmt.Sprintf("t%d.deadletter", n), AckWait: time.Second}
	b, err := fcnats.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	nc, err := natsgo.Connect(server.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := nc.JetStream()
	if _, err := js.Publish(cfg.Subject, []byte("not an event")); err != nil {
		t.Fatal(err)
	}
	cctx, stop := context.WithTimeout(ctx, 2*time.Second)
	defer stop()
	called := false
	_ = b.Consume(cctx, func(context.Context, bus.Message) error { called = true; return nil })
	if called {
		t.Error("handler called with an undecodable message")
	}
	dl, err := b.DeadLetters(ctx, "inspect")
	if err != nil {
		t.Fatal(err)
	}
	dctx, dstop := context.WithCancel(ctx)
	var got string
	_ = dl.Consume(dctx, func(_ context.Context, m bus.Message) error {
		got = m.Event.Type + ": " + bus.DeadLetterReason(m.Event)
		dstop()
		return nil
	})
	if !strings.HasPrefix(got, "fceventing.undecodable: undecodable") {
		t.Errorf("dead letter = %q", got)
	}
}

// TestMaxDeliverAdvisoryDeadLetters covers a message whose every delivery,
// the consumer's last chance included, went to processes that died: the
// server stops at MaxDeliver and the advisory makes a live consumer
// dead-letter it.
func TestMaxDeliverAdvisoryDeadLetters(t *testing.T) {
	n := seq.Add(1)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	cfg := fcnats.Config{URL: server.URL(), Stream: fmt.Sprintf("T%d", n), Subject: fmt.Sprintf("t%d.events", n),
		DeadLetterSubject: fmt.Sprintf("t%d.deadletter", n), MaxDeliveries: 1, AckWait: time.Second}
	b, err := fcnats.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	e := bustest.NewEvent("advisory")
	if err := b.Publish(ctx, e); err != nil {
		t.Fatal(err)
	}

	// Delivery 1: the handler's process dies.
	actx, acancel := context.WithCancel(ctx)
	release := make(chan struct{})
	defer close(release)
	adone := make(chan error, 1)
	go func() {
		adone <- b.Consume(actx, func(context.Context, bus.Message) error {
			acancel()
			<-release
			return nil
		})
	}()
	<-adone

	// Delivery 2, the consumer's last chance: taken by a process that dies
	// before doing anything.
	nc, err := natsgo.Connect(server.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	cons, err := js.Consumer(ctx, cfg.Stream, "sensor")
	if err != nil {
		t.Fatal(err)
	}
	batch, err := cons.Fetch(1, jetstream.FetchMaxWait(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	for m := range batch.Messages() {
		md, _ := m.Metadata()
		if md.NumDelivered != 2 {
			t.Fatalf("raw fetch got delivery %d, want 2", md.NumDelivered)
		}
		got++
	}
	if got != 1 {
		t.Fatalf("raw fetch got %d messages", got)
	}

	// A live consumer: the server will not deliver again, but its advisory
	// leads to the dead letter.
	called := false
	cctx, ccancel := context.WithCancel(ctx)
	cdone := make(chan error, 1)
	go func() {
		cdone <- b.Consume(cctx, func(context.Context, bus.Message) error { called = true; return nil })
	}()
	dl, err := b.DeadLetters(ctx, "inspect")
	if err != nil {
		t.Fatal(err)
	}
	dctx, dcancel := context.WithTimeout(ctx, 20*time.Second)
	defer dcancel()
	var reason string
	_ = dl.Consume(dctx, func(_ context.Context, m bus.Message) error {
		reason = bus.DeadLetterReason(m.Event)
		dcancel()
		return nil
	})
	ccancel()
	<-cdone
	if called {
		t.Error("handler called beyond MaxDeliver")
	}
	if !strings.Contains(reason, "server stopped after 2 deliveries") {
		t.Errorf("dead letter reason = %q", reason)
	}
}
