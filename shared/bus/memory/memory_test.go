package memory_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/fc-eventing/fc-eventing/shared/bus"
	"github.com/fc-eventing/fc-eventing/shared/bus/bustest"
	"github.com/fc-eventing/fc-eventing/shared/bus/memory"
	"github.com/fc-eventing/fc-eventing/shared/event"
)

func harness(tb testing.TB) bustest.Harness {
	b := memory.New(memory.Options{
		MaxDeliveries: 3,
		RetryDelay:    20 * time.Millisecond,
		AckWait:       300 * time.Millisecond,
	})
	tb.Cleanup(func() { _ = b.Close() })
	return bustest.Harness{
		Publisher:     b,
		NewConsumer:   func() bus.Consumer { return b },
		DeadLetters:   b.DeadLetters(),
		MaxDeliveries: 3,
		Dedupes:       true,
		Quiet:         600 * time.Millisecond,
		Patience:      5 * time.Second,
	}
}

func TestConformance(t *testing.T) {
	bustest.Run(t, func(t *testing.T) bustest.Harness { return harness(t) })
}

func TestHandlerPanicRedelivers(t *testing.T) {
	t.Parallel()
	b := memory.New(memory.Options{RetryDelay: time.Millisecond})
	if err := b.Publish(context.Background(), bustest.NewEvent("p1")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	deliveries := 0
	err := b.Consume(ctx, func(_ context.Context, m bus.Message) error {
		deliveries++
		if m.Delivery == 1 {
			panic("handler bug")
		}
		cancel()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if deliveries != 2 {
		t.Errorf("deliveries = %d, want 2", deliveries)
	}
	if b.Len() != 0 {
		t.Errorf("Len = %d after ack, want 0", b.Len())
	}
}

// failingPublisher refuses every dead letter.
type failingPublisher struct{ calls int }

func (f *failingPublisher) Publish(context.Context, event.Event) error {
	f.calls++
	return errors.New("dead-letter queue down")
}

func TestDeadLetterRefusedKeepsMessage(t *testing.T) {
	t.Parallel()
	dl := &failingPublisher{}
	b := memory.New(memory.Options{MaxDeliveries: 1, RetryDelay: 5 * time.Millisecond, DeadLetter: dl})
	if err := b.Publish(context.Background(), bustest.NewEvent("d1")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_ = b.Consume(ctx, func(context.Context, bus.Message) error { return errors.New("fails") })
	if dl.calls < 2 {
		t.Errorf("dead-letter publish tried %d times, want retries", dl.calls)
	}
	if b.Len() != 1 {
		t.Errorf("Len = %d, want the message kept while the dead-letter queue refuses it", b.Len())
	}
}

func TestClosedBusRefusesPublish(t *testing.T) {
	t.Parallel()
	b := memory.New(memory.Options{})
	_ = b.Close()
	err := b.Publish(context.Background(), bustest.NewEvent("c1"))
	if !errors.Is(err, bus.ErrUnavailable) {
		t.Errorf("Publish on closed bus = %v, want ErrUnavailable", err)
	}
}

func BenchmarkMemory(b *testing.B) {
	bustest.Bench(b, func(b *testing.B) bustest.Harness { return harness(b) })
}
