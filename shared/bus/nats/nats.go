package nats

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fc-eventing/fc-eventing/shared/bus"
	"github.com/fc-eventing/fc-eventing/shared/bus/ossref"
	"github.com/fc-eventing/fc-eventing/shared/event"
)

// Header names set on dead letters.
const (
	HeaderReason     = "Fceventing-Reason"
	HeaderDeliveries = "Fceventing-Deliveries"
)

// Config says which server, stream and consumer a Bus uses. Zero values take
// the defaults.
type Config struct {
	// URL of the server (e.g. nats://127.0.0.1:4222); ignored when Conn is set.
	URL string
	// Conn is an existing connection; the Bus does not close it.
	Conn *nats.Conn
	// Stream holds the events (default FCEVENTING); its dead letters go to the
	// stream Stream+"_DLQ".
	Stream string
	// Subject events are published to (default fceventing.events).
	Subject string
	// DeadLetterSubject dead letters are published to (default
	// fceventing.deadletter).
	DeadLetterSubject string
	// Durable is the consumer name (default sensor).
	Durable string
	// MaxDeliveries before dead-lettering (default bus.DefaultMaxDeliveries).
	MaxDeliveries int
	// AckWait is how long a delivery may stay unanswered (default 30s); a
	// running handler is kept in flight with progress acknowledgements.
	AckWait time.Duration
	// RetryDelay is how long a failed message waits before redelivery
	// (default 1s), doubled for each further failure.
	RetryDelay time.Duration
	// DuplicateWindow is how long published ids are remembered (default 2m).
	DuplicateWindow time.Duration
	// MaxAge bounds how long events are kept (default 7 days).
	MaxAge time.Duration
	// Concurrency is how many handlers run at once (default 1).
	Concurrency int
	// MemoryStorage keeps the streams in memory instead of files.
	MemoryStorage bool
	// Blobs stores events larger than the server's max_payload and
	// resolves references; without it such events are refused.
	Blobs ossref.Blobs

	// unlimited marks the dead-letter bus: it never dead-letters.
	unlimited bool
}

func (c Config) withDefaults() Config {
	if c.Stream == "" {
		c.Stream = "FCEVENTING"
	}
	if c.Subject == "" {
		c.Subject = "fceventing.events"
	}
	if c.DeadLetterSubject == "" {
		c.DeadLetterSubject = "fceventing.deadletter"
	}
	if c.Durable == "" {
		c.Durable = "sensor"
	}
	if c.MaxDeliveries <= 0 {
		c.MaxDeliveries = bus.DefaultMaxDeliveries
	}
	if c.AckWait <= 0 {
		c.AckWait = 30 * time.Second
	}
	if c.RetryDelay <= 0 {
		c.RetryDelay = time.Second
	}
	if c.DuplicateWindow <= 0 {
		c.DuplicateWindow = 2 * time.Minute
	}
	if c.MaxAge <= 0 {
		c.MaxAge = 7 * 24 * time.Hour
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 1
	}
	return c
}

// Bus publishes to and consumes from one JetStream stream.
type Bus struct {
	cfg     Config
	nc      *nats.Conn
	ownConn bool
	js      jetstream.JetStream
	stream  jetstream.Stream
}

var (
	_ bus.BatchPublisher = (*Bus)(nil)
	_ bus.Consumer       = (*Bus)(nil)
)

// New connects and makes sure the event and dead-letter streams exist.
func New(ctx context.Context, cfg Config) (*Bus, error) {
	cfg = cfg.withDefaults()
	b := &Bus{cfg: cfg, nc: cfg.Conn}
	if b.nc == nil {
		if cfg.URL == "" {
			return nil, fmt.Errorf("connecting to NATS: no URL")
		}
		nc, err := nats.Connect(cfg.URL, nats.Name("fceventing"), nats.MaxReconnects(-1))
		if err != nil {
			return nil, fmt.Errorf("connecting to NATS at %s: %w: %w", cfg.URL, bus.ErrUnavailable, err)
		}
		b.nc, b.ownConn = nc, true
	}
	js, err := jetstream.New(b.nc)
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("opening JetStream: %w", err)
	}
	b.js = js
	storage := jetstream.FileStorage
	if cfg.MemoryStorage {
		storage = jetstream.MemoryStorage
	}
	b.stream, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:       cfg.Stream,
		Subjects:   []string{cfg.Subject},
		Storage:    storage,
		Retention:  jetstream.LimitsPolicy,
		MaxAge:     cfg.MaxAge,
		Duplicates: cfg.DuplicateWindow,
	})
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("creating stream %s: %w", cfg.Stream, err)
	}
	if !cfg.unlimited {
		_, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
			Name:       cfg.Stream + "_DLQ",
			Subjects:   []string{cfg.DeadLetterSubject},
			Storage:    storage,
			Retention:  jetstream.LimitsPolicy,
			MaxAge:     cfg.MaxAge,
			Duplicates: cfg.DuplicateWindow,
		})
		if err != nil {
			b.Close()
			return nil, fmt.Errorf("creating stream %s_DLQ: %w", cfg.Stream, err)
		}
	}
	return b, nil
}

