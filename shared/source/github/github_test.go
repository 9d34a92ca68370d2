package github

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/fc-eventing/fc-eventing/shared/config"
	"github.com/fc-eventing/fc-eventing/shared/source"
	"github.com/fc-eventing/fc-eventing/shared/source/sourcetest"
)

const secret = "It's a Secret to Everybody"

func hook(t testing.TB, name string) *Hook {
	t.Helper()
	return sourcetest.Hook(t, New, name, map[string]string{"GITHUB_ACCESS_SECRET": secret})
}

func request(kind, delivery string, body []byte, key string) source.Request {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "GitHub-Hookshot/044aadd")
	h.Set(HeaderEvent, kind)
	h.Set(HeaderDelivery, delivery)
	h.Set("X-Github-Hook-Id", "292430182")
	if key != "" {
		h.Set(HeaderSignature, sourcetest.HubSignature(key, body))
	}
	return source.Request{Method: http.MethodPost, Path: "/github/push", Header: h, Body: body, Received: sourcetest.Received}
}

func TestSignatureVector(t *testing.T) {
	t.Parallel()
	// The example GitHub publishes for validating deliveries.
	got := sourcetest.HubSignature("It's a Secret to Everybody", []byte("Hello, World!"))
	want := "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
	if got != want {
		t.Fatalf("sign = %s, want %s", got, want)
	}
	if err := source.VerifyHubSignature(secret, []byte("Hello, World!"), want); err != nil {
		t.Fatal(err)
	}
}

func TestGolden(t *testing.T) {
	t.Parallel()
	push := sourcetest.Read(t, "testdata/push.json")
	pr := sourcetest.Read(t, "testdata/pull_request.json")
	form := []byte("payload=" + url.QueryEscape(string(pr)))
	formReq := request("pull_request", "a1b2c3d4-0000-11ee-8c99-0242ac120002", form, secret)
	formReq.Header.Set("Content-Type", "application/x-www-form-urlencoded")

	tests := map[string]struct {
		event  string
		req    source.Request
		golden string
		notes  int
	}{
		"push":                   {event: "push", req: request("push", "72d3162e-cc78-11e3-81ab-4c9367dc0958", push, secret), golden: "push.events.json"},
		"pull request as form":   {event: "push", req: formReq, golden: "pull_request.events.json"},
		"ping answered":          {event: "push", req: request("ping", "d1a5e5c0-0000-11ee-8c99-0242ac120002", sourcetest.Read(t, "testdata/ping.json"), secret), golden: "none.events.json", notes: 1},
		"event not allowed":      {event: "push", req: request("issues", "e1", pr, secret), golden: "none.events.json", notes: 1},
		"filter matches":         {event: "main-only", req: request("push", "72d3162e-cc78-11e3-81ab-4c9367dc0958", push, secret), golden: "main-only.events.json"},
		"filter does not match":  {event: "main-only", req: request("push", "f1", []byte(strings.Replace(string(push), "refs/heads/main", "refs/heads/dev", 1)), secret), golden: "none.events.json", notes: 1},
		"filter fails closed":    {event: "main-only", req: request("push", "f2", []byte(`{"zen":1}`), secret), golden: "none.events.json", notes: 1},
		"unauthenticated opt-in": {event: "open", req: request("push", "72d3162e-cc78-11e3-81ab-4c9367dc0958", push, ""), golden: "open.events.json"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out, err := hook(t, tc.event).Handle(context.Background(), tc.req)
			if err != nil {
				t.Fatal(err)
			}
			sourcetest.CheckGolden(t, out, tc.golden, tc.notes)
		})
	}
}

func TestRefused(t *testing.T) {
	t.Parallel()
	push := sourcetest.Read(t, "testdata/push.json")
	noEvent := request("push", "x", push, secret)
	noEvent.Header.Del(HeaderEvent)
	sha1 := request("push", "x", push, secret)
	sha1.Header.Set(HeaderSignature, "sha1="+strings.Repeat("0", 40))
	tests := map[string]struct {
		req    source.Request
		status int
	}{
		"no signature":    {request("push", "x", push, ""), http.StatusUnauthorized},
		"wrong secret":    {request("push", "x", push, "not the secret"), http.StatusUnauthorized},
		"sha1 only":       {sha1, http.StatusUnauthorized},
		"no event header": {noEvent, http.StatusBadRequest},
		"body not json":   {request("push", "x", []byte("{not json"), secret), http.StatusBadRequest},
		"body is a list":  {request("push", "x", []byte(`[{"ref":"x"}]`), secret), http.StatusBadRequest},
		"body is null":    {request("push", "x", []byte(`null`), secret), http.StatusBadRequest},
		"tampered after sig": {func() source.Request {
			r := request("push", "x", push, secret)
			r.Body = append([]byte(" "), push...)
			return r
		}(), http.StatusUnauthorized},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := hook(t, "push").Handle(context.Background(), tc.req)
			sourcetest.CheckStatus(t, err, tc.status)
		})
	}
}

func TestNewFailsClosed(t *testing.T) {
	t.Parallel()
	es := &config.EventSource{Metadata: config.ObjectMeta{Name: "gh"}, Spec: config.EventSourceSpec{
		Github: map[string]config.GithubEventSource{"push": {WebhookSecret: &config.SecretKeySelector{Name: "a", Key: "b"}}},
	}}
	_, err := New(es, "push")
	if !errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), "spec.github.push.webhookSecret") {
		t.Errorf("error = %v", err)
	}
	if _, err := New(es, "missing"); err == nil {
		t.Error("unknown event accepted")
	}
}

func FuzzHandle(f *testing.F) {
	for _, p := range []string{"testdata/push.json", "testdata/pull_request.json", "testdata/ping.json"} {
		f.Add(sourcetest.Read(f, p), "push", false)
	}
	f.Add([]byte("payload=%7B%7D"), "push", true)
	f.Add([]byte(`{"ref":1}`), "ping", false)
	h := hook(f, "push")
	f.Fuzz(func(t *testing.T, body []byte, kind string, form bool) {
		r := request(kind, "fuzz", body, secret)
		if form {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		out, err := h.Handle(context.Background(), r)
		sourcetest.CheckAny(t, out, err)
	})
}
