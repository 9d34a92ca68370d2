// Package function is the main of a deployed source function that turns
// one kind of trigger payload into events (oss-source, mns-source,
// eventbridge-source): load the EventSources, build the kind's decoder,
// publish to SMQ, all beside the FC runtime loop.
package function

import (
	"context"
	"fmt"

	"github.com/fc-eventing/fc-eventing/shared/config"
	"github.com/fc-eventing/fc-eventing/shared/fc"
	"github.com/fc-eventing/fc-eventing/shared/source"
	"github.com/fc-eventing/fc-eventing/shared/source/busenv"
)

// Main runs the source function named name, whose events newDecoder
// builds from the EventSources of its configuration. It never returns; a
// failed set-up is logged and ends the process.
func Main[D source.Decoder](name string, newDecoder func([]*config.EventSource) (D, error)) {
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
		dec, err := newDecoder(sources)
		if err != nil {
			return nil, fmt.Errorf("building the event decoder: %w", err)
		}
		pub, err := connecting.Wait()
		if err != nil {
			return nil, fmt.Errorf("connecting to the bus: %w", err)
		}
		return fc.Handler(source.Function(dec, pub)), nil
	})
}
