package sensorenv_test

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/fc-eventing/fc-eventing/shared/dispatch/sensorenv"
	"github.com/fc-eventing/fc-eventing/shared/state/memory"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestRESTConfig(t *testing.T) {
	t.Parallel()
	pem := string(cluster.CAData)
	tests := map[string]struct {
		env     map[string]string
		host    string
		wantErr string
	}{
		"pem":          {env: map[string]string{sensorenv.EnvAPIServer: "10.0.0.1:6443", sensorenv.EnvToken: "tok", sensorenv.EnvCAData: pem}, host: "https://10.0.0.1:6443"},
		"base64":       {env: map[string]string{sensorenv.EnvAPIServer: "https://k:6443", sensorenv.EnvToken: "tok", sensorenv.EnvCAData: base64.StdEncoding.EncodeToString([]byte(pem))}, host: "https://k:6443"},
		"no ca":        {env: map[string]string{sensorenv.EnvAPIServer: "https://k:6443", sensorenv.EnvToken: "tok"}, host: "https://k:6443"},
		"no token":     {env: map[string]string{sensorenv.EnvAPIServer: "https://k:6443"}, wantErr: "FCE_KUBE_TOKEN is empty"},
		"bad ca":       {env: map[string]string{sensorenv.EnvAPIServer: "https://k:6443", sensorenv.EnvToken: "tok", sensorenv.EnvCAData: "not base64!"}, wantErr: "neither PEM nor base64"},
		"ca not pem":   {env: map[string]string{sensorenv.EnvAPIServer: "https://k:6443", sensorenv.EnvToken: "tok", sensorenv.EnvCAData: base64.StdEncoding.EncodeToString([]byte("x"))}, wantErr: "no PEM certificate"},
		"kubeconfig":   {env: map[string]string{sensorenv.EnvKubeconfig: "/does/not/exist"}, wantErr: "loading kubeconfig /does/not/exist"},
		"nothing sets": {env: map[string]string{}, wantErr: "not in a cluster"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rc, err := sensorenv.RESTConfig(envOf(tc.env))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rc.Host != tc.host || rc.BearerToken != "tok" {
				t.Errorf("host %q token %q", rc.Host, rc.BearerToken)
			}
		})
	}
}

func TestStateChoice(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, closeState, err := sensorenv.State(ctx, envOf(map[string]string{sensorenv.EnvState: "memory"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	closeState()
	if _, ok := st.(*memory.State); !ok {
		t.Errorf("memory: got %T", st)
	}
	for name, tc := range map[string]struct {
		env     map[string]string
		wantErr string
	}{
		"default needs a namespace": {env: map[string]string{}, wantErr: "FCE_STATE_NAMESPACE is not set"},
		"bad namespace":             {env: map[string]string{sensorenv.EnvStateNamespace: "Not_A_Label"}, wantErr: "namespace"},
		"nats needs a url":          {env: map[string]string{sensorenv.EnvState: "nats"}, wantErr: "FCE_NATS_URL is not set"},
		"nats unreachable":          {env: map[string]string{sensorenv.EnvState: "nats", sensorenv.EnvNATSURL: "nats://127.0.0.1:1"}, wantErr: "connecting"},
		"unknown":                   {env: map[string]string{sensorenv.EnvState: "redis"}, wantErr: "unknown conditions state"},
	} {
		_, _, err := sensorenv.State(ctx, envOf(tc.env), cluster.AdminConfig())
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: error = %v, want %q", name, err, tc.wantErr)
		}
	}
}

func TestPushFromEnv(t *testing.T) {
	t.Parallel()
	p, err := sensorenv.Push(envOf(map[string]string{}))
	if err != nil || p.Blobs != nil || p.DeadLetter != nil {
		t.Fatalf("empty environment: %+v, %v", p, err)
	}
	p, err = sensorenv.Push(envOf(map[string]string{
		"FCE_SMQ_ENDPOINT": "http://123.mns.cn-hangzhou.aliyuncs.com", "FCE_SMQ_QUEUE": "bus", "FCE_SMQ_DLQ": "bus-dlq",
		"FCE_OSS_ENDPOINT": "http://oss-cn-hangzhou.aliyuncs.com", "FCE_OSS_BUCKET": "payloads",
		"ALIBABA_CLOUD_ACCESS_KEY_ID": "id", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "secret",
	}))
	if err != nil || p.Blobs == nil || p.DeadLetter == nil {
		t.Fatalf("full environment: %+v, %v", p, err)
	}
	for name, env := range map[string]map[string]string{
		"bucket without endpoint": {"FCE_OSS_BUCKET": "payloads"},
		"dlq without endpoint":    {"FCE_SMQ_DLQ": "bus-dlq", "FCE_SMQ_QUEUE": "bus"},
		"dlq without credentials": {"FCE_SMQ_DLQ": "bus-dlq", "FCE_SMQ_QUEUE": "bus", "FCE_SMQ_ENDPOINT": "http://123.mns.cn-hangzhou.aliyuncs.com"},
	} {
		if _, err := sensorenv.Push(envOf(env)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
