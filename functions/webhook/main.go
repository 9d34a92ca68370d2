// Command webhook is the FC function behind the HTTP trigger that receives
// GitHub, GitLab, Gitee, Codeup, Bitbucket and generic webhooks.
package main

import (
	"context"

	"github.com/fc-eventing/fc-eventing/shared/config"
	"github.com/fc-eventing/fc-eventing/shared/fc"
	"github.com/fc-eventing/fc-eventing/shared/source"
	"github.com/fc-eventing/fc-eventing/shared/source/busenv"
	"github.com/fc-eventing/fc-eventing/shared/source/router"
)

func main() {
	ctx := context.Background()
	log := fc.Logger(ctx).WithField(fc.FieldFunction, "webhook")
	// The bus client is built while the configuration loads.
	connecting := busenv.Connect(ctx)
	sources, err := config.LoadEventSources(fc.ConfigDir())
	if err != nil {
		log.WithError(err).Fatal("loading event sources")
	}
	source.LogWarnings(log, sources)
	pub, err := connecting.Wait()
	if err != nil {
		log.WithError(err).Fatal("connecting to the bus")
	}
	rt, err := router.New(sources, pub)
	if err != nil {
		log.WithError(err).Fatal("building webhook routes")
	}
	rt.Log = fc.Logger
	fc.Start(rt.ServeFC)
}
