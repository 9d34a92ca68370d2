package sensor_test

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/fc-eventing/fc-eventing/shared/config"
	"github.com/fc-eventing/fc-eventing/shared/event"
	"github.com/fc-eventing/fc-eventing/shared/sensor"
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
// (testdata/reference.yaml): "compiled" evaluates with the Program compiled
// once; "per-event" compiles the same filters, templates, expression and
// parameters for every event, as Argo Events does, as the baseline.
func BenchmarkReferenceSensor(b *testing.B) {
	s, ev := loadReference(b)
	ctx := context.Background()
	check := func(b *testing.B, res sensor.Result) {
		if len(res.Firings) != 1 {
			b.Fatalf("want 1 firing, got %+v", res)
		}
	}
	b.Run("compiled", func(b *testing.B) {
		p, err := sensor.Compile(s, sensor.Options{})
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
		b.ReportAllocs()
		for b.Loop() {
			p, err := sensor.Compile(s, sensor.Options{})
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
