package bustest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fc-eventing/fc-eventing/shared/bus"
	"github.com/fc-eventing/fc-eventing/shared/event"
)

// Harness is one fresh bus under test.
type Harness struct {
	Publisher bus.Publisher
	// NewConsumer returns a consumer of the bus's queue; consumers returned
	// by successive calls share the queue (a restarted process).
	NewConsumer func() bus.Consumer
	// DeadLetters consumes the dead-letter destination.
	DeadLetters bus.Consumer
	// MaxDeliveries is what the bus was configured with (at least 2).
	MaxDeliveries int
	// Dedupes says whether a duplicate publish of one id yields one delivery.
	Dedupes bool
	// Quiet is how long to watch for a delivery that must not happen: longer
	// than the bus takes to bring back an unacknowledged message.
	Quiet time.Duration
	// Patience bounds how long any expected delivery may take.
	Patience time.Duration
}

// LargePayloadSize is the size of the data in the large-payload case: over
// SMQ's 64 KiB limit, under NATS's default 1 MiB.
const LargePayloadSize = 256 << 10

// Run runs the conformance suite; newHarness is called once per case and
// must return a bus with no messages on it.
func Run(t *testing.T, newHarness func(t *testing.T) Harness) {
	cases := map[string]func(t *testing.T, h Harness){
		"publish consume ack":      testPublishConsumeAck,
		"nack redelivers":          testNackRedelivers,
		"crash redelivers":         testCrashRedelivers,
		"dead letter after limit":  testDeadLetter,
		"permanent error":          testPermanent,
		"duplicate publish":        testDuplicate,
		"large payload":            testLargePayload,
		"concurrent nothing lost":  testConcurrentNothingLost,
		"handler sees deliveries":  testDeliveryCount,
		"publish honours deadline": testPublishCancelled,
		"batch publish":            testBatchPublish,
	}
	for name, fn := range cases {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t)
			if h.Quiet <= 0 {
				h.Quiet = time.Second
			}
			if h.Patience <= 0 {
				h.Patience = 20 * time.Second
			}
			fn(t, h)
		})
	}
}

// NewEvent returns a valid event with the given id and a small JSON body.
func NewEvent(id string) event.Event {
	return event.Event{
		ID: id, Source: "bustest", Subject: "case", Type: "test",
		Time:            time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC),
		DataContentType: "application/json",
		Data:            json.RawMessage(`{"id":"` + id + `","n":1}`),
	}
}

func uniqueID(t testing.TB, n int) string {
	return fmt.Sprintf("%s-%d-%d", strings.NewReplacer("/", "-", " ", "-").Replace(t.Name()), time.Now().UnixNano(), n)
}

// consumer runs a Consume call in the background until stopped.
type consumer struct {
	cancel context.CancelFunc
	done   chan error
}

func startConsumer(t *testing.T, c bus.Consumer, h bus.Handler) *consumer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &consumer{cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- c.Consume(ctx, h) }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

func (c *consumer) stop(t *testing.T) {
	c.cancel()
	select {
	case err := <-c.done:
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("Consume returned %v", err)
		}
		c.done <- nil
	case <-time.After(45 * time.Second):
		t.Errorf("Consume did not return after its context ended")
	}
}

// recorder collects deliveries by event id.
type recorder struct {
	mu     sync.Mutex
	byID   map[string][]bus.Message
	notify chan struct{}
}

func newRecorder() *recorder {
	return &recorder{byID: map[string][]bus.Message{}, notify: make(chan struct{}, 1)}
}

func (r *recorder) add(m bus.Message) int {
	r.mu.Lock()
	r.byID[m.Event.ID] = append(r.byID[m.Event.ID], m)
	n := len(r.byID[m.Event.ID])
	r.mu.Unlock()
	select {
	case r.notify <- struct{}{}:
	default:
	}
	return n
}

func (r *recorder) count(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.byID[id])
}

func (r *recorder) get(id string) []bus.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]bus.Message(nil), r.byID[id]...)
}

func (r *recorder) distinct() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.byID)
}

// waitFor polls cond until it holds or d passes.
func (r *recorder) waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.After(d)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline:
			return cond()
		case <-r.notify:
		case <-tick.C:
		}
	}
	return true
}

func publish(t testing.TB, p bus.Publisher, e event.Event) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.Publish(ctx, e); err != nil {
		t.Fatalf("Publish(%s): %v", e.ID, err)
	}
}

func sameEvent(t *testing.T, want, got event.Event) {
	t.Helper()
	if diff := cmp.Diff(want, got, cmp.Transformer("json", func(r json.RawMessage) string {
		var v any
		if err := json.Unmarshal(r, &v); err != nil {
			return "invalid: " + string(r)
		}
		b, _ := json.Marshal(v)
		return string(b)
	})); diff != "" {
		t.Errorf("event %s changed on the bus (-want +got):\n%s", want.ID, diff)
	}
}

