package busenv

import (
	"context"
	"fmt"
	"os"

	"github.com/fc-eventing/fc-eventing/shared/bus"
	"github.com/fc-eventing/fc-eventing/shared/bus/smq"
)

// EnvBus names the variable that selects the bus.
const EnvBus = "FCE_BUS"

// Publisher connects to the bus FCE_BUS names.
func Publisher(ctx context.Context) (bus.Publisher, error) {
	return FromEnv(ctx, os.Getenv)
}

// FromEnv is Publisher with the environment read through getenv. The
// deployed source functions publish to SMQ only: FCE_BUS unset or "smq"
// builds the SMQ publisher, "nats" and "memory" are refused with an error
// that points to `fceventing serve`, which builds those buses itself.
func FromEnv(_ context.Context, getenv func(string) string) (bus.Publisher, error) {
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
	case "nats", "memory":
		return nil, fmt.Errorf("%s=%s: the deployed source functions publish to SMQ only (unset %s or set it to smq); the %s bus is for `fceventing serve`, which runs the sources in-process with its own bus", EnvBus, kind, EnvBus, kind)
	default:
		return nil, fmt.Errorf("%s=%q: unknown bus (the deployed source functions publish to smq)", EnvBus, kind)
	}
}
