package dispatch_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/fc-eventing/fc-eventing/shared/bus"
	"github.com/fc-eventing/fc-eventing/shared/dispatch"
	"github.com/fc-eventing/fc-eventing/shared/sensor"
	"github.com/fc-eventing/fc-eventing/shared/trigger/argo"
)

// noop carries out nothing: the baseline of the dispatcher's own cost
// (routing, evaluation, state, logging off).
type noop struct{}

func (noop) Execute(_ context.Context, f sensor.Firing) (argo.Outcome, error) {
	return argo.Outcome{Trigger: f.Trigger, Type: f.Type, Operation: f.Operation}, nil
}

// BenchmarkHandle measures one event through Handle: evaluate only (noop
// executor, the baseline), and evaluate plus writing the object (dry run).
func BenchmarkHandle(b *testing.B) {
	for _, tc := range []struct {
		name string
		exec func(*dispatch.DryRun) dispatch.Executor
	}{
		{"evaluate-only", func(*dispatch.DryRun) dispatch.Executor { return noop{} }},
		{"dry-run", nil},
	} {
		b.Run(tc.name, func(b *testing.B) {
			f := newFixture(b, tc.exec, ciSensor, releaseSensor)
			ctx := context.Background()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				if err := f.d.Handle(ctx, bus.Message{Event: push(fmt.Sprintf("p-%d", i), "refs/heads/main", "abc"), Delivery: 1}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
