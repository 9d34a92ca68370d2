package smq_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	ali_mns "github.com/aliyun/aliyun-mns-go-sdk"

	"github.com/fc-eventing/fc-eventing/shared/bus"
	"github.com/fc-eventing/fc-eventing/shared/bus/bustest"
	"github.com/fc-eventing/fc-eventing/shared/bus/memory"
	"github.com/fc-eventing/fc-eventing/shared/bus/ossref"
	"github.com/fc-eventing/fc-eventing/shared/bus/smq"
	"github.com/fc-eventing/fc-eventing/shared/event"
	ossserver "github.com/fc-eventing/fc-eventing/test/ossserver/server"
	smqserver "github.com/fc-eventing/fc-eventing/test/smqserver/server"
)

const (
	keyID  = "test-id"
	secret = "test-secret"
)

var (
	smqSrv *smqserver.Running
	ossSrv *ossserver.Running
	blobs  *ossref.Store
	seq    atomic.Int64
)

func TestMain(m *testing.M) {
	var err error
	smqSrv, err = smqserver.Start(smqserver.New(smqserver.Config{AccessKeyID: keyID, AccessKeySecret: secret}), "127.0.0.1:0")
	if err == nil {
		ossSrv, err = ossserver.Start(ossserver.New(ossserver.Config{AccessKeyID: keyID, AccessKeySecret: secret, Buckets: []string{"large"}}), "127.0.0.1:0")
	}
	if err == nil {
		blobs, err = ossref.New(ossref.Config{Endpoint: ossSrv.Endpoint, Bucket: "large", Prefix: "fceventing/", AccessKeyID: keyID, AccessKeySecret: secret})
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	_ = smqSrv.Close()
	_ = ossSrv.Close()
	os.Exit(code)
}

// config returns a configuration on fresh queues of the shared server.
func config(maxDeliveries int) smq.Config {
	n := seq.Add(1)
	return smq.Config{
		Endpoint: smqSrv.Endpoint, AccessKeyID: keyID, AccessKeySecret: secret,
		Queue: fmt.Sprintf("events-%d", n), DeadLetterQueue: fmt.Sprintf("dead-%d", n),
		MaxDeliveries: maxDeliveries, WaitSeconds: 1, RetryDelay: time.Second, Blobs: blobs,
	}
}

func newBus(tb testing.TB, cfg smq.Config) *smq.Bus {
	tb.Helper()
	b, err := smq.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	if err := b.Setup(time.Second); err != nil {
		tb.Fatal(err)
	}
	return b
}

func harness(tb testing.TB) bustest.Harness {
	b := newBus(tb, config(3))
	dl, err := b.DeadLetters()
	if err != nil {
		tb.Fatal(err)
	}
	return bustest.Harness{
		Publisher:     b,
		NewConsumer:   func() bus.Consumer { return b },
		DeadLetters:   dl,
		MaxDeliveries: 3,
		Dedupes:       false,
		Quiet:         2500 * time.Millisecond,
		Patience:      20 * time.Second,
	}
}

func TestConformance(t *testing.T) {
	bustest.Run(t, func(t *testing.T) bustest.Harness { return harness(t) })
}

// TestFaultsLoseNothing publishes and consumes with a tenth of all SMQ
// requests failing with 500, half before and half after being processed.
func TestFaultsLoseNothing(t *testing.T) {
	cfg := config(10)
	cfg.PublishAttempts = 10
	cfg.Concurrency = 4
	b := newBus(t, cfg)
	smqSrv.SetFaults(smqserver.Faults{FailBefore: 0.05, FailAfter: 0.05})
	defer smqSrv.SetFaults(smqserver.Faults{})
	before := smqSrv.Stats()

	const n = 60
	ctx := context.Background()
	want := map[string]bool{}
	var batch []event.Event
	for i := range n {
		e := bustest.NewEvent(fmt.Sprintf("fault-%d", i))
		want[e.ID] = true
		if i%2 == 0 {
			batch = append(batch, e)
			continue
		}
		if err := b.Publish(ctx, e); err != nil {
			t.Fatalf("Publish %s: %v", e.ID, err)
		}
	}
	if err := b.PublishBatch(ctx, batch); err != nil {
		t.Fatalf("PublishBatch: %v", err)
	}
	var mu sync.Mutex
	got := map[string]int{}
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- b.Consume(cctx, func(_ context.Context, m bus.Message) error {
			mu.Lock()
			defer mu.Unlock()
			got[m.Event.ID]++
			if len(got) == n {
				cancel()
			}
			return nil
		})
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Consume: %v", err)
		}
	case <-time.After(90 * time.Second):
		cancel()
		<-done
	}
	mu.Lock()
	defer mu.Unlock()
	for id := range want {
		if got[id] == 0 {
			t.Errorf("event %s lost", id)
		}
	}
	st := smqSrv.Stats()
	if st.InjectedFails-before.InjectedFails == 0 {
		t.Error("no fault was injected")
	}
	t.Logf("%d requests, %d injected failures; %d events, %d deliveries",
		st.Requests-before.Requests, st.InjectedFails-before.InjectedFails, n, sum(got))
}

