// Command eventbridge-source is the FC function that turns EventBridge events into events.
package main

import (
	"context"

	"github.com/fc-eventing/fc-eventing/shared/config"
	"github.com/fc-eventing/fc-eventing/shared/fc"
	"github.com/fc-eventing/fc-eventing/shared/source"
	"github.com/fc-eventing/fc-eventing/shared/source/busenv"
	"github.com/fc-eventing/fc-eventing/shared/source/eventbridge"
)

func main() {
	ctx := context.Background()
	log := fc.Logger(ctx).WithField(fc.FieldFunction, "eventbridge-source")
	// The bus client is built while the configuration loads.
	connecting := busenv.Connect(ctx)
	sources, err := config.LoadEventSources(fc.ConfigDir())
	if err != nil {
		log.WithError(err).Fatal("loading event sources")
	}
	source.LogWarnings(log, sources)
	dec, err := eventbridge.New(sources)
	if err != nil {
		log.WithError(err).Fatal("building eventbridge events")
	}
	pub, err := connecting.Wait()
	if err != nil {
		log.WithError(err).Fatal("connecting to the bus")
	}
	fc.Start(source.Function(dec, pub))
}
