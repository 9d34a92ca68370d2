package config_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fc-eventing/fc-eventing/shared/config"
)

func TestLoadSensorFull(t *testing.T) {
	t.Parallel()
	s, err := config.LoadSensor("testdata/sensor-full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if s.Metadata.Name != "full" || s.Metadata.Namespace != "argo" || s.Metadata.Labels["team"] != "payments" {
		t.Errorf("metadata = %+v", s.Metadata)
	}
	d := s.Spec.Dependencies[0]
	if d.FiltersLogicalOperator != config.OrOperator || d.Transform.JQ != ".body" {
		t.Errorf("dependency = %+v", d)
	}
	f := d.Filters
	if f.Time.Timezone != "Asia/Shanghai" || f.Context.Type != "github" || f.Data[0].Comparator != config.NotEqualTo ||
		f.Data[0].Template == "" || f.Exprs[0].Fields[0].Path != "body.a" || f.Script != "return true" ||
		f.DataLogicalOperator != config.OrOperator {
		t.Errorf("filters = %+v", f)
	}
	tr := s.Spec.Triggers[0]
	if got := tr.Template.Type(); got != config.TriggerArgoWorkflow {
		t.Errorf("type = %q", got)
	}
	if got := tr.Template.Operation(); got != "submit" {
		t.Errorf("operation = %q", got)
	}
	if tr.Template.ConditionsReset[0].ByTime.Cron != "0 0 * * *" {
		t.Errorf("conditionsReset = %+v", tr.Template.ConditionsReset)
	}
	p := tr.Template.ArgoWorkflow.Parameters[0]
	if p.Operation != config.ParamAppend || !p.Src.UseRawData || *p.Src.Value != "none" || p.Dest != "spec.arguments.parameters.-1.value" {
		t.Errorf("parameter = %+v", p)
	}
	d1, err := tr.RetryStrategy.Duration.Duration()
	if err != nil || d1 != time.Second {
		t.Errorf("retryStrategy.duration = %v, %v", d1, err)
	}
	if j, _ := tr.RetryStrategy.Jitter.Float64(); j != 0.1 {
		t.Errorf("jitter = %v", j)
	}
	d2, _ := tr.Policy.K8s.Backoff.Duration.Duration()
	if d2 != time.Second {
		t.Errorf("policy backoff duration = %v", d2)
	}
	if tr.RateLimit.Unit != config.Minute || tr.RateLimit.RequestsPerUnit != 10 || !tr.AtLeastOnce {
		t.Errorf("trigger = %+v", tr)
	}
	if tr.DLQTrigger.Template.Type() != config.TriggerLog {
		t.Errorf("dlq = %+v", tr.DLQTrigger.Template)
	}
	// configMap (as the Argo Events examples spell it) matches configmap.
	if cm := s.Spec.Triggers[1].Template.Source().Configmap; cm == nil || cm.Name != "workflow-cm" {
		t.Errorf("configmap source = %+v", s.Spec.Triggers[1].Template.Source())
	}
	if o := s.Spec.Triggers[2].Template.Source().OSS; o == nil || o.Key != "ci/workflow.yaml" {
		t.Errorf("oss source = %+v", s.Spec.Triggers[2].Template.Source())
	}
}

// sensorYAML builds a one-trigger sensor around a dependency and trigger
// snippet, so each error case shows only what it changes.
func sensorYAML(dep, trigger string) string {
	return `apiVersion: argoproj.io/v1alpha1
kind: Sensor
metadata:
  name: s
spec:
  dependencies:
    - name: d
      eventSourceName: es
      eventName: e
` + dep + `
  triggers:
    - template:
        name: t
` + trigger
}

const (
	okDep     = ""
	okTrigger = `        log: {}
`
	k8sTrigger = `        k8s:
          operation: create
          source:
            resource: {apiVersion: v1, kind: ConfigMap, metadata: {generateName: x-}}
`
)

func TestParseSensorErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		yaml     string
		wantPath string
		wantMsg  string
	}{
		{"not yaml", "a: [", "", "decoding YAML"},
		{"wrong kind", strings.Replace(sensorYAML(okDep, okTrigger), "kind: Sensor", "kind: EventSource", 1), "kind", `must be "Sensor"`},
		{"wrong api version", strings.Replace(sensorYAML(okDep, okTrigger), "argoproj.io/v1alpha1", "v1", 1), "apiVersion", "must be"},
		{"no name", strings.Replace(sensorYAML(okDep, okTrigger), "name: s\n", "", 1), "metadata.name", "is required"},
		{"no dependencies", "apiVersion: argoproj.io/v1alpha1\nkind: Sensor\nmetadata: {name: s}\nspec: {triggers: [{template: {name: t, log: {}}}]}\n", "spec.dependencies", "at least one"},
		{"no triggers", "apiVersion: argoproj.io/v1alpha1\nkind: Sensor\nmetadata: {name: s}\nspec: {dependencies: [{name: d, eventSourceName: a, eventName: b}]}\n", "spec.triggers", "at least one"},
		{"unknown comparator", sensorYAML(`      filters:
        data:
          - path: a
            type: number
            comparator: "=>"
            value: ["1"]`, okTrigger), "spec.dependencies[0].filters.data[0].comparator", `unknown comparator "=>"`},
		{"unknown data type", sensorYAML(`      filters:
        data:
          - path: a
            type: integer
            value: ["1"]`, okTrigger), "spec.dependencies[0].filters.data[0].type", `unknown type "integer"`},
		{"data without value", sensorYAML(`      filters:
        data:
          - path: a
            type: string`, okTrigger), "spec.dependencies[0].filters.data[0].value", "at least one value"},
		{"unknown logical operator", sensorYAML(`      filtersLogicalOperator: xor`, okTrigger), "spec.dependencies[0].filtersLogicalOperator", `unknown logical operator "xor"`},
		{"bad time", sensorYAML(`      filters:
        time:
          start: "25:00:00"
          stop: "10:00:00"`, okTrigger), "spec.dependencies[0].filters.time.start", `invalid time "25:00:00"`},
		{"expr without fields", sensorYAML(`      filters:
        exprs:
          - expr: a == 1`, okTrigger), "spec.dependencies[0].filters.exprs[0].fields", "at least one field"},
		{"jq and script", sensorYAML(`      transform:
        jq: .
        script: return event`, okTrigger), "spec.dependencies[0].transform", "only one of jq and script"},
		{"unsupported trigger", sensorYAML(okDep, `        http:
          url: http://example.com
`), "spec.triggers[0].template.http", `unsupported trigger type "http"`},
		{"unsupported trigger case-insensitive", sensorYAML(okDep, `        openwhisk:
          host: x
`), "spec.triggers[0].template.openwhisk", `unsupported trigger type "openWhisk"`},
		{"unknown trigger type", sensorYAML(okDep, `        fax:
          number: "1"
`), "spec.triggers[0].template.fax", `unsupported trigger type "fax"`},
		{"no trigger type", sensorYAML(okDep, `        conditions: d
`), "spec.triggers[0].template", "a trigger type is required"},
		{"two trigger types", sensorYAML(okDep, okTrigger+k8sTrigger), "spec.triggers[0].template", "only one trigger type"},
		{"unknown k8s operation", sensorYAML(okDep, strings.Replace(k8sTrigger, "create", "apply", 1)), "spec.triggers[0].template.k8s.operation", `unknown operation "apply"`},
		{"unknown argo operation", sensorYAML(okDep, `        argoWorkflow:
          operation: restart
          source: {resource: {apiVersion: v1, kind: X}}
`), "spec.triggers[0].template.argoWorkflow.operation", `unknown operation "restart"`},
		{"no source", sensorYAML(okDep, `        k8s:
          operation: create
`), "spec.triggers[0].template.k8s.source", "is required"},
		{"two sources", sensorYAML(okDep, `        k8s:
          source:
            inline: "a: b"
            file: {path: /x}
`), "spec.triggers[0].template.k8s.source", "only one source"},
		{"url not http", sensorYAML(okDep, `        k8s:
          source:
            url: {path: "ftp://x/y"}
`), "spec.triggers[0].template.k8s.source.url.path", "http or https"},
		{"git two refs", sensorYAML(okDep, `        k8s:
          source:
            git: {url: "https://x/y.git", filePath: a.yaml, branch: main, tag: v1}
`), "spec.triggers[0].template.k8s.source.git", "only one of branch, tag and ref"},
		{"s3 without key", sensorYAML(okDep, `        k8s:
          source:
            s3: {endpoint: x, bucket: {name: b}}
`), "spec.triggers[0].template.k8s.source.s3.bucket.key", "is required"},
		{"bad patch strategy", sensorYAML(okDep, `        k8s:
          operation: patch
          patchStrategy: application/yaml
          source: {resource: {apiVersion: v1, kind: X}}
`), "spec.triggers[0].template.k8s.patchStrategy", "unknown patch strategy"},
		{"invalid args", sensorYAML(okDep, `        argoWorkflow:
          operation: submit
          args: ["--entrypoint", "main", "--fancy"]
          source: {resource: {apiVersion: v1, kind: X}}
`), "spec.triggers[0].template.argoWorkflow.args[2]", `unknown flag "--fancy" for argo submit`},
		{"parameter unknown dependency", sensorYAML(okDep, k8sTrigger+`          parameters:
            - src: {dependencyName: nope, dataKey: a}
              dest: metadata.name
`), "spec.triggers[0].template.k8s.parameters[0].src.dependencyName", `unknown dependency "nope"`},
		{"parameter without dest", sensorYAML(okDep, k8sTrigger+`          parameters:
            - src: {dependencyName: d, dataKey: a}
`), "spec.triggers[0].template.k8s.parameters[0].dest", "is required"},
		{"parameter bad operation", sensorYAML(okDep, k8sTrigger+`          parameters:
            - src: {dependencyName: d, dataKey: a}
              dest: x
              operation: replace
`), "spec.triggers[0].template.k8s.parameters[0].operation", `unknown operation "replace"`},
		{"rate limit zero", sensorYAML(okDep, okTrigger+`      rateLimit:
        unit: Second
        requestsPerUnit: 0
`), "spec.triggers[0].rateLimit.requestsPerUnit", "must be greater than 0"},
		{"rate limit unit", sensorYAML(okDep, okTrigger+`      rateLimit:
        unit: Day
        requestsPerUnit: 1
`), "spec.triggers[0].rateLimit.unit", `unknown unit "Day"`},
		{"retry bad duration", sensorYAML(okDep, okTrigger+`      retryStrategy:
        duration: soon
`), "spec.triggers[0].retryStrategy.duration", `invalid duration "soon"`},
		{"retry bad jitter", sensorYAML(okDep, okTrigger+`      retryStrategy:
        jitter: 2
`), "spec.triggers[0].retryStrategy.jitter", "between 0 and 1"},
		{"retry negative steps", sensorYAML(okDep, okTrigger+`      retryStrategy:
        steps: -1
`), "spec.triggers[0].retryStrategy.steps", "must not be negative"},
		{"retry bad factor", sensorYAML(okDep, okTrigger+`      retryStrategy:
        factor: lots
`), "spec.triggers[0].retryStrategy.factor", `invalid number "lots"`},
		{"duplicate dependency", strings.Replace(sensorYAML(okDep, okTrigger), "  triggers:", "    - name: d\n      eventSourceName: x\n      eventName: y\n  triggers:", 1), "spec.dependencies[1].name", `duplicate dependency name "d"`},
		{"duplicate trigger", sensorYAML(okDep, okTrigger+"    - template:\n        name: t\n        log: {}\n"), "spec.triggers[1].template.name", `duplicate trigger name "t"`},
		{"conditions reset without cron", sensorYAML(okDep, okTrigger+`        conditionsReset:
          - byTime: {timezone: UTC}
`), "spec.triggers[0].template.conditionsReset[0].byTime.cron", "is required"},
		{"bad dlq trigger", sensorYAML(okDep, okTrigger+`      dlqTrigger:
        template:
          name: dlq
          slack: {}
`), "spec.triggers[0].dlqTrigger.template.slack", `unsupported trigger type "slack"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := config.ParseSensor("sensor.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatal("ParseSensor succeeded")
			}
			if !strings.HasPrefix(err.Error(), "sensor.yaml: ") {
				t.Errorf("error %q does not name the file", err)
			}
			var fe *config.FieldError
			if errors.As(err, &fe) {
				if fe.Path != tt.wantPath {
					t.Errorf("path = %q, want %q (%v)", fe.Path, tt.wantPath, err)
				}
				if !errors.Is(err, config.ErrInvalid) {
					t.Errorf("error does not match ErrInvalid")
				}
			} else if tt.wantPath != "" {
				t.Errorf("error %v is not a FieldError", err)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not contain %q", err, tt.wantMsg)
			}
		})
	}
}

func TestParseSensorDefaults(t *testing.T) {
	t.Parallel()
	s, err := config.ParseSensor("s.yaml", []byte(sensorYAML(okDep, `        k8s:
          source:
            inline: |
              apiVersion: v1
              kind: ConfigMap
    - template:
        name: a
        argoWorkflow:
          source: {resource: {apiVersion: v1, kind: X}}
`)))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Spec.Triggers[0].Template.Operation(); got != "create" {
		t.Errorf("k8s default operation = %q", got)
	}
	if got := s.Spec.Triggers[1].Template.Operation(); got != "submit" {
		t.Errorf("argoWorkflow default operation = %q", got)
	}
}

func TestTriggerTemplateRoundTrip(t *testing.T) {
	t.Parallel()
	var tt config.TriggerTemplate
	in := `{"name":"t","conditions":"a","Log":{"intervalSeconds":3},"policy":{"k8s":{}}}`
	if err := json.Unmarshal([]byte(in), &tt); err != nil {
		t.Fatal(err)
	}
	if tt.Log == nil || tt.Log.IntervalSeconds != 3 {
		t.Errorf("log = %+v (keys match case-insensitively)", tt.Log)
	}
	if string(tt.Unsupported["policy"]) != `{"k8s":{}}` || len(tt.Unsupported) != 1 {
		t.Errorf("unsupported = %v", tt.Unsupported)
	}
	b, err := json.Marshal(tt)
	if err != nil {
		t.Fatal(err)
	}
	var back config.TriggerTemplate
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(tt, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestParseArgoArgs(t *testing.T) {
	t.Parallel()
	prio := int32(5)
	tests := []struct {
		name    string
		op      config.ArgoWorkflowOperation
		args    []string
		want    config.ArgoArgs
		wantErr string
	}{
		{name: "none", op: config.ArgoSubmit},
		{name: "submit flags", op: "", args: []string{
			"--name", "n", "--generate-name=g-", "--entrypoint", "main", "--serviceaccount=sa",
			"-p", "a=1", "-pb=2", "--parameter=c=x=y", "-l", "k=v,k2=v2", "--priority", "5",
			"--scheduled-time", "2026-01-02T03:04:05Z", "--instanceid", "prod",
		}, want: config.ArgoArgs{
			Name: "n", GenerateName: "g-", Entrypoint: "main", ServiceAccount: "sa",
			Parameters: []config.NameValue{{"a", "1"}, {"b", "2"}, {"c", "x=y"}},
			Labels:     []config.NameValue{{"k", "v"}, {"k2", "v2"}}, Priority: &prio,
			ScheduledTime: "2026-01-02T03:04:05Z", InstanceID: "prod",
		}},
		{name: "display flags ignored", op: config.ArgoSubmit, args: []string{"-o", "json", "--wait", "--watch=false", "--log", "--node-field-selector", "phase=abc", "--strict=false"}},
		{name: "retry", op: config.ArgoRetry, args: []string{"--restart-successful", "--node-field-selector", "templateName=a", "-p", "x=1"},
			want: config.ArgoArgs{RestartSuccessful: true, NodeFieldSelector: "templateName=a", Parameters: []config.NameValue{{"x", "1"}}}},
		{name: "resubmit", op: config.ArgoResubmit, args: []string{"--memoized=true"}, want: config.ArgoArgs{Memoized: true}},
		{name: "stop", op: config.ArgoStop, args: []string{"--message", "bye", "--node-field-selector=a=b"}, want: config.ArgoArgs{Message: "bye", NodeFieldSelector: "a=b"}},
		{name: "unknown flag", op: config.ArgoSubmit, args: []string{"--bogus"}, wantErr: `[0]: unknown flag "--bogus" for argo submit`},
		{name: "positional", op: config.ArgoSubmit, args: []string{"wf.yaml"}, wantErr: `[0]: unexpected argument "wf.yaml"`},
		{name: "missing value", op: config.ArgoSubmit, args: []string{"--entrypoint"}, wantErr: "[0]: --entrypoint needs a value"},
		{name: "bad parameter", op: config.ArgoSubmit, args: []string{"-p", "novalue"}, wantErr: "want NAME=VALUE"},
		{name: "bad priority", op: config.ArgoSubmit, args: []string{"--priority", "high"}, wantErr: "invalid integer"},
		{name: "bad bool", op: config.ArgoResubmit, args: []string{"--memoized=maybe"}, wantErr: "invalid boolean"},
		{name: "bad scheduled time", op: config.ArgoSubmit, args: []string{"--scheduled-time", "tomorrow"}, wantErr: "not RFC3339"},
		{name: "parameter file rejected", op: config.ArgoSubmit, args: []string{"-f", "p.yaml"}, wantErr: `flag "--parameter-file" is not supported`},
		{name: "selector rejected", op: config.ArgoTerminate, args: []string{"-l", "a=b"}, wantErr: `flag "--selector" is not supported`},
		{name: "entrypoint not for resume", op: config.ArgoResume, args: []string{"--entrypoint", "x"}, wantErr: `unknown flag "--entrypoint" for argo resume`},
		{name: "suspend takes no flags", op: config.ArgoSuspend, args: []string{"-p", "a=b"}, wantErr: `unknown flag "-p" for argo suspend`},
		{name: "unknown operation", op: "restart", wantErr: "unknown operation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := config.ParseArgoArgs(tt.op, tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("args (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAmountAndDuration(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{`"1s"`, time.Second, false}, {`1000`, 1000, false}, {`"250"`, 250, false}, {`"1m30s"`, 90 * time.Second, false},
		{`"soon"`, 0, true}, {`1.5`, 0, true},
	} {
		var v config.Int64OrString
		err := v.UnmarshalJSON([]byte(tt.in))
		if err == nil {
			var d time.Duration
			d, err = v.Duration()
			if err == nil && d != tt.want {
				t.Errorf("%s: duration = %v, want %v", tt.in, d, tt.want)
			}
		}
		if (err != nil) != tt.err {
			t.Errorf("%s: err = %v", tt.in, err)
		}
		if err == nil {
			b, _ := v.MarshalJSON()
			if string(b) != tt.in {
				t.Errorf("%s: marshals as %s", tt.in, b)
			}
		}
	}
	var a config.Amount
	if err := a.UnmarshalJSON([]byte(`0.25`)); err != nil {
		t.Fatal(err)
	}
	if f, _ := a.Float64(); f != 0.25 {
		t.Errorf("amount = %v", f)
	}
	if b, _ := a.MarshalJSON(); string(b) != "0.25" {
		t.Errorf("amount marshals as %s", b)
	}
	if err := a.UnmarshalJSON([]byte(`true`)); err == nil {
		t.Error("amount accepted true")
	}
}

func TestLoadFile(t *testing.T) {
	t.Parallel()
	obj, err := config.LoadFile("testdata/sensor-full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := obj.(*config.Sensor); !ok || s.Metadata.Name != "full" {
		t.Errorf("LoadFile = %T %+v", obj, obj)
	}
	dir := t.TempDir()
	for name, body := range map[string]string{
		"nokind.yaml":  "apiVersion: v1\nmetadata: {name: x}\n",
		"pod.yaml":     "apiVersion: v1\nkind: Pod\n",
		"broken.yaml":  "kind: [",
		"sensor.yaml":  "apiVersion: argoproj.io/v1alpha1\nkind: Sensor\nmetadata: {name: x}\n",
		"missing.yaml": "",
	} {
		path := filepath.Join(dir, name)
		if name != "missing.yaml" {
			if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		_, err := config.LoadFile(path)
		if err == nil {
			t.Errorf("%s: LoadFile succeeded", name)
			continue
		}
		if !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %q does not name the file", name, err)
		}
	}
}

func TestSplitDocuments(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		want int
	}{
		{"a: 1\n", 1},
		{"---\na: 1\n", 1},
		{"# comment\n---\na: 1\n---\n# only a comment\n", 1},
		{"a: 1\n---\nb: 2\n--- # next\nc: 3", 3},
		{"a: '---'\nb: |\n  ---x\n", 1},
		{"", 0},
	} {
		if got := len(config.SplitDocuments([]byte(tt.in))); got != tt.want {
			t.Errorf("SplitDocuments(%q) = %d documents, want %d", tt.in, got, tt.want)
		}
	}
	two := sensorYAML(okDep, okTrigger) + "---\n" + sensorYAML(okDep, okTrigger)
	if _, err := config.ParseSensor("two.yaml", []byte(two)); err == nil || !strings.Contains(err.Error(), "two.yaml: holds 2 YAML documents of which 2 are Sensors") {
		t.Errorf("two sensors: err = %v", err)
	}
	withTemplate := "apiVersion: argoproj.io/v1alpha1\nkind: WorkflowTemplate\nmetadata: {name: wt}\n---\n" + sensorYAML(okDep, okTrigger)
	if s, err := config.ParseSensor("pair.yaml", []byte(withTemplate)); err != nil || s.Metadata.Name != "s" {
		t.Errorf("sensor with a workflow template: %v", err)
	}
	if _, err := config.ParseFile("two.yaml", []byte(two), nil); err == nil || !strings.Contains(err.Error(), "holds 2 YAML documents") {
		t.Errorf("ParseFile of two documents: err = %v", err)
	}
	if _, err := config.ParseSensor("one.yaml", []byte("---\n"+sensorYAML(okDep, okTrigger))); err != nil {
		t.Errorf("leading separator: %v", err)
	}
}
