package smq

import (
	"fmt"
	"strconv"

	"github.com/fc-eventing/fc-eventing/shared/bus/ossref"
)

// Environment variables ConfigFromEnv reads (besides ossref's FCE_OSS_*).
const (
	EnvEndpoint      = "FCE_SMQ_ENDPOINT"
	EnvQueue         = "FCE_SMQ_QUEUE"
	EnvDeadLetter    = "FCE_SMQ_DLQ"
	EnvTopic         = "FCE_SMQ_TOPIC"
	EnvMaxDeliveries = "FCE_MAX_DELIVERIES"
)

// ConfigFromEnv builds a Config from the function environment: endpoint,
// queue, dead-letter queue and topic from FCE_SMQ_*, credentials from
// ALIBABA_CLOUD_*, FCE_MAX_DELIVERIES, and the large-payload store from
// FCE_OSS_* when FCE_OSS_BUCKET is set.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	cfg := Config{
		Endpoint: getenv(EnvEndpoint), Queue: getenv(EnvQueue), DeadLetterQueue: getenv(EnvDeadLetter),
		Topic: getenv(EnvTopic), AccessKeyID: getenv(ossref.EnvKeyID), AccessKeySecret: getenv(ossref.EnvSecret),
		SecurityToken: getenv(ossref.EnvToken),
	}
	if cfg.Endpoint == "" {
		return cfg, fmt.Errorf("%s is not set", EnvEndpoint)
	}
	if cfg.Queue == "" && cfg.Topic == "" {
		return cfg, fmt.Errorf("neither %s nor %s is set", EnvQueue, EnvTopic)
	}
	if v := getenv(EnvMaxDeliveries); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return cfg, fmt.Errorf("%s=%q is not a positive number", EnvMaxDeliveries, v)
		}
		cfg.MaxDeliveries = n
	}
	oc, ok, err := ossref.ConfigFromEnv(getenv)
	if err != nil {
		return cfg, err
	}
	if ok {
		store, err := ossref.New(oc)
		if err != nil {
			return cfg, err
		}
		cfg.Blobs = store
	}
	return cfg, nil
}
