package sensor_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const paramData = `{
  "body": {
    "ref": "refs/heads/main",
    "count": 3,
    "ratio": 0.5,
    "ok": true,
    "none": null,
    "repo": {"name": "payments", "stars": 7},
    "tags": ["a", "b"],
    "title": "Fix: retry uploads"
  }
}`

// paramSensor has dependencies a (es/a) and b (es/b); its k8s trigger fires
// on a alone and creates a ConfigMap with the given parameters.
func paramSensor(params string) string {
	return `apiVersion: argoproj.io/v1alpha1
kind: Sensor
metadata: {name: s, namespace: ns}
spec:
  dependencies:
    - {name: a, eventSourceName: es, eventName: a}
    - {name: b, eventSourceName: es, eventName: b}
  triggers:
    - template:
        name: t
        conditions: a
        k8s:
          operation: create
          source:
            resource:
              apiVersion: v1
              kind: ConfigMap
              metadata: {name: cm}
              data:
                existing: "x"
                list: ["one"]
          parameters:
` + indent(params, 12)
}

func TestParameters(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		params  string
		path    string // where to look, dot separated, in the object
		want    any
		wantErr string
	}{
		{"dataKey string", "- src: {dependencyName: a, dataKey: body.ref}\n  dest: data.v", "data.v", "refs/heads/main", ""},
		{"dataKey number as string", "- src: {dependencyName: a, dataKey: body.count}\n  dest: data.v", "data.v", "3", ""},
		{"dataKey number raw", "- src: {dependencyName: a, dataKey: body.count, useRawData: true}\n  dest: data.v", "data.v", int64(3), ""},
		{"dataKey float raw", "- src: {dependencyName: a, dataKey: body.ratio, useRawData: true}\n  dest: data.v", "data.v", 0.5, ""},
		{"dataKey bool raw", "- src: {dependencyName: a, dataKey: body.ok, useRawData: true}\n  dest: data.v", "data.v", true, ""},
		{"dataKey object as JSON text", "- src: {dependencyName: a, dataKey: body.repo}\n  dest: data.v", "data.v", `{"name": "payments", "stars": 7}`, ""},
		{"dataKey object raw", "- src: {dependencyName: a, dataKey: body.repo, useRawData: true}\n  dest: data.v", "data.v", map[string]any{"name": "payments", "stars": int64(7)}, ""},
		{"dataKey string raw stays a string", "- src: {dependencyName: a, dataKey: body.ref, useRawData: true}\n  dest: data.v", "data.v", "refs/heads/main", ""},
		{"dataKey null", "- src: {dependencyName: a, dataKey: body.none}\n  dest: data.v", "data.v", "null", ""},
		{"dataKey null raw", "- src: {dependencyName: a, dataKey: body.none, useRawData: true}\n  dest: data.v", "data.v", nil, ""},
		{"dataKey gjson query", "- src: {dependencyName: a, dataKey: 'body.tags.#'}\n  dest: data.v", "data.v", "2", ""},
		{"dataTemplate", "- src: {dependencyName: a, dataTemplate: '{{ .Input.body.repo.name | upper }}-{{ .Input.body.ref | base }}'}\n  dest: data.v", "data.v", "PAYMENTS-main", ""},
		{"dataTemplate with range", "- src: {dependencyName: a, dataTemplate: '{{ range .Input.body.tags }}{{ . }};{{ end }}'}\n  dest: data.v", "data.v", "a;b;", ""},
		{"dataTemplate number", "- src: {dependencyName: a, dataTemplate: '{{ .Input.body.count }}'}\n  dest: data.v", "data.v", "3", ""},
		{"dataTemplate failing falls back to dataKey", "- src: {dependencyName: a, dataTemplate: '{{ .Input.body.nope }}', dataKey: body.ref}\n  dest: data.v", "data.v", "refs/heads/main", ""},
		{"dataTemplate failing falls back to value", "- src: {dependencyName: a, dataTemplate: '{{ .Input.body.nope }}', value: dflt}\n  dest: data.v", "data.v", "dflt", ""},
		{"contextKey", "- src: {dependencyName: a, contextKey: id}\n  dest: data.v", "data.v", "id-1", ""},
		{"contextKey time", "- src: {dependencyName: a, contextKey: time}\n  dest: data.v", "data.v", "2026-03-02T09:15:04Z", ""},
		{"contextKey specversion", "- src: {dependencyName: a, contextKey: specversion}\n  dest: data.v", "data.v", "1.0", ""},
		{"contextTemplate", "- src: {dependencyName: a, contextTemplate: '{{ .Input.source }}/{{ .Input.subject }}:{{ .Input.type }}'}\n  dest: data.v", "data.v", "es/a:webhook", ""},
		{"dataKey wins over contextKey", "- src: {dependencyName: a, contextKey: id, dataKey: body.ref}\n  dest: data.v", "data.v", "refs/heads/main", ""},
		{"missing key uses value", "- src: {dependencyName: a, dataKey: body.nope, value: dflt}\n  dest: data.v", "data.v", "dflt", ""},
		{"missing key without value is an error", "- src: {dependencyName: a, dataKey: body.nope}\n  dest: data.v", "", nil, `unable to resolve parameter value from dependency "a"`},
		{"missing dependency uses value", "- src: {dependencyName: b, dataKey: body.ref, value: dflt}\n  dest: data.v", "data.v", "dflt", ""},
		{"missing dependency without value is skipped", "- src: {dependencyName: b, dataKey: body.ref}\n  dest: data.existing", "data.existing", "x", ""},
		{"value alone", "- src: {dependencyName: a, value: fixed}\n  dest: data.v", "data.v", "fixed", ""},
		{"whole event", "- src: {dependencyName: a}\n  dest: data.v", "data.v",
			`{"context":{"id":"id-1","source":"es","specversion":"1.0","type":"webhook","datacontenttype":"application/json","subject":"a","time":"2026-03-02T09:15:04Z"},"data":` + compactJSON(paramData) + `}`, ""},
		{"overwrite", "- src: {dependencyName: a, dataKey: body.ref}\n  dest: data.existing\n  operation: overwrite", "data.existing", "refs/heads/main", ""},
		{"append", "- src: {dependencyName: a, dataKey: body.ref}\n  dest: data.existing\n  operation: append", "data.existing", "xrefs/heads/main", ""},
		{"prepend", "- src: {dependencyName: a, dataKey: body.ref}\n  dest: data.existing\n  operation: prepend", "data.existing", "refs/heads/mainx", ""},
		{"append to missing", "- src: {dependencyName: a, dataKey: body.ref}\n  dest: data.v\n  operation: append", "data.v", "refs/heads/main", ""},
		{"append raw number to existing is a string", "- src: {dependencyName: a, dataKey: body.count, useRawData: true}\n  dest: data.existing\n  operation: append", "data.existing", "x3", ""},
		{"dest -1 appends to an array", "- src: {dependencyName: a, dataKey: body.ref}\n  dest: data.list.-1", "data.list", []any{"one", "refs/heads/main"}, ""},
		{"dest index past the end pads with null", "- src: {dependencyName: a, dataKey: body.ref}\n  dest: data.list.2", "data.list", []any{"one", nil, "refs/heads/main"}, ""},
		{"dest index creates an array", "- src: {dependencyName: a, dataKey: body.ref}\n  dest: data.new.0", "data.new", []any{"refs/heads/main"}, ""},
		{"dest with escaped dot", "- src: {dependencyName: a, dataKey: body.ref}\n  dest: 'metadata.labels.app\\.kubernetes\\.io/ref'", "metadata.labels", map[string]any{"app.kubernetes.io/ref": "refs/heads/main", "events.argoproj.io/sensor": "s", "events.argoproj.io/trigger": "t"}, ""},
		{"dest into an array with a name is an error", "- src: {dependencyName: a, dataKey: body.ref}\n  dest: data.list.name", "", nil, "cannot set array element for non-numeric key"},
		{"parameters apply in order", "- src: {dependencyName: a, value: one}\n  dest: data.v\n- src: {dependencyName: a, value: two}\n  dest: data.v\n  operation: append", "data.v", "onetwo", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := compile(t, paramSensor(tt.params))
			e := depEvent("a", "id-1")
			e.DataContentType = "application/json"
			e.Data = json.RawMessage(paramData)
			res := evaluate(t, p, e)
			if tt.wantErr != "" {
				if len(res.TriggerErrors) != 1 || !strings.Contains(res.TriggerErrors[0].Err.Error(), tt.wantErr) {
					t.Fatalf("trigger errors = %+v, want %q", res.TriggerErrors, tt.wantErr)
				}
				if len(res.Firings) != 0 {
					t.Errorf("fired anyway")
				}
				return
			}
			if len(res.Firings) != 1 {
				t.Fatalf("result = %+v", res)
			}
			got := lookup(res.Firings[0].Object, tt.path)
			want := tt.want
			if s, ok := want.(string); ok && strings.HasPrefix(s, "{") {
				if diff := cmp.Diff(compactJSON(s), got); diff != "" {
					t.Errorf("%s (-want +got):\n%s", tt.path, diff)
				}
				return
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tt.path, diff)
			}
		})
	}
}