func sum(m map[string]int) int {
	s := 0
	for _, v := range m {
		s += v
	}
	return s
}

func TestTopicFeedsQueue(t *testing.T) {
	t.Parallel()
	cfg := config(3)
	cfg.Topic = "topic-" + cfg.Queue
	b := newBus(t, cfg)
	e := bustest.NewEvent("via-topic")
	if err := b.Publish(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	consumerCfg := cfg
	consumerCfg.Topic = ""
	c := newBus(t, consumerCfg)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got string
	if err := c.Consume(ctx, func(_ context.Context, m bus.Message) error {
		got = m.Event.ID
		cancel()
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got != e.ID {
		t.Errorf("consumed %q from the topic's queue, want %q", got, e.ID)
	}
}

func TestPublishSetsPriority(t *testing.T) {
	t.Parallel()
	cfg := config(3)
	cfg.Priority = 3
	b := newBus(t, cfg)
	if err := b.Publish(context.Background(), bustest.NewEvent("prio")); err != nil {
		t.Fatal(err)
	}
	q := ali_mns.NewMNSQueue(cfg.Queue, ali_mns.NewAliMNSClientWithConfig(ali_mns.AliMNSClientConfig{
		EndPoint: smqSrv.Endpoint, AccessKeyId: keyID, AccessKeySecret: secret}))
	resp := make(chan ali_mns.MessageReceiveResponse, 1)
	errc := make(chan error, 1)
	q.PeekMessage(resp, errc)
	select {
	case m := <-resp:
		if m.Priority != 3 {
			t.Errorf("message priority = %d, want 3", m.Priority)
		}
	case err := <-errc:
		t.Fatal(err)
	}
}

func TestOversizeWithoutStoreRefused(t *testing.T) {
	t.Parallel()
	cfg := config(3)
	cfg.Blobs = nil
	b := newBus(t, cfg)
	e := bustest.NewEvent("big")
	e.Data = []byte(`{"blob":"` + strings.Repeat("x", 70000) + `"}`)
	if err := b.Publish(context.Background(), e); err == nil {
		t.Fatal("publishing an oversize event without a store succeeded")
	}
	if n := smqSrv.QueueLen(cfg.Queue); n != 0 {
		t.Errorf("queue holds %d messages", n)
	}
}

func TestUndecodableMessageDeadLettered(t *testing.T) {
	t.Parallel()
	cfg := config(3)
	b := newBus(t, cfg)
	q := ali_mns.NewMNSQueue(cfg.Queue, ali_mns.NewAliMNSClientWithConfig(ali_mns.AliMNSClientConfig{
		EndPoint: smqSrv.Endpoint, AccessKeyId: keyID, AccessKeySecret: secret}))
	if _, err := q.SendMessage(ali_mns.MessageSendRequest{MessageBody: "not json", Priority: 8}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	called := false
	_ = b.Consume(ctx, func(context.Context, bus.Message) error { called = true; return nil })
	if called {
		t.Error("handler called with an undecodable message")
	}
	dl, _ := b.DeadLetters()
	dctx, dcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer dcancel()
	var got event.Event
	_ = dl.Consume(dctx, func(_ context.Context, m bus.Message) error { got = m.Event; dcancel(); return nil })
	if got.Type != "fceventing.undecodable" || !strings.Contains(bus.DeadLetterReason(got), "undecodable") {
		t.Errorf("dead letter = %+v", got)
	}
}

func TestBadEndpointIsAnError(t *testing.T) {
	t.Parallel()
	if _, err := smq.New(smq.Config{Endpoint: "http://127.0.0.1:1/x", Queue: "q"}); err == nil {
		t.Error("New with an endpoint the SDK cannot parse returned nil error")
	}
	if _, err := smq.New(smq.Config{Endpoint: smqSrv.Endpoint}); err == nil {
		t.Error("New without queue or topic returned nil error")
	}
	if _, err := smq.New(smq.Config{Endpoint: smqSrv.Endpoint, Queue: "q"}); err == nil {
		t.Error("New without credentials returned nil error")
	}
}

func TestWrongCredentialsFailPublish(t *testing.T) {
	t.Parallel()
	cfg := config(3)
	newBus(t, cfg)
	cfg.AccessKeySecret = "wrong"
	b, err := smq.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	err = b.Publish(context.Background(), bustest.NewEvent("x"))
	if err == nil || errors.Is(err, bus.ErrUnavailable) {
		t.Errorf("publish with a wrong secret = %v, want a permanent error", err)
	}
}

func BenchmarkBus(b *testing.B) {
	b.Run("baseline=memory", func(b *testing.B) {
		bustest.Bench(b, func(b *testing.B) bustest.Harness {
			m := memory.New(memory.Options{})
			return bustest.Harness{Publisher: m, NewConsumer: func() bus.Consumer { return m }}
		})
	})
	b.Run("smq", func(b *testing.B) {
		bustest.Bench(b, func(b *testing.B) bustest.Harness {
			cfg := config(3)
			cfg.Concurrency = 16
			bb := newBus(b, cfg)
			return bustest.Harness{Publisher: bb, NewConsumer: func() bus.Consumer { return bb }}
		})
	})
}
