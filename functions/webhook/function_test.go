package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/fc-eventing/fc-eventing/shared/fc"
	"github.com/fc-eventing/fc-eventing/shared/source/sourcetest"
	"github.com/fc-eventing/fc-eventing/test/fcruntime"
)

func TestMain(m *testing.M) { sourcetest.Main(m) }

const eventSource = `apiVersion: argoproj.io/v1alpha1
kind: EventSource
metadata:
  name: github
spec:
  github:
    push:
      events: [push]
      webhookSecret: {name: github-access, key: secret}
`

const secret = "deployed-secret"

func trigger(t *testing.T, body, signature string) []byte {
	t.Helper()
	req := fc.HTTPRequest{
		Version: "v1", RawPath: "/github/push", Body: body,
		Headers: map[string]string{
			"Content-Type": "application/json", "X-Github-Event": "push",
			"X-Github-Delivery": "9c7a1e40-d7c1-11ee-8e4b-aa3b5f0c1d2e", "X-Hub-Signature-256": signature,
		},
		RequestContext: fc.HTTPRequestContext{RequestID: "1-66a0-1", HTTP: fc.HTTPInfo{Method: "POST", Path: "/github/push"}},
	}
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDeployedWebhook runs the webhook binary as FC runs it, behind the HTTP
// trigger, publishing to SMQ through the SMQ protocol server.
func TestDeployedWebhook(t *testing.T) {
	d := sourcetest.DeploySMQ(t, "github.com/fc-eventing/fc-eventing/functions/webhook", eventSource,
		"GITHUB_ACCESS_SECRET="+secret)
	body := `{"ref":"refs/heads/main","repository":{"full_name":"o/r"}}`
	sig := sourcetest.HubSignature(secret, []byte(body))

	if resp := sourcetest.Invoke[fc.HTTPResponse](t, d, trigger(t, body, sig)); resp.StatusCode != http.StatusOK {
		t.Fatalf("signed push: %d %s", resp.StatusCode, resp.Body)
	}
	got := d.Events(t, 1)[0]
	if got.ID != "9c7a1e40-d7c1-11ee-8e4b-aa3b5f0c1d2e" || got.Source != "github" || got.Subject != "push" || got.Type != "github" {
		t.Errorf("event on the bus = %+v", got)
	}
	var data struct {
		Body map[string]any `json:"body"`
	}
	if err := json.Unmarshal(got.Data, &data); err != nil || data.Body["ref"] != "refs/heads/main" {
		t.Errorf("event data = %s (%v)", got.Data, err)
	}

	if resp := sourcetest.Invoke[fc.HTTPResponse](t, d, trigger(t, body, "sha256=00")); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("bad signature: %d %s", resp.StatusCode, resp.Body)
	}

	// The bus goes away: the provider is told to retry.
	d.StopBus()
	if resp := sourcetest.Invoke[fc.HTTPResponse](t, d, trigger(t, body, sig)); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("bus down: %d %s", resp.StatusCode, resp.Body)
	}
}

// TestDeployedWebhookBadConfig: the runtime polls while the configuration
// loads, so an event can be waiting when the set-up fails; the process then
// ends with the reason in its log, and the event fails instead of being
// answered.
func TestDeployedWebhookBadConfig(t *testing.T) {
	d := sourcetest.DeploySMQ(t, "github.com/fc-eventing/fc-eventing/functions/webhook",
		strings.Replace(eventSource, "  github:\n", "  githib:\n", 1), "GITHUB_ACCESS_SECRET="+secret)
	body := `{"ref":"refs/heads/main"}`
	_, err := d.Function.Invoke(context.Background(), trigger(t, body, sourcetest.HubSignature(secret, []byte(body))))
	if !errors.Is(err, fcruntime.ErrExited) {
		t.Fatalf("invocation on a bad configuration: %v, want the process to exit", err)
	}
	<-d.Function.Process().Exited
	if out := d.Function.Output(); !strings.Contains(out, "setting up the function") || !strings.Contains(out, "spec.githib: unknown field") {
		t.Errorf("output does not give the reason:\n%s", out)
	}
}
