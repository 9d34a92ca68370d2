package config

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// testEnv is the environment the event-source tests resolve secrets from.
var testEnv = map[string]string{
	"GITHUB_ACCESS_SECRET": "gh-secret",
	"GITLAB_TOKEN":         "gl-token",
	"GITEE_SECRET":         "gitee-secret",
	"CODEUP_TOKEN":         "codeup-token",
	"BITBUCKET_SECRET":     "bb-secret",
	"BITBUCKET_SERVER":     "bbs-secret",
	"HOOK_TOKEN":           "hook-token",
}

func lookupIn(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
}

func TestParseEventSourceAll(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/eventsource-all.yaml")
	if err != nil {
		t.Fatal(err)
	}
	es, err := ParseEventSourceEnv("eventsource-all.yaml", data, lookupIn(testEnv))
	if err != nil {
		t.Fatal(err)
	}
	if es.Metadata.Name != "ci" || es.Metadata.Namespace != "argo-events" {
		t.Errorf("metadata = %+v", es.Metadata)
	}
	gh := es.Spec.Github["push"]
	if diff := cmp.Diff([]string{"push", "pull_request"}, gh.Events); diff != "" {
		t.Errorf("github events (-want +got):\n%s", diff)
	}
	if gh.Filter == nil || gh.Filter.Expression != `body.ref == "refs/heads/main"` {
		t.Errorf("github filter = %+v", gh.Filter)
	}
	secrets := map[string]string{
		"github":          es.Secret(gh.WebhookSecret),
		"gitlab":          es.Secret(es.Spec.Gitlab["mr"].SecretToken),
		"gitee":           es.Secret(es.Spec.Gitee["gitee-push"].WebhookSecret),
		"codeup":          es.Secret(es.Spec.Codeup["codeup-push"].SecretToken),
		"bitbucket":       es.Secret(es.Spec.Bitbucket["bb"].WebhookSecret),
		"bitbucketserver": es.Secret(es.Spec.BitbucketServer["bbs"].WebhookSecret),
		"webhook":         es.Secret(es.Spec.Webhook["example"].AuthSecret),
		"api token":       es.Secret(gh.APIToken),
	}
	wantSecrets := map[string]string{
		"github": "gh-secret", "gitlab": "gl-token", "gitee": "gitee-secret", "codeup": "codeup-token",
		"bitbucket": "bb-secret", "bitbucketserver": "bbs-secret", "webhook": "hook-token",
		"api token": "", // ignored field: never resolved
	}
	if diff := cmp.Diff(wantSecrets, secrets); diff != "" {
		t.Errorf("secrets (-want +got):\n%s", diff)
	}
	wh := es.Spec.Webhook["example"]
	if wh.Endpoint != "/example" || wh.Method != "PUT" || wh.PayloadLimit() != 1024 {
		t.Errorf("webhook = %+v", wh.WebhookContext)
	}
	open := es.Spec.Webhook["open"]
	if got := open.PayloadLimit(); got != DefaultMaxPayloadSize {
		t.Errorf("default payload limit = %d", got)
	}
	if ep, m := WebhookRoute("ci", "open", &open.WebhookContext); ep != "/ci/open" || m != "POST" {
		t.Errorf("default route = %s %s", m, ep)
	}
	oss := es.Spec.OSS["uploads"]
	if oss.Bucket != "images" || oss.Prefix != "incoming/" || oss.Suffix != ".jpg" || len(oss.Events) != 2 {
		t.Errorf("oss = %+v", oss)
	}
	if !es.Spec.MNS["orders"].JSONBody || es.Spec.MNS["orders"].Queue != "orders" {
		t.Errorf("mns = %+v", es.Spec.MNS["orders"])
	}
	wantWarnings := []string{
		"spec.service: ignored: configures Argo Events' event-source pod",
		"spec.github.push.webhook: ignored: port/url configure Argo Events' pod and hook registration; the function URL serves the endpoint",
		"spec.github.push: ignored: apiToken/githubApp register hooks from Argo Events' pod; register the webhook in GitHub instead",
		"spec.webhook.example: ignored: port/url configure Argo Events' pod and hook registration; the function URL serves the endpoint",
		"spec.mns.orders: ignored: accessKey/secretKey/endpoint/waitTimeSeconds configure Argo Events' polling pod; messages are pushed to mns-source",
	}
	if diff := cmp.Diff(wantWarnings, es.Warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

func TestParseEventSourceErrors(t *testing.T) {
	t.Parallel()
	head := "apiVersion: argoproj.io/v1alpha1\nkind: EventSource\nmetadata:\n  name: es\n"
	tests := map[string]struct {
		yaml string
		env  map[string]string
		want string
	}{
		"missing secret names the variable": {
			yaml: head + "spec:\n  github:\n    push:\n      webhookSecret: {name: github-access, key: secret}\n",
			want: "f.yaml: spec.github.push.webhookSecret: environment variable GITHUB_ACCESS_SECRET (secret github-access, key secret) is not set",
		},
		"empty secret counts as missing": {
			yaml: head + "spec:\n  gitlab:\n    mr:\n      secretToken: {name: gl, key: token}\n",
			env:  map[string]string{"GL_TOKEN": ""},
			want: "f.yaml: spec.gitlab.mr.secretToken: environment variable GL_TOKEN (secret gl, key token) is not set",
		},
		"optional secret unset without opt-out": {
			yaml: head + "spec:\n  webhook:\n    w:\n      authSecret: {name: hook, key: token, optional: true}\n",
			want: "f.yaml: spec.webhook.w.authSecret: environment variable HOOK_TOKEN (secret hook, key token) is not set",
		},
		"webhook without auth": {
			yaml: head + "spec:\n  webhook:\n    w: {}\n",
			want: "f.yaml: spec.webhook.w.authSecret: is required (set allowUnauthenticated: true to accept unauthenticated requests)",
		},
		"github without secret": {
			yaml: head + "spec:\n  github:\n    push: {events: [push]}\n",
			want: "f.yaml: spec.github.push.webhookSecret: is required (set allowUnauthenticated: true to accept unauthenticated requests)",
		},
		"unsupported argo kind": {
			yaml: head + "spec:\n  calendar:\n    every: {interval: 10s}\n",
			want: `f.yaml: spec.calendar: event source type "calendar" is not supported by fc-eventing`,
		},
		"unknown spec key": {
			yaml: head + "spec:\n  githib:\n    push: {}\n",
			want: "f.yaml: spec.githib: unknown field",
		},
		"no events": {
			yaml: head + "spec: {}\n",
			want: "f.yaml: spec: defines no event",
		},
		"wrong kind": {
			yaml: "apiVersion: argoproj.io/v1alpha1\nkind: Sensor\nmetadata: {name: x}\nspec: {}\n",
			want: `f.yaml: kind: must be "EventSource", got "Sensor"`,
		},
		"missing name": {
			yaml: "apiVersion: argoproj.io/v1alpha1\nkind: EventSource\nspec: {}\n",
			want: "f.yaml: metadata.name: is required",
		},
		"bad filter expression": {
			yaml: head + "spec:\n  oss:\n    up:\n      filter: {expression: 'body.key ==='}\n",
			want: "f.yaml: spec.oss.up.filter.expression: unexpected token Operator(\"=\") (1:12)",
		},
		"duplicate event name across kinds": {
			yaml: head + "spec:\n  oss:\n    same: {}\n  mns:\n    same: {}\n",
			want: `f.yaml: spec.oss.same: event name "same" is also used by spec.mns.same`,
		},
		"duplicate route": {
			yaml: head + "spec:\n  webhook:\n    a: {endpoint: /x, allowUnauthenticated: true}\n    b: {endpoint: /x, allowUnauthenticated: true}\n",
			want: "f.yaml: spec.webhook.b.endpoint: POST /x is also served by spec.webhook.a",
		},
		"bad method": {
			yaml: head + "spec:\n  webhook:\n    a: {method: FETCH, allowUnauthenticated: true}\n",
			want: `f.yaml: spec.webhook.a.method: unknown HTTP method "FETCH"`,
		},
		"relative endpoint": {
			yaml: head + "spec:\n  github:\n    a:\n      webhook: {endpoint: push}\n      allowUnauthenticated: true\n",
			want: `f.yaml: spec.github.a.webhook.endpoint: must start with "/", got "push"`,
		},
		"bad payload size": {
			yaml: head + "spec:\n  webhook:\n    a: {maxPayloadSize: 0, allowUnauthenticated: true}\n",
			want: "f.yaml: spec.webhook.a.maxPayloadSize: must be positive, got 0",
		},
		"bad gitee mode": {
			yaml: head + "spec:\n  gitee:\n    g: {tokenMode: plain, allowUnauthenticated: true}\n",
			want: `f.yaml: spec.gitee.g.tokenMode: must be "signature" or "password", got "plain"`,
		},
		"mns queue and topic": {
			yaml: head + "spec:\n  mns:\n    m: {queue: q, topic: t}\n",
			want: `f.yaml: spec.mns.m.topic: an event takes messages of a queue or of a topic, not both (queue "q")`,
		},
		"empty oss pattern": {
			yaml: head + "spec:\n  oss:\n    up: {events: ['']}\n",
			want: "f.yaml: spec.oss.up.events[0]: is empty",
		},
		"type mismatch": {
			yaml: head + "spec:\n  github:\n    push: {events: push}\n",
			want: "f.yaml: decoding YAML: json: cannot unmarshal string into Go struct field",
		},
		"invalid yaml": {
			yaml: "kind: [\n",
			want: "f.yaml: decoding YAML: yaml: line 1",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseEventSourceEnv("f.yaml", []byte(tc.yaml), lookupIn(tc.env))
			if err == nil {
				t.Fatal("want an error, got none")
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not match ErrInvalid", err)
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error:\n got %s\nwant %s", err, tc.want)
			}
		})
	}
}

func TestAllowUnauthenticated(t *testing.T) {
	t.Parallel()
	y := "apiVersion: argoproj.io/v1alpha1\nkind: EventSource\nmetadata: {name: es}\nspec:\n  webhook:\n    w:\n      allowUnauthenticated: true\n      authSecret: {name: hook, key: token, optional: true}\n"
	es, err := ParseEventSourceEnv("f.yaml", []byte(y), lookupIn(nil))
	if err != nil {
		t.Fatal(err)
	}
	if got := es.Secret(es.Spec.Webhook["w"].AuthSecret); got != "" {
		t.Errorf("secret = %q, want empty", got)
	}
}

func TestLoadEventSources(t *testing.T) {
	t.Setenv("GITHUB_ACCESS_SECRET", "s3cret")
	list, err := LoadEventSources("testdata/eventsource-dir")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, es := range list {
		names = append(names, es.Metadata.Name)
	}
	if diff := cmp.Diff([]string{"github", "storage"}, names); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	if got := list[0].Secret(list[0].Spec.Github["push"].WebhookSecret); got != "s3cret" {
		t.Errorf("secret = %q", got)
	}
	es, err := LoadEventSource("testdata/eventsource-dir/github.yaml")
	if err != nil || es.Metadata.Name != "github" {
		t.Errorf("LoadEventSource = %v, %v", es, err)
	}

	dir := t.TempDir()
	for _, f := range []string{"a.yaml", "b.yaml"} {
		src, _ := os.ReadFile("testdata/eventsource-dir/github.yaml")
		if err := os.WriteFile(filepath.Join(dir, f), src, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	_, err = LoadEventSources(dir)
	if err == nil || !strings.Contains(err.Error(), `metadata.name: event source "github" is also defined in`) {
		t.Errorf("duplicate names: error = %v", err)
	}
	t.Setenv("GITHUB_ACCESS_SECRET", "")
	if _, err := LoadEventSources("testdata/eventsource-dir"); err == nil || !strings.Contains(err.Error(), "GITHUB_ACCESS_SECRET") {
		t.Errorf("missing secret: error = %v", err)
	}
}

func TestYAMLFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, f := range []string{"b.yml", "a.YAML", "sub/c.json", "notes.txt", "sub/d.yaml.bak"} {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for path, err := range YAMLFiles(dir) {
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(dir, path)
		got = append(got, filepath.ToSlash(rel))
	}
	if diff := cmp.Diff([]string{"a.YAML", "b.yml", "sub/c.json"}, got); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	for path := range YAMLFiles(dir) {
		if !strings.HasSuffix(path, "a.YAML") {
			t.Errorf("first file = %s", path)
		}
		break
	}
	n := 0
	for path, err := range YAMLFiles(filepath.Join(dir, "missing")) {
		n++
		if path != "" || !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("missing dir yields %q, %v", path, err)
		}
	}
	if n != 1 {
		t.Errorf("missing dir yields %d results, want 1", n)
	}
}

func FuzzParseEventSource(f *testing.F) {
	for _, p := range []string{"testdata/eventsource-all.yaml", "testdata/eventsource-dir/github.yaml", "testdata/eventsource-dir/nested/oss.json"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	lookup := lookupIn(testEnv)
	f.Fuzz(func(t *testing.T, data []byte) {
		es, err := ParseEventSourceEnv("fuzz.yaml", data, lookup)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v is not a FieldError", err)
			}
			return
		}
		if es.Metadata.Name == "" {
			t.Fatal("accepted an event source without a name")
		}
	})
}

// Fields fc-eventing does not model below an event source's own key are
// ignored, as Argo Events' controller ignores them; such a document takes
// the lenient decode and reads the same as without them.
func TestParseEventSourceIgnoredFields(t *testing.T) {
	t.Parallel()
	head := "apiVersion: argoproj.io/v1alpha1\nkind: EventSource\nmetadata:\n  name: es\n"
	plain := head + "spec:\n  github:\n    push:\n      webhookSecret: {name: github-access, key: secret}\n      events: [push]\n"
	extra := head + "spec:\n  github:\n    push:\n      webhookSecret: {name: github-access, key: secret}\n      events: [push]\n      futureField: {a: 1}\n"
	lookup := lookupIn(testEnv)
	want, err := ParseEventSourceEnv("f.yaml", []byte(plain), lookup)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseEventSourceEnv("f.yaml", []byte(extra), lookup)
	if err != nil {
		t.Fatalf("unknown nested fields refused: %v", err)
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(EventSource{})); diff != "" {
		t.Errorf("decoded differently (-plain +extra):\n%s", diff)
	}
	_, err = ParseEventSourceEnv("f.yaml", []byte(extra+"  githib: {}\n"), lookup)
	if err == nil || err.Error() != "f.yaml: spec.githib: unknown field" {
		t.Errorf("unknown spec key next to unknown nested fields: %v", err)
	}
}

// Every kind, encoded through its MarshalJSON, decodes back to itself: the
// methods that keep encoding/json from building every kind's encoder at
// load encode all fields.
func TestEventSourceJSONRoundTrip(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/eventsource-all.yaml")
	if err != nil {
		t.Fatal(err)
	}
	lookup := lookupIn(testEnv)
	es, err := ParseEventSourceEnv("eventsource-all.yaml", data, lookup)
	if err != nil {
		t.Fatal(err)
	}
	kinds := reflect.ValueOf(es.Spec)
	for i := range kinds.NumField() {
		if f := kinds.Field(i); f.Kind() == reflect.Map && f.Len() == 0 {
			t.Errorf("testdata/eventsource-all.yaml has no %s event", kinds.Type().Field(i).Name)
		}
	}
	encoded, err := json.Marshal(es)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseEventSourceEnv("encoded.json", encoded, lookup)
	if err != nil {
		t.Fatalf("decoding the encoded event source: %v\n%s", err, encoded)
	}
	if diff := cmp.Diff(es, back, cmp.AllowUnexported(EventSource{})); diff != "" {
		t.Errorf("round trip (-decoded +encoded and decoded again):\n%s", diff)
	}
}