// DeadLetters returns a Bus that consumes the dead-letter stream with the
// durable consumer name; it redelivers failed messages without limit.
func (b *Bus) DeadLetters(ctx context.Context, durable string) (*Bus, error) {
	c := b.cfg
	c.Conn = b.nc
	c.Stream = b.cfg.Stream + "_DLQ"
	c.Subject = b.cfg.DeadLetterSubject
	c.Durable = durable
	c.unlimited = true
	return New(ctx, c)
}

// Close closes the connection if the Bus opened it.
func (b *Bus) Close() {
	if b.ownConn && b.nc != nil {
		b.nc.Close()
	}
}

// Publish stores e in the stream; it returns once the server acknowledged
// it. A publish of an id already stored within the duplicate window is
// acknowledged as a duplicate and not stored again.
func (b *Bus) Publish(ctx context.Context, e event.Event) error {
	return b.publish(ctx, b.cfg.Subject, e, nil)
}

// PublishBatch publishes the events and waits for every acknowledgement.
func (b *Bus) PublishBatch(ctx context.Context, events []event.Event) error {
	for _, e := range events {
		if err := b.Publish(ctx, e); err != nil {
			return err
		}
	}
	return nil
}

func (b *Bus) publish(ctx context.Context, subject string, e event.Event, hdr nats.Header) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("publishing event %s: %w", e.ID, err)
	}
	if err := e.Validate(); err != nil {
		return fmt.Errorf("publishing event %s: %w", e.ID, err)
	}
	data, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encoding event %s: %w", e.ID, err)
	}
	// Leave room for headers within the server's payload limit.
	if limit := b.nc.MaxPayload() - 4096; limit > 0 && int64(len(data)) > limit && b.cfg.Blobs != nil {
		ref, err := ossref.Offload(ctx, b.cfg.Blobs, e, data)
		if err != nil {
			return err
		}
		if data, err = json.Marshal(ref); err != nil {
			return fmt.Errorf("encoding reference to event %s: %w", e.ID, err)
		}
	}
	msg := &nats.Msg{Subject: subject, Data: data, Header: hdr}
	if msg.Header == nil {
		msg.Header = nats.Header{}
	}
	msg.Header.Set(jetstream.MsgIDHeader, e.ID)
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
	}
	if _, err := b.js.PublishMsg(ctx, msg); err != nil {
		if errors.Is(err, nats.ErrMaxPayload) {
			return fmt.Errorf("publishing event %s (%d bytes): %w", e.ID, len(data), err)
		}
		return fmt.Errorf("publishing event %s to %s: %w: %w", e.ID, subject, bus.ErrUnavailable, err)
	}
	return nil
}

// Consume hands messages of the durable consumer to h until ctx is done.
func (b *Bus) Consume(ctx context.Context, h bus.Handler) error {
	maxDeliver := b.cfg.MaxDeliveries + 1
	if b.cfg.unlimited {
		maxDeliver = -1
	}
	cons, err := b.stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       b.cfg.Durable,
		FilterSubject: b.cfg.Subject,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       b.cfg.AckWait,
		MaxDeliver:    maxDeliver,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("creating consumer %s on %s: %w: %w", b.cfg.Durable, b.cfg.Stream, bus.ErrUnavailable, err)
	}
	if !b.cfg.unlimited {
		adv, err := b.watchMaxDeliveries(ctx)
		if err != nil {
			return err
		}
		defer func() { _ = adv.Unsubscribe() }()
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(b.cfg.Concurrency), jetstream.PullExpiry(5*time.Second))
	if err != nil {
		return fmt.Errorf("pulling from consumer %s: %w", b.cfg.Durable, err)
	}
	go func() {
		<-ctx.Done()
		it.Stop()
	}()
	var wg sync.WaitGroup
	errc := make(chan error, b.cfg.Concurrency)
	for range b.cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				msg, err := it.Next()
				if err != nil {
					if errors.Is(err, jetstream.ErrMsgIteratorClosed) || ctx.Err() != nil {
						return
					}
					// Missed heartbeats and similar are transient: the iterator
					// keeps pulling.
					if errors.Is(err, jetstream.ErrNoHeartbeat) {
						continue
					}
					errc <- fmt.Errorf("pulling from consumer %s: %w", b.cfg.Durable, err)
					it.Stop()
					return
				}
				b.handle(ctx, h, msg)
			}
		}()
	}
	wg.Wait()
	close(errc)
	return <-errc
}