func compactJSON(s string) string {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// lookup follows a dot-separated path of map keys.
func lookup(obj map[string]any, path string) any {
	var cur any = obj
	for _, k := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[k]
	}
	if s, ok := cur.(string); ok && strings.HasPrefix(s, "{") {
		return compactJSON(s)
	}
	return cur
}

func TestTriggerLevelParameters(t *testing.T) {
	t.Parallel()
	p := compile(t, `apiVersion: argoproj.io/v1alpha1
kind: Sensor
metadata: {name: s, namespace: ns}
spec:
  dependencies:
    - {name: a, eventSourceName: es, eventName: a}
  triggers:
    - template:
        name: placeholder
        argoWorkflow:
          operation: submit
          args: ["--entrypoint", "main"]
          source:
            resource:
              apiVersion: argoproj.io/v1alpha1
              kind: Workflow
              metadata: {generateName: wf-}
              spec: {entrypoint: x, arguments: {parameters: [{name: p, value: ""}]}}
          parameters:
            - src: {dependencyName: a, dataKey: body.title}
              dest: spec.arguments.parameters.0.value
      parameters:
        - src: {dependencyName: a, dataKey: body.repo.name}
          dest: name
        - src: {dependencyName: a, dataTemplate: '{{ .Input.body.repo.name }}-'}
          dest: argoWorkflow.source.resource.metadata.generateName
        - src: {dependencyName: a, value: --serviceaccount=robot}
          dest: argoWorkflow.args.-1
`)
	e := depEvent("a", "id-1")
	e.Data = json.RawMessage(paramData)
	res := evaluate(t, p, e)
	if len(res.Firings) != 1 {
		t.Fatalf("result = %+v", res)
	}
	f := res.Firings[0]
	if f.Trigger != "placeholder" || f.Spec.Template.Name != "payments" {
		t.Errorf("trigger = %q, template name = %q", f.Trigger, f.Spec.Template.Name)
	}
	md := f.Object["metadata"].(map[string]any)
	if name, _ := md["name"].(string); !strings.HasPrefix(name, "payments-") {
		t.Errorf("name = %q", name)
	}
	if md["labels"].(map[string]any)["events.argoproj.io/trigger"] != "payments" {
		t.Errorf("labels = %v", md["labels"])
	}
	spec := f.Object["spec"].(map[string]any)
	if spec["serviceAccountName"] != "robot" || spec["entrypoint"] != "main" {
		t.Errorf("spec = %v", spec)
	}
	if got := lookupParam(spec, 0); got != "Fix: retry uploads" {
		t.Errorf("parameter = %v", got)
	}
	// A later event resolves the template again from the original.
	e2 := depEvent("a", "id-2")
	e2.Data = json.RawMessage(`{"body": {"repo": {"name": "ledger"}, "title": "t"}}`)
	res = evaluate(t, p, e2)
	if len(res.Firings) != 1 || res.Firings[0].Spec.Template.Name != "ledger" {
		t.Fatalf("second firing = %+v", res)
	}
	if args := res.Firings[0].Spec.Template.ArgoWorkflow.Args; len(args) != 3 {
		t.Errorf("args = %v", args)
	}
}

func lookupParam(spec map[string]any, i int) any {
	ps := spec["arguments"].(map[string]any)["parameters"].([]any)
	return ps[i].(map[string]any)["value"]
}

func TestParametersDoNotChangeTheCompiledResource(t *testing.T) {
	t.Parallel()
	p := compile(t, paramSensor("- src: {dependencyName: a, dataKey: body.ref}\n  dest: data.list.0\n- src: {dependencyName: a, dataKey: body.ref}\n  dest: data.existing\n  operation: append"))
	for i, data := range []string{`{"body":{"ref":"one"}}`, `{"body":{"ref":"two"}}`} {
		e := depEvent("a", "x")
		e.Data = json.RawMessage(data)
		res := evaluate(t, p, e)
		obj := res.Firings[0].Object
		want := []string{"one", "two"}[i]
		if got := lookup(obj, "data.list"); !cmp.Equal(got, []any{want}) {
			t.Errorf("event %d: data.list = %v", i, got)
		}
		if got := lookup(obj, "data.existing"); got != "x"+want {
			t.Errorf("event %d: data.existing = %v", i, got)
		}
	}
}
