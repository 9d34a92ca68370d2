package source

import (
	"context"
	"fmt"

	"github.com/fc-eventing/fc-eventing/shared/bus"
	"github.com/fc-eventing/fc-eventing/shared/event"
)

// Publish hands every event to the bus in order and returns only once the
// bus accepted all of them. Any refusal is ErrUnavailable (the caller
// retries the whole delivery; publishing is idempotent by event id).
func Publish(ctx context.Context, pub bus.Publisher, events []event.Event) error {
	for _, e := range events {
		if err := pub.Publish(ctx, e); err != nil {
			return fmt.Errorf("%w: publishing event %s of %s/%s: %w", ErrUnavailable, e.ID, e.Source, e.Subject, err)
		}
	}
	return nil
}
