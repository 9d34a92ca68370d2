package sensor_test

import (
	"strings"
	"testing"
	"time"

	"github.com/fc-eventing/fc-eventing/shared/event"
	"github.com/fc-eventing/fc-eventing/shared/sensor"
)

const pushData = `{
  "headers": {"X-Github-Event": ["push"], "Content-Type": ["application/json"]},
  "body": {
    "ref": "refs/heads/main",
    "size": "3",
    "count": 3,
    "ratio": 0.5,
    "deleted": false,
    "draft": "true",
    "labels": {"app.kubernetes.io/name": "payments"},
    "commits": [
      {"id": "c1", "author": {"name": "alice"}},
      {"id": "c2", "author": {"name": "bob"}}
    ],
    "message": "Hello, World"
  }
}`

func TestDataFilters(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		filters string
		data    string
		want    bool
		wantErr string
	}{
		{"unanchored regex", `data: [{path: body.ref, type: string, value: ["heads/ma"]}]`, pushData, true, ""},
		{"anchored regex", `data: [{path: body.ref, type: string, value: ["^heads/"]}]`, pushData, false, ""},
		{"header array matched by its JSON text", `data: [{path: headers.X-Github-Event, type: string, value: [push]}]`, pushData, true, ""},
		{"header array anchored on the text fails", `data: [{path: headers.X-Github-Event, type: string, value: ["^push$"]}]`, pushData, false, ""},
		{"header array element", `data: [{path: headers.X-Github-Event.0, type: string, value: ["^push$"]}]`, pushData, true, ""},
		{"values are OR-ed", `data: [{path: body.ref, type: string, value: ["^refs/tags/", "^refs/heads/main$"]}]`, pushData, true, ""},
		{"string not equal", `data: [{path: body.ref, type: string, comparator: "!=", value: ["^refs/tags/"]}]`, pushData, true, ""},
		{"string not equal fails", `data: [{path: body.ref, type: string, comparator: "!=", value: ["main"]}]`, pushData, false, ""},
		{"multiple values with != are OR-ed, so almost anything passes", `data: [{path: body.ref, type: string, comparator: "!=", value: ["main", "develop"]}]`, pushData, true, ""},
		{"number in a string", `data: [{path: body.size, type: number, value: ["3"]}]`, pushData, true, ""},
		{"number in a string compared", `data: [{path: body.size, type: number, comparator: ">", value: ["2.5"]}]`, pushData, true, ""},
		{"number >=", `data: [{path: body.count, type: number, comparator: ">=", value: ["3"]}]`, pushData, true, ""},
		{"number <", `data: [{path: body.count, type: number, comparator: "<", value: ["3"]}]`, pushData, false, ""},
		{"number <=", `data: [{path: body.ratio, type: number, comparator: "<=", value: ["0.5"]}]`, pushData, true, ""},
		{"number !=", `data: [{path: body.count, type: number, comparator: "!=", value: ["4"]}]`, pushData, true, ""},
		{"number =", `data: [{path: body.count, type: number, comparator: "=", value: ["1", "3"]}]`, pushData, true, ""},
		{"non-numeric string reads as 0", `data: [{path: body.ref, type: number, value: ["0"]}]`, pushData, true, ""},
		{"bool", `data: [{path: body.deleted, type: bool, value: ["false"]}]`, pushData, true, ""},
		{"bool from string", `data: [{path: body.draft, type: bool, value: ["True"]}]`, pushData, true, ""},
		{"bool parsed like strconv", `data: [{path: body.deleted, type: bool, value: ["0"]}]`, pushData, true, ""},
		{"bool not equal", `data: [{path: body.deleted, type: bool, comparator: "!=", value: ["true"]}]`, pushData, true, ""},
		{"bool mismatch", `data: [{path: body.deleted, type: bool, value: ["t"]}]`, pushData, false, ""},
		{"gjson query", `data: [{path: 'body.commits.#(author.name=="bob").id', type: string, value: ["^c2$"]}]`, pushData, true, ""},
		{"gjson count", `data: [{path: 'body.commits.#', type: number, value: ["2"]}]`, pushData, true, ""},
		{"escaped dots", `data: [{path: 'body.labels.app\.kubernetes\.io/name', type: string, value: ["^payments$"]}]`, pushData, true, ""},
		{"and of filters", `data: [{path: body.ref, type: string, value: [main]}, {path: body.count, type: number, value: ["4"]}]`, pushData, false, ""},
		{"or of filters", "dataLogicalOperator: or\ndata: [{path: body.ref, type: string, value: [develop]}, {path: body.count, type: number, value: [\"3\"]}]", pushData, true, ""},
		{"or of filters none passes", "dataLogicalOperator: or\ndata: [{path: body.ref, type: string, value: [develop]}, {path: body.count, type: number, value: [\"4\"]}]", pushData, false, ""},
		{"missing path", `data: [{path: body.nope, type: string, value: [x]}]`, pushData, false, "data filter error (path 'body.nope' does not exist)"},
		{"missing path under or with a passing filter", "dataLogicalOperator: or\ndata: [{path: body.nope, type: string, value: [x]}, {path: body.ref, type: string, value: [main]}]", pushData, true, ""},
		{"missing paths under or", "dataLogicalOperator: or\ndata: [{path: body.nope, type: string, value: [x]}, {path: body.no, type: string, value: [y]}]", pushData, false, "data filter errors [path 'body.nope' does not exist / path 'body.no' does not exist]"},
		{"invalid JSON", `data: [{path: a, type: string, value: [x]}]`, `{"a": `, false, "data filter error (event data not valid JSON)"},
		{"no data passes", `data: [{path: a, type: string, value: [x]}]`, "", true, ""},
		{"template", `data: [{path: body.message, type: string, template: '{{ .Input | lower | replace " " "-" }}', value: ["^hello,-world$"]}]`, pushData, true, ""},
		{"template to number", `data: [{path: body.commits, type: number, template: '{{ len (fromJson .Input) }}', value: ["2"]}]`, pushData, true, ""},
		{"template with text", `data: [{path: body.ref, type: string, template: 'ref={{ .Input | trimPrefix "refs/heads/" }}', value: ["^ref=main$"]}]`, pushData, true, ""},
		{"template empty output", `data: [{path: body.ref, type: string, template: '{{ if eq .Input "x" }}y{{ end }}', value: [x]}]`, pushData, false, "evaluated to empty string or no value"},
		{"template execution error", `data: [{path: body.ref, type: string, template: '{{ .Input.nope }}', value: [x]}]`, pushData, false, "data filter error (executing template"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := compile(t, filterSensor("filters:\n"+indent(tt.filters, 2)))
			r := matchOne(t, p, ev("1", tt.data))
			if r.Matched != tt.want {
				t.Errorf("matched = %v, want %v (err %v)", r.Matched, tt.want, r.Err)
			}
			if got := errString(r.Err); !strings.Contains(got, tt.wantErr) || (tt.wantErr == "" && got != "") {
				t.Errorf("err = %q, want %q", got, tt.wantErr)
			}
		})
	}
}

