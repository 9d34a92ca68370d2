package nats

import (
	"fmt"
	"strconv"
)

// Environment variables ConfigFromEnv reads.
const (
	EnvURL           = "FCE_NATS_URL"
	EnvMaxDeliveries = "FCE_MAX_DELIVERIES"
)

// ConfigFromEnv builds a Config from FCE_NATS_URL and FCE_MAX_DELIVERIES.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	cfg := Config{URL: getenv(EnvURL)}
	if cfg.URL == "" {
		return cfg, fmt.Errorf("%s is not set", EnvURL)
	}
	if v := getenv(EnvMaxDeliveries); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return cfg, fmt.Errorf("%s=%q is not a positive number", EnvMaxDeliveries, v)
		}
		cfg.MaxDeliveries = n
	}
	return cfg, nil
}
