package deploy

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// Functions are the deployed functions, as DESIGN.md names them; each is a
// resource of s.yaml, a directory under functions/ and a zip under dist/.
var Functions = []string{"webhook", "oss-source", "mns-source", "eventbridge-source", "sensor"}

// wantTrigger is what each function's triggers must be: trigger type, and for
// eventbridge triggers the event source type.
type wantTrigger struct {
	Type        string
	EventSource string
}

var wantTriggers = map[string][]wantTrigger{
	"webhook":            {{Type: "http"}},
	"oss-source":         {{Type: "oss"}},
	"mns-source":         {{Type: "mns_topic"}, {Type: "eventbridge", EventSource: "MNS"}},
	"eventbridge-source": {{Type: "eventbridge", EventSource: "Default"}},
	"sensor":             {{Type: "eventbridge", EventSource: "MNS"}},
}

// fc3Props are the function properties of the fc3 component's JSON schema;
// a key outside this set is a misspelling fc3 would refuse or ignore.
var fc3Props = setOf("asyncInvokeConfig", "code", "cpu", "customContainerConfig", "customDNS",
	"customRuntimeConfig", "description", "diskSize", "endpoint", "environmentVariables", "functionName",
	"gpuConfig", "handler", "instanceConcurrency", "instanceLifecycleConfig", "internetAccess", "layers",
	"logConfig", "memorySize", "nasConfig", "ossMountConfig", "region", "role", "runtime", "timeout",
	"tracingConfig", "triggers", "vpcBinding", "vpcConfig")

// fc3Regions are the regions the fc3 schema accepts.
var fc3Regions = setOf("ap-northeast-1", "ap-northeast-2", "ap-south-1", "ap-southeast-1", "ap-southeast-2",
	"ap-southeast-3", "ap-southeast-5", "ap-southeast-7", "cn-beijing", "cn-chengdu", "cn-hangzhou",
	"cn-hongkong", "cn-huhehaote", "cn-qingdao", "cn-shanghai", "cn-shenzhen", "cn-zhangjiakou",
	"eu-central-1", "eu-west-1", "us-east-1", "us-west-1")

// ossEvents are the OSS trigger events the fc3 schema accepts.
var ossEvents = setOf("oss:ObjectCreated:*", "oss:ObjectCreated:AppendObject",
	"oss:ObjectCreated:CompleteMultipartUpload", "oss:ObjectCreated:CopyObject",
	"oss:ObjectCreated:InitiateMultipartUpload", "oss:ObjectCreated:PostObject", "oss:ObjectCreated:PutObject",
	"oss:ObjectCreated:PutSymlink", "oss:ObjectCreated:UploadPart", "oss:ObjectCreated:UploadPartCopy",
	"oss:ObjectModified:UpdateObjectMeta", "oss:ObjectRemoved:AbortMultipartUpload",
	"oss:ObjectRemoved:DeleteObject", "oss:ObjectRemoved:DeleteObjects")

var triggerKeys = setOf("triggerName", "triggerType", "qualifier", "sourceArn", "invocationRole",
	"triggerConfig", "description")

// Keys of each trigger type's triggerConfig in the fc3 specification.
var triggerConfigKeys = map[string]map[string]bool{
	"http":        setOf("authType", "disableURLInternet", "methods", "authConfig"),
	"oss":         setOf("events", "filter"),
	"mns_topic":   setOf("filterTag", "notifyContentFormat", "notifyStrategy"),
	"eventbridge": setOf("asyncInvocationType", "eventRuleFilterPattern", "eventSinkConfig", "eventSourceConfig", "runOptions", "triggerEnable"),
}

var runOptionKeys = setOf("batchWindow", "deadLetterQueue", "errorsTolerance", "maximumTasks", "mode", "retryStrategy")

func setOf(keys ...string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}

// envRow is one row of the environment variable table of docs/deploy.md.
type envRow struct {
	Name   string
	ReadBy []string // function names
	// SetByFC marks variables Function Compute sets itself (the role's
	// credentials): they must not appear in s.yaml, which would override them.
	SetByFC bool
	// Var is the s.yaml var that sets the variable, when the table names one.
	Var string
}

