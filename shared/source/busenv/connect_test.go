package busenv

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fc-eventing/fc-eventing/shared/bus/smq"
	"github.com/fc-eventing/fc-eventing/shared/event"
	smqserver "github.com/fc-eventing/fc-eventing/test/smqserver/server"
)

// TestConnectWarmsSMQ: the publisher Connect builds has already asked the
// SMQ protocol server for the queue's attributes, and the first publish
// goes over the connection that request opened.
func TestConnectWarmsSMQ(t *testing.T) {
	t.Parallel()
	const keyID, secret = "id", "secret"
	var conns, attrReads atomic.Int64
	smqSrv := smqserver.New(smqserver.Config{AccessKeyID: keyID, AccessKeySecret: secret})
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/queues/events") {
			attrReads.Add(1)
		}
		smqSrv.ServeHTTP(w, r)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	endpoint := "http://localhost:" + port + "/123.mns.cn-hangzhou.local.test"
	setup, err := smq.New(smq.Config{Endpoint: endpoint, AccessKeyID: keyID, AccessKeySecret: secret, Queue: "events"})
	if err != nil {
		t.Fatal(err)
	}
	if err := setup.Setup(time.Second); err != nil {
		t.Fatal(err)
	}
	conns.Store(0)

	env := map[string]string{
		"FCE_SMQ_ENDPOINT": endpoint, "FCE_SMQ_QUEUE": "events",
		"ALIBABA_CLOUD_ACCESS_KEY_ID": keyID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": secret,
	}
	pub, err := connect(context.Background(), func(k string) string { return env[k] }).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := pub.(*smq.Bus); !ok {
		t.Fatalf("publisher is %T, want *smq.Bus", pub)
	}
	for deadline := time.Now().Add(5 * time.Second); attrReads.Load() == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the queue's attributes were never read")
		}
	}
	e := event.Event{ID: "warm-1", Source: "github", Subject: "push", Type: "github", Time: time.Now().UTC(),
		DataContentType: "application/json", Data: []byte(`{}`)}
	if err := pub.Publish(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("warm-up and first publish opened %d connections, want 1", n)
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
