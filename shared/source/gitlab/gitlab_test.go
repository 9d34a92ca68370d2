package gitlab

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/fc-eventing/fc-eventing/shared/source"
	"github.com/fc-eventing/fc-eventing/shared/source/sourcetest"
)

const token = "gl-s3cret-token"

func hook(t testing.TB, name string) *Hook {
	t.Helper()
	h := sourcetest.Hook(t, New, name, map[string]string{"GITLAB_TOKEN": token})
	return h
}

func request(kind string, body []byte, tok string, ids map[string]string) source.Request {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "GitLab/17.5.0")
	h.Set(HeaderEvent, kind)
	h.Set("X-Gitlab-Instance", "https://gitlab.example.com")
	h.Set("X-Gitlab-Webhook-Uuid", "b1c1e4c2-6b0e-4f3a-9a2a-2f1d8c3e5a77")
	if tok != "" {
		h.Set(HeaderToken, tok)
	}
	for k, v := range ids {
		h.Set(k, v)
	}
	return source.Request{Method: http.MethodPost, Path: "/gitlab/push", Header: h, Body: body, Received: sourcetest.Received}
}

func TestGolden(t *testing.T) {
	t.Parallel()
	push := sourcetest.Read(t, "testdata/push.json")
	mr := sourcetest.Read(t, "testdata/merge_request.json")
	tests := map[string]struct {
		event  string
		req    source.Request
		golden string
		notes  int
	}{
		"push with idempotency key": {event: "push", req: request("Push Hook", push, token, map[string]string{
			HeaderIdempotencyKey: "f5c7a3a4-5b1d-4e8f-9a2b-0c1d2e3f4a5b", HeaderEventUUID: "13792a34-cac6-4fda-95a8-c58e00a3954e"}), golden: "push.events.json"},
		"merge request by event uuid": {event: "push", req: request("Merge Request Hook", mr, token, map[string]string{
			HeaderEventUUID: "2ec4c5a8-31a3-4b8b-b7e0-9d1c4a0f3e21"}), golden: "merge_request.events.json"},
		"no delivery id hashes body": {event: "push", req: request("Push Hook", push, token, nil), golden: "push-noid.events.json"},
		"event not allowed":          {event: "tags", req: request("Push Hook", push, token, nil), golden: "none.events.json", notes: 1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out, err := hook(t, tc.event).Handle(context.Background(), tc.req)
			if err != nil {
				t.Fatal(err)
			}
			sourcetest.CheckGolden(t, out, tc.golden, tc.notes)
			for _, e := range out.Events {
				if contains(e.Data, token) {
					t.Errorf("event data carries the secret token: %s", e.Data)
				}
			}
		})
	}
}

func contains(b []byte, s string) bool { return strings.Contains(string(b), s) }

func TestRefused(t *testing.T) {
	t.Parallel()
	push := sourcetest.Read(t, "testdata/push.json")
	tests := map[string]struct {
		req    source.Request
		status int
	}{
		"no token":        {request("Push Hook", push, "", nil), http.StatusUnauthorized},
		"wrong token":     {request("Push Hook", push, "gl-s3cret-tokem", nil), http.StatusUnauthorized},
		"token prefix":    {request("Push Hook", push, "gl-s3cret", nil), http.StatusUnauthorized},
		"no event header": {request("", push, token, nil), http.StatusBadRequest},
		"body not json":   {request("Push Hook", []byte("object_kind=push"), token, nil), http.StatusBadRequest},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := hook(t, "push").Handle(context.Background(), tc.req)
			sourcetest.CheckStatus(t, err, tc.status)
		})
	}
}

func FuzzHandle(f *testing.F) {
	f.Add(sourcetest.Read(f, "testdata/push.json"), "Push Hook")
	f.Add(sourcetest.Read(f, "testdata/merge_request.json"), "Merge Request Hook")
	f.Add([]byte(`"x"`), "Tag Push Hook")
	h := hook(f, "push")
	f.Fuzz(func(t *testing.T, body []byte, kind string) {
		out, err := h.Handle(context.Background(), request(kind, body, token, nil))
		sourcetest.CheckAny(t, out, err)
	})
}