var (
	envName  = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)
	varsRef  = regexp.MustCompile(`\$\{vars\.([A-Za-z0-9_]+)\}`)
	magicRef = regexp.MustCompile(`\$\{([a-z]+)\(`)
	envRef   = regexp.MustCompile(`^\$\{env\('([A-Z][A-Z0-9_]*)'(, '[^']*')?\)\}$`)
	tableVar = regexp.MustCompile("^`([a-z][A-Za-z0-9]*)`")
)

// parseEnvTable reads the one table of the "## Environment variables"
// section of the deploy guide.
func parseEnvTable(doc string) ([]envRow, error) {
	start := strings.Index(doc, "\n## Environment variables\n")
	if start < 0 {
		return nil, fmt.Errorf(`no "## Environment variables" section`)
	}
	section := doc[start+1:]
	if end := strings.Index(section[3:], "\n## "); end >= 0 {
		section = section[:end+3]
	}
	var rows []envRow
	seen := map[string]bool{}
	for _, line := range strings.Split(section, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) < 4 {
			return nil, fmt.Errorf("row %q: want 4 cells (variable, used by, s.yaml value, meaning)", line)
		}
		name := strings.Trim(strings.TrimSpace(cells[0]), "`")
		if !envName.MatchString(name) {
			return nil, fmt.Errorf("row %q: %q is not an environment variable name", line, name)
		}
		if seen[name] {
			return nil, fmt.Errorf("%s is listed twice", name)
		}
		seen[name] = true
		row := envRow{Name: name, SetByFC: strings.Contains(strings.ToLower(cells[2]), "set by function compute")}
		if m := tableVar.FindStringSubmatch(strings.TrimSpace(cells[2])); m != nil {
			row.Var = m[1]
		}
		readBy := strings.TrimSpace(cells[1])
		if readBy == "all" {
			row.ReadBy = Functions
		} else {
			for _, f := range strings.Split(readBy, ",") {
				f = strings.Trim(strings.TrimSpace(f), "`")
				if !contains(Functions, f) {
					return nil, fmt.Errorf("%s: read by unknown function %q", name, f)
				}
				row.ReadBy = append(row.ReadBy, f)
			}
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("the environment variable table has no rows")
	}
	return rows, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// checkSYAML returns every problem of an s.yaml document against the
// expected functions, triggers and the documented environment variables.
func checkSYAML(data []byte, env []envRow) []string {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return []string{fmt.Sprintf("parsing s.yaml: %v", err)}
	}
	if doc["edition"] != "3.0.0" {
		bad("edition is %v, want 3.0.0", doc["edition"])
	}
	vars, _ := doc["vars"].(map[string]any)
	if vars == nil {
		bad("no vars: shared settings belong in vars")
	}

	// Every ${vars.X} names a defined var; only env() and config('AccountID') are used.
	for _, m := range varsRef.FindAllStringSubmatch(string(data), -1) {
		if _, ok := vars[m[1]]; !ok {
			bad("${vars.%s} is used but not defined in vars", m[1])
		}
	}
	for _, m := range magicRef.FindAllStringSubmatch(string(data), -1) {
		if m[1] != "env" && m[1] != "config" {
			bad("${%s(...)} is not a variable this s.yaml should use", m[1])
		}
	}

	resources, _ := doc["resources"].(map[string]any)
	for name := range resources {
		if !contains(Functions, name) {
			bad("resource %q is not one of the functions %v", name, Functions)
		}
	}
	documented := map[string]envRow{}
	for _, r := range env {
		documented[r.Name] = r
	}
	for _, fn := range Functions {
		res, _ := resources[fn].(map[string]any)
		if res == nil {
			bad("function %s: missing from resources", fn)
			continue
		}
		if res["component"] != "fc3" {
			bad("function %s: component is %v, want fc3", fn, res["component"])
		}
		props, _ := res["props"].(map[string]any)
		if props == nil {
			bad("function %s: no props", fn)
			continue
		}
		for k := range props {
			if !fc3Props[k] {
				bad("function %s: unknown property %q", fn, k)
			}
		}
		want := map[string]any{
			"runtime":      "go1",
			"handler":      "main",
			"code":         "./dist/" + fn + ".zip",
			"functionName": "fc-eventing-" + fn,
			"region":       "${vars.region}",
		}
		for _, k := range sortedKeys(want) {
			if props[k] != want[k] {
				bad("function %s: %s is %v, want %v", fn, k, props[k], want[k])
			}
		}
		if r, _ := props["role"].(string); !strings.HasPrefix(r, "${vars.") {
			bad("function %s: role %q should come from vars", fn, props["role"])
		}
		if r, _ := resolve(vars, props["region"]).(string); !fc3Regions[r] {
			bad("function %s: region %v is not a region fc3 knows", fn, resolve(vars, props["region"]))
		}
		if m, ok := resolve(vars, props["memorySize"]).(float64); !ok || m < 128 || int(m)%64 != 0 || m != float64(int(m)) {
			bad("function %s: memorySize %v, want a multiple of 64 from 128", fn, resolve(vars, props["memorySize"]))
		}
		if c, ok := resolve(vars, props["cpu"]).(float64); !ok || c < 0.05 || c > 16 {
			bad("function %s: cpu %v, want 0.05 to 16", fn, resolve(vars, props["cpu"]))
		}
		if d := resolve(vars, props["diskSize"]); d != nil && d != 512.0 && d != 10240.0 {
			bad("function %s: diskSize %v, want 512 or 10240", fn, d)
		}
		if tm, ok := resolve(vars, props["timeout"]).(float64); !ok || tm < 1 {
			bad("function %s: timeout %v, want whole seconds", fn, props["timeout"])
		}
		if lc, _ := props["logConfig"].(map[string]any); lc["project"] != "${vars.logProject}" || lc["logstore"] != "${vars.logStore}" {
			bad("function %s: logConfig %v, want project ${vars.logProject} and logstore ${vars.logStore}", fn, props["logConfig"])
		}
		if vpc, ok := props["vpcConfig"].(map[string]any); ok {
			for _, k := range []string{"vpcId", "vSwitchIds", "securityGroupId"} {
				if vpc[k] == nil {
					bad("function %s: vpcConfig has no %s", fn, k)
				}
			}
		}

		vals, _ := props["environmentVariables"].(map[string]any)
		for k, v := range vals {
			if _, ok := resolve(vars, v).(string); !ok {
				bad("function %s: %s is %v, FC takes only string values (quote it in vars)", fn, k, resolve(vars, v))
			}
			row, ok := documented[k]
			switch {
			case ok && row.SetByFC:
				bad("function %s: %s is set by Function Compute for the role and must not be set in s.yaml", fn, k)
			case ok && !contains(row.ReadBy, fn):
				bad("function %s: sets %s, which the deploy guide says only %v read", fn, k, row.ReadBy)
			case !ok && strings.HasPrefix(k, "FCE_"):
				bad("function %s: %s is not in the deploy guide's environment variable table", fn, k)
			case !ok:
				// A secret an EventSource references: it must come from the deploying shell.
				if s, _ := v.(string); !envRef.MatchString(s) {
					bad("function %s: %s is neither documented nor a secret taken from ${env('%s')}", fn, k, k)
				}
			}
		}
		for _, row := range env {
			if row.SetByFC || !contains(row.ReadBy, fn) {
				continue
			}
			v, ok := vals[row.Name]
			if !ok {
				bad("function %s: environment variable %s is missing", fn, row.Name)
				continue
			}
			if row.Var != "" && v != "${vars."+row.Var+"}" {
				bad("function %s: %s is %v, the deploy guide says ${vars.%s}", fn, row.Name, v, row.Var)
			}
		}
		checkTriggers(fn, props["triggers"], bad)
	}
	return problems
}

