package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

// runCLI runs the CLI in-process with env given as a map.
func runCLI(t *testing.T, environ map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, getenv: func(k string) (string, bool) {
		v, ok := environ[k]
		return v, ok
	}}
	code = run(context.Background(), e, args)
	return code, out.String(), errb.String()
}

const examples = "../../examples"

func TestSensorTestGitHubPush(t *testing.T) {
	t.Parallel()
	code, out, stderr := runCLI(t, nil, "sensor", "test", "--sensor", examples+"/sensors/github-push.yaml",
		"--event", examples+"/events/github-push.json", "-o", "json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct {
		Dependencies []map[string]any `json:"dependencies"`
		Triggers     []map[string]any `json:"triggers"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	wantDeps := []map[string]any{{"name": "push", "event": float64(0), "matched": true, "error": ""}}
	if diff := cmp.Diff(wantDeps, rep.Dependencies); diff != "" {
		t.Errorf("dependencies (-want +got):\n%s", diff)
	}
	if len(rep.Triggers) != 1 {
		t.Fatalf("triggers = %v", rep.Triggers)
	}
	tr := rep.Triggers[0]
	if tr["name"] != "ci" || tr["fired"] != true || tr["operation"] != "submit" {
		t.Errorf("trigger = %v", tr)
	}
	res := tr["resource"].(map[string]any)
	md := res["metadata"].(map[string]any)
	if name, _ := md["name"].(string); !strings.HasPrefix(name, "ci-") || len(name) != 13 {
		t.Errorf("name = %v", md["name"])
	}
	params := res["spec"].(map[string]any)["arguments"].(map[string]any)["parameters"].([]any)
	want := []any{
		map[string]any{"name": "repo", "value": "https://github.com/example-org/payments.git"},
		map[string]any{"name": "revision", "value": "f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4"},
		map[string]any{"name": "message", "value": "Retry settlement uploads on 503 (alice)"},
	}
	if diff := cmp.Diff(want, params); diff != "" {
		t.Errorf("parameters (-want +got):\n%s", diff)
	}
	// The same run gives the same output: names are deterministic.
	_, again, _ := runCLI(t, nil, "sensor", "test", "--sensor", examples+"/sensors/github-push.yaml",
		"--event", examples+"/events/github-push.json", "-o", "json")
	if again != out {
		t.Error("second run printed something else")
	}
}

func TestSensorTestStateAcrossEvents(t *testing.T) {
	t.Parallel()
	sensor := examples + "/sensors/release-approval.yaml"
	pushed, approved := examples+"/events/registry-pushed.json", examples+"/events/release-approved.json"
	code, out, stderr := runCLI(t, nil, "sensor", "test", "--sensor", sensor, "--event", pushed, "--event", approved,
		"--now", "2026-03-02T08:31:00Z", "-o", "json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep testReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Dependencies) != 2 || rep.Dependencies[0].Event != 0 || rep.Dependencies[1].Event != 1 ||
		rep.Dependencies[1].Name != "approve" {
		t.Errorf("dependencies = %+v", rep.Dependencies)
	}
	if len(rep.Triggers) != 1 || !rep.Triggers[0].Fired || rep.Triggers[0].Resource == nil {
		t.Errorf("triggers = %+v", rep.Triggers)
	}
	// One event alone does not fire: the trigger appears once, not fired.
	code, out, _ = runCLI(t, nil, "sensor", "test", "--sensor", sensor, "--event", pushed, "-o", "json")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	rep = testReport{}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	want := []triggerReport{{Name: "deploy"}}
	if diff := cmp.Diff(want, rep.Triggers); diff != "" {
		t.Errorf("triggers (-want +got):\n%s", diff)
	}
	if !strings.Contains(out, `"resource": null`) || !strings.Contains(out, `"fired": false`) {
		t.Errorf("output lacks the fields of a trigger that did not fire:\n%s", out)
	}
}

func TestSensorTestYAMLIsDefault(t *testing.T) {
	t.Parallel()
	code, out, stderr := runCLI(t, nil, "sensor", "test", "--sensor", examples+"/sensors/oss-upload.yaml",
		"--event", examples+"/events/oss-object-created.json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep testReport
	if err := yaml.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("output is not YAML: %v\n%s", err, out)
	}
	names := []string{}
	for _, tr := range rep.Triggers {
		names = append(names, tr.Name+":"+tr.Operation)
	}
	if diff := cmp.Diff([]string{"import:create", "audit:log"}, names); diff != "" {
		t.Errorf("triggers (-want +got):\n%s", diff)
	}
}

func TestSensorTestErrors(t *testing.T) {
	t.Parallel()
	good := examples + "/sensors/github-push.yaml"
	ev := examples + "/events/github-push.json"
	tests := []struct {
		name    string
		args    []string
		code    int
		wantErr string
	}{
		{"invalid sensor names file and path", []string{"--sensor", "testdata/sensor-invalid.yaml", "--event", ev},
			exitInvalid, `testdata/sensor-invalid.yaml: spec.dependencies[1].filters.data[0].comparator: unknown comparator "=>"`},
		{"sensor using every feature", []string{"--sensor", "../../shared/config/testdata/sensor-full.yaml", "--event", ev}, exitOK, ""},
		{"invalid event", []string{"--sensor", good, "--event", "testdata/event-invalid.json"}, exitInvalid, "testdata/event-invalid.json: invalid event: id is empty"},
		{"missing event file", []string{"--sensor", good, "--event", "testdata/nope.json"}, exitInvalid, "reading event"},
		{"missing sensor file", []string{"--sensor", "testdata/nope.yaml", "--event", ev}, exitInvalid, "reading sensor"},
		{"no sensor", []string{"--event", ev}, exitInvalid, "--sensor is required"},
		{"no event", []string{"--sensor", good}, exitInvalid, "at least one --event"},
		{"bad output", []string{"--sensor", good, "--event", ev, "-o", "xml"}, exitInvalid, "-o must be json or yaml"},
		{"bad now", []string{"--sensor", good, "--event", ev, "--now", "yesterday"}, exitInvalid, "--now"},
		{"unknown flag", []string{"--sensor", good, "--bogus"}, exitInvalid, "flag provided but not defined"},
		{"help", []string{"-h"}, exitOK, "usage: fceventing sensor test"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, _, stderr := runCLI(t, nil, append([]string{"sensor", "test"}, tt.args...)...)
			if code != tt.code {
				t.Errorf("exit %d, want %d (%s)", code, tt.code, stderr)
			}
			if !strings.Contains(stderr, tt.wantErr) {
				t.Errorf("stderr %q does not contain %q", stderr, tt.wantErr)
			}
		})
	}
}

func TestDispatch(t *testing.T) {
	t.Parallel()
	if code, _, stderr := runCLI(t, nil, "frobnicate"); code != exitInvalid || !strings.Contains(stderr, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: exit %d, %q", code, stderr)
	}
	if code, out, _ := runCLI(t, nil); code != exitInvalid || !strings.Contains(out, "sensor test") || !strings.Contains(out, "validate") {
		t.Errorf("no command: exit %d, %q", code, out)
	}
	if code, out, _ := runCLI(t, nil, "help"); code != exitOK || !strings.Contains(out, "usage") {
		t.Errorf("help: exit %d", code)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	sensors, _ := filepath.Glob(examples + "/sensors/*.yaml")
	if len(sensors) < 3 {
		t.Fatalf("examples: %v", sensors)
	}
	code, out, stderr := runCLI(t, nil, append([]string{"validate"}, sensors...)...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, s := range sensors {
		if !strings.Contains(out, s+": valid Sensor ") {
			t.Errorf("output does not list %s:\n%s", s, out)
		}
	}
	es := "testdata/eventsource-webhook.yaml"
	if code, out, _ := runCLI(t, map[string]string{"APPROVALS_TOKEN": "t"}, "validate", es); code != exitOK || !strings.Contains(out, "valid EventSource approvals") {
		t.Errorf("event source: exit %d, %q", code, out)
	}
	if code, _, stderr := runCLI(t, nil, "validate", es); code != exitInvalid || !strings.Contains(stderr, "APPROVALS_TOKEN") {
		t.Errorf("event source without its secret: exit %d, %q", code, stderr)
	}
	if code, _, stderr := runCLI(t, nil, "validate", "--placeholder-secrets", es); code != exitOK {
		t.Errorf("placeholder secrets: exit %d, %q", code, stderr)
	}
	// The first invalid file stops validation, naming file and path.
	code, out, stderr = runCLI(t, nil, "validate", sensors[0], "testdata/sensor-invalid.yaml", sensors[1])
	if code != exitInvalid || !strings.Contains(stderr, "testdata/sensor-invalid.yaml: spec.dependencies[1].filters.data[0].comparator") {
		t.Errorf("invalid file: exit %d, %q", code, stderr)
	}
	if strings.Contains(out, sensors[1]) {
		t.Errorf("validated past the invalid file: %s", out)
	}
	// Compile errors (beyond the structure) are reported too.
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad-regex.yaml")
	b, _ := os.ReadFile(sensors[0])
	if err := os.WriteFile(bad, []byte(strings.Replace(string(b), "^refs/heads/main$", "^refs/heads/(main$", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCLI(t, nil, "validate", bad); code != exitInvalid || !strings.Contains(stderr, "invalid regular expression") || !strings.Contains(stderr, bad+": spec.dependencies[0].filters.data[1].value[0]") {
		t.Errorf("bad regex: exit %d, %q", code, stderr)
	}
	if code, _, _ := runCLI(t, nil, "validate"); code != exitInvalid {
		t.Errorf("no files: exit %d", code)
	}
	if code, _, stderr := runCLI(t, nil, "validate", "testdata/nope.yaml"); code != exitInvalid || !strings.Contains(stderr, "testdata/nope.yaml") {
		t.Errorf("missing file: exit %d %q", code, stderr)
	}
}

// corpusDir is Argo Events' published example sensors, kept beside the
// checkout (../shared/corpus from the repository root).
const corpusDir = "../../../shared/corpus/argo-events-sensors"

// argoTriggerTypes are the trigger types of Argo Events v1.9 other than
// argoWorkflow, k8s and log, lower-cased (YAML keys match
// case-insensitively: the corpus spells openWhisk "openwhisk").
var argoTriggerTypes = map[string]bool{
	"http": true, "awslambda": true, "custom": true, "kafka": true, "nats": true, "slack": true,
	"openwhisk": true, "azureeventhubs": true, "pulsar": true, "azureservicebus": true, "email": true,
}

// TestArgoEventsCorpus validates every example sensor of Argo Events:
// those whose triggers are all argoWorkflow, k8s or log must pass, the
// others must be refused with a message naming the trigger type.
func TestArgoEventsCorpus(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(corpusDir, "*.y*ml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Skipf("the Argo Events corpus is not beside the checkout (%s)", corpusDir)
	}
	accepted, refused := 0, 0
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var doc struct {
				Spec struct {
					Triggers []struct {
						Template map[string]any `json:"template"`
					} `json:"triggers"`
				} `json:"spec"`
			}
			if err := yaml.Unmarshal(b, &doc); err != nil {
				t.Fatal(err)
			}
			var other []string
			for _, tr := range doc.Spec.Triggers {
				for k := range tr.Template {
					if argoTriggerTypes[strings.ToLower(k)] {
						other = append(other, k)
					}
				}
			}
			sort.Strings(other)
			code, _, stderr := runCLI(t, nil, "validate", file)
			if len(other) == 0 {
				accepted++
				if code != exitOK {
					t.Errorf("refused a sensor with supported triggers: %s", stderr)
				}
				return
			}
			refused++
			if code != exitInvalid {
				t.Fatalf("accepted a sensor with trigger types %v", other)
			}
			named := false
			for _, k := range other {
				if strings.Contains(strings.ToLower(stderr), `unsupported trigger type "`+strings.ToLower(k)+`"`) {
					named = true
				}
			}
			if !named || !strings.Contains(stderr, file) {
				t.Errorf("message %q does not name the file and the trigger type (one of %v)", stderr, other)
			}
		})
	}
	t.Logf("%d accepted, %d refused", accepted, refused)
}

func TestValidateMultiDocument(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good, _ := os.ReadFile(examples + "/sensors/github-push.yaml")
	bad, _ := os.ReadFile("testdata/sensor-invalid.yaml")
	both := filepath.Join(dir, "both.yaml")
	if err := os.WriteFile(both, append(append(append([]byte{}, good...), "\n---\n"...), bad...), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, nil, "validate", both)
	if code != exitInvalid || !strings.Contains(stderr, both+"#2: spec.dependencies[1].filters.data[0].comparator") {
		t.Errorf("exit %d, %q", code, stderr)
	}
	twice := filepath.Join(dir, "twice.yaml")
	if err := os.WriteFile(twice, append(append(append([]byte{}, good...), "\n---\n"...), good...), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, stderr := runCLI(t, nil, "validate", twice); code != exitOK || !strings.Contains(out, "valid Sensor github-push, Sensor github-push") {
		t.Errorf("exit %d, %q %q", code, out, stderr)
	}
}
