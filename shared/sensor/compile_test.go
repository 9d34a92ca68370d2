package sensor_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/fc-eventing/fc-eventing/shared/config"
)

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	k8s := func(params string) string {
		return `apiVersion: argoproj.io/v1alpha1
kind: Sensor
metadata: {name: s}
spec:
  dependencies:
    - {name: d, eventSourceName: es, eventName: e}
  triggers:
    - template:
        name: t
        k8s:
          source: {resource: {apiVersion: v1, kind: ConfigMap}}
          parameters:
` + indent(params, 12)
	}
	tests := []struct {
		name     string
		yaml     string
		wantPath string
		wantMsg  string
	}{
		{"bad regex", filterSensor("filters: {data: [{path: a, type: string, value: [ok, '(']}]}"),
			"spec.dependencies[0].filters.data[0].value[1]", "invalid regular expression"},
		{"bad number", filterSensor("filters: {data: [{path: a, type: number, value: [ten]}]}"),
			"spec.dependencies[0].filters.data[0].value[0]", `invalid number "ten"`},
		{"bad bool", filterSensor("filters: {data: [{path: a, type: bool, value: [maybe]}]}"),
			"spec.dependencies[0].filters.data[0].value[0]", `invalid bool "maybe"`},
		{"ordering comparator on a string", filterSensor("filters: {data: [{path: a, type: string, comparator: '>', value: [x]}]}"),
			"spec.dependencies[0].filters.data[0].comparator", `comparator ">" does not apply to type string`},
		{"ordering comparator on a bool", filterSensor("filters: {data: [{path: a, type: bool, comparator: '<=', value: ['true']}]}"),
			"spec.dependencies[0].filters.data[0].comparator", "does not apply to type bool"},
		{"bad data template", filterSensor("filters: {data: [{path: a, type: string, value: [x], template: '{{ .Input '}]}"),
			"spec.dependencies[0].filters.data[0].template", "parsing template"},
		{"unknown template function", filterSensor("filters: {data: [{path: a, type: string, value: [x], template: '{{ env \"HOME\" }}'}]}"),
			"spec.dependencies[0].filters.data[0].template", `function "env" not defined`},
		{"bad expr", filterSensor("filters: {exprs: [{expr: 'a ==', fields: [{name: a, path: a}]}]}"),
			"spec.dependencies[0].filters.exprs[0].expr", "invalid expression"},
		{"expr variable without field", filterSensor("filters: {exprs: [{expr: 'a == b', fields: [{name: a, path: a}]}]}"),
			"spec.dependencies[0].filters.exprs[0].expr", `uses "b", which no field names`},
		{"bad jq", filterSensor("transform: {jq: '.a |'}"), "spec.dependencies[0].transform.jq", "parsing jq"},
		{"bad lua transform", filterSensor("transform: {script: 'return {'}"), "spec.dependencies[0].transform.script", "parsing Lua"},
		{"bad lua filter", filterSensor("filters: {script: 'if then'}"), "spec.dependencies[0].filters.script", "parsing Lua"},
		{"bad time zone", filterSensor("filters: {time: {start: '01:00:00', stop: '02:00:00', timezone: Mars/Olympus}}"),
			"spec.dependencies[0].filters.time.timezone", `unknown time zone "Mars/Olympus"`},
		{"bad cron", condSensor("conditions: a && b\nconditionsReset: [{byTime: {cron: '61 * * * *'}}]\n"),
			"spec.triggers[0].template.conditionsReset[0].byTime.cron", "invalid cron expression"},
		{"bad cron time zone", condSensor("conditions: a && b\nconditionsReset: [{byTime: {cron: '0 0 * * *', timezone: Nowhere}}]\n"),
			"spec.triggers[0].template.conditionsReset[0].byTime.timezone", `unknown time zone "Nowhere"`},
		{"unknown dependency in conditions", condSensor("conditions: a && z\n"),
			"spec.triggers[0].template.conditions", `unknown dependency "z"`},
		{"unbalanced conditions", condSensor("conditions: (a && b\n"),
			"spec.triggers[0].template.conditions", "missing ')'"},
		{"dangling operator", condSensor("conditions: a &&\n"),
			"spec.triggers[0].template.conditions", "unexpected end"},
		{"bad parameter template", k8s("- src: {dependencyName: d, dataTemplate: '{{ end }}'}\n  dest: data.x"),
			"spec.triggers[0].template.k8s.parameters[0].src.dataTemplate", "parsing template"},
		{"wildcard destination", k8s("- src: {dependencyName: d, dataKey: a}\n  dest: data.*"),
			"spec.triggers[0].template.k8s.parameters[0].dest", "wildcards cannot be set"},
		{"empty destination key", k8s("- src: {dependencyName: d, dataKey: a}\n  dest: data..x"),
			"spec.triggers[0].template.k8s.parameters[0].dest", "empty key"},
		{"resource without kind", strings.Replace(k8s(""), "kind: ConfigMap", "metadata: {}", 1),
			"spec.triggers[0].template.k8s.source.resource", "resource has no kind"},
		{"inline that is not YAML", `apiVersion: argoproj.io/v1alpha1
kind: Sensor
metadata: {name: s}
spec:
  dependencies: [{name: d, eventSourceName: es, eventName: e}]
  triggers:
    - template: {name: t, k8s: {source: {inline: "a: [b"}}}
`, "spec.triggers[0].template.k8s.source.inline", "decoding inline resource"},
		{"unsupported trigger", strings.Replace(filterSensor(""), "log: {}", "kafka: {url: x}", 1),
			"spec.triggers[0].template.kafka", `unsupported trigger type "kafka"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := tryCompile(tt.yaml)
			if err == nil {
				t.Fatal("compiled")
			}
			var fe *config.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a FieldError", err)
			}
			if fe.Path != tt.wantPath {
				t.Errorf("path = %q, want %q (%v)", fe.Path, tt.wantPath, err)
			}
			if !strings.Contains(fe.Msg, tt.wantMsg) {
				t.Errorf("message %q does not contain %q", fe.Msg, tt.wantMsg)
			}
		})
	}
}

func TestConditionsWithDashedNames(t *testing.T) {
	t.Parallel()
	p := compile(t, `apiVersion: argoproj.io/v1alpha1
kind: Sensor
metadata: {name: s}
spec:
  dependencies:
    - {name: test-dep, eventSourceName: es, eventName: a}
    - {name: test-dep-foo, eventSourceName: es, eventName: b}
  triggers:
    - template: {name: t, conditions: "test-dep-foo && test-dep", log: {}}
`)
	if res := evaluate(t, p, depEvent("a", "1")); len(res.Firings) != 0 {
		t.Fatal("fired on one dependency")
	}
	if res := evaluate(t, p, depEvent("b", "2")); len(res.Firings) != 1 {
		t.Fatal("did not fire on both")
	}
}
