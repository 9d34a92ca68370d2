package ossref

import "fmt"

// Environment variables ConfigFromEnv reads.
const (
	EnvEndpoint = "FCE_OSS_ENDPOINT"
	EnvBucket   = "FCE_OSS_BUCKET"
	EnvPrefix   = "FCE_OSS_PREFIX"
	EnvKeyID    = "ALIBABA_CLOUD_ACCESS_KEY_ID"
	EnvSecret   = "ALIBABA_CLOUD_ACCESS_KEY_SECRET"
	EnvToken    = "ALIBABA_CLOUD_SECURITY_TOKEN"
)

// ConfigFromEnv reads the large-payload store from the function
// environment. ok is false when FCE_OSS_BUCKET is unset (no store); a
// bucket without an endpoint is an error.
func ConfigFromEnv(getenv func(string) string) (cfg Config, ok bool, err error) {
	cfg = Config{
		Endpoint: getenv(EnvEndpoint), Bucket: getenv(EnvBucket), Prefix: getenv(EnvPrefix),
		AccessKeyID: getenv(EnvKeyID), AccessKeySecret: getenv(EnvSecret), SecurityToken: getenv(EnvToken),
	}
	if cfg.Bucket == "" {
		return cfg, false, nil
	}
	if cfg.Endpoint == "" {
		return cfg, false, fmt.Errorf("%s is set but %s is not", EnvBucket, EnvEndpoint)
	}
	return cfg, true, nil
}
