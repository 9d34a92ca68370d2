package busenv

import (
	"context"
	"strings"
	"testing"
)

func TestFromEnv(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		env     map[string]string
		wantErr string
	}{
		"smq by default": {env: map[string]string{
			"FCE_SMQ_ENDPOINT": "http://1234567890123456.mns.cn-hangzhou.aliyuncs.com", "FCE_SMQ_QUEUE": "events",
			"ALIBABA_CLOUD_ACCESS_KEY_ID": "id", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "secret"}},
		"smq without credentials": {env: map[string]string{
			"FCE_SMQ_ENDPOINT": "http://1234567890123456.mns.cn-hangzhou.aliyuncs.com", "FCE_SMQ_QUEUE": "events"},
			wantErr: "FCE_BUS=smq: no credentials"},
		"smq without endpoint": {env: map[string]string{"FCE_BUS": "smq"}, wantErr: "FCE_BUS=smq: FCE_SMQ_ENDPOINT is not set"},
		"smq by name": {env: map[string]string{"FCE_BUS": "smq",
			"FCE_SMQ_ENDPOINT": "http://1234567890123456.mns.cn-hangzhou.aliyuncs.com", "FCE_SMQ_QUEUE": "events",
			"ALIBABA_CLOUD_ACCESS_KEY_ID": "id", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "secret"}},
		"nats refused": {env: map[string]string{"FCE_BUS": "nats", "FCE_NATS_URL": "nats://127.0.0.1:4222"},
			wantErr: "FCE_BUS=nats: the deployed source functions publish to SMQ only (unset FCE_BUS or set it to smq); the nats bus is for `fceventing serve`"},
		"memory refused": {env: map[string]string{"FCE_BUS": "memory"},
			wantErr: "FCE_BUS=memory: the deployed source functions publish to SMQ only (unset FCE_BUS or set it to smq); the memory bus is for `fceventing serve`"},
		"unknown": {env: map[string]string{"FCE_BUS": "kafka"}, wantErr: `FCE_BUS="kafka": unknown bus`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			pub, err := FromEnv(context.Background(), func(k string) string { return tc.env[k] })
			if tc.wantErr == "" {
				if err != nil || pub == nil {
					t.Fatalf("FromEnv = %v, %v", pub, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error = %v, want %q", err, tc.wantErr)
			}
		})
	}
}
