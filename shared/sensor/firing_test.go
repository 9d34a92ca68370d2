package sensor_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fc-eventing/fc-eventing/shared/sensor"
)

const workflowSensor = `apiVersion: argoproj.io/v1alpha1
kind: Sensor
metadata: {name: ci, namespace: argo}
spec:
  dependencies:
    - {name: push, eventSourceName: es, eventName: a}
  triggers:
    - template:
        name: build
        argoWorkflow:
          operation: submit
          args: ["--serviceaccount", "robot", "-p", "branch=main", "-l", "team=payments", "--priority=3", "--entrypoint", "main", "--instanceid", "ci-controller"]
          source:
            resource:
              apiVersion: argoproj.io/v1alpha1
              kind: Workflow
              metadata:
                generateName: build-
                labels: {app: ci}
              spec:
                entrypoint: default
                arguments:
                  parameters:
                    - {name: revision, value: ""}
                    - {name: branch, value: dev}
          parameters:
            - src: {dependencyName: push, dataKey: body.after}
              dest: spec.arguments.parameters.0.value
    - template:
        name: named
        k8s:
          operation: create
          source:
            resource: {apiVersion: v1, kind: ConfigMap, metadata: {name: fixed, namespace: other}}
    - template:
        name: update
        k8s:
          operation: update
          source:
            resource: {apiVersion: v1, kind: ConfigMap, metadata: {generateName: x-}}
    - template:
        name: fetched
        k8s:
          operation: create
          source:
            configmap: {name: wf, key: workflow.yaml}
          parameters:
            - src: {dependencyName: push, dataKey: body.after}
              dest: spec.arguments.parameters.0.value
    - template:
        name: logged
        log: {}
    - template:
        name: resume
        argoWorkflow:
          operation: resume
          args: ["--node-field-selector", "displayName=approve"]
          source:
            resource: {apiVersion: argoproj.io/v1alpha1, kind: Workflow, metadata: {name: running}}
`

func firingsByName(t *testing.T, id, after string) map[string]sensor.Firing {
	t.Helper()
	p := compile(t, workflowSensor)
	e := depEvent("a", id)
	e.Data = json.RawMessage(`{"body": {"after": "` + after + `"}}`)
	res := evaluate(t, p, e)
	if len(res.TriggerErrors) > 0 {
		t.Fatalf("trigger errors: %+v", res.TriggerErrors)
	}
	out := map[string]sensor.Firing{}
	for _, f := range res.Firings {
		out[f.Trigger] = f
	}
	if len(out) != 6 {
		t.Fatalf("firings = %v", out)
	}
	return out
}

