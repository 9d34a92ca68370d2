// Command oss-source is the FC function that turns OSS notifications into events.
package main

import (
	"context"
	"fmt"

	"github.com/fc-eventing/fc-eventing/shared/config"
	"github.com/fc-eventing/fc-eventing/shared/fc"
	"github.com/fc-eventing/fc-eventing/shared/source"
	"github.com/fc-eventing/fc-eventing/shared/source/busenv"
	"github.com/fc-eventing/fc-eventing/shared/source/oss"
)

func main() {
	ctx := context.Background()
	log := fc.Logger(ctx).WithField(fc.FieldFunction, "oss-source")
	// The bus client is built, and the runtime polls for the first event,
	// while the configuration loads.
	connecting := busenv.Connect(ctx)
	fc.StartLoading(log, func() (fc.Invoker, error) {
		sources, err := config.LoadEventSources(fc.ConfigDir())
		if err != nil {
			return nil, fmt.Errorf("loading event sources: %w", err)
		}
		source.LogWarnings(log, sources)
		dec, err := oss.New(sources)
		if err != nil {
			return nil, fmt.Errorf("building oss events: %w", err)
		}
		pub, err := connecting.Wait()
		if err != nil {
			return nil, fmt.Errorf("connecting to the bus: %w", err)
		}
		return fc.Handler(source.Function(dec, pub)), nil
	})
}
