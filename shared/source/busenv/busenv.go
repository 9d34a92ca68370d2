// Package busenv builds the bus.Publisher a source function publishes to,
// chosen by FCE_BUS: "nats" (FCE_NATS_URL) or "smq" (the default in the
// cloud). The memory bus lives inside one process and so serves only
// `fceventing serve`, which builds it itself; asking a function for it is a
// configuration error rather than a bus that silently drops events.
package busenv

import (
	"context"
	"fmt"
	"os"

	"github.com/fc-eventing/fc-eventing/shared/bus"
	"github.com/fc-eventing/fc-eventing/shared/bus/nats"
)

// Environment variables read here.
const (
	EnvBus     = "FCE_BUS"
	EnvNATSURL = "FCE_NATS_URL"
)

// Publisher connects to the bus FCE_BUS names.
func Publisher(ctx context.Context) (bus.Publisher, error) {
	return publisher(ctx, os.Getenv)
}

func publisher(ctx context.Context, getenv func(string) string) (bus.Publisher, error) {
	kind := getenv(EnvBus)
	switch kind {
	case "nats":
		b, err := nats.New(ctx, nats.Config{URL: getenv(EnvNATSURL)})
		if err != nil {
			return nil, fmt.Errorf("%s=nats: %w", EnvBus, err)
		}
		return b, nil
	case "", "smq":
		return nil, fmt.Errorf("%s=smq: the SMQ bus (shared/bus/smq) is not part of this build yet; set %s=nats", EnvBus, EnvBus)
	case "memory":
		return nil, fmt.Errorf("%s=memory: the memory bus only exists inside `fceventing serve`; a function needs smq or nats", EnvBus)
	default:
		return nil, fmt.Errorf("%s=%q: unknown bus (want smq, nats or memory)", EnvBus, kind)
	}
}
