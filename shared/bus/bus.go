// Package bus defines how sources hand events to the sensor: a Publisher that
// returns only once the bus holds an event, and a Consumer that acknowledges a
// message only when its handler returned nil. Implementations live in
// bus/smq, bus/nats and bus/memory.
package bus

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/fc-eventing/fc-eventing/shared/event"
)

// DefaultMaxDeliveries is how often a message is handed to a handler before it
// moves to the dead-letter destination.
const DefaultMaxDeliveries = 5

// Publisher puts events on the bus. Publish returns nil only once the bus has
// accepted the event; publishing the same event id twice is harmless.
type Publisher interface {
	Publish(ctx context.Context, e event.Event) error
}

// BatchPublisher is a Publisher that can hand several events to the bus in
// fewer round trips. PublishBatch returns nil only once the bus holds every
// event; on error some may have been accepted, and publishing the batch
// again is harmless.
type BatchPublisher interface {
	Publisher
	PublishBatch(ctx context.Context, events []event.Event) error
}

// Message is one delivery of an event.
type Message struct {
	Event event.Event
	// Delivery counts deliveries of this message, starting at 1.
	Delivery int
}

// Handler processes one message. A nil error acknowledges it; any other error
// (or a crash) makes the bus deliver it again later.
type Handler func(ctx context.Context, m Message) error

// Consumer hands messages to a handler until ctx is done.
type Consumer interface {
	Consume(ctx context.Context, h Handler) error
}

// ErrUnavailable marks a bus that cannot take or give messages right now; a
// source answers 503 so its caller retries.
var ErrUnavailable = errors.New("bus unavailable")

// Extension attributes a bus sets on an event it moves to the dead-letter
// destination. CloudEvents extension names are lower-case alphanumerics.
const (
	// ExtDeadLetterReason holds why the message was dead-lettered: the last
	// handler error, or that it was delivered too often without an answer.
	ExtDeadLetterReason = "fcedlqreason"
	// ExtDeliveries holds how often the message had been delivered.
	ExtDeliveries = "fcedeliveries"
)

// DeadLetter returns a copy of e marked with the reason it is being moved to
// the dead-letter destination and the number of deliveries it had.
func DeadLetter(e event.Event, reason string, deliveries int) event.Event {
	ext := make(map[string]string, len(e.Extensions)+2)
	for k, v := range e.Extensions {
		ext[k] = v
	}
	ext[ExtDeadLetterReason] = reason
	ext[ExtDeliveries] = strconv.Itoa(deliveries)
	e.Extensions = ext
	return e
}

// DeadLetterReason returns the reason a dead-lettered event carries, or "".
func DeadLetterReason(e event.Event) string {
	return e.Extensions[ExtDeadLetterReason]
}

// ErrPermanent marks a handler error that no redelivery can cure (an event
// the sensor can never accept): the bus moves the message to the dead-letter
// destination at once instead of retrying it.
var ErrPermanent = errors.New("permanent failure")

// Permanent wraps err so that errors.Is(err, ErrPermanent) holds.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

type permanentError struct{ err error }

func (p *permanentError) Error() string { return p.err.Error() }
func (p *permanentError) Unwrap() []error {
	return []error{p.err, ErrPermanent}
}

// Reason turns a handler outcome into the text stored with a dead letter.
func Reason(err error) string {
	if err == nil {
		return "unknown"
	}
	s := err.Error()
	const max = 1024
	if len(s) > max {
		s = s[:max]
	}
	return s
}

// MaxRetryDelay caps RetryDelay growth.
const MaxRetryDelay = 5 * time.Minute

// RetryDelay is how long a message that failed its delivery-th delivery
// waits before the next: base doubled for each earlier failure, at most
// MaxRetryDelay.
func RetryDelay(base time.Duration, delivery int) time.Duration {
	d := base
	for i := 1; i < delivery && d < MaxRetryDelay; i++ {
		d *= 2
	}
	return min(d, MaxRetryDelay)
}

// Go runs h on m in its own goroutine and reports its result on the
// returned channel; a panicking handler reports an error instead of taking
// the consumer down, so the message is redelivered like any other failure.
func Go(ctx context.Context, h Handler, m Message) <-chan error {
	done := make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- fmt.Errorf("handler panicked: %v", r)
			}
		}()
		done <- h(ctx, m)
	}()
	return done
}
