package sensor_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fc-eventing/fc-eventing/shared/sensor"
)

func TestTransform(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		transform string
		filters   string
		data      string
		want      bool
		wantErr   string
	}{
		{"jq reshapes before filters", "jq: '{ref: .body.ref, count: (.body.commits | length)}'",
			`data: [{path: count, type: number, value: ["2"]}, {path: ref, type: string, value: [main]}]`, pushData, true, ""},
		{"jq output must be an object", "jq: '.body.ref'", "", pushData, false, "jq output must be a JSON object, got a string"},
		{"jq no output", "jq: 'empty'", "", pushData, false, "jq produced no output"},
		{"jq runtime error", "jq: '.body.ref | tonumber'", "", pushData, false, "running jq"},
		{"jq runaway is interrupted", "jq: 'last(range(1e15)) | {}'", "", pushData, false, "interrupted"},
		{"lua reshapes", "script: |\n  event.body.ref = string.gsub(event.body.ref, 'refs/heads/', '')\n  return event",
			`data: [{path: body.ref, type: string, value: ["^main$"]}]`, pushData, true, ""},
		{"lua keeps arrays", "script: 'return {ids = {event.body.commits[1].id, event.body.commits[2].id}}'",
			`data: [{path: ids.1, type: string, value: ["^c2$"]}]`, pushData, true, ""},
		{"lua must return a table", "script: 'return 1'", "", pushData, false, "must return a table"},
		{"lua runaway is interrupted", "script: 'while true do end'", "", pushData, false, "interrupted"},
		{"lua sandbox", "script: 'return {home = os.getenv(\"HOME\")}'", "", pushData, false, "running script"},
		{"data that is not an object", "jq: '.'", "", `[1, 2]`, false, "event data is not a JSON object"},
		{"no data passes through", "jq: '.'", "", "", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fields := "transform:\n" + indent(tt.transform, 2)
			if tt.filters != "" {
				fields += "filters:\n" + indent(tt.filters, 2)
			}
			p := compile(t, filterSensor(fields), sensor.Options{ScriptTimeout: 300 * time.Millisecond})
			start := time.Now()
			r := matchOne(t, p, ev("1", tt.data))
			if r.Matched != tt.want {
				t.Errorf("matched = %v, want %v (err %v)", r.Matched, tt.want, r.Err)
			}
			if got := errString(r.Err); !strings.Contains(got, tt.wantErr) || (tt.wantErr == "" && got != "") {
				t.Errorf("err = %q, want %q", got, tt.wantErr)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

func TestTransformedEventIsUsedByParameters(t *testing.T) {
	t.Parallel()
	p := compile(t, `apiVersion: argoproj.io/v1alpha1
kind: Sensor
metadata: {name: s}
spec:
  dependencies:
    - name: d
      eventSourceName: es
      eventName: e
      transform:
        jq: '{short: (.body.ref | ltrimstr("refs/heads/"))}'
  triggers:
    - template:
        name: t
        k8s:
          source: {resource: {apiVersion: v1, kind: ConfigMap, metadata: {name: cm}}}
          parameters:
            - src: {dependencyName: d, dataKey: short}
              dest: data.branch
`)
	res := evaluate(t, p, ev("1", pushData))
	if len(res.Firings) != 1 {
		t.Fatalf("firings = %+v", res)
	}
	f := res.Firings[0]
	if got := f.Object["data"].(map[string]any)["branch"]; got != "main" {
		t.Errorf("data.branch = %v", got)
	}
	if got := string(f.Events["d"].Data); got != `{"short":"main"}` {
		t.Errorf("event data = %s", got)
	}
}

func TestEvaluateHonoursContext(t *testing.T) {
	t.Parallel()
	p := compile(t, filterSensor("transform:\n  script: 'while true do end'\n"), sensor.Options{ScriptTimeout: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	res, err := p.Evaluate(ctx, ev("1", pushData))
	if time.Since(start) > 10*time.Second {
		t.Fatalf("Evaluate ignored the context deadline")
	}
	if err != nil {
		t.Logf("Evaluate: %v", err)
	}
	if len(res.Dependencies) != 1 || res.Dependencies[0].Matched || !strings.Contains(errString(res.Dependencies[0].Err), "interrupted") {
		t.Errorf("result = %+v", res)
	}
}
