package memory

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/fc-eventing/fc-eventing/shared/bus"
	"github.com/fc-eventing/fc-eventing/shared/event"
)

// Options tune a Bus; zero values take the defaults.
type Options struct {
	// MaxDeliveries is how often a message is handed to a handler before it
	// is dead-lettered (default bus.DefaultMaxDeliveries).
	MaxDeliveries int
	// RetryDelay is how long a failed message waits before it is delivered
	// again (default 100ms), doubled for each further failure.
	RetryDelay time.Duration
	// AckWait is how long a delivery may stay unanswered once its consumer
	// has stopped before it is delivered again (default 30s). A running
	// consumer keeps its deliveries in flight however long its handler takes.
	AckWait time.Duration
	// DedupeWindow is how long an event id is remembered (default 2m).
	DedupeWindow time.Duration
	// Concurrency is how many handlers one Consume call runs at once
	// (default 1).
	Concurrency int
	// DeadLetter receives dead-lettered events. Nil means a memory bus of its
	// own, returned by DeadLetters.
	DeadLetter bus.Publisher
}

func (o Options) withDefaults() Options {
	if o.MaxDeliveries <= 0 {
		o.MaxDeliveries = bus.DefaultMaxDeliveries
	}
	if o.RetryDelay <= 0 {
		o.RetryDelay = 100 * time.Millisecond
	}
	if o.AckWait <= 0 {
		o.AckWait = 30 * time.Second
	}
	if o.DedupeWindow <= 0 {
		o.DedupeWindow = 2 * time.Minute
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 1
	}
	return o
}

// Bus is an in-process message bus. It implements bus.Publisher and
// bus.Consumer; any number of goroutines may publish and consume at once.
type Bus struct {
	opts Options

	mu       sync.Mutex
	wake     chan struct{} // closed and replaced whenever a message may be ready
	ready    []*entry
	inflight map[*entry]struct{}
	seen     map[string]time.Time
	lastGC   time.Time
	dlq      *Bus
	closed   bool
}

type entry struct {
	event      event.Event
	deliveries int
	notBefore  time.Time
	// token identifies the current delivery; an answer carrying an older one
	// is ignored.
	token    uint64
	deadline time.Time
	lastErr  string
}

var (
	_ bus.BatchPublisher = (*Bus)(nil)
	_ bus.Consumer       = (*Bus)(nil)
)

// ErrClosed is returned by a closed bus.
var ErrClosed = fmt.Errorf("memory bus closed: %w", bus.ErrUnavailable)

// New returns an empty bus.
func New(opts Options) *Bus {
	return &Bus{
		opts:     opts.withDefaults(),
		wake:     make(chan struct{}),
		inflight: map[*entry]struct{}{},
		seen:     map[string]time.Time{},
	}
}

// Publish puts e on the bus. An event whose id was published within the
// deduplication window is accepted and dropped.
func (b *Bus) Publish(ctx context.Context, e event.Event) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("publishing event %s: %w", e.ID, err)
	}
	if err := e.Validate(); err != nil {
		return fmt.Errorf("publishing event %s: %w", e.ID, err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrClosed
	}
	now := time.Now()
	b.gcSeenLocked(now)
	if t, ok := b.seen[e.ID]; ok && now.Sub(t) < b.opts.DedupeWindow {
		return nil
	}
	b.seen[e.ID] = now
	b.ready = append(b.ready, &entry{event: e})
	b.signalLocked()
	return nil
}

// PublishBatch publishes each event in order.
func (b *Bus) PublishBatch(ctx context.Context, events []event.Event) error {
	for _, e := range events {
		if err := b.Publish(ctx, e); err != nil {
			return err
		}
	}
	return nil
}

// Len reports how many messages are waiting or in flight.
func (b *Bus) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.ready) + len(b.inflight)
}

// DeadLetters returns the bus dead letters go to when Options.DeadLetter is
// nil.
func (b *Bus) DeadLetters() *Bus {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.dlq == nil {
		b.dlq = New(Options{MaxDeliveries: b.opts.MaxDeliveries, RetryDelay: b.opts.RetryDelay, AckWait: b.opts.AckWait})
	}
	return b.dlq
}

// Close makes Publish fail and Consume return.
func (b *Bus) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	b.signalLocked()
	return nil
}

func (b *Bus) signalLocked() {
	close(b.wake)
	b.wake = make(chan struct{})
}

func (b *Bus) gcSeenLocked(now time.Time) {
	if now.Sub(b.lastGC) < b.opts.DedupeWindow/4 {
		return
	}
	b.lastGC = now
	for id, t := range b.seen {
		if now.Sub(t) >= b.opts.DedupeWindow {
			delete(b.seen, id)
		}
	}
}

