package bitbucket

import (
	"context"
	"net/http"
	"testing"

	"github.com/fc-eventing/fc-eventing/shared/source"
	"github.com/fc-eventing/fc-eventing/shared/source/sourcetest"
)

const secret = "bb-cloud-secret"

func hook(t testing.TB) *Hook {
	t.Helper()
	return sourcetest.Hook(t, New, "push", map[string]string{"BITBUCKET_SECRET": secret})
}

func request(kind string, body []byte, key string) source.Request {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "Bitbucket-Webhooks/2.0")
	h.Set(HeaderEvent, kind)
	h.Set(HeaderRequestID, "2f0c6a5e-4b8d-4f8e-9a1b-3c2d1e0f9a8b")
	h.Set(HeaderHookID, "{c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f}")
	if key != "" {
		h.Set(HeaderSignature, sourcetest.HubSignature(key, body))
	}
	return source.Request{Method: http.MethodPost, Path: "/bitbucket/push", Header: h, Body: body, Received: sourcetest.Received}
}

func TestGolden(t *testing.T) {
	t.Parallel()
	push := sourcetest.Read(t, "testdata/repo-push.json")
	tests := map[string]struct {
		req    source.Request
		golden string
		notes  int
	}{
		"repo push":         {request("repo:push", push, secret), "repo-push.events.json", 0},
		"event not allowed": {request("pullrequest:created", push, secret), "none.events.json", 1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out, err := hook(t).Handle(context.Background(), tc.req)
			if err != nil {
				t.Fatal(err)
			}
			sourcetest.CheckGolden(t, out, tc.golden, tc.notes)
		})
	}
}

func TestRefused(t *testing.T) {
	t.Parallel()
	push := sourcetest.Read(t, "testdata/repo-push.json")
	noKey := request("", push, secret)
	tests := map[string]struct {
		req    source.Request
		status int
	}{
		"unsigned":      {request("repo:push", push, ""), http.StatusUnauthorized},
		"wrong secret":  {request("repo:push", push, "other"), http.StatusUnauthorized},
		"no event key":  {noKey, http.StatusBadRequest},
		"body not json": {request("repo:push", []byte("{"), secret), http.StatusBadRequest},
		"signature not hex": {func() source.Request {
			r := request("repo:push", push, secret)
			r.Header.Set(HeaderSignature, "sha256=zz")
			return r
		}(), http.StatusUnauthorized},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := hook(t).Handle(context.Background(), tc.req)
			sourcetest.CheckStatus(t, err, tc.status)
		})
	}
}

func FuzzHandle(f *testing.F) {
	f.Add(sourcetest.Read(f, "testdata/repo-push.json"), "repo:push")
	f.Add([]byte(`[]`), "repo:push")
	h := hook(f)
	f.Fuzz(func(t *testing.T, body []byte, kind string) {
		out, err := h.Handle(context.Background(), request(kind, body, secret))
		sourcetest.CheckAny(t, out, err)
	})
}