func TestExprFilters(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		filters string
		want    bool
		wantErr string
	}{
		{"equality", `exprs: [{expr: 'ref == "refs/heads/main"', fields: [{name: ref, path: body.ref}]}]`, true, ""},
		{"regex", `exprs: [{expr: 'ref =~ "^refs/heads/(main|dev)$"', fields: [{name: ref, path: body.ref}]}]`, true, ""},
		{"in", `exprs: [{expr: 'author in ("carol", "bob")', fields: [{name: author, path: body.commits.1.author.name}]}]`, true, ""},
		{"numbers and booleans", `exprs: [{expr: 'count >= 3 && !deleted', fields: [{name: count, path: body.count}, {name: deleted, path: body.deleted}]}]`, true, ""},
		{"or short-circuits an error", `exprs: [{expr: 'count == 3 || ref > 2', fields: [{name: count, path: body.count}, {name: ref, path: body.ref}]}]`, true, ""},
		{"evaluation error", `exprs: [{expr: 'count == 4 || ref > 2', fields: [{name: count, path: body.count}, {name: ref, path: body.ref}]}]`, false, "expr filter error"},
		{"false", `exprs: [{expr: 'count == 4', fields: [{name: count, path: body.count}]}]`, false, ""},
		{"non-bool result is no match", `exprs: [{expr: 'count + 1', fields: [{name: count, path: body.count}]}]`, false, ""},
		{"and of exprs", `exprs: [{expr: 'count == 3', fields: [{name: count, path: body.count}]}, {expr: 'count == 4', fields: [{name: count, path: body.count}]}]`, false, ""},
		{"or of exprs", "exprLogicalOperator: or\nexprs: [{expr: 'count == 4', fields: [{name: count, path: body.count}]}, {expr: 'count == 3', fields: [{name: count, path: body.count}]}]", true, ""},
		{"missing path", `exprs: [{expr: 'x == 1', fields: [{name: x, path: body.nope}]}]`, false, "expr filter error (path 'body.nope' does not exist)"},
		{"missing paths under or", "exprLogicalOperator: or\nexprs: [{expr: 'x == 1', fields: [{name: x, path: body.nope}]}, {expr: 'count == 4', fields: [{name: count, path: body.count}]}]", false, "expr filter errors [path 'body.nope' does not exist]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := compile(t, filterSensor("filters:\n"+indent(tt.filters, 2)))
			r := matchOne(t, p, ev("1", pushData))
			if r.Matched != tt.want {
				t.Errorf("matched = %v, want %v (err %v)", r.Matched, tt.want, r.Err)
			}
			if got := errString(r.Err); !strings.Contains(got, tt.wantErr) || (tt.wantErr == "" && got != "") {
				t.Errorf("err = %q, want %q", got, tt.wantErr)
			}
		})
	}
}