// Consume hands messages to h, Options.Concurrency at a time, until ctx is
// done. It returns nil when ctx ends and waits for running handlers only
// while they answer; a handler still running when Consume returns loses its
// delivery, which comes back after AckWait.
func (b *Bus) Consume(ctx context.Context, h bus.Handler) error {
	var wg sync.WaitGroup
	errs := make(chan error, b.opts.Concurrency)
	for range b.opts.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := b.worker(ctx, h); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

func (b *Bus) worker(ctx context.Context, h bus.Handler) error {
	for {
		e, tok, err := b.next(ctx)
		if err != nil {
			if errors.Is(err, ErrClosed) {
				return err
			}
			return nil
		}
		b.deliver(ctx, h, e, tok)
	}
}

// next waits for a message that is ready and marks it in flight.
func (b *Bus) next(ctx context.Context) (*entry, uint64, error) {
	for {
		b.mu.Lock()
		if b.closed {
			b.mu.Unlock()
			return nil, 0, ErrClosed
		}
		now := time.Now()
		b.expireLocked(now)
		e, wait := b.popLocked(now)
		if e != nil {
			if e.deliveries >= b.opts.MaxDeliveries {
				// Its deliveries ran out without an answer (crashed handlers).
				b.mu.Unlock()
				b.deadLetter(e, e.lastErr)
				continue
			}
			e.deliveries++
			e.token++
			e.deadline = now.Add(b.opts.AckWait)
			b.inflight[e] = struct{}{}
			tok := e.token
			b.mu.Unlock()
			return e, tok, nil
		}
		wake := b.wake
		b.mu.Unlock()

		var timer *time.Timer
		var fire <-chan time.Time
		if wait > 0 {
			timer = time.NewTimer(wait)
			fire = timer.C
		}
		select {
		case <-ctx.Done():
		case <-wake:
		case <-fire:
		}
		if timer != nil {
			timer.Stop()
		}
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
	}
}

// expireLocked brings back deliveries whose consumer stopped answering.
func (b *Bus) expireLocked(now time.Time) {
	for e := range b.inflight {
		if now.After(e.deadline) {
			delete(b.inflight, e)
			e.lastErr = fmt.Sprintf("not acknowledged within %s after %d deliveries", b.opts.AckWait, e.deliveries)
			e.notBefore = now
			b.ready = append(b.ready, e)
		}
	}
}

// popLocked takes the first ready message, or says how long until one may
// be (0: wait for a signal only).
func (b *Bus) popLocked(now time.Time) (*entry, time.Duration) {
	var soonest time.Time
	for i, e := range b.ready {
		if !e.notBefore.After(now) {
			if i == 0 {
				b.ready[0] = nil
				b.ready = b.ready[1:]
			} else {
				b.ready = append(b.ready[:i], b.ready[i+1:]...)
			}
			return e, 0
		}
		if soonest.IsZero() || e.notBefore.Before(soonest) {
			soonest = e.notBefore
		}
	}
	for e := range b.inflight {
		if soonest.IsZero() || e.deadline.Before(soonest) {
			soonest = e.deadline
		}
	}
	if soonest.IsZero() {
		return nil, 0
	}
	return nil, soonest.Sub(now) + time.Millisecond
}

func (b *Bus) deliver(ctx context.Context, h bus.Handler, e *entry, tok uint64) {
	done := bus.Go(ctx, h, bus.Message{Event: e.event, Delivery: e.deliveries})
	// Keep the delivery in flight while the consumer runs.
	tick := time.NewTicker(b.opts.AckWait / 3)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			if ctx.Err() != nil && err != nil {
				// The consumer stopped: leave the delivery to expire, as a
				// crashed process would.
				return
			}
			b.answer(e, tok, err)
			return
		case <-tick.C:
			if ctx.Err() != nil {
				continue
			}
			b.mu.Lock()
			if e.token == tok {
				e.deadline = time.Now().Add(b.opts.AckWait)
			}
			b.mu.Unlock()
		case <-ctx.Done():
			// Abandon: the delivery expires after AckWait unless the handler
			// answers before the consumer loop has returned.
			select {
			case err := <-done:
				if err == nil {
					b.answer(e, tok, nil)
				}
			default:
			}
			return
		}
	}
}

// answer settles one delivery; an answer for an older delivery is ignored.
func (b *Bus) answer(e *entry, tok uint64, err error) {
	b.mu.Lock()
	if _, ok := b.inflight[e]; !ok || e.token != tok {
		b.mu.Unlock()
		return
	}
	delete(b.inflight, e)
	if err == nil {
		b.mu.Unlock()
		return
	}
	e.lastErr = bus.Reason(err)
	if errors.Is(err, bus.ErrPermanent) || e.deliveries >= b.opts.MaxDeliveries {
		b.mu.Unlock()
		b.deadLetter(e, e.lastErr)
		return
	}
	e.notBefore = time.Now().Add(bus.RetryDelay(b.opts.RetryDelay, e.deliveries))
	b.ready = append(b.ready, e)
	b.signalLocked()
	b.mu.Unlock()
}

// deadLetter moves e to the dead-letter destination; if that refuses it, e
// stays on this bus and is tried again later (never dropped).
func (b *Bus) deadLetter(e *entry, reason string) {
	dl := bus.DeadLetter(e.event, reason, e.deliveries)
	var pub bus.Publisher = b.opts.DeadLetter
	if pub == nil {
		pub = b.DeadLetters()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := pub.Publish(ctx, dl); err != nil {
		b.mu.Lock()
		e.notBefore = time.Now().Add(b.opts.RetryDelay)
		e.lastErr = reason
		b.ready = append(b.ready, e)
		b.signalLocked()
		b.mu.Unlock()
	}
}
