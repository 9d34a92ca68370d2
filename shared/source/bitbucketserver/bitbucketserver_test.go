package bitbucketserver

import (
	"context"
	"net/http"
	"testing"

	"github.com/fc-eventing/fc-eventing/shared/source"
	"github.com/fc-eventing/fc-eventing/shared/source/bitbucket"
	"github.com/fc-eventing/fc-eventing/shared/source/sourcetest"
)

const secret = "bbs-secret"

func hook(t testing.TB) *Hook {
	t.Helper()
	es := sourcetest.EventSources(t, map[string]string{"BBS_SECRET": secret}, "eventsource.yaml")[0]
	if len(es.Warnings) != 1 {
		t.Errorf("warnings = %q, want the accessToken one", es.Warnings)
	}
	h, err := New(es, "push")
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func request(kind string, body []byte, key string) source.Request {
	h := http.Header{}
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("User-Agent", "Atlassian HttpClient 4.2.0")
	h.Set(bitbucket.HeaderEvent, kind)
	h.Set(HeaderRequestID, "c6e6a8e2-7c41-4a49-9d1e-1b2c3d4e5f60")
	if key != "" {
		h.Set(bitbucket.HeaderSignature, sourcetest.HubSignature(key, body))
	}
	return source.Request{Method: http.MethodPost, Path: "/bitbucketserver/push", Header: h, Body: body, Received: sourcetest.Received}
}

func TestGolden(t *testing.T) {
	t.Parallel()
	refs := sourcetest.Read(t, "testdata/refs-changed.json")
	tests := map[string]struct {
		req    source.Request
		golden string
		notes  int
	}{
		"refs changed":      {request("repo:refs_changed", refs, secret), "refs-changed.events.json", 0},
		"ping answered":     {request(EventPing, sourcetest.Read(t, "testdata/ping.json"), secret), "none.events.json", 1},
		"event not allowed": {request("pr:opened", refs, secret), "none.events.json", 1},
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
	refs := sourcetest.Read(t, "testdata/refs-changed.json")
	tests := map[string]struct {
		req    source.Request
		status int
	}{
		"unsigned":      {request("repo:refs_changed", refs, ""), http.StatusUnauthorized},
		"unsigned ping": {request(EventPing, []byte(`{"test":true}`), ""), http.StatusUnauthorized},
		"wrong secret":  {request("repo:refs_changed", refs, "nope"), http.StatusUnauthorized},
		"no event key":  {request("", refs, secret), http.StatusBadRequest},
		"body not json": {request("repo:refs_changed", []byte("eventKey=x"), secret), http.StatusBadRequest},
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
	f.Add(sourcetest.Read(f, "testdata/refs-changed.json"), "repo:refs_changed")
	f.Add(sourcetest.Read(f, "testdata/ping.json"), EventPing)
	h := hook(f)
	f.Fuzz(func(t *testing.T, body []byte, kind string) {
		out, err := h.Handle(context.Background(), request(kind, body, secret))
		sourcetest.CheckAny(t, out, err)
	})
}