func testPublishConsumeAck(t *testing.T, h Harness) {
	const n = 10
	var want []event.Event
	for i := range n {
		e := NewEvent(uniqueID(t, i))
		e.Extensions = map[string]string{"traceparent": "00-" + strconv.Itoa(i)}
		want = append(want, e)
		publish(t, h.Publisher, e)
	}
	rec := newRecorder()
	startConsumer(t, h.NewConsumer(), func(_ context.Context, m bus.Message) error {
		rec.add(m)
		return nil
	})
	if !rec.waitFor(h.Patience, func() bool { return rec.distinct() == n }) {
		t.Fatalf("received %d of %d events", rec.distinct(), n)
	}
	time.Sleep(h.Quiet)
	for _, e := range want {
		got := rec.get(e.ID)
		if len(got) != 1 {
			t.Errorf("event %s delivered %d times, want once", e.ID, len(got))
			continue
		}
		if got[0].Delivery != 1 {
			t.Errorf("event %s: Delivery = %d, want 1", e.ID, got[0].Delivery)
		}
		sameEvent(t, e, got[0].Event)
	}
}

func testNackRedelivers(t *testing.T, h Harness) {
	e := NewEvent(uniqueID(t, 0))
	publish(t, h.Publisher, e)
	rec := newRecorder()
	startConsumer(t, h.NewConsumer(), func(_ context.Context, m bus.Message) error {
		if rec.add(m) == 1 {
			return errors.New("first try fails")
		}
		return nil
	})
	if !rec.waitFor(h.Patience, func() bool { return rec.count(e.ID) >= 2 }) {
		t.Fatalf("event delivered %d times, want a redelivery after the failure", rec.count(e.ID))
	}
	time.Sleep(h.Quiet)
	got := rec.get(e.ID)
	if len(got) != 2 {
		t.Fatalf("event delivered %d times, want 2", len(got))
	}
	if got[1].Delivery != 2 {
		t.Errorf("redelivery has Delivery = %d, want 2", got[1].Delivery)
	}
	sameEvent(t, e, got[1].Event)
}

func testCrashRedelivers(t *testing.T, h Harness) {
	e := NewEvent(uniqueID(t, 0))
	publish(t, h.Publisher, e)

	received := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	first := startConsumer(t, h.NewConsumer(), func(_ context.Context, m bus.Message) error {
		once.Do(func() { close(received) })
		// The process dies here: the handler never answers in time.
		<-release
		return errors.New("crashed")
	})
	t.Cleanup(func() { close(release) })
	select {
	case <-received:
	case <-time.After(h.Patience):
		t.Fatal("first consumer received nothing")
	}
	first.cancel()

	rec := newRecorder()
	startConsumer(t, h.NewConsumer(), func(_ context.Context, m bus.Message) error {
		rec.add(m)
		return nil
	})
	if !rec.waitFor(h.Patience, func() bool { return rec.count(e.ID) >= 1 }) {
		t.Fatal("the event was not redelivered after its consumer crashed")
	}
	got := rec.get(e.ID)
	if got[0].Delivery < 2 {
		t.Errorf("redelivery after crash has Delivery = %d, want >= 2", got[0].Delivery)
	}
	sameEvent(t, e, got[0].Event)
}

func testDeadLetter(t *testing.T, h Harness) {
	e := NewEvent(uniqueID(t, 0))
	publish(t, h.Publisher, e)
	rec := newRecorder()
	startConsumer(t, h.NewConsumer(), func(_ context.Context, m bus.Message) error {
		n := rec.add(m)
		return fmt.Errorf("boom %d", n)
	})
	dead := newRecorder()
	startConsumer(t, h.DeadLetters, func(_ context.Context, m bus.Message) error {
		dead.add(m)
		return nil
	})
	if !dead.waitFor(h.Patience+time.Duration(h.MaxDeliveries)*h.Quiet, func() bool { return dead.count(e.ID) >= 1 }) {
		t.Fatalf("event not dead-lettered; delivered %d times (max %d)", rec.count(e.ID), h.MaxDeliveries)
	}
	time.Sleep(h.Quiet)
	if n := rec.count(e.ID); n != h.MaxDeliveries {
		t.Errorf("handler saw %d deliveries, want MaxDeliveries = %d", n, h.MaxDeliveries)
	}
	dl := dead.get(e.ID)[0].Event
	if reason := bus.DeadLetterReason(dl); !strings.Contains(reason, "boom") {
		t.Errorf("dead letter reason = %q, want the handler's error", reason)
	}
	if got := dl.Extensions[bus.ExtDeliveries]; got != strconv.Itoa(h.MaxDeliveries) {
		t.Errorf("dead letter %s = %q, want %d", bus.ExtDeliveries, got, h.MaxDeliveries)
	}
	delete(dl.Extensions, bus.ExtDeadLetterReason)
	delete(dl.Extensions, bus.ExtDeliveries)
	if len(dl.Extensions) == 0 {
		dl.Extensions = nil
	}
	sameEvent(t, e, dl)
}

