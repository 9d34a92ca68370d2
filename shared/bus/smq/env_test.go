package smq_test

import (
	"testing"

	"github.com/fc-eventing/fc-eventing/shared/bus/smq"
)

func TestConfigFromEnv(t *testing.T) {
	t.Parallel()
	base := map[string]string{
		"FCE_SMQ_ENDPOINT": "https://123.mns.cn-hangzhou.aliyuncs.com", "FCE_SMQ_QUEUE": "events",
		"FCE_SMQ_DLQ": "events-dlq", "ALIBABA_CLOUD_ACCESS_KEY_ID": "id", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "s",
		"FCE_MAX_DELIVERIES": "7",
	}
	tests := map[string]struct {
		change  map[string]string
		wantErr bool
		check   func(t *testing.T, c smq.Config)
	}{
		"queue and dead-letter queue": {check: func(t *testing.T, c smq.Config) {
			if c.Queue != "events" || c.DeadLetterQueue != "events-dlq" || c.MaxDeliveries != 7 || c.Blobs != nil {
				t.Errorf("config = %+v", c)
			}
		}},
		"with large-payload store": {
			change: map[string]string{"FCE_OSS_ENDPOINT": "https://oss-cn-hangzhou.aliyuncs.com", "FCE_OSS_BUCKET": "large-events"},
			check: func(t *testing.T, c smq.Config) {
				if c.Blobs == nil {
					t.Error("no store configured")
				}
			},
		},
		"bucket without endpoint": {change: map[string]string{"FCE_OSS_BUCKET": "large-events"}, wantErr: true},
		"no endpoint":             {change: map[string]string{"FCE_SMQ_ENDPOINT": ""}, wantErr: true},
		"no queue or topic":       {change: map[string]string{"FCE_SMQ_QUEUE": ""}, wantErr: true},
		"bad max deliveries":      {change: map[string]string{"FCE_MAX_DELIVERIES": "zero"}, wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{}
			for k, v := range base {
				env[k] = v
			}
			for k, v := range tc.change {
				env[k] = v
			}
			c, err := smq.ConfigFromEnv(func(k string) string { return env[k] })
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if tc.check != nil {
				tc.check(t, c)
			}
		})
	}
}
