// Package statetest is the behaviour every sensor.State implementation must
// have, as a test suite the implementations run against their real backend:
// entries round-trip, fn errors store nothing, an empty result deletes, keys
// never collide, no update is lost under contention, and two instances
// racing on the same trigger fire it exactly once.
package statetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fc-eventing/fc-eventing/shared/config"
	"github.com/fc-eventing/fc-eventing/shared/event"
	"github.com/fc-eventing/fc-eventing/shared/sensor"
)

// Factory returns a new client of the backend under test. Every client a
// Factory returns in one Run must see the same stored state, as two sensor
// function instances do.
type Factory func(t *testing.T) sensor.State

// Run runs the suite. Subtests use distinct key namespaces, so they may
// share one backend.
func Run(t *testing.T, newState Factory) {
	t.Run("empty key", func(t *testing.T) {
		s := newState(t)
		calls := 0
		err := s.Update(ctx(t), key(t, "s", "t"), func(e map[string]sensor.Entry) (map[string]sensor.Entry, error) {
			calls++
			if len(e) != 0 {
				t.Errorf("entries of a new key = %v", e)
			}
			return nil, nil
		})
		if err != nil || calls == 0 {
			t.Fatalf("Update = %v after %d calls of fn", err, calls)
		}
	})

	t.Run("entries round-trip", func(t *testing.T) {
		s := newState(t)
		k := key(t, "github-and-oss", "build")
		want := map[string]sensor.Entry{
			"push":   {Event: sampleEvent("d-1", `{"body":{"ref":"refs/heads/main","commits":[{"id":"c1"}]}}`), At: at(1)},
			"upload": {Event: sampleEvent("d-2", `{"key":"a b/ü.txt","size":3}`), At: at(2)},
		}
		put(t, s, k, want)
		if diff := cmp.Diff(want, get(t, s, k), entryOpts); diff != "" {
			t.Errorf("entries read back (-stored +read):\n%s", diff)
		}
		// Another client sees the same.
		if diff := cmp.Diff(want, get(t, newState(t), k), entryOpts); diff != "" {
			t.Errorf("entries read by a second client (-stored +read):\n%s", diff)
		}
	})

	t.Run("fn error stores nothing", func(t *testing.T) {
		s := newState(t)
		k := key(t, "s", "t")
		before := map[string]sensor.Entry{"a": {Event: sampleEvent("1", `{}`), At: at(1)}}
		put(t, s, k, before)
		boom := errors.New("boom")
		err := s.Update(ctx(t), k, func(e map[string]sensor.Entry) (map[string]sensor.Entry, error) {
			e["b"] = sensor.Entry{Event: sampleEvent("2", `{}`), At: at(2)}
			return e, boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Update = %v, want fn's error", err)
		}
		if diff := cmp.Diff(before, get(t, s, k), entryOpts); diff != "" {
			t.Errorf("entries after a failed fn (-before +after):\n%s", diff)
		}
	})

	t.Run("empty result deletes", func(t *testing.T) {
		s := newState(t)
		for name, empty := range map[string]map[string]sensor.Entry{"nil": nil, "empty map": {}} {
			k := key(t, "s", name)
			put(t, s, k, map[string]sensor.Entry{"a": {Event: sampleEvent("1", `{}`), At: at(1)}})
			put(t, s, k, empty)
			if got := get(t, s, k); len(got) != 0 {
				t.Errorf("%s: entries after storing nothing = %v", name, got)
			}
			// The key can be used again.
			again := map[string]sensor.Entry{"b": {Event: sampleEvent("2", `{}`), At: at(2)}}
			put(t, s, k, again)
			if diff := cmp.Diff(again, get(t, s, k), entryOpts); diff != "" {
				t.Errorf("%s: entries stored after a delete (-want +got):\n%s", name, diff)
			}
		}
	})

	t.Run("keys are distinct", func(t *testing.T) {
		s := newState(t)
		ns := key(t, "", "").Namespace
		long := strings.Repeat("very-long-sensor-name.", 20)
		keys := []sensor.Key{
			{Namespace: ns, Sensor: "a.b", Trigger: "t"},
			{Namespace: ns, Sensor: "a-b", Trigger: "t"},
			{Namespace: ns, Sensor: "a_b", Trigger: "t"},
			{Namespace: ns, Sensor: "A-B", Trigger: "t"},
			{Namespace: ns, Sensor: "a", Trigger: "b.t"},
			{Namespace: ns, Sensor: "a/b", Trigger: "t"},
			{Namespace: ns, Sensor: "a", Trigger: "b/t"},
			{Namespace: ns + "-x", Sensor: "a.b", Trigger: "t"},
			{Namespace: ns, Sensor: long + "1", Trigger: "t"},
			{Namespace: ns, Sensor: long + "2", Trigger: "t"},
			{Namespace: ns, Sensor: "传感器", Trigger: "触发 器"},
			{Namespace: ns, Sensor: "s", Trigger: "=2e"},
			{Namespace: ns, Sensor: "s", Trigger: "."},
		}
		for i, k := range keys {
			put(t, s, k, map[string]sensor.Entry{"dep": {Event: sampleEvent(fmt.Sprint(i), `{}`), At: at(i)}})
		}
		for i, k := range keys {
			got := get(t, s, k)
			if len(got) != 1 || got["dep"].Event.ID != fmt.Sprint(i) {
				t.Errorf("key %q holds %v, want event %d", k, got, i)
			}
		}
	})

	t.Run("cancelled context", func(t *testing.T) {
		s := newState(t)
		c, cancel := context.WithCancel(context.Background())
		cancel()
		err := s.Update(c, key(t, "s", "t"), func(e map[string]sensor.Entry) (map[string]sensor.Entry, error) {
			return map[string]sensor.Entry{"a": {Event: sampleEvent("1", `{}`), At: at(1)}}, nil
		})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Update with a cancelled context = %v", err)
		}
	})

	t.Run("no update lost under contention", func(t *testing.T) {
		const writers, each = 4, 6
		k := key(t, "s", "t")
		var wg sync.WaitGroup
		var calls atomic.Int64
		errs := make(chan error, writers*each)
		for w := range writers {
			s := newState(t)
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					dep := fmt.Sprintf("w%d-%d", w, i)
					errs <- s.Update(ctx(t), k, func(e map[string]sensor.Entry) (map[string]sensor.Entry, error) {
						calls.Add(1)
						if e == nil {
							e = map[string]sensor.Entry{}
						}
						e[dep] = sensor.Entry{Event: sampleEvent(dep, `{}`), At: at(i)}
						return e, nil
					})
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if got := get(t, newState(t), k); len(got) != writers*each {
			t.Errorf("%d entries stored, want %d", len(got), writers*each)
		}
		t.Logf("%d updates ran fn %d times", writers*each, calls.Load())
	})

	t.Run("two writers racing on a trigger fire it once", func(t *testing.T) {
		const rounds = 10
		a, b := newState(t), newState(t)
		for r := range rounds {
			k := key(t, "both", fmt.Sprint(r))
			var fired atomic.Int32
			start := make(chan struct{})
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i, s := range []sensor.State{a, b} {
				dep := []string{"push", "upload"}[i]
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					var firedHere bool
					errs[i] = s.Update(ctx(t), k, func(e map[string]sensor.Entry) (map[string]sensor.Entry, error) {
						firedHere = false
						next := map[string]sensor.Entry{}
						for d, v := range e {
							next[d] = v
						}
						next[dep] = sensor.Entry{Event: sampleEvent(dep, `{}`), At: at(r)}
						if len(next) < 2 {
							return next, nil
						}
						firedHere = true
						return nil, nil
					})
					if errs[i] == nil && firedHere {
						fired.Add(1)
					}
				}()
			}
			close(start)
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			if n := fired.Load(); n != 1 {
				t.Errorf("round %d: trigger fired %d times", r, n)
			}
			if got := get(t, a, k); len(got) != 0 {
				t.Errorf("round %d: state left after firing: %v", r, got)
			}
		}
	})

	t.Run("two sensor instances fire a two-dependency trigger once", func(t *testing.T) {
		const rounds = 5
		ns := key(t, "", "").Namespace
		for r := range rounds {
			s := twoDependencySensor(t, ns, fmt.Sprintf("github-and-oss-%d", r))
			p1, err := sensor.Compile(s, sensor.Options{State: newState(t)})
			if err != nil {
				t.Fatal(err)
			}
			p2, err := sensor.Compile(s, sensor.Options{State: newState(t)})
			if err != nil {
				t.Fatal(err)
			}
			push := event.Event{ID: fmt.Sprintf("push-%d", r), Source: "github", Subject: "push", Type: "github",
				Time: at(r), DataContentType: "application/json", Data: json.RawMessage(`{"body":{"ref":"refs/heads/main"}}`)}
			upload := event.Event{ID: fmt.Sprintf("upload-%d", r), Source: "oss", Subject: "upload", Type: "oss",
				Time: at(r), DataContentType: "application/json", Data: json.RawMessage(`{"key":"a.txt"}`)}

			start := make(chan struct{})
			results := make([]sensor.Result, 2)
			errs := make([]error, 2)
			var wg sync.WaitGroup
			for i, run := range []struct {
				p  *sensor.Program
				ev event.Event
			}{{p1, push}, {p2, upload}} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					results[i], errs[i] = run.p.Evaluate(ctx(t), run.ev)
				}()
			}
			close(start)
			wg.Wait()
			var firings []sensor.Firing
			for i := range results {
				if errs[i] != nil {
					t.Fatal(errs[i])
				}
				firings = append(firings, results[i].Firings...)
			}
			if len(firings) != 1 {
				t.Fatalf("round %d: %d firings, want 1: %+v", r, len(firings), firings)
			}
			got := firings[0]
			if got.Trigger != "build" || got.Events["push"].ID != push.ID || got.Events["upload"].ID != upload.ID {
				t.Errorf("round %d: firing %s with events %v", r, got.Trigger, got.Events)
			}
		}
	})
}

