// Command webhook is the FC function behind the HTTP trigger that receives
// GitHub, GitLab, Gitee, Codeup, Bitbucket and generic webhooks.
package main

import (
	"context"
	"fmt"

	"github.com/fc-eventing/fc-eventing/shared/config"
	"github.com/fc-eventing/fc-eventing/shared/fc"
	"github.com/fc-eventing/fc-eventing/shared/source"
	"github.com/fc-eventing/fc-eventing/shared/source/busenv"
	"github.com/fc-eventing/fc-eventing/shared/source/router"
)

func main() {
	ctx := context.Background()
	log := fc.Logger(ctx).WithField(fc.FieldFunction, "webhook")
	// The bus client is built, and the runtime polls for the first request,
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
		rt, err := router.New(sources, pub)
		if err != nil {
			return nil, fmt.Errorf("building webhook routes: %w", err)
		}
		rt.Log = fc.Logger
		return fc.Handler(rt.ServeFC), nil
	})
}