func testPermanent(t *testing.T, h Harness) {
	e := NewEvent(uniqueID(t, 0))
	publish(t, h.Publisher, e)
	rec := newRecorder()
	startConsumer(t, h.NewConsumer(), func(_ context.Context, m bus.Message) error {
		rec.add(m)
		return bus.Permanent(errors.New("event can never match"))
	})
	dead := newRecorder()
	startConsumer(t, h.DeadLetters, func(_ context.Context, m bus.Message) error {
		dead.add(m)
		return nil
	})
	if !dead.waitFor(h.Patience, func() bool { return dead.count(e.ID) >= 1 }) {
		t.Fatalf("permanently failed event not dead-lettered; delivered %d times", rec.count(e.ID))
	}
	time.Sleep(h.Quiet)
	if n := rec.count(e.ID); n != 1 {
		t.Errorf("handler saw %d deliveries, want 1", n)
	}
	if reason := bus.DeadLetterReason(dead.get(e.ID)[0].Event); !strings.Contains(reason, "never match") {
		t.Errorf("dead letter reason = %q", reason)
	}
}

func testDuplicate(t *testing.T, h Harness) {
	e := NewEvent(uniqueID(t, 0))
	publish(t, h.Publisher, e)
	publish(t, h.Publisher, e)
	other := NewEvent(uniqueID(t, 1))
	publish(t, h.Publisher, other)
	rec := newRecorder()
	startConsumer(t, h.NewConsumer(), func(_ context.Context, m bus.Message) error {
		rec.add(m)
		return nil
	})
	if !rec.waitFor(h.Patience, func() bool { return rec.count(e.ID) >= 1 && rec.count(other.ID) == 1 }) {
		t.Fatal("events not delivered")
	}
	time.Sleep(h.Quiet)
	n := rec.count(e.ID)
	switch {
	case h.Dedupes && n != 1:
		t.Errorf("duplicate publish delivered %d times, want 1 on a deduplicating bus", n)
	case n > 2:
		t.Errorf("duplicate publish delivered %d times, want at most 2", n)
	}
}

func testLargePayload(t *testing.T, h Harness) {
	e := NewEvent(uniqueID(t, 0))
	big := make([]byte, LargePayloadSize)
	for i := range big {
		big[i] = "abcdefghijklmnopqrstuvwxyz0123456789"[i%36]
	}
	data, err := json.Marshal(map[string]any{"blob": string(big), "tail": "end"})
	if err != nil {
		t.Fatal(err)
	}
	e.Data = data
	publish(t, h.Publisher, e)
	rec := newRecorder()
	startConsumer(t, h.NewConsumer(), func(_ context.Context, m bus.Message) error {
		rec.add(m)
		return nil
	})
	if !rec.waitFor(h.Patience, func() bool { return rec.count(e.ID) >= 1 }) {
		t.Fatal("large event not delivered")
	}
	got := rec.get(e.ID)[0].Event
	if len(got.Data) != len(e.Data) {
		t.Fatalf("large payload is %d bytes after the bus, want %d", len(got.Data), len(e.Data))
	}
	sameEvent(t, e, got)
}

func testConcurrentNothingLost(t *testing.T, h Harness) {
	const publishers, each = 4, 10
	var wg sync.WaitGroup
	for p := range publishers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				publish(t, h.Publisher, NewEvent(uniqueID(t, p*each+i)))
			}
		}()
	}
	rec := newRecorder()
	acked := map[string]bool{}
	var mu sync.Mutex
	startConsumer(t, h.NewConsumer(), func(_ context.Context, m bus.Message) error {
		rec.add(m)
		// Fail a fifth of first deliveries; never the last allowed one.
		if m.Delivery < h.MaxDeliveries && rand.IntN(5) == 0 {
			return errors.New("flaky handler")
		}
		mu.Lock()
		acked[m.Event.ID] = true
		mu.Unlock()
		return nil
	})
	wg.Wait()
	ok := rec.waitFor(h.Patience*2, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(acked) == publishers*each
	})
	if !ok {
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("acknowledged %d of %d events", len(acked), publishers*each)
	}
}

