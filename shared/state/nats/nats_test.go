package nats_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/fc-eventing/fc-eventing/shared/event"
	"github.com/fc-eventing/fc-eventing/shared/sensor"
	"github.com/fc-eventing/fc-eventing/shared/state/memory"
	statenats "github.com/fc-eventing/fc-eventing/shared/state/nats"
	"github.com/fc-eventing/fc-eventing/shared/state/statetest"
)

// startServer runs a real nats-server with JetStream on a free port, its
// store in dir.
func startServer(t *testing.T, dir string, port int) *server.Server {
	t.Helper()
	if port == 0 {
		port = server.RANDOM_PORT
	}
	srv, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: port, JetStream: true, StoreDir: dir, NoSigs: true, NoLog: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server not ready after 10s")
	}
	t.Cleanup(func() {
		srv.Shutdown()
		srv.WaitForShutdown()
	})
	return srv
}

func connect(t *testing.T, url string) *statenats.State {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := statenats.Connect(ctx, url, statenats.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func TestBehaviour(t *testing.T) {
	srv := startServer(t, t.TempDir(), 0)
	statetest.Run(t, func(t *testing.T) sensor.State { return connect(t, srv.ClientURL()) })
}

func add(dep string) func(map[string]sensor.Entry) (map[string]sensor.Entry, error) {
	return func(e map[string]sensor.Entry) (map[string]sensor.Entry, error) {
		if e == nil {
			e = map[string]sensor.Entry{}
		}
		e[dep] = sensor.Entry{Event: event.Event{ID: dep, Source: "s", Type: "t"}, At: time.Unix(0, 0).UTC()}
		return e, nil
	}
}

func read(t *testing.T, s sensor.State, key sensor.Key) map[string]sensor.Entry {
	t.Helper()
	var got map[string]sensor.Entry
	if err := s.Update(context.Background(), key, func(e map[string]sensor.Entry) (map[string]sensor.Entry, error) {
		got = e
		return e, nil
	}); err != nil {
		t.Fatal(err)
	}
	return got
}

// A write that lands between Update's read and its write makes the server
// refuse the stale revision; Update reruns fn on the new state. Covered for
// a missing key, an existing one and one deleted by a firing.
func TestConflictRetried(t *testing.T) {
	srv := startServer(t, t.TempDir(), 0)
	s, other := connect(t, srv.ClientURL()), connect(t, srv.ClientURL())
	ctx := context.Background()
	for name, prepare := range map[string]func(sensor.Key){
		"missing key":  func(sensor.Key) {},
		"existing key": func(k sensor.Key) { _ = s.Update(ctx, k, add("first")) },
		"deleted key": func(k sensor.Key) {
			_ = s.Update(ctx, k, add("first"))
			_ = s.Update(ctx, k, func(map[string]sensor.Entry) (map[string]sensor.Entry, error) { return nil, nil })
		},
	} {
		t.Run(name, func(t *testing.T) {
			k := sensor.Key{Namespace: "conflict", Sensor: name, Trigger: "t"}
			prepare(k)
			var calls atomic.Int32
			err := s.Update(ctx, k, func(e map[string]sensor.Entry) (map[string]sensor.Entry, error) {
				if calls.Add(1) == 1 {
					if err := other.Update(ctx, k, add("theirs")); err != nil {
						t.Error(err)
					}
				}
				return add("mine")(e)
			})
			if err != nil {
				t.Fatal(err)
			}
			if calls.Load() != 2 {
				t.Errorf("fn ran %d times, want 2 (once more after the conflict)", calls.Load())
			}
			got := read(t, s, k)
			if _, ok := got["theirs"]; !ok {
				t.Errorf("the interleaved write was lost: %v", got)
			}
			if _, ok := got["mine"]; !ok {
				t.Errorf("the retried write is missing: %v", got)
			}
		})
	}
}

// The state is on file storage: it outlives a server restart.
func TestSurvivesServerRestart(t *testing.T) {
	dir := t.TempDir()
	srv := startServer(t, dir, 0)
	url := srv.ClientURL()
	k := sensor.Key{Namespace: "ns", Sensor: "s", Trigger: "t"}
	if err := connect(t, url).Update(context.Background(), k, add("push")); err != nil {
		t.Fatal(err)
	}
	srv.Shutdown()
	srv.WaitForShutdown()

	srv2 := startServer(t, dir, 0)
	got := read(t, connect(t, srv2.ClientURL()), k)
	if _, ok := got["push"]; !ok || len(got) != 1 {
		t.Fatalf("state after restart: %v", got)
	}
}

func TestKey(t *testing.T) {
	tests := map[string]struct {
		key  sensor.Key
		want string
	}{
		"plain":        {sensor.Key{Namespace: "argo-events", Sensor: "github_push", Trigger: "Build1"}, "argo-events.github_push.Build1"},
		"dots":         {sensor.Key{Namespace: "ns", Sensor: "a.b", Trigger: "t"}, "ns.a=2Eb.t"},
		"empty":        {sensor.Key{Sensor: "s", Trigger: "t"}, "=.s.t"},
		"escape char":  {sensor.Key{Namespace: "ns", Sensor: "=", Trigger: "t"}, "ns.=3D.t"},
		"unicode":      {sensor.Key{Namespace: "ns", Sensor: "é", Trigger: "t"}, "ns.=C3=A9.t"},
		"wildcards":    {sensor.Key{Namespace: "ns", Sensor: "*", Trigger: ">"}, "ns.=2A.=3E"},
		"spaces/slash": {sensor.Key{Namespace: "ns", Sensor: "a b", Trigger: "c/d"}, "ns.a=20b.c=2Fd"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := statenats.Key(tt.key); got != tt.want {
				t.Errorf("Key(%+v) = %q, want %q", tt.key, got, tt.want)
			}
		})
	}
}

// BenchmarkUpdate: one state update (read, fn, revision-checked write) on
// JetStream, next to the in-memory State as the baseline.
func BenchmarkUpdate(b *testing.B) {
	srv := startServerB(b)
	ctx := context.Background()
	for name, s := range map[string]sensor.State{
		"memory": memory.New(),
		"nats":   connectB(b, srv.ClientURL()),
	} {
		b.Run(name, func(b *testing.B) {
			k := sensor.Key{Namespace: "bench", Sensor: "s", Trigger: "t"}
			i := 0
			for b.Loop() {
				i++
				dep := "push"
				if i%2 == 0 {
					dep = "upload"
				}
				if err := s.Update(ctx, k, add(dep)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func startServerB(b *testing.B) *server.Server {
	b.Helper()
	srv, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: server.RANDOM_PORT, JetStream: true, StoreDir: b.TempDir(), NoSigs: true, NoLog: true,
	})
	if err != nil {
		b.Fatal(err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		b.Fatal("nats-server not ready after 10s")
	}
	b.Cleanup(func() {
		srv.Shutdown()
		srv.WaitForShutdown()
	})
	return srv
}

func connectB(b *testing.B, url string) *statenats.State {
	b.Helper()
	s, err := statenats.Connect(context.Background(), url, statenats.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(s.Close)
	return s
}
