// Package function is the main of a deployed source function (webhook,
// oss-source, mns-source, eventbridge-source): load the EventSources,
// connect to SMQ, build the handler, all beside the FC runtime loop.
package function

import (
	"context"
	"fmt"

	"github.com/fc-eventing/fc-eventing/shared/bus"
	"github.com/fc-eventing/fc-eventing/shared/config"
	"github.com/fc-eventing/fc-eventing/shared/fc"
	"github.com/fc-eventing/fc-eventing/shared/source"
	"github.com/fc-eventing/fc-eventing/shared/source/busenv"
)

// Builder makes a source function's handler from the EventSources of its
// configuration and the bus it publishes to.
type Builder func(sources []*config.EventSource, pub bus.Publisher) (fc.Invoker, error)

// Main runs the source function named name with the handler build makes.
// It never returns; a failed set-up is logged and ends the process.
func Main(name string, build Builder) {
	ctx := context.Background()
	log := fc.Logger(ctx).WithField(fc.FieldFunction, name)
	// The bus client is built, and the runtime polls for the first event,
	// while the configuration loads.
	connecting := busenv.Connect(ctx)
	fc.StartLoading(log, func() (fc.Invoker, error) {
		sources, err := config.LoadEventSources(fc.ConfigDir())
		if err != nil {
			return nil, fmt.Errorf("loading event sources: %w", err)
		}
		source.LogWarnings(log, sources)
		pub, err := connecting.Wait()
		if err != nil {
			return nil, fmt.Errorf("connecting to the bus: %w", err)
		}
		return build(sources, pub)
	})
}

// Decoding is the Builder of a function whose events newDecoder turns out
// of its trigger's payload (source.Function).
func Decoding[D source.Decoder](newDecoder func([]*config.EventSource) (D, error)) Builder {
	return func(sources []*config.EventSource, pub bus.Publisher) (fc.Invoker, error) {
		dec, err := newDecoder(sources)
		if err != nil {
			return nil, fmt.Errorf("building the event decoder: %w", err)
		}
		return fc.Handler(source.Function(dec, pub)), nil
	}
}
