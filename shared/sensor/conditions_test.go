package sensor_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/fc-eventing/fc-eventing/shared/event"
	"github.com/fc-eventing/fc-eventing/shared/sensor"
	"github.com/fc-eventing/fc-eventing/shared/state/memory"
)

// condSensor has dependencies a, b, c (events es/a, es/b, es/c) and one
// log trigger with the given template fields.
func condSensor(templateFields string) string {
	return `apiVersion: argoproj.io/v1alpha1
kind: Sensor
metadata: {name: s, namespace: ns}
spec:
  dependencies:
    - {name: a, eventSourceName: es, eventName: a}
    - {name: b, eventSourceName: es, eventName: b}
    - {name: c, eventSourceName: es, eventName: c}
  triggers:
    - template:
        name: t
` + indent(templateFields, 8) + `        log: {}
`
}

func depEvent(dep, id string) event.Event {
	return event.Event{ID: id, Source: "es", Subject: dep, Type: "webhook", Time: evTime, Data: []byte(`{"id":"` + id + `"}`)}
}

func TestConditions(t *testing.T) {
	t.Parallel()
	type step struct {
		dep, id string
		// fired lists the dependency=id pairs the firing used, or nil for no firing.
		fired []string
	}
	tests := []struct {
		name  string
		cond  string
		steps []step
	}{
		{"default is all dependencies", "", []step{
			{"a", "1", nil}, {"b", "2", nil}, {"c", "3", []string{"a=1", "b=2", "c=3"}},
			{"a", "4", nil},
		}},
		{"and with or", "conditions: a && (b || c)", []step{
			{"b", "1", nil}, {"a", "2", []string{"a=2", "b=1"}},
			{"c", "3", nil}, {"a", "4", []string{"a=4", "c=3"}},
		}},
		{"latest event per dependency wins", "conditions: a && b", []step{
			{"a", "1", nil}, {"a", "2", nil}, {"b", "3", []string{"a=2", "b=3"}},
		}},
		{"state is cleared after a firing", "conditions: a && b", []step{
			{"a", "1", nil}, {"b", "2", []string{"a=1", "b=2"}}, {"b", "3", nil}, {"a", "4", []string{"a=4", "b=3"}},
		}},
		{"or fires on either, with what is remembered", "conditions: a || b", []step{
			{"a", "1", []string{"a=1"}}, {"b", "2", []string{"b=2"}},
		}},
		{"or with c remembered", "conditions: (a || b) && c", []step{
			{"c", "1", nil}, {"b", "2", []string{"b=2", "c=1"}},
		}},
		{"not", "conditions: a && !b", []step{
			{"a", "1", []string{"a=1"}}, {"b", "2", nil}, {"a", "3", nil},
		}},
		{"single dependency fires every time", "conditions: a", []step{
			{"a", "1", []string{"a=1"}}, {"a", "2", []string{"a=2"}}, {"b", "3", nil},
		}},
		{"names with dashes", "conditions: a&&b", []step{{"a", "1", nil}, {"b", "2", []string{"a=1", "b=2"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := compile(t, condSensor(tt.cond))
			for i, s := range tt.steps {
				res := evaluate(t, p, depEvent(s.dep, s.id))
				if s.fired == nil {
					if len(res.Firings) != 0 {
						t.Fatalf("step %d (%s=%s): unexpected firing %v", i, s.dep, s.id, res.Firings[0].EventIDs)
					}
					continue
				}
				if len(res.Firings) != 1 {
					t.Fatalf("step %d (%s=%s): want a firing, got %+v", i, s.dep, s.id, res)
				}
				f := res.Firings[0]
				var got []string
				for dep, e := range f.Events {
					got = append(got, dep+"="+e.ID)
				}
				if strings.Join(sorted(got), ",") != strings.Join(s.fired, ",") {
					t.Errorf("step %d: fired with %v, want %v", i, sorted(got), s.fired)
				}
				if len(f.EventIDs) != len(s.fired) {
					t.Errorf("step %d: event ids %v", i, f.EventIDs)
				}
			}
		})
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestConditionsReset(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 2, 23, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	p := compile(t, condSensor(`conditions: a && b
conditionsReset:
  - byTime:
      cron: "30 23 * * *"
`), sensor.Options{Now: clock})
	if res := evaluate(t, p, depEvent("a", "1")); len(res.Firings) != 0 {
		t.Fatal("fired early")
	}
	now = now.Add(20 * time.Minute) // 23:20, before the reset
	if res := evaluate(t, p, depEvent("b", "2")); len(res.Firings) != 1 {
		t.Fatalf("want a firing before the reset, got %+v", res)
	}
	if res := evaluate(t, p, depEvent("a", "3")); len(res.Firings) != 0 {
		t.Fatal("fired early")
	}
	now = now.Add(20 * time.Minute) // 23:40, after the 23:30 reset: a=3 is forgotten
	if res := evaluate(t, p, depEvent("b", "4")); len(res.Firings) != 0 {
		t.Fatalf("fired with a dependency from before the reset: %v", res.Firings[0].EventIDs)
	}
	now = now.Add(time.Minute)
	res := evaluate(t, p, depEvent("a", "5"))
	if len(res.Firings) != 1 || res.Firings[0].Events["b"].ID != "4" {
		t.Fatalf("want a firing with b=4 and a=5, got %+v", res)
	}
}

func TestConditionsResetTimezone(t *testing.T) {
	t.Parallel()
	// 23:59 in Shanghai is 15:59 UTC.
	now := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	p := compile(t, condSensor(`conditions: a && b
conditionsReset:
  - byTime: {cron: "59 23 * * *", timezone: Asia/Shanghai}
`), sensor.Options{Now: func() time.Time { return now }})
	evaluate(t, p, depEvent("a", "1"))
	now = time.Date(2026, 3, 2, 16, 30, 0, 0, time.UTC)
	if res := evaluate(t, p, depEvent("b", "2")); len(res.Firings) != 0 {
		t.Fatal("a survived the reset at 23:59 Asia/Shanghai")
	}
}

func TestConditionsStateIsPerTrigger(t *testing.T) {
	t.Parallel()
	st := memory.New()
	p := compile(t, `apiVersion: argoproj.io/v1alpha1
kind: Sensor
metadata: {name: s, namespace: ns}
spec:
  dependencies:
    - {name: a, eventSourceName: es, eventName: a}
    - {name: b, eventSourceName: es, eventName: b}
  triggers:
    - template: {name: both, conditions: a && b, log: {}}
    - template: {name: only-a, conditions: a, log: {}}
`, sensor.Options{State: st})
	res := evaluate(t, p, depEvent("a", "1"))
	if len(res.Firings) != 1 || res.Firings[0].Trigger != "only-a" {
		t.Fatalf("firings = %+v", res.Firings)
	}
	if got := st.Get(sensor.Key{Namespace: "ns", Sensor: "s", Trigger: "both"}); len(got) != 1 || got["a"].Event.ID != "1" {
		t.Errorf("state of both = %+v", got)
	}
	if got := st.Get(sensor.Key{Namespace: "ns", Sensor: "s", Trigger: "only-a"}); len(got) != 0 {
		t.Errorf("single-dependency trigger kept state: %+v", got)
	}
	res = evaluate(t, p, depEvent("b", "2"))
	if len(res.Firings) != 1 || res.Firings[0].Trigger != "both" {
		t.Fatalf("firings = %+v", res.Firings)
	}
	if got := st.Get(sensor.Key{Namespace: "ns", Sensor: "s", Trigger: "both"}); len(got) != 0 {
		t.Errorf("state not cleared after firing: %+v", got)
	}
}

type failingState struct{}

func (failingState) Update(context.Context, sensor.Key, func(map[string]sensor.Entry) (map[string]sensor.Entry, error)) error {
	return errors.New("store unavailable")
}

func TestStateErrorIsReturned(t *testing.T) {
	t.Parallel()
	p := compile(t, condSensor("conditions: a && b\n"), sensor.Options{State: failingState{}})
	_, err := p.Evaluate(context.Background(), depEvent("a", "1"))
	if err == nil || !strings.Contains(err.Error(), "store unavailable") || !strings.Contains(err.Error(), "ns/s/t") {
		t.Errorf("err = %v", err)
	}
}

func TestStateRequiredForSeveralDependencies(t *testing.T) {
	t.Parallel()
	s := condSensor("conditions: a && b\n")
	cfg := mustParse(t, s)
	if _, err := sensor.Compile(cfg, sensor.Options{}); err == nil || !strings.Contains(err.Error(), "no conditions state") {
		t.Errorf("err = %v", err)
	}
	if _, err := sensor.Compile(mustParse(t, condSensor("conditions: a\n")), sensor.Options{}); err != nil {
		t.Errorf("single dependency without state: %v", err)
	}
}
