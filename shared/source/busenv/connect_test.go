package busenv

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/fc-eventing/fc-eventing/shared/bus/smq"
)

func TestConnectWarmsSMQ(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan struct{})
	go func() {
		c, err := ln.Accept()
		if err == nil {
			c.Close()
			close(accepted)
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	env := map[string]string{
		"FCE_SMQ_ENDPOINT": "http://localhost:" + port + "/123.mns.cn-hangzhou.local.test", "FCE_SMQ_QUEUE": "events",
		"ALIBABA_CLOUD_ACCESS_KEY_ID": "id", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "secret",
	}
	pub, err := connect(context.Background(), func(k string) string { return env[k] }).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := pub.(*smq.Bus); !ok {
		t.Fatalf("publisher is %T, want *smq.Bus", pub)
	}
	select {
	case <-accepted:
	case <-time.After(5 * time.Second):
		t.Fatal("the SMQ endpoint was never dialled")
	}
}

func TestConnectReportsFromEnvErrors(t *testing.T) {
	t.Parallel()
	for name, env := range map[string]map[string]string{
		"unknown bus":  {"FCE_BUS": "kafka"},
		"nats refused": {"FCE_BUS": "nats", "FCE_NATS_URL": "nats://127.0.0.1:4222"},
		"smq no queue": {"FCE_SMQ_ENDPOINT": "http://1234567890123456.mns.cn-hangzhou.aliyuncs.com"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			getenv := func(k string) string { return env[k] }
			_, want := FromEnv(context.Background(), getenv)
			pub, err := connect(context.Background(), getenv).Wait()
			if pub != nil || err == nil || err.Error() != want.Error() {
				t.Errorf("Wait = %v, %v; want the error %v", pub, err, want)
			}
		})
	}
}

func TestWarmIgnoresBadEndpoints(t *testing.T) {
	t.Parallel()
	start := time.Now()
	for _, endpoint := range []string{"", "::not a url", "http://127.0.0.1:1/123.mns.cn-hangzhou.local.test"} {
		warm(endpoint)
	}
	if d := time.Since(start); d > warmTimeout+time.Second {
		t.Errorf("warm took %v", d)
	}
}
