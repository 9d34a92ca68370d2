package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/fc-eventing/fc-eventing/shared/fc"
	"github.com/fc-eventing/fc-eventing/shared/sensor"
	"github.com/fc-eventing/fc-eventing/shared/source/github"
	"github.com/fc-eventing/fc-eventing/test/kube"
)

// serveSecret is the GitHub webhook secret of the test configuration.
const serveSecret = "serve-test-secret"

// serveConfig writes the examples' sensors and event sources into a
// directory of their own.
func serveConfig(t testing.TB) string {
	t.Helper()
	t.Setenv("GITHUB_WEBHOOK_SECRET", serveSecret)
	t.Setenv("REGISTRY_HOOK_TOKEN", "registry-token")
	t.Setenv("APPROVALS_HOOK_TOKEN", "approvals-token")
	t.Setenv("GITLAB_WEBHOOK_TOKEN", "gitlab-token")
	dir := t.TempDir()
	for _, sub := range []string{"sensors", "eventsources"} {
		src := filepath.Join("..", "..", "examples", sub)
		entries, err := os.ReadDir(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
		for _, en := range entries {
			b, err := os.ReadFile(filepath.Join(src, en.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, sub, en.Name()), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

// lockedBuffer is the standard error of a serve running in the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// lines decodes the JSON log lines written so far.
func (l *lockedBuffer) lines(t testing.TB) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, s := range strings.Split(strings.TrimSpace(l.String()), "\n") {
		if s == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", s)
		}
		out = append(out, m)
	}
	return out
}

// running is a serve started by startServe.
type running struct {
	url    string
	stderr *lockedBuffer
	stop   context.CancelFunc
	code   chan int
}

// startServe runs `fceventing serve` with args on a free port and waits
// until it serves.
func startServe(t testing.TB, getenv func(string) (string, bool), args ...string) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{stderr: &lockedBuffer{}, stop: cancel, code: make(chan int, 1)}
	e := &env{stdout: &bytes.Buffer{}, stderr: r.stderr, getenv: getenv}
	go func() { r.code <- run(ctx, e, append([]string{"serve", "--listen", "127.0.0.1:0"}, args...)) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.code:
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop")
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for _, l := range r.stderr.lines(t) {
			if l["msg"] == "serving" {
				r.url = l["url"].(string)
				return r
			}
		}
		select {
		case code := <-r.code:
			r.code <- code
			t.Fatalf("serve exited with %d:\n%s", code, r.stderr)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("serve did not start:\n%s", r.stderr)
	return nil
}

// shutdown stops serve as SIGTERM does and returns its exit status.
func (r *running) shutdown(t testing.TB) int {
	t.Helper()
	r.stop()
	select {
	case code := <-r.code:
		r.code <- code
		return code
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not stop:\n%s", r.stderr)
	}
	return -1
}

func noEnv(string) (string, bool) { return "", false }

// githubPush is a GitHub push delivery signed with secret.
func githubPush(t testing.TB, url, secret, delivery string) *http.Request {
	t.Helper()
	body := []byte(`{"ref":"refs/heads/main","after":"` + strings.Repeat("c", 40) + `","deleted":false,` +
		`"commits":[{"id":"c"}],"head_commit":{"message":"fix the build"},"pusher":{"name":"octocat"},` +
		`"repository":{"clone_url":"https://github.com/example/app.git"}}`)
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(github.HeaderEvent, "push")
	req.Header.Set(github.HeaderDelivery, delivery)
	req.Header.Set(github.HeaderSignature, "sha256="+hex.EncodeToString(mac.Sum(nil)))
	return req
}

func send(t testing.TB, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String()
}

// waitFile waits for path to exist and decodes it.
func waitFile(t testing.TB, path string, logs fmt.Stringer) map[string]any {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		b, err := os.ReadFile(path)
		if err == nil {
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not appear:\n%s", path, logs)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// ciName is the name the example github-push sensor gives the Workflow of
// a delivery.
func ciName(delivery string) string {
	return sensor.ObjectName("ci-", "github-push", "ci", []string{"push"}, []string{delivery})
}

// TestServeGitHubPush: a signed GitHub delivery to the webhook endpoint
// becomes a Workflow file with its deterministic name and labels; the same
// delivery again creates nothing new; a forged one is refused; shutdown
// through the context ends serve with status 0.
func TestServeGitHubPush(t *testing.T) {
	dir := serveConfig(t)
	out := t.TempDir()
	r := startServe(t, noEnv, "--config", dir, "--bus", "memory", "--dry-run", "--out", out)

	status, body := send(t, githubPush(t, r.url+"/github/push", serveSecret, "delivery-1"))
	if status != http.StatusOK || !strings.Contains(body, "delivery-1") {
		t.Fatalf("delivery answered %d %s", status, body)
	}
	path := filepath.Join(out, "argo", ciName("delivery-1")+".json")
	obj := waitFile(t, path, r.stderr)
	md := obj["metadata"].(map[string]any)
	labels := md["labels"].(map[string]any)
	if md["name"] != ciName("delivery-1") || md["namespace"] != "argo" ||
		labels[sensor.LabelSensor] != "github-push" || labels[sensor.LabelTrigger] != "ci" {
		t.Errorf("metadata = %v", md)
	}
	spec := obj["spec"].(map[string]any)
	params := spec["arguments"].(map[string]any)["parameters"].([]any)
	if v := params[0].(map[string]any)["value"]; v != "https://github.com/example/app.git" {
		t.Errorf("repo parameter = %v", v)
	}
	if spec["serviceAccountName"] != "ci-runner" {
		t.Errorf("serviceAccountName = %v", spec["serviceAccountName"])
	}

	// Redelivery: GitHub sends the same delivery id again.
	if status, body := send(t, githubPush(t, r.url+"/github/push", serveSecret, "delivery-1")); status != http.StatusOK {
		t.Fatalf("redelivery answered %d %s", status, body)
	}
	// Forged: refused, nothing published.
	if status, _ := send(t, githubPush(t, r.url+"/github/push", "wrong", "forged-1")); status != http.StatusUnauthorized {
		t.Errorf("forged delivery answered %d, want 401", status)
	}
	if code := r.shutdown(t); code != exitOK {
		t.Fatalf("serve exited with %d:\n%s", code, r.stderr)
	}
	entries, err := os.ReadDir(filepath.Join(out, "argo"))
	if err != nil || len(entries) != 1 {
		t.Errorf("argo objects = %v (%v), want one", entries, err)
	}
	var dispatched, forged int
	var stopped bool
	for _, l := range r.stderr.lines(t) {
		switch {
		case l["msg"] == "event dispatched":
			dispatched++
			if l["eventId"] != "delivery-1" || l["function"] != "sensor" {
				t.Errorf("dispatch line = %v", l)
			}
		case l["eventId"] == "forged-1":
			forged++
		case l["msg"] == "stopped":
			stopped = true
		}
	}
	// The memory bus dedupes the redelivery within its window: one dispatch.
	if dispatched != 1 || forged != 0 || !stopped {
		t.Errorf("dispatched %d, forged lines %d, stopped %v:\n%s", dispatched, forged, stopped, r.stderr)
	}
}

// TestServeFCPayloads posts exactly what FC hands each function.
func TestServeFCPayloads(t *testing.T) {
	dir := serveConfig(t)
	out := t.TempDir()
	r := startServe(t, noEnv, "--config", dir, "--bus", "memory", "--dry-run", "--out", out)

	// The webhook function behind an FC HTTP trigger.
	inner := githubPush(t, "http://x/github/push", serveSecret, "fc-delivery-1")
	var body bytes.Buffer
	_, _ = body.ReadFrom(inner.Body)
	headers := map[string]string{}
	for k := range inner.Header {
		headers[k] = inner.Header.Get(k)
	}
	trig := fc.HTTPRequest{
		Version: "v1", RawPath: "/github/push", Body: base64.StdEncoding.EncodeToString(body.Bytes()), IsBase64Encoded: true,
		Headers: headers, RequestContext: fc.HTTPRequestContext{RequestID: "1-fc", HTTP: fc.HTTPInfo{Method: "POST", Path: "/github/push"}},
	}
	payload, _ := json.Marshal(trig)
	req, _ := http.NewRequest(http.MethodPost, r.url+"/fc/webhook", bytes.NewReader(payload))
	status, answer := send(t, req)
	var resp fc.HTTPResponse
	if err := json.Unmarshal([]byte(answer), &resp); status != http.StatusOK || err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/fc/webhook answered %d %s", status, answer)
	}
	waitFile(t, filepath.Join(out, "argo", ciName("fc-delivery-1")+".json"), r.stderr)

	// The OSS trigger's notification.
	ossPayload := `{"events":[{"eventName":"ObjectCreated:PutObject","eventSource":"acs:oss","eventTime":"2026-12-03T10:00:00.000Z",` +
		`"eventVersion":"1.0","region":"cn-hangzhou","oss":{"bucket":{"name":"example-ingest"},` +
		`"object":{"key":"incoming/orders.csv","size":10,"eTag":"AB"},"ossSchemaVersion":"1.0","ruleId":"r"},` +
		`"responseElements":{"requestId":"REQ1"}}]}`
	req, _ = http.NewRequest(http.MethodPost, r.url+"/fc/oss-source", strings.NewReader(ossPayload))
	status, answer = send(t, req)
	if status != http.StatusOK {
		t.Fatalf("/fc/oss-source answered %d %s", status, answer)
	}
	var a struct{ Events []string }
	if err := json.Unmarshal([]byte(answer), &a); err != nil || len(a.Events) != 1 {
		t.Fatalf("/fc/oss-source answer %s", answer)
	}
	name := sensor.ObjectName("import-", "oss-upload", "import", []string{"csv"}, []string{a.Events[0]})
	waitFile(t, filepath.Join(out, "data", name+".json"), r.stderr)

	// A malformed payload is the function's error, with its status.
	req, _ = http.NewRequest(http.MethodPost, r.url+"/fc/oss-source", strings.NewReader(`{"events":`))
	if status, answer = send(t, req); status != http.StatusBadRequest || !strings.Contains(answer, "errorMessage") {
		t.Errorf("malformed OSS payload answered %d %s", status, answer)
	}

	// The sensor as the SMQ queue trigger invokes it: dispatched at once.
	ev := `{"specversion":"1.0","id":"smq-1","source":"github","subject":"push","type":"github",` +
		`"datacontenttype":"application/json","data":{"headers":{"X-Github-Event":["push"]},"body":{"ref":"refs/heads/main",` +
		`"after":"d","deleted":false,"commits":[{}],"head_commit":{"message":"m"},"pusher":{"name":"p"},"repository":{"clone_url":"u"}}}}`
	batch, _ := json.Marshal([]map[string]any{{
		"id": "b-1", "source": "acs:mns", "type": "mns:Queue:SendMessage", "subject": "acs:mns:cn-hangzhou:1:queues/bus",
		"data": map[string]any{"requestId": "R", "messageId": "M1", "messageBody": ev},
	}})
	req, _ = http.NewRequest(http.MethodPost, r.url+"/fc/sensor", bytes.NewReader(batch))
	if status, answer = send(t, req); status != http.StatusOK || !strings.Contains(answer, `"messages":1`) {
		t.Fatalf("/fc/sensor answered %d %s", status, answer)
	}
	if _, err := os.Stat(filepath.Join(out, "argo", ciName("smq-1")+".json")); err != nil {
		t.Errorf("sensor batch: %v", err)
	}
	if code := r.shutdown(t); code != exitOK {
		t.Fatalf("serve exited with %d:\n%s", code, r.stderr)
	}
}

// TestServeShutdownDrains: deliveries accepted just before the shutdown
// signal are all carried out before serve exits.
func TestServeShutdownDrains(t *testing.T) {
	dir := serveConfig(t)
	out := t.TempDir()
	r := startServe(t, noEnv, "--config", dir, "--bus", "memory", "--dry-run", "--out", out)
	const n = 40
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if status, body := send(t, githubPush(t, r.url+"/github/push", serveSecret, fmt.Sprintf("burst-%d", i))); status != http.StatusOK {
				t.Errorf("delivery %d answered %d %s", i, status, body)
			}
		}()
	}
	wg.Wait()
	if code := r.shutdown(t); code != exitOK {
		t.Fatalf("serve exited with %d:\n%s", code, r.stderr)
	}
	for i := range n {
		if _, err := os.Stat(filepath.Join(out, "argo", ciName(fmt.Sprintf("burst-%d", i))+".json")); err != nil {
			t.Errorf("accepted delivery %d was not carried out: %v", i, err)
		}
	}
}

// TestServeNATS runs on the default bus, an embedded NATS JetStream, and
// the multi-dependency example across two events; the data directory
// survives a restart.
func TestServeNATS(t *testing.T) {
	dir := serveConfig(t)
	out, data := t.TempDir(), t.TempDir()
	args := []string{"--config", dir, "--data", data, "--out", out}
	r := startServe(t, noEnv, args...)
	post := func(path, token, body string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, r.url+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Idempotency-Key", "key"+path)
		if status, answer := send(t, req); status != http.StatusOK {
			t.Fatalf("%s answered %d %s", path, status, answer)
		}
	}
	post("/registry/pushed", "registry-token", `{"tag":"v1.8.2"}`)
	post("/approvals/release", "approvals-token", `{"approved":true,"user":"ann"}`)
	name := sensor.ObjectName("deploy-", "release-approval", "deploy", []string{"approve", "image"},
		[]string{"key/approvals/release", "key/registry/pushed"})
	obj := waitFile(t, filepath.Join(out, "deploy", name+".json"), r.stderr)
	params := obj["spec"].(map[string]any)["arguments"].(map[string]any)["parameters"].([]any)
	if params[0].(map[string]any)["value"] != "v1.8.2" || params[1].(map[string]any)["value"] != "ann" {
		t.Errorf("parameters = %v", params)
	}
	var dryRunSaid bool
	for _, l := range r.stderr.lines(t) {
		dryRunSaid = dryRunSaid || (l["mode"] == "dry-run" && l["level"] == "warning" && strings.Contains(l["msg"].(string), "DRY RUN"))
	}
	if !dryRunSaid {
		t.Errorf("no warning that serve runs dry without a cluster:\n%s", r.stderr)
	}
	if code := r.shutdown(t); code != exitOK {
		t.Fatalf("serve exited with %d:\n%s", code, r.stderr)
	}
	// Restart on the same data directory: the stream and consumer are there.
	r = startServe(t, noEnv, args...)
	post("/registry/pushed", "registry-token", `{"tag":"v1.8.3"}`)
	if code := r.shutdown(t); code != exitOK {
		t.Fatalf("restarted serve exited with %d:\n%s", code, r.stderr)
	}
}

func TestServeFlags(t *testing.T) {
	for name, args := range map[string][]string{
		"no config":        {},
		"bad bus":          {"--config", ".", "--bus", "kafka"},
		"dry and kube":     {"--config", ".", "--dry-run", "--kubeconfig", "k"},
		"extra arguments":  {"--config", ".", "x"},
		"invalid config":   {"--config", "testdata/does-not-exist", "--bus", "memory"},
		"non-positive dur": {"--config", ".", "--grace", "0s"},
	} {
		t.Run(name, func(t *testing.T) {
			var stderr bytes.Buffer
			code := run(context.Background(), &env{stdout: &bytes.Buffer{}, stderr: &stderr, getenv: noEnv}, append([]string{"serve"}, args...))
			if code == exitOK {
				t.Errorf("exit 0 for %v:\n%s", args, stderr.String())
			}
		})
	}
}

// TestServeKubeconfig submits for real: serve with --kubeconfig creates the
// Workflow of a signed GitHub delivery in a real kube-apiserver, once.
func TestServeKubeconfig(t *testing.T) {
	dir := serveConfig(t)
	ctx := context.Background()
	cl, err := kube.Start(ctx, kube.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Stop)
	if err := cl.EnsureNamespace(ctx, "argo"); err != nil {
		t.Fatal(err)
	}
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	config := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
  - name: test
    cluster: {server: %q, certificate-authority-data: %s}
users:
  - name: admin
    user: {token: %q}
contexts:
  - name: test
    context: {cluster: test, user: admin}
current-context: test
`, cl.URL, base64.StdEncoding.EncodeToString(cl.CAData), cl.AdminToken)
	if err := os.WriteFile(kc, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	r := startServe(t, noEnv, "--config", dir, "--bus", "memory", "--kubeconfig", kc)
	for range 2 {
		if status, body := send(t, githubPush(t, r.url+"/github/push", serveSecret, "kube-1")); status != http.StatusOK {
			t.Fatalf("delivery answered %d %s", status, body)
		}
	}
	dc, err := dynamic.NewForConfig(cl.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	gvr := schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "workflows"}
	deadline := time.Now().Add(30 * time.Second)
	for {
		wf, err := dc.Resource(gvr).Namespace("argo").Get(ctx, ciName("kube-1"), metav1.GetOptions{})
		if err == nil {
			if wf.GetLabels()[sensor.LabelSensor] != "github-push" {
				t.Errorf("labels = %v", wf.GetLabels())
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("workflow %s not created: %v\n%s", ciName("kube-1"), err, r.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if code := r.shutdown(t); code != exitOK {
		t.Fatalf("serve exited with %d:\n%s", code, r.stderr)
	}
	l, err := dc.Resource(gvr).Namespace("argo").List(ctx, metav1.ListOptions{})
	if err != nil || len(l.Items) != 1 {
		t.Errorf("%d workflows (%v), want 1", len(l.Items), err)
	}
	var submit bool
	for _, line := range r.stderr.lines(t) {
		submit = submit || (line["mode"] == "submit" && line["cluster"] == cl.URL)
	}
	if !submit {
		t.Errorf("no log line saying serve submits to %s:\n%s", cl.URL, r.stderr)
	}
}

// TestServeDeadLetter: an event no retry can carry out (a dry run cannot
// fetch a url source) is dead-lettered at once and logged in full.
func TestServeDeadLetter(t *testing.T) {
	dir := serveConfig(t)
	b, err := os.ReadFile(filepath.Join(dir, "sensors", "github-push.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	y := string(b)
	start := strings.Index(y, "\n          source:\n            resource:")
	end := strings.Index(y, "\n          parameters:")
	y = y[:start] + "\n          source:\n            url:\n              path: https://example.com/wf.yaml" + y[end:]
	if err := os.WriteFile(filepath.Join(dir, "sensors", "github-push.yaml"), []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	r := startServe(t, noEnv, "--config", dir, "--bus", "memory", "--dry-run", "--out", t.TempDir())
	if status, body := send(t, githubPush(t, r.url+"/github/push", serveSecret, "dead-1")); status != http.StatusOK {
		t.Fatalf("delivery answered %d %s", status, body)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		var found map[string]any
		for _, l := range r.stderr.lines(t) {
			if l["msg"] == "event dead-lettered: it will not be retried" {
				found = l
			}
		}
		if found != nil {
			dl, _ := found["deadLetter"].(map[string]any)
			if found["eventId"] != "dead-1" || !strings.Contains(found["reason"].(string), "url") || dl["id"] != "dead-1" || dl["data"] == nil {
				t.Errorf("dead letter line = %v", found)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no dead letter logged:\n%s", r.stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if code := r.shutdown(t); code != exitOK {
		t.Fatalf("serve exited with %d", code)
	}
}
