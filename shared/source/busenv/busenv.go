package busenv

import (
	"context"
	"fmt"
	"os"

	"github.com/fc-eventing/fc-eventing/shared/bus"
	"github.com/fc-eventing/fc-eventing/shared/bus/nats"
	"github.com/fc-eventing/fc-eventing/shared/bus/smq"
)

// EnvBus names the variable that selects the bus.
const EnvBus = "FCE_BUS"

// Publisher connects to the bus FCE_BUS names.
func Publisher(ctx context.Context) (bus.Publisher, error) {
	return FromEnv(ctx, os.Getenv)
}

// FromEnv is Publisher with the environment read through getenv.
func FromEnv(ctx context.Context, getenv func(string) string) (bus.Publisher, error) {
	switch kind := getenv(EnvBus); kind {
	case "", "smq":
		cfg, err := smq.ConfigFromEnv(getenv)
		if err != nil {
			return nil, fmt.Errorf("%s=smq: %w", EnvBus, err)
		}
		// The SMQ SDK panics on empty credentials; FC sets them from the
		// function's role, so their absence is a configuration error.
		if cfg.Client == nil && (cfg.AccessKeyID == "" || cfg.AccessKeySecret == "") {
			return nil, fmt.Errorf("%s=smq: no credentials (ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET; FC sets them for the function's role)", EnvBus)
		}
		b, err := smq.New(cfg)
		if err != nil {
			return nil, fmt.Errorf("%s=smq: %w", EnvBus, err)
		}
		return b, nil
	case "nats":
		cfg, err := nats.ConfigFromEnv(getenv)
		if err != nil {
			return nil, fmt.Errorf("%s=nats: %w", EnvBus, err)
		}
		b, err := nats.New(ctx, cfg)
		if err != nil {
			return nil, fmt.Errorf("%s=nats: %w", EnvBus, err)
		}
		return b, nil
	case "memory":
		return nil, fmt.Errorf("%s=memory: the memory bus only exists inside `fceventing serve`; a function needs smq or nats", EnvBus)
	default:
		return nil, fmt.Errorf("%s=%q: unknown bus (want smq or nats)", EnvBus, kind)
	}
}