func TestContextFilter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		filters string
		mutate  func(*event.Event)
		want    bool
	}{
		{"type", "context: {type: webhook}", nil, true},
		{"type mismatch", "context: {type: github}", nil, false},
		{"all fields", "context: {type: webhook, source: es, subject: e, datacontenttype: application/json}", nil, true},
		{"exact, not regex", "context: {type: web}", nil, false},
		{"content type mismatch", "context: {datacontenttype: application/json}", func(e *event.Event) { e.DataContentType = "text/plain" }, false},
		{"id and time are not compared", "context: {id: other, time: '2020-01-01T00:00:00Z'}", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := compile(t, filterSensor("filters:\n"+indent(tt.filters, 2)))
			e := ev("1", `{}`)
			if tt.mutate != nil {
				tt.mutate(&e)
			}
			if r := matchOne(t, p, e); r.Matched != tt.want || r.Err != nil {
				t.Errorf("result = %+v, want matched %v", r, tt.want)
			}
		})
	}
}

func TestTimeFilter(t *testing.T) {
	t.Parallel()
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	tests := []struct {
		name   string
		filter string
		time   string
		want   bool
	}{
		{"inside", `{start: "09:00:00", stop: "17:00:00"}`, "2026-03-02T12:00:00Z", true},
		{"start is inclusive", `{start: "09:00:00", stop: "17:00:00"}`, "2026-03-02T09:00:00Z", true},
		{"stop is exclusive", `{start: "09:00:00", stop: "17:00:00"}`, "2026-03-02T17:00:00Z", false},
		{"just before stop", `{start: "09:00:00", stop: "17:00:00"}`, "2026-03-02T16:59:59.999Z", true},
		{"before", `{start: "09:00:00", stop: "17:00:00"}`, "2026-03-02T08:59:59Z", false},
		{"overnight late", `{start: "22:00:00", stop: "06:00:00"}`, "2026-03-02T23:30:00Z", true},
		{"overnight early", `{start: "22:00:00", stop: "06:00:00"}`, "2026-03-02T05:59:59Z", true},
		{"overnight midday", `{start: "22:00:00", stop: "06:00:00"}`, "2026-03-02T12:00:00Z", false},
		{"overnight at stop", `{start: "22:00:00", stop: "06:00:00"}`, "2026-03-02T06:00:00Z", false},
		{"equal start and stop is all day", `{start: "10:00:00", stop: "10:00:00"}`, "2026-03-02T03:00:00Z", true},
		{"event time in another zone", `{start: "09:00:00", stop: "17:00:00"}`, "2026-03-02T10:00:00+08:00", false},
		{"time zone", `{start: "09:00:00", stop: "17:00:00", timezone: Asia/Shanghai}`, "2026-03-02T02:00:00Z", true},
		{"time zone outside", `{start: "09:00:00", stop: "17:00:00", timezone: Asia/Shanghai}`, "2026-03-02T12:00:00Z", false},
		{"time zone with DST", `{start: "09:00:00", stop: "17:00:00", timezone: America/New_York}`, "2026-07-01T13:30:00Z", true},
		{"time zone without DST offset", `{start: "09:00:00", stop: "17:00:00", timezone: America/New_York}`, "2026-01-15T13:30:00Z", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := compile(t, filterSensor("filters:\n  time: "+tt.filter+"\n"))
			e := ev("1", `{}`)
			e.Time = at(tt.time)
			if r := matchOne(t, p, e); r.Matched != tt.want || r.Err != nil {
				t.Errorf("result = %+v, want matched %v", r, tt.want)
			}
		})
	}
	t.Run("event without time uses the clock", func(t *testing.T) {
		t.Parallel()
		for _, c := range []struct {
			now  string
			want bool
		}{{"2026-03-02T10:00:00Z", true}, {"2026-03-02T20:00:00Z", false}} {
			now := at(c.now)
			p := compile(t, filterSensor("filters:\n  time: {start: \"09:00:00\", stop: \"17:00:00\"}\n"),
				sensor.Options{Now: func() time.Time { return now }})
			e := ev("1", `{}`)
			e.Time = time.Time{}
			if r := matchOne(t, p, e); r.Matched != c.want {
				t.Errorf("now %s: matched = %v", c.now, r.Matched)
			}
		}
	})
}