// resolve returns the value of a whole-value ${vars.NAME} reference, the way
// Serverless Devs substitutes it (keeping its type), or v itself.
func resolve(vars map[string]any, v any) any {
	s, ok := v.(string)
	if !ok {
		return v
	}
	m := varsRef.FindStringSubmatch(s)
	if m == nil || m[0] != s {
		return v
	}
	return vars[m[1]]
}

func checkTriggers(fn string, raw any, bad func(string, ...any)) {
	list, _ := raw.([]any)
	want := wantTriggers[fn]
	if len(list) != len(want) {
		bad("function %s: %d triggers, want %d", fn, len(list), len(want))
	}
	names := map[string]bool{}
	for i, w := range want {
		if i >= len(list) {
			bad("function %s: missing %s trigger", fn, w.Type)
			continue
		}
		tr, _ := list[i].(map[string]any)
		for k := range tr {
			if !triggerKeys[k] {
				bad("function %s: trigger %d: unknown key %q", fn, i, k)
			}
		}
		tname, _ := tr["triggerName"].(string)
		if tname == "" || names[tname] {
			bad("function %s: trigger %d: missing or repeated triggerName %q", fn, i, tname)
		}
		names[tname] = true
		if tr["triggerType"] != w.Type {
			bad("function %s: trigger %s: type %v, want %s", fn, tname, tr["triggerType"], w.Type)
			continue
		}
		cfg, _ := tr["triggerConfig"].(map[string]any)
		if cfg == nil {
			bad("function %s: trigger %s: no triggerConfig", fn, tname)
			continue
		}
		for k := range cfg {
			if !triggerConfigKeys[w.Type][k] {
				bad("function %s: trigger %s: unknown triggerConfig key %q", fn, tname, k)
			}
		}
		switch w.Type {
		case "http":
			if cfg["authType"] != "anonymous" {
				bad("function %s: http trigger authType %v, want anonymous (the function verifies signatures)", fn, cfg["authType"])
			}
			if m, _ := json.Marshal(cfg["methods"]); string(m) != `["POST"]` {
				bad("function %s: http trigger methods %s, want [\"POST\"]", fn, m)
			}
		case "oss":
			ev, _ := cfg["events"].([]any)
			if len(ev) == 0 {
				bad("function %s: oss trigger has no events", fn)
			}
			for _, e := range ev {
				if es, _ := e.(string); !ossEvents[es] {
					bad("function %s: oss trigger event %v is not an OSS event fc3 knows", fn, e)
				}
			}
			filter, _ := cfg["filter"].(map[string]any)
			key, _ := filter["key"].(map[string]any)
			if _, ok := key["prefix"]; !ok {
				bad("function %s: oss trigger has no filter.key.prefix", fn)
			}
			if _, ok := key["suffix"]; !ok {
				bad("function %s: oss trigger has no filter.key.suffix", fn)
			}
			checkSourceArn(fn, tr, "acs:oss:", bad)
		case "mns_topic":
			if f := cfg["notifyContentFormat"]; f != "JSON" && f != "STREAM" {
				bad("function %s: mns_topic notifyContentFormat %v, want JSON or STREAM", fn, f)
			}
			if st := cfg["notifyStrategy"]; st != "BACKOFF_RETRY" && st != "EXPONENTIAL_DECAY_RETRY" {
				bad("function %s: mns_topic notifyStrategy %v, want BACKOFF_RETRY or EXPONENTIAL_DECAY_RETRY", fn, st)
			}
			checkSourceArn(fn, tr, "acs:mns:", bad)
		case "eventbridge":
			checkEventBridge(fn, tname, w, cfg, bad)
		}
	}
}

