package bus_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fc-eventing/fc-eventing/shared/bus"
	"github.com/fc-eventing/fc-eventing/shared/event"
)

func TestDeadLetterMarksACopy(t *testing.T) {
	t.Parallel()
	e := event.Event{ID: "1", Source: "s", Type: "t", Extensions: map[string]string{"keep": "me"}}
	dl := bus.DeadLetter(e, "boom", 5)
	if bus.DeadLetterReason(dl) != "boom" || dl.Extensions[bus.ExtDeliveries] != "5" || dl.Extensions["keep"] != "me" {
		t.Errorf("dead letter = %+v", dl)
	}
	if _, ok := e.Extensions[bus.ExtDeadLetterReason]; ok {
		t.Error("DeadLetter changed the original's extensions")
	}
	if bus.DeadLetterReason(e) != "" {
		t.Error("original carries a reason")
	}
}

func TestPermanent(t *testing.T) {
	t.Parallel()
	base := errors.New("no such template")
	err := fmt.Errorf("evaluating: %w", bus.Permanent(base))
	if !errors.Is(err, bus.ErrPermanent) || !errors.Is(err, base) {
		t.Errorf("errors.Is fails on %v", err)
	}
	if err.Error() != "evaluating: no such template" {
		t.Errorf("message = %q", err.Error())
	}
	if bus.Permanent(nil) != nil {
		t.Error("Permanent(nil) != nil")
	}
	if errors.Is(base, bus.ErrPermanent) {
		t.Error("plain error is permanent")
	}
}

func TestReasonIsBounded(t *testing.T) {
	t.Parallel()
	if r := bus.Reason(errors.New(strings.Repeat("x", 5000))); len(r) != 1024 {
		t.Errorf("reason length = %d", len(r))
	}
	if bus.Reason(nil) == "" {
		t.Error("empty reason for nil")
	}
}

func TestRetryDelayDoublesUpToTheCap(t *testing.T) {
	t.Parallel()
	for delivery, want := range map[int]time.Duration{
		1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 30: bus.MaxRetryDelay, 1000: bus.MaxRetryDelay,
	} {
		if got := bus.RetryDelay(time.Second, delivery); got != want {
			t.Errorf("RetryDelay(1s, %d) = %s, want %s", delivery, got, want)
		}
	}
}