func twoDependencySensor(t *testing.T, namespace, name string) *config.Sensor {
	t.Helper()
	doc := fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Sensor
metadata:
  name: %s
  namespace: %s
spec:
  dependencies:
    - name: push
      eventSourceName: github
      eventName: push
    - name: upload
      eventSourceName: oss
      eventName: upload
  triggers:
    - template:
        name: build
        conditions: "push && upload"
        log: {}
`, name, namespace)
	s, err := config.ParseSensor("race.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// key makes a key in a namespace of the test's own.
func key(t *testing.T, sensorName, trigger string) sensor.Key {
	ns := strings.ToLower(t.Name())
	ns = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, ns)
	return sensor.Key{Namespace: ns, Sensor: sensorName, Trigger: trigger}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

func at(i int) time.Time {
	return time.Date(2026, 5, 1, 12, 0, i, 123456789, time.UTC)
}

func sampleEvent(id, data string) event.Event {
	return event.Event{
		ID: id, Source: "github", Subject: "push", Type: "github",
		Time: at(0), DataContentType: "application/json", Data: json.RawMessage(data),
		Extensions: map[string]string{"delivery": "abc"},
	}
}

func put(t *testing.T, s sensor.State, k sensor.Key, entries map[string]sensor.Entry) {
	t.Helper()
	err := s.Update(ctx(t), k, func(map[string]sensor.Entry) (map[string]sensor.Entry, error) {
		return entries, nil
	})
	if err != nil {
		t.Fatalf("storing %s: %v", k, err)
	}
}

// get reads key's entries through Update, storing them back unchanged.
func get(t *testing.T, s sensor.State, k sensor.Key) map[string]sensor.Entry {
	t.Helper()
	var got map[string]sensor.Entry
	err := s.Update(ctx(t), k, func(e map[string]sensor.Entry) (map[string]sensor.Entry, error) {
		got = e
		return e, nil
	})
	if err != nil {
		t.Fatalf("reading %s: %v", k, err)
	}
	return got
}

var entryOpts = cmp.Options{
	cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }),
	cmp.Comparer(func(a, b json.RawMessage) bool { return jsonEqual(a, b) }),
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return string(a) == string(b)
	}
	return cmp.Equal(x, y)
}
