// Command webhook is the FC function behind the HTTP trigger that receives
// GitHub, GitLab, Gitee, Codeup, Bitbucket and generic webhooks.
package main

import (
	"fmt"

	"github.com/fc-eventing/fc-eventing/shared/bus"
	"github.com/fc-eventing/fc-eventing/shared/config"
	"github.com/fc-eventing/fc-eventing/shared/fc"
	"github.com/fc-eventing/fc-eventing/shared/source/function"
	"github.com/fc-eventing/fc-eventing/shared/source/router"
)

func main() {
	function.Main("webhook", func(sources []*config.EventSource, pub bus.Publisher) (fc.Invoker, error) {
		rt, err := router.New(sources, pub)
		if err != nil {
			return nil, fmt.Errorf("building webhook routes: %w", err)
		}
		rt.Log = fc.Logger
		return fc.Handler(rt.ServeFC), nil
	})
}
