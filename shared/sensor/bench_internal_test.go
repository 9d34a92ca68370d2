package sensor

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/fc-eventing/fc-eventing/shared/config"
	"github.com/fc-eventing/fc-eventing/shared/event"
)

func loadReference(tb testing.TB) (*config.Sensor, event.Event) {
	tb.Helper()
	s, err := config.LoadSensor("testdata/reference.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	b, err := os.ReadFile("testdata/reference-event.json")
	if err != nil {
		tb.Fatal(err)
	}
	var ev event.Event
	if err := json.Unmarshal(b, &ev); err != nil {
		tb.Fatal(err)
	}
	return s, ev
}

// BenchmarkReferenceSensor measures one event through the reference sensor
// (testdata/reference.yaml: three data filters, one expression over two
// fields, a context filter, three parameters) on the same event.
//
//   - compiled: the engine as built, the Program compiled once.
//   - per-event: the baseline. For every event the same filters, templates,
//     expression and parameters are compiled again, as Argo Events does
//     (pkg/sensors/dependencies/filter.go and triggers/params.go compile
//     regexes, govaluate expressions and templates per event, building a
//     fresh sprig function map for every template).
func BenchmarkReferenceSensor(b *testing.B) {
	s, ev := loadReference(b)
	ctx := context.Background()
	check := func(b *testing.B, res Result) {
		if len(res.Firings) != 1 || res.Firings[0].Object == nil {
			b.Fatalf("want 1 firing with an object, got %+v", res)
		}
	}
	b.Run("compiled", func(b *testing.B) {
		p, err := Compile(s, Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			res, err := p.Evaluate(ctx, ev)
			if err != nil {
				b.Fatal(err)
			}
			check(b, res)
		}
	})
	b.Run("per-event", func(b *testing.B) {
		shared := funcMap
		funcMap = sensorFuncMap
		defer func() { funcMap = shared }()
		b.ReportAllocs()
		for b.Loop() {
			p, err := Compile(s, Options{})
			if err != nil {
				b.Fatal(err)
			}
			res, err := p.Evaluate(ctx, ev)
			if err != nil {
				b.Fatal(err)
			}
			check(b, res)
		}
	})
}

// TestReferenceSensor checks what the benchmark measures: the reference
// event passes every filter and fires with all three parameters set.
func TestReferenceSensor(t *testing.T) {
	s, ev := loadReference(t)
	p, err := Compile(s, Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Evaluate(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Dependencies) != 1 || !res.Dependencies[0].Matched || res.Dependencies[0].Err != nil {
		t.Fatalf("dependencies = %+v", res.Dependencies)
	}
	if len(res.Firings) != 1 {
		t.Fatalf("firings = %+v", res.Firings)
	}
	params := res.Firings[0].Object["spec"].(map[string]any)["arguments"].(map[string]any)["parameters"].([]any)
	want := []string{"https://github.com/example-org/payments.git", "f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4", "RETRY SETTLEMENT UPLOADS ON 503 FROM THE"}
	for i, w := range want {
		if got := params[i].(map[string]any)["value"]; got != w {
			t.Errorf("parameter %d = %q, want %q", i, got, w)
		}
	}
}
