package sensor_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/fc-eventing/fc-eventing/shared/config"
	"github.com/fc-eventing/fc-eventing/shared/event"
	"github.com/fc-eventing/fc-eventing/shared/sensor"
	"github.com/fc-eventing/fc-eventing/shared/state/memory"
)

// compile parses and compiles a sensor, failing the test on error. A
// memory state is used unless opts gives one.
func compile(t testing.TB, y string, opts ...sensor.Options) *sensor.Program {
	t.Helper()
	p, err := tryCompile(y, opts...)
	if err != nil {
		t.Fatalf("compiling sensor: %v\n%s", err, y)
	}
	return p
}

func tryCompile(y string, opts ...sensor.Options) (*sensor.Program, error) {
	s, err := config.ParseSensor("sensor.yaml", []byte(y))
	if err != nil {
		return nil, err
	}
	o := sensor.Options{}
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.State == nil {
		o.State = memory.New()
	}
	return sensor.Compile(s, o)
}

// indent indents every line of s by n spaces.
func indent(s string, n int) string {
	pad := strings.Repeat(" ", n)
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = pad + l
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

// filterSensor is a sensor with one dependency "d" on es/e carrying the
// given dependency fields (filters, transform, ...) and a log trigger.
func filterSensor(depFields string) string {
	return `apiVersion: argoproj.io/v1alpha1
kind: Sensor
metadata:
  name: s
spec:
  dependencies:
    - name: d
      eventSourceName: es
      eventName: e
` + indent(depFields, 6) + `  triggers:
    - template:
        name: log
        log: {}
`
}

var evTime = time.Date(2026, 3, 2, 9, 15, 4, 0, time.UTC)

// ev is an event from es/e with data.
func ev(id, data string) event.Event {
	e := event.Event{ID: id, Source: "es", Subject: "e", Type: "webhook", Time: evTime, DataContentType: "application/json"}
	if data != "" {
		e.Data = json.RawMessage(data)
	}
	return e
}

func evaluate(t testing.TB, p *sensor.Program, e event.Event) sensor.Result {
	t.Helper()
	res, err := p.Evaluate(context.Background(), e)
	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	return res
}

// matchOne evaluates e and returns the single dependency result.
func matchOne(t testing.TB, p *sensor.Program, e event.Event) sensor.DependencyResult {
	t.Helper()
	res := evaluate(t, p, e)
	if len(res.Dependencies) != 1 {
		t.Fatalf("want 1 dependency result, got %+v", res.Dependencies)
	}
	return res.Dependencies[0]
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func mustParse(t testing.TB, y string) *config.Sensor {
	t.Helper()
	s, err := config.ParseSensor("sensor.yaml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	return s
}