func (b *Bus) handle(ctx context.Context, h bus.Handler, msg jetstream.Msg) {
	md, err := msg.Metadata()
	if err != nil {
		_ = msg.Term()
		return
	}
	delivery := int(md.NumDelivered)
	var e event.Event
	if err := json.Unmarshal(msg.Data(), &e); err != nil {
		b.deadLetterRaw(ctx, msg, fmt.Sprintf("undecodable message: %v", err), delivery)
		return
	}
	if !b.cfg.unlimited && delivery > b.cfg.MaxDeliveries {
		b.deadLetter(ctx, msg, e, fmt.Sprintf("not acknowledged after %d deliveries", delivery-1), delivery-1)
		return
	}

	done := bus.Go(ctx, ossref.Resolving(b.cfg.Blobs, h), bus.Message{Event: e, Delivery: delivery})
	tick := time.NewTicker(b.cfg.AckWait / 3)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			b.settle(ctx, msg, e, delivery, err)
			return
		case <-tick.C:
			_ = msg.InProgress()
		case <-ctx.Done():
			// The consumer stops: a handler that answers now is settled,
			// one that does not is left to AckWait, as after a crash.
			select {
			case err := <-done:
				if err == nil {
					_ = msg.Ack()
				}
			default:
			}
			return
		}
	}
}

func (b *Bus) settle(ctx context.Context, msg jetstream.Msg, e event.Event, delivery int, err error) {
	if err == nil {
		_ = msg.Ack()
		return
	}
	if !b.cfg.unlimited && (errors.Is(err, bus.ErrPermanent) || delivery >= b.cfg.MaxDeliveries) {
		b.deadLetter(ctx, msg, e, bus.Reason(err), delivery)
		return
	}
	_ = msg.NakWithDelay(bus.RetryDelay(b.cfg.RetryDelay, delivery))
}

// deadLetter publishes e to the dead-letter subject, then terminates msg. If
// the dead-letter publish fails the message is naked and tried again later.
func (b *Bus) deadLetter(ctx context.Context, msg jetstream.Msg, e event.Event, reason string, deliveries int) {
	if err := b.publishDeadLetter(ctx, e, reason, deliveries); err != nil {
		_ = msg.NakWithDelay(b.cfg.RetryDelay)
		return
	}
	_ = msg.TermWithReason("dead-lettered: " + reason)
}

func (b *Bus) publishDeadLetter(ctx context.Context, e event.Event, reason string, deliveries int) error {
	dl := bus.DeadLetter(e, reason, deliveries)
	hdr := nats.Header{}
	hdr.Set(HeaderReason, reason)
	hdr.Set(HeaderDeliveries, strconv.Itoa(deliveries))
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	return b.publish(pctx, b.cfg.DeadLetterSubject, dl, hdr)
}

// deadLetterRaw keeps an undecodable message's bytes on the dead-letter
// subject inside an event of type fceventing.undecodable.
func (b *Bus) deadLetterRaw(ctx context.Context, msg jetstream.Msg, reason string, deliveries int) {
	var seq uint64
	if md, err := msg.Metadata(); err == nil {
		seq = md.Sequence.Stream
	}
	raw, _ := json.Marshal(string(msg.Data()))
	e := event.Event{
		ID:     fmt.Sprintf("%s-%d", b.cfg.Stream, seq),
		Source: "fceventing/nats/" + b.cfg.Stream, Type: "fceventing.undecodable",
		Data: raw,
	}
	b.deadLetter(ctx, msg, e, reason, deliveries)
}

// maxDeliveriesAdvisory is the part of the server's
// io.nats.jetstream.advisory.v1.max_deliver advisory the Bus reads.
type maxDeliveriesAdvisory struct {
	Stream     string `json:"stream"`
	Consumer   string `json:"consumer"`
	StreamSeq  uint64 `json:"stream_seq"`
	Deliveries int    `json:"deliveries"`
}

// watchMaxDeliveries dead-letters messages the server stopped delivering
// because every delivery, the consumer's last chance included, went
// unanswered.
func (b *Bus) watchMaxDeliveries(ctx context.Context) (*nats.Subscription, error) {
	subj := fmt.Sprintf("$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.%s.%s", b.cfg.Stream, b.cfg.Durable)
	sub, err := b.nc.Subscribe(subj, func(m *nats.Msg) {
		var a maxDeliveriesAdvisory
		if err := json.Unmarshal(m.Data, &a); err != nil || a.StreamSeq == 0 {
			return
		}
		raw, err := b.stream.GetMsg(ctx, a.StreamSeq)
		if err != nil {
			return
		}
		var e event.Event
		if err := json.Unmarshal(raw.Data, &e); err != nil {
			return
		}
		_ = b.publishDeadLetter(ctx, e, fmt.Sprintf("server stopped after %d deliveries without acknowledgement", a.Deliveries), a.Deliveries)
	})
	if err != nil {
		return nil, fmt.Errorf("watching max-deliveries advisories: %w", err)
	}
	return sub, nil
}
