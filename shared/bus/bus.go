// Package bus defines how sources hand events to the sensor: a Publisher that
// returns only once the bus holds an event, and a Consumer that acknowledges a
// message only when its handler returned nil. Implementations live in
// bus/smq, bus/nats and bus/memory.
package bus

import (
	"context"
	"errors"

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