func TestSubmitFiring(t *testing.T) {
	t.Parallel()
	f := firingsByName(t, "delivery-1", "abc123")["build"]
	if f.Type != sensor.TypeArgoWorkflow || f.Operation != "submit" || f.Sensor != "ci" || f.Namespace != "argo" {
		t.Errorf("firing = %+v", f)
	}
	if !cmp.Equal(f.EventIDs, []string{"delivery-1"}) || f.Events["push"].ID != "delivery-1" {
		t.Errorf("events = %v %v", f.EventIDs, f.Events)
	}
	name := sensor.ObjectName("build-", "ci", "build", []string{"push"}, []string{"delivery-1"})
	want := map[string]any{
		"apiVersion": "argoproj.io/v1alpha1",
		"kind":       "Workflow",
		"metadata": map[string]any{
			"generateName": "build-",
			"name":         name,
			"namespace":    "argo",
			"labels": map[string]any{
				"app": "ci", "team": "payments", "workflows.argoproj.io/controller-instanceid": "ci-controller",
				"events.argoproj.io/sensor": "ci", "events.argoproj.io/trigger": "build",
			},
		},
		"spec": map[string]any{
			"entrypoint":         "main",
			"serviceAccountName": "robot",
			"priority":           int64(3),
			"arguments": map[string]any{"parameters": []any{
				map[string]any{"name": "branch", "value": "main"},
				map[string]any{"name": "revision", "value": "abc123"},
			}},
		},
	}
	if diff := cmp.Diff(want, f.Object); diff != "" {
		t.Errorf("object (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(name, "build-") || len(name) != len("build-")+10 {
		t.Errorf("name = %q", name)
	}
}

func TestDeterministicNames(t *testing.T) {
	t.Parallel()
	nameOf := func(id, after string) string {
		return firingsByName(t, id, after)["build"].Object["metadata"].(map[string]any)["name"].(string)
	}
	a := nameOf("delivery-1", "abc")
	if b := nameOf("delivery-1", "other-data"); a != b {
		t.Errorf("same event id gave %q and %q", a, b)
	}
	if c := nameOf("delivery-2", "abc"); a == c {
		t.Errorf("different event ids gave the same name %q", a)
	}
	if sensor.ObjectName("x-", "s", "t1", []string{"d"}, []string{"1"}) == sensor.ObjectName("x-", "s", "t2", []string{"d"}, []string{"1"}) {
		t.Error("trigger does not change the name")
	}
	if sensor.ObjectName("x-", "s1", "t", []string{"d"}, []string{"1"}) == sensor.ObjectName("x-", "s2", "t", []string{"d"}, []string{"1"}) {
		t.Error("sensor does not change the name")
	}
	long := sensor.ObjectName(strings.Repeat("a", 80), "s", "t", []string{"d"}, []string{"1"})
	if len(long) != 63 {
		t.Errorf("long name has %d characters", len(long))
	}
}

func TestObjectsOfOtherOperations(t *testing.T) {
	t.Parallel()
	fs := firingsByName(t, "d-1", "abc")
	named := fs["named"].Object["metadata"].(map[string]any)
	if named["name"] != "fixed" || named["namespace"] != "other" {
		t.Errorf("named metadata = %v", named)
	}
	upd := fs["update"].Object["metadata"].(map[string]any)
	if _, ok := upd["labels"]; ok || upd["name"] != nil {
		t.Errorf("update object got labels or a name: %v", upd)
	}
	if upd["namespace"] != "argo" {
		t.Errorf("update namespace = %v", upd["namespace"])
	}
	if f := fs["fetched"]; f.Object != nil || f.Source == nil || f.Source.Configmap.Name != "wf" {
		t.Errorf("fetched firing = %+v", f)
	}
	if f := fs["logged"]; f.Type != sensor.TypeLog || f.Operation != "log" || f.Object != nil {
		t.Errorf("log firing = %+v", f)
	}
	if f := fs["resume"]; f.Operation != "resume" || f.Object["metadata"].(map[string]any)["name"] != "running" {
		t.Errorf("resume firing = %+v", f)
	}
}

func TestResolveFetchedSource(t *testing.T) {
	t.Parallel()
	f := firingsByName(t, "d-1", "abc")["fetched"]
	base := map[string]any{
		"apiVersion": "argoproj.io/v1alpha1",
		"kind":       "Workflow",
		"metadata":   map[string]any{"generateName": "fetched-"},
		"spec": map[string]any{"arguments": map[string]any{"parameters": []any{
			map[string]any{"name": "revision", "value": "old"},
		}}},
	}
	before, _ := json.Marshal(base)
	obj, err := f.Resolve(base)
	if err != nil {
		t.Fatal(err)
	}
	after, _ := json.Marshal(base)
	if string(before) != string(after) {
		t.Errorf("Resolve changed its base:\n%s\n%s", before, after)
	}
	md := obj["metadata"].(map[string]any)
	if md["name"] != sensor.ObjectName("fetched-", "ci", "fetched", []string{"push"}, []string{"d-1"}) || md["namespace"] != "argo" {
		t.Errorf("metadata = %v", md)
	}
	if md["labels"].(map[string]any)["events.argoproj.io/trigger"] != "fetched" {
		t.Errorf("labels = %v", md["labels"])
	}
	if got := lookupParam(obj["spec"].(map[string]any), 0); got != "abc" {
		t.Errorf("parameter = %v", got)
	}
	if _, err := f.Resolve(map[string]any{"kind": "Workflow"}); err == nil {
		t.Error("Resolve accepted an object without apiVersion")
	}
	// A Firing built by hand (no compiled trigger) resolves from its Spec.
	hand := sensor.Firing{Sensor: f.Sensor, Namespace: f.Namespace, Trigger: f.Trigger, Type: f.Type,
		Operation: f.Operation, Spec: f.Spec, Events: f.Events, EventIDs: f.EventIDs}
	obj2, err := hand.Resolve(base)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(obj, obj2); diff != "" {
		t.Errorf("hand-built firing resolves differently (-want +got):\n%s", diff)
	}
}

func TestFiringObjectIsIndependentPerEvent(t *testing.T) {
	t.Parallel()
	p := compile(t, workflowSensor)
	e1 := depEvent("a", "1")
	e1.Data = json.RawMessage(`{"body": {"after": "one"}}`)
	first := evaluate(t, p, e1).Firings[0].Object
	// The trigger may set metadata fields of the object it gets.
	first["metadata"].(map[string]any)["namespace"] = "changed"
	first["metadata"].(map[string]any)["labels"].(map[string]any)["x"] = "y"
	e2 := depEvent("a", "2")
	e2.Data = json.RawMessage(`{"body": {"after": "two"}}`)
	second := evaluate(t, p, e2).Firings[0].Object
	md := second["metadata"].(map[string]any)
	if md["namespace"] != "argo" || md["labels"].(map[string]any)["x"] != nil {
		t.Errorf("second object sees changes to the first: %v", md)
	}
	if got := lookupParam(first["spec"].(map[string]any), 1); got != "one" {
		t.Errorf("first object's parameter = %v", got)
	}
}

func TestArgoWorkflowOperations(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		op, args, kind string
		labelled       bool
	}{
		{"submit", `["--generate-name", "nightly-"]`, "Workflow", true},
		{"submit-from", `["-p", "a=b"]`, "CronWorkflow", false},
		{"resubmit", `["--memoized"]`, "Workflow", false},
		{"retry", `["--restart-successful", "--node-field-selector", "phase=Failed"]`, "Workflow", false},
		{"resume", `["--node-field-selector", "displayName=approve"]`, "Workflow", false},
		{"suspend", `[]`, "Workflow", false},
		{"terminate", `[]`, "Workflow", false},
		{"stop", `["--message", "superseded"]`, "Workflow", false},
	} {
		t.Run(tt.op, func(t *testing.T) {
			t.Parallel()
			p := compile(t, `apiVersion: argoproj.io/v1alpha1
kind: Sensor
metadata: {name: s, namespace: argo}
spec:
  dependencies: [{name: d, eventSourceName: es, eventName: e}]
  triggers:
    - template:
        name: t
        argoWorkflow:
          operation: `+tt.op+`
          args: `+tt.args+`
          source:
            resource: {apiVersion: argoproj.io/v1alpha1, kind: `+tt.kind+`, metadata: {name: target}}
`)
			res := evaluate(t, p, ev("id-1", `{}`))
			if len(res.Firings) != 1 {
				t.Fatalf("result = %+v", res)
			}
			f := res.Firings[0]
			if f.Operation != tt.op || f.Type != sensor.TypeArgoWorkflow {
				t.Errorf("firing = %s %s", f.Type, f.Operation)
			}
			md := f.Object["metadata"].(map[string]any)
			_, labelled := md["labels"]
			if labelled != tt.labelled {
				t.Errorf("labels = %v, want labelled %v", md["labels"], tt.labelled)
			}
			// --generate-name does not replace a name the resource gives.
			if md["name"] != "target" || md["namespace"] != "argo" {
				t.Errorf("metadata = %v", md)
			}
			if tt.op == "submit" && md["generateName"] != "nightly-" {
				t.Errorf("generateName = %v", md["generateName"])
			}
		})
	}
}