func TestScriptFilter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		script  string
		data    string
		want    bool
		wantErr string
	}{
		{"true", `return event.body.ref == "refs/heads/main"`, pushData, true, ""},
		{"false", `return event.body.count > 5`, pushData, false, ""},
		{"nested arrays", `return event.body.commits[2].author.name == "bob"`, pushData, true, ""},
		{"non-boolean is no match", `return "yes"`, pushData, false, ""},
		{"string library", `return string.upper(event.body.message) == "HELLO, WORLD"`, pushData, true, ""},
		{"runtime error", `return event.nope.x`, pushData, false, "script filter error"},
		{"no data passes", `return false`, "", true, ""},
		{"os is not available", `return os.getenv("HOME") ~= nil`, pushData, false, "script filter error"},
		{"io is not available", `return io.open("/etc/passwd") ~= nil`, pushData, false, "script filter error"},
		{"require is not available", `return require("os") ~= nil`, pushData, false, "script filter error"},
		{"loadstring is not available", `return loadstring("return true")()`, pushData, false, "script filter error"},
		{"debug is not available", `return debug.getinfo(1) ~= nil`, pushData, false, "script filter error"},
		{"huge strings are refused", `local s = string.rep("x", 1073741824) return true`, pushData, false, "script filter error"},
		{"runaway loop is interrupted", `while true do end`, pushData, false, "interrupted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := compile(t, filterSensor("filters:\n  script: |\n"+indent(tt.script, 4)),
				sensor.Options{ScriptTimeout: 200 * time.Millisecond})
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

func TestFiltersLogicalOperator(t *testing.T) {
	t.Parallel()
	const passingData = `data: [{path: body.ref, type: string, value: [main]}]`
	const failingData = `data: [{path: body.ref, type: string, value: [develop]}]`
	const erroringExpr = `exprs: [{expr: 'x == 1', fields: [{name: x, path: body.nope}]}]`
	const failingCtx = `context: {type: github}`
	tests := []struct {
		name    string
		fields  string
		want    bool
		wantErr string
	}{
		{"and: all pass", "filters:\n  " + passingData + "\n  context: {type: webhook}", true, ""},
		{"and: one fails", "filters:\n  " + passingData + "\n  " + failingCtx, false, ""},
		{"and: error ends it", "filters:\n  " + passingData + "\n  " + erroringExpr, false, "expr filter error"},
		{"or: one passes", "filtersLogicalOperator: or\nfilters:\n  " + failingData + "\n  context: {type: webhook}", true, ""},
		{"or: none passes", "filtersLogicalOperator: or\nfilters:\n  " + failingData + "\n  " + failingCtx, false, ""},
		// Argo Events drops the passing result when another filter errored;
		// fc-eventing matches and still reports the error.
		{"or: pass with another filter's error", "filtersLogicalOperator: or\nfilters:\n  " + passingData + "\n  " + erroringExpr, true, "expr filter error"},
		{"or: error and failure", "filtersLogicalOperator: or\nfilters:\n  " + failingData + "\n  " + erroringExpr, false, "expr filter error"},
		{"or: empty filters match", "filtersLogicalOperator: or\nfilters: {}", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := compile(t, filterSensor(tt.fields))
			r := matchOne(t, p, ev("1", pushData))
			if r.Matched != tt.want {
				t.Errorf("matched = %v, want %v (err %v)", r.Matched, tt.want, r.Err)
			}
			if got := errString(r.Err); !strings.Contains(got, tt.wantErr) || (tt.wantErr == "" && got != "") {
				t.Errorf("err = %q, want %q", got, tt.wantErr)
			}
		})
	}
}

func TestRouting(t *testing.T) {
	t.Parallel()
	p := compile(t, `apiVersion: argoproj.io/v1alpha1
kind: Sensor
metadata: {name: s}
spec:
  dependencies:
    - {name: a, eventSourceName: es, eventName: e}
    - {name: b, eventSourceName: es, eventName: e, filters: {data: [{path: x, type: string, value: ["^1$"]}]}}
    - {name: c, eventSourceName: es, eventName: other}
    - {name: d, eventSourceName: other, eventName: e}
  triggers:
    - template: {name: t, conditions: a || b || c || d, log: {}}
`)
	res := evaluate(t, p, ev("1", `{"x": "2"}`))
	if len(res.Dependencies) != 2 || res.Dependencies[0].Name != "a" || !res.Dependencies[0].Matched ||
		res.Dependencies[1].Name != "b" || res.Dependencies[1].Matched {
		t.Errorf("dependencies = %+v", res.Dependencies)
	}
	e := ev("2", `{}`)
	e.Source = "unknown"
	if res := evaluate(t, p, e); len(res.Dependencies) != 0 || len(res.Firings) != 0 {
		t.Errorf("unrouted event: %+v", res)
	}
}
