package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fc-eventing/fc-eventing/shared/source"
	"github.com/fc-eventing/fc-eventing/shared/source/github"
)

func emit(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), &env{stdout: &stdout, stderr: &stderr, getenv: noEnv}, append([]string{"emit"}, args...))
	return code, stdout.String(), stderr.String()
}

// TestEmitGitHubSignature checks the delivery against GitHub's signature
// scheme as the source verifies it.
func TestEmitGitHubSignature(t *testing.T) {
	t.Parallel()
	var got http.Header
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		body, _ = io.ReadAll(r.Body)
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	code, stdout, stderr := emit(t, "github", "push", "--to", srv.URL+"/github/push", "--secret", "s3cret", "--delivery", "d-42")
	if code != exitOK {
		t.Fatalf("exit %d: %s%s", code, stdout, stderr)
	}
	if err := source.VerifyHubSignature("s3cret", body, got.Get(github.HeaderSignature)); err != nil {
		t.Errorf("signature: %v", err)
	}
	if got.Get(github.HeaderEvent) != "push" || got.Get(github.HeaderDelivery) != "d-42" {
		t.Errorf("headers = %v", got)
	}
	if !strings.Contains(stdout, "d-42 -> 200 OK") {
		t.Errorf("stdout = %q", stdout)
	}
}

// TestEmitToServe sends every kind to a running serve with the example
// configuration: each is accepted and the GitHub push and OSS upload
// become objects.
func TestEmitToServe(t *testing.T) {
	dir := serveConfig(t)
	out := t.TempDir()
	r := startServe(t, noEnv, "--config", dir, "--bus", "memory", "--dry-run", "--out", out)
	for _, args := range [][]string{
		{"github", "push", "--to", r.url + "/github/push", "--secret", serveSecret, "--delivery", "emit-1"},
		{"github", "ping", "--to", r.url + "/github/push", "--secret", serveSecret},
		{"webhook", "--to", r.url + "/registry/pushed", "--secret", "registry-token", "--data", `{"tag":"v2.0.0"}`},
		{"oss", "put", "--to", r.url + "/fc/oss-source", "--delivery", "0123456789abcdef01234567"},
		{"gitlab", "push", "--to", r.url + "/gitlab/push", "--secret", "gitlab-token"},
		{"mns", "--to", r.url + "/fc/mns-source"},
		{"eventbridge", "--to", r.url + "/fc/eventbridge-source"},
	} {
		if code, stdout, stderr := emit(t, args...); code != exitOK {
			t.Errorf("emit %v: exit %d: %s%s", args, code, stdout, stderr)
		}
	}
	if code, stdout, _ := emit(t, "github", "push", "--to", r.url+"/github/push", "--secret", "wrong"); code != exitFailure || !strings.Contains(stdout, "401") {
		t.Errorf("forged: exit %d: %s", code, stdout)
	}
	waitFile(t, filepath.Join(out, "argo", ciName("emit-1")+".json"), r.stderr)
	if code := r.shutdown(t); code != exitOK {
		t.Fatalf("serve exited with %d", code)
	}
	for ns, prefix := range map[string]string{"data": "import-", "shop": "fulfil-", "ops": "provision-"} {
		entries, err := os.ReadDir(filepath.Join(out, ns))
		if err != nil || len(entries) != 1 || !strings.HasPrefix(entries[0].Name(), prefix) {
			t.Errorf("objects in %s = %v (%v), want one %s*", ns, entries, err, prefix)
		}
	}
	entries, err := os.ReadDir(filepath.Join(out, "argo"))
	var tests int
	for _, en := range entries {
		if strings.HasPrefix(en.Name(), "test-") {
			tests++
		}
	}
	if err != nil || tests != 1 {
		t.Errorf("GitLab push objects = %v (%v), want one test-*", entries, err)
	}
}

func TestEmitUsage(t *testing.T) {
	t.Parallel()
	for name, args := range map[string][]string{
		"no kind":       {},
		"unknown kind":  {"svn", "--to", "http://x"},
		"unknown event": {"github", "fork", "--to", "http://x"},
		"no target":     {"github", "push"},
		"bad target":    {"github", "push", "--to", "ftp://x"},
		"bad data":      {"webhook", "--to", "http://x", "--data", "{"},
	} {
		if code, _, _ := emit(t, args...); code != exitInvalid {
			t.Errorf("%s: exit %d, want %d", name, code, exitInvalid)
		}
	}
}

// TestEmitGitHosts sends gitee, codeup and bitbucket pushes to serve with
// event sources of those kinds: each passes the real verification and
// becomes an event, and a wrong secret is refused.
func TestEmitGitHosts(t *testing.T) {
	t.Setenv("GITEE_HOOK_SECRET", "gitee-secret")
	t.Setenv("CODEUP_HOOK_TOKEN", "codeup-token")
	t.Setenv("BITBUCKET_HOOK_SECRET", "bitbucket-secret")
	dir := t.TempDir()
	es := `apiVersion: argoproj.io/v1alpha1
kind: EventSource
metadata:
  name: hosts
spec:
  gitee:
    gitee:
      webhookSecret: {name: gitee-hook, key: secret}
  codeup:
    codeup:
      secretToken: {name: codeup-hook, key: token}
  bitbucket:
    bitbucket:
      events: ["repo:push"]
      webhookSecret: {name: bitbucket-hook, key: secret}
`
	if err := os.WriteFile(filepath.Join(dir, "hosts.yaml"), []byte(es), 0o644); err != nil {
		t.Fatal(err)
	}
	r := startServe(t, noEnv, "--config", dir, "--bus", "memory", "--dry-run", "--out", t.TempDir())
	for kind, secret := range map[string]string{"gitee": "gitee-secret", "codeup": "codeup-token", "bitbucket": "bitbucket-secret"} {
		to := r.url + "/hosts/" + kind
		code, stdout, stderr := emit(t, kind, "push", "--to", to, "--secret", secret)
		if code != exitOK || !strings.Contains(stdout, `"events":["`) {
			t.Errorf("%s: exit %d: %s%s", kind, code, stdout, stderr)
		}
		if code, stdout, _ := emit(t, kind, "--to", to, "--secret", "wrong"); code != exitFailure || !strings.Contains(stdout, "401") {
			t.Errorf("%s with a wrong secret: exit %d: %s", kind, code, stdout)
		}
	}
}