func testDeliveryCount(t *testing.T, h Harness) {
	e := NewEvent(uniqueID(t, 0))
	publish(t, h.Publisher, e)
	rec := newRecorder()
	startConsumer(t, h.NewConsumer(), func(_ context.Context, m bus.Message) error {
		if rec.add(m) < h.MaxDeliveries {
			return errors.New("not yet")
		}
		return nil
	})
	if !rec.waitFor(h.Patience+time.Duration(h.MaxDeliveries)*h.Quiet, func() bool { return rec.count(e.ID) >= h.MaxDeliveries }) {
		t.Fatalf("delivered %d times, want %d", rec.count(e.ID), h.MaxDeliveries)
	}
	time.Sleep(h.Quiet)
	got := rec.get(e.ID)
	if len(got) != h.MaxDeliveries {
		t.Fatalf("delivered %d times, want %d (the last try succeeded)", len(got), h.MaxDeliveries)
	}
	for i, m := range got {
		if m.Delivery != i+1 {
			t.Errorf("delivery %d reports Delivery = %d", i+1, m.Delivery)
		}
	}
}

func testPublishCancelled(t *testing.T, h Harness) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := h.Publisher.Publish(ctx, NewEvent(uniqueID(t, 0))); err == nil {
		t.Error("Publish with a cancelled context returned nil")
	}
	if err := h.Publisher.Publish(context.Background(), event.Event{ID: "x"}); err == nil {
		t.Error("Publish of an invalid event returned nil")
	}
}

func testBatchPublish(t *testing.T, h Harness) {
	bp, ok := h.Publisher.(bus.BatchPublisher)
	if !ok {
		t.Logf("%T publishes one event at a time", h.Publisher)
		return
	}
	var events []event.Event
	for i := range 20 {
		events = append(events, NewEvent(uniqueID(t, i)))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := bp.PublishBatch(ctx, events); err != nil {
		t.Fatalf("PublishBatch: %v", err)
	}
	rec := newRecorder()
	startConsumer(t, h.NewConsumer(), func(_ context.Context, m bus.Message) error {
		rec.add(m)
		return nil
	})
	if !rec.waitFor(h.Patience, func() bool { return rec.distinct() == len(events) }) {
		t.Fatalf("received %d of %d batch-published events", rec.distinct(), len(events))
	}
	for _, e := range events {
		sameEvent(t, e, rec.get(e.ID)[0].Event)
	}
}

// Bench measures publish throughput (b.N events, one publisher) and consume
// throughput (b.N events already on the bus, handler acknowledging at once).
// Results are reported as events/s.
func Bench(b *testing.B, newHarness func(b *testing.B) Harness) {
	b.Run("publish", func(b *testing.B) {
		h := newHarness(b)
		ctx := context.Background()
		events := make([]event.Event, b.N)
		for i := range events {
			events[i] = NewEvent(uniqueID(b, i))
		}
		b.ResetTimer()
		start := time.Now()
		for i := range b.N {
			if err := h.Publisher.Publish(ctx, events[i]); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
	})
	b.Run("publish-batch16", func(b *testing.B) {
		h := newHarness(b)
		publishBatch := func(ctx context.Context, events []event.Event) error {
			for _, e := range events {
				if err := h.Publisher.Publish(ctx, e); err != nil {
					return err
				}
			}
			return nil
		}
		if bp, ok := h.Publisher.(bus.BatchPublisher); ok {
			publishBatch = bp.PublishBatch
		}
		ctx := context.Background()
		events := make([]event.Event, b.N)
		for i := range events {
			events[i] = NewEvent(uniqueID(b, i))
		}
		b.ResetTimer()
		start := time.Now()
		for i := 0; i < b.N; i += 16 {
			if err := publishBatch(ctx, events[i:min(i+16, b.N)]); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
	})
	b.Run("consume", func(b *testing.B) {
		h := newHarness(b)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		for i := range b.N {
			if err := h.Publisher.Publish(ctx, NewEvent(uniqueID(b, i))); err != nil {
				b.Fatal(err)
			}
		}
		var n int64
		var mu sync.Mutex
		done := make(chan struct{})
		b.ResetTimer()
		start := time.Now()
		errc := make(chan error, 1)
		go func() {
			errc <- h.NewConsumer().Consume(ctx, func(context.Context, bus.Message) error {
				mu.Lock()
				n++
				if n == int64(b.N) {
					close(done)
				}
				mu.Unlock()
				return nil
			})
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Minute):
			b.Fatalf("consumed %d of %d", n, b.N)
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
		b.StopTimer()
		cancel()
		<-errc
	})
}