func checkSourceArn(fn string, tr map[string]any, prefix string, bad func(string, ...any)) {
	if s, _ := tr["sourceArn"].(string); !strings.HasPrefix(s, prefix) {
		bad("function %s: trigger sourceArn %v, want %s...", fn, tr["sourceArn"], prefix)
	}
	if s, _ := tr["invocationRole"].(string); s == "" {
		bad("function %s: trigger %v has no invocationRole", fn, tr["triggerName"])
	}
}

func checkEventBridge(fn, tname string, w wantTrigger, cfg map[string]any, bad func(string, ...any)) {
	// The fc3 schema requires all of these on an eventbridge trigger.
	for _, k := range []string{"asyncInvocationType", "eventRuleFilterPattern", "eventSinkConfig", "eventSourceConfig", "runOptions", "triggerEnable"} {
		if _, ok := cfg[k]; !ok {
			bad("function %s: trigger %s: no %s", fn, tname, k)
		}
	}
	if _, ok := cfg["eventRuleFilterPattern"].(string); !ok {
		bad("function %s: trigger %s: eventRuleFilterPattern must be a JSON string", fn, tname)
	}
	sink, _ := cfg["eventSinkConfig"].(map[string]any)
	delivery, _ := sink["deliveryOption"].(map[string]any)
	if delivery == nil {
		bad("function %s: trigger %s: eventSinkConfig has no deliveryOption", fn, tname)
	}
	run, _ := cfg["runOptions"].(map[string]any)
	for _, mode := range []any{delivery["mode"], run["mode"]} {
		if mode != nil && mode != "event-driven" && mode != "event-streaming" {
			bad("function %s: trigger %s: delivery mode %v, want event-driven or event-streaming", fn, tname, mode)
		}
	}
	if delivery["mode"] != nil && run["mode"] != nil && delivery["mode"] != run["mode"] {
		bad("function %s: trigger %s: eventSinkConfig and runOptions disagree on the mode", fn, tname)
	}
	src, _ := cfg["eventSourceConfig"].(map[string]any)
	if src["eventSourceType"] != w.EventSource {
		bad("function %s: trigger %s: eventSourceType %v, want %s", fn, tname, src["eventSourceType"], w.EventSource)
	}
	if _, ok := src["eventSourceParameters"].(map[string]any); !ok {
		bad("function %s: trigger %s: eventSourceConfig has no eventSourceParameters", fn, tname)
	}
	if w.EventSource != "MNS" {
		return
	}
	params, _ := src["eventSourceParameters"].(map[string]any)
	mns, _ := params["sourceMNSParameters"].(map[string]any)
	if q, _ := mns["QueueName"].(string); q == "" {
		bad("function %s: trigger %s: no sourceMNSParameters.QueueName", fn, tname)
	}
	if run == nil {
		bad("function %s: trigger %s: no runOptions (event streaming, retries, dead-letter queue)", fn, tname)
		return
	}
	for k := range run {
		if !runOptionKeys[k] {
			bad("function %s: trigger %s: unknown runOptions key %q", fn, tname, k)
		}
	}
	if run["mode"] != "event-streaming" {
		bad("function %s: trigger %s: runOptions.mode %v, want event-streaming", fn, tname, run["mode"])
	}
	if run["errorsTolerance"] != "ALL" {
		bad("function %s: trigger %s: errorsTolerance %v, want ALL", fn, tname, run["errorsTolerance"])
	}
	bw, _ := run["batchWindow"].(map[string]any)
	if bw["CountBasedWindow"] == nil || bw["TimeBasedWindow"] == nil {
		bad("function %s: trigger %s: batchWindow needs CountBasedWindow and TimeBasedWindow", fn, tname)
	}
	rs, _ := run["retryStrategy"].(map[string]any)
	if p := rs["PushRetryStrategy"]; p != "BACKOFF_RETRY" && p != "EXPONENTIAL_DECAY_RETRY" {
		bad("function %s: trigger %s: retryStrategy.PushRetryStrategy %v", fn, tname, p)
	}
	dlq, _ := run["deadLetterQueue"].(map[string]any)
	if arn, _ := dlq["Arn"].(string); !strings.HasPrefix(arn, "acs:mns:") || !strings.Contains(arn, "/queues/") {
		bad("function %s: trigger %s: deadLetterQueue.Arn %v is not an SMQ queue ARN", fn, tname, dlq["Arn"])
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func readRepoFile(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func loadEnvTable(t *testing.T) []envRow {
	t.Helper()
	rows, err := parseEnvTable(string(readRepoFile(t, "docs/deploy.md")))
	if err != nil {
		t.Fatalf("docs/deploy.md: %v", err)
	}
	return rows
}

func TestSYAML(t *testing.T) {
	t.Parallel()
	for _, p := range checkSYAML(readRepoFile(t, "s.yaml"), loadEnvTable(t)) {
		t.Error(p)
	}
}

// TestSYAMLCheckCatches proves the check fails on the mistakes it exists for:
// each row breaks a copy of the real s.yaml in one way.
func TestSYAMLCheckCatches(t *testing.T) {
	t.Parallel()
	good := string(readRepoFile(t, "s.yaml"))
	env := loadEnvTable(t)
	tests := map[string]struct {
		old, new string
		want     string
	}{
		"misspelt handler":       {"handler: main\n", "handler: mian\n", "handler is mian"},
		"wrong runtime":          {"runtime: go1\n", "runtime: custom.debian10\n", "runtime is custom.debian10"},
		"misspelt code path":     {"./dist/sensor.zip", "./dist/sensors.zip", "code is ./dist/sensors.zip"},
		"missing function":       {"\n  eventbridge-source:\n", "\n  eventbridge-sourc:\n", "function eventbridge-source: missing"},
		"misspelt env var":       {"FCE_SMQ_DLQ:", "FCE_SMQ_DQL:", "FCE_SMQ_DQL is not in the deploy guide"},
		"missing env var":        {"        FCE_STATE: ${vars.state}\n", "", "environment variable FCE_STATE is missing"},
		"undefined var":          {"${vars.busDLQ}", "${vars.busDlq}", "${vars.busDlq} is used but not defined"},
		"misspelt property":      {"memorySize: ${vars.sensorMemory}", "memorysize: ${vars.sensorMemory}", `unknown property "memorysize"`},
		"wrong trigger type":     {"triggerType: mns_topic", "triggerType: mns", "type mns, want mns_topic"},
		"no dead-letter queue":   {"errorsTolerance: ALL", "errorsTolerance: NONE", "errorsTolerance NONE, want ALL"},
		"http trigger with auth": {"authType: anonymous", "authType: function", "authType function"},
		"role credentials set":   {"FCE_STATE: ${vars.state}\n", "FCE_STATE: ${vars.state}\n        ALIBABA_CLOUD_ACCESS_KEY_ID: x\n", "set by Function Compute"},
		"hard-coded secret":      {"GITHUB_ACCESS_SECRET: ${env('GITHUB_ACCESS_SECRET', '')}", "GITHUB_ACCESS_SECRET: hunter2", "neither documented nor a secret"},
		"numeric env value":      {"maxDeliveries: '5'", "maxDeliveries: 5", "FC takes only string values"},
		"env from another var":   {"FCE_SMQ_DLQ: ${vars.busDLQ}", "FCE_SMQ_DLQ: ${vars.busQueue}", "the deploy guide says ${vars.busDLQ}"},
		"odd memory size":        {"sensorMemory: 256", "sensorMemory: 200", "memorySize 200"},
		"unknown region":         {"region: cn-hangzhou", "region: cn-hangzou", "region cn-hangzou"},
		"no run options":         {"            runOptions:\n              mode: event-driven\n", "", "no runOptions"},
		"unknown delivery mode":  {"                mode: event-driven\n", "                mode: event-drivn\n", "delivery mode event-drivn"},
		"no source parameters":   {"              eventSourceParameters: {}\n", "", "no eventSourceParameters"},
		"no logs":                {"        logstore: ${vars.logStore}\n", "", "want project ${vars.logProject} and logstore"},
		"unknown OSS event":      {"oss:ObjectRemoved:DeleteObject", "oss:ObjectDeleted", "oss:ObjectDeleted is not an OSS event"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if !strings.Contains(good, tc.old) {
				t.Fatalf("s.yaml no longer contains %q; update this row", tc.old)
			}
			broken := strings.Replace(good, tc.old, tc.new, 1)
			problems := checkSYAML([]byte(broken), env)
			for _, p := range problems {
				if strings.Contains(p, tc.want) {
					return
				}
			}
			t.Errorf("no problem mentions %q; got %q", tc.want, problems)
		})
	}
}

// TestMakefileBuildsEveryFunction ties s.yaml's code paths to what make build writes.
func TestMakefileBuildsEveryFunction(t *testing.T) {
	t.Parallel()
	mk := string(readRepoFile(t, "Makefile"))
	m := regexp.MustCompile(`(?m)^FUNCTIONS\s*:=\s*(.+)$`).FindStringSubmatch(mk)
	if m == nil {
		t.Fatal("Makefile defines no FUNCTIONS")
	}
	got := strings.Fields(m[1])
	sort.Strings(got)
	want := append([]string(nil), Functions...)
	sort.Strings(want)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("Makefile FUNCTIONS = %v, want %v", got, want)
	}
}
