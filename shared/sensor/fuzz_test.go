package sensor_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fc-eventing/fc-eventing/shared/config"
	"github.com/fc-eventing/fc-eventing/shared/event"
	"github.com/fc-eventing/fc-eventing/shared/sensor"
	"github.com/fc-eventing/fc-eventing/shared/state/memory"
)

// seedSensors are the sensor fixtures of this package and the examples.
func seedSensors(f *testing.F) [][]byte {
	f.Helper()
	var out [][]byte
	for _, pattern := range []string{"testdata/*.yaml", "../config/testdata/sensor*.yaml", "../../examples/sensors/*.yaml"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			out = append(out, b)
		}
	}
	for _, y := range []string{
		filterSensor("filters:\n  data: [{path: body.ref, type: string, value: [main]}]\n"),
		filterSensor("transform: {jq: '.body'}\n"),
		condSensor("conditions: a && (b || !c)\n"),
		paramSensor("- src: {dependencyName: a, dataKey: body.ref}\n  dest: data.list.-1\n  operation: append\n"),
	} {
		out = append(out, []byte(y))
	}
	if len(out) == 0 {
		f.Fatal("no seed sensors")
	}
	return out
}

// FuzzLoadSensor feeds arbitrary YAML to ParseSensor and Compile: they must
// return a sensor or an error, never panic or hang.
func FuzzLoadSensor(f *testing.F) {
	for _, b := range seedSensors(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := config.ParseSensor("fuzz.yaml", data)
		if err != nil {
			return
		}
		p, err := sensor.Compile(s, sensor.Options{State: memory.New()})
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if len(p.Triggers()) != len(s.Spec.Triggers) {
			t.Fatalf("program has %d triggers, sensor %d", len(p.Triggers()), len(s.Spec.Triggers))
		}
	})
}

// FuzzEvaluate feeds arbitrary events to every seed sensor: Evaluate must
// not panic, must answer within its deadline, and must report one result
// per routed dependency.
func FuzzEvaluate(f *testing.F) {
	var progs []*sensor.Program
	for _, b := range seedSensors(f) {
		s, err := config.ParseSensor("seed.yaml", b)
		if err != nil {
			f.Fatalf("seed sensor: %v", err)
		}
		p, err := sensor.Compile(s, sensor.Options{State: memory.New(), ScriptTimeout: 50 * time.Millisecond})
		if err != nil {
			f.Fatalf("seed sensor %s: %v", s.Metadata.Name, err)
		}
		progs = append(progs, p)
	}
	for _, file := range []string{"testdata/reference-event.json", "../../examples/events/github-push.json",
		"../../examples/events/oss-object-created.json", "../../examples/events/registry-pushed.json"} {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		var e event.Event
		if err := json.Unmarshal(b, &e); err != nil {
			f.Fatal(err)
		}
		f.Add(e.Source, e.Subject, []byte(e.Data))
	}
	f.Add("es", "e", []byte(pushData))
	f.Add("es", "a", []byte(paramData))
	f.Add("es", "b", []byte(`{"body":{"ref":null}}`))
	f.Add("es", "e", []byte(`[1,2,3]`))
	f.Fuzz(func(t *testing.T, source, subject string, data []byte) {
		e := event.Event{ID: "fuzz", Source: source, Subject: subject, Type: "fuzz", Time: evTime, DataContentType: "application/json"}
		if len(data) > 0 {
			e.Data = data
		}
		for _, p := range progs {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			res, err := p.Evaluate(ctx, e)
			cancel()
			if err != nil && ctx.Err() == nil {
				t.Fatalf("%s: Evaluate: %v", p.Name(), err)
			}
			for _, d := range res.Dependencies {
				if d.Name == "" {
					t.Fatalf("%s: unnamed dependency result", p.Name())
				}
			}
			for _, fi := range res.Firings {
				if fi.Object != nil {
					if _, err := json.Marshal(fi.Object); err != nil {
						t.Fatalf("%s: object does not encode: %v", p.Name(), err)
					}
				}
			}
		}
	})
}
