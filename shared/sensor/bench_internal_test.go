package sensor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"testing"
	"text/template"

	"github.com/Knetic/govaluate"
	"github.com/google/go-cmp/cmp"
	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

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
//   - per-event: the baseline, argoPerEvent: the same filters and parameters
//     compiled for every event, as Argo Events v1.9 does.
func BenchmarkReferenceSensor(b *testing.B) {
	s, ev := loadReference(b)
	ctx := context.Background()
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
			if len(res.Firings) != 1 || res.Firings[0].Object == nil {
				b.Fatalf("want 1 firing with an object, got %+v", res)
			}
		}
	})
	b.Run("per-event", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			obj, err := argoPerEvent(s, ev)
			if err != nil {
				b.Fatal(err)
			}
			if obj == nil {
				b.Fatal("no object")
			}
		}
	})
}

// argoPerEvent evaluates ev against a one-dependency, one-k8s-trigger
// sensor the way Argo Events v1.9 does it for every event
// (pkg/sensors/dependencies/filter.go, pkg/sensors/triggers/params.go):
// each regex, govaluate expression and template (with a fresh sprig
// function map) is compiled when it is used, the resource is decoded, the
// object is marshalled to JSON, each parameter is set with sjson (the data
// checked as JSON and, for a template, decoded whole for .Input), and the
// result is unmarshalled. It then adds the labels and name the engine adds,
// so its result can be compared with the engine's. It returns nil when the
// event does not pass.
func argoPerEvent(s *config.Sensor, ev event.Event) (map[string]any, error) {
	dep := s.Spec.Dependencies[0]
	if dep.EventSourceName != ev.Source || dep.EventName != ev.Subject {
		return nil, nil
	}
	payload := []byte(ev.Data)
	if f := dep.Filters; f != nil {
		if len(f.Exprs) > 0 {
			if !gjson.ValidBytes(payload) {
				return nil, errors.New("expr filter error (event data not valid JSON)")
			}
			for _, e := range f.Exprs {
				params := map[string]any{}
				for _, fl := range e.Fields {
					r := gjson.GetBytes(payload, fl.Path)
					if !r.Exists() {
						return nil, fmt.Errorf("expr filter error (path '%s' does not exist)", fl.Path)
					}
					params[fl.Name] = r.Value()
				}
				expr, err := govaluate.NewEvaluableExpression(e.Expr)
				if err != nil {
					return nil, err
				}
				res, err := expr.Evaluate(params)
				if err != nil {
					return nil, err
				}
				if res != true {
					return nil, nil
				}
			}
		}
		if len(f.Data) > 0 {
			if !gjson.ValidBytes(payload) {
				return nil, errors.New("data filter error (event data not valid JSON)")
			}
		data:
			for _, df := range f.Data {
				r := gjson.GetBytes(payload, df.Path)
				if !r.Exists() {
					return nil, fmt.Errorf("data filter error (path '%s' does not exist)", df.Path)
				}
				if df.Template != "" {
					t, err := template.New("param").Funcs(sensorFuncMap()).Parse(df.Template)
					if err != nil {
						return nil, err
					}
					var buf bytes.Buffer
					if err := t.Execute(&buf, map[string]any{"Input": r.String()}); err != nil {
						return nil, err
					}
					r = gjson.Parse(strconv.Quote(buf.String()))
				}
				for _, v := range df.Value {
					switch df.Type {
					case config.JSONTypeNumber:
						want, err := strconv.ParseFloat(v, 64)
						if err != nil {
							return nil, err
						}
						if compareNumber(df.Comparator, r.Float(), want) {
							continue data
						}
					case config.JSONTypeString:
						re, err := regexp.Compile(v)
						if err != nil {
							return nil, err
						}
						if re.MatchString(r.String()) != (df.Comparator == config.NotEqualTo) {
							continue data
						}
					default:
						return nil, fmt.Errorf("type %s is not in the reference sensor", df.Type)
					}
				}
				return nil, nil
			}
		}
		if f.Context != nil && !matchContext(f.Context, &ev) {
			return nil, nil
		}
	}
	tr := s.Spec.Triggers[0]
	var obj map[string]any
	if err := json.Unmarshal(tr.Template.K8s.Source.Resource, &obj); err != nil {
		return nil, err
	}
	doc, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	for _, prm := range tr.Template.K8s.Parameters {
		var js json.RawMessage
		if err := json.Unmarshal(payload, &js); err != nil {
			return nil, err
		}
		var val string
		if prm.Src.DataTemplate != "" {
			t, err := template.New("param").Funcs(sensorFuncMap()).Parse(prm.Src.DataTemplate)
			if err != nil {
				return nil, err
			}
			var buf bytes.Buffer
			if err := t.Execute(&buf, map[string]any{"Input": gjson.ParseBytes(payload).Value()}); err != nil {
				return nil, err
			}
			val = buf.String()
		} else {
			val = gjson.GetBytes(payload, prm.Src.DataKey).String()
		}
		if doc, err = sjson.SetBytes(doc, prm.Dest, val); err != nil {
			return nil, err
		}
	}
	var out map[string]any
	if err := json.Unmarshal(doc, &out); err != nil {
		return nil, err
	}
	md := out["metadata"].(map[string]any)
	md["labels"] = map[string]any{LabelSensor: s.Metadata.Name, LabelTrigger: tr.Template.Name}
	md["name"] = ObjectName(md["generateName"].(string), s.Metadata.Name, tr.Template.Name, []string{dep.Name}, []string{ev.ID})
	md["namespace"] = s.Metadata.Namespace
	return out, nil
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
	// The per-event baseline computes the same object.
	base, err := argoPerEvent(s, ev)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(base, res.Firings[0].Object); diff != "" {
		t.Errorf("baseline and engine differ (-baseline +engine):\n%s", diff)
	}
	params := res.Firings[0].Object["spec"].(map[string]any)["arguments"].(map[string]any)["parameters"].([]any)
	want := []string{"https://github.com/example-org/payments.git", "f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4", "RETRY SETTLEMENT UPLOADS ON 503 FROM THE"}
	for i, w := range want {
		if got := params[i].(map[string]any)["value"]; got != w {
			t.Errorf("parameter %d = %q, want %q", i, got, w)
		}
	}
}
