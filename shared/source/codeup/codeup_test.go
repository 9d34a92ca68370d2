package codeup

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/fc-eventing/fc-eventing/shared/source"
	"github.com/fc-eventing/fc-eventing/shared/source/sourcetest"
)

const token = "codeup-token-1"

func hook(t testing.TB) *Hook {
	t.Helper()
	return sourcetest.Hook(t, New, "push", map[string]string{"CODEUP_TOKEN": token})
}

func request(kind string, body []byte, tok string) source.Request {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set(HeaderEvent, kind)
	if tok != "" {
		h.Set(HeaderToken, tok)
	}
	return source.Request{Method: http.MethodPost, Path: "/codeup/push", Header: h, Body: body, Received: sourcetest.Received}
}

func TestGolden(t *testing.T) {
	t.Parallel()
	push := sourcetest.Read(t, "testdata/push.json")
	tests := map[string]struct {
		req    source.Request
		golden string
		notes  int
	}{
		"push":              {request("Push Hook", push, token), "push.events.json", 0},
		"event not allowed": {request("Tag Push Hook", push, token), "none.events.json", 1},
		"filtered out":      {request("Push Hook", []byte(`{"object_kind":"tag_push"}`), token), "none.events.json", 1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out, err := hook(t).Handle(context.Background(), tc.req)
			if err != nil {
				t.Fatal(err)
			}
			sourcetest.CheckGolden(t, out, tc.golden, tc.notes)
			for _, e := range out.Events {
				if strings.Contains(string(e.Data), token) {
					t.Errorf("event data carries the token")
				}
			}
		})
	}
	// A redelivered body keeps its id.
	a, _ := hook(t).Handle(context.Background(), request("Push Hook", push, token))
	b, _ := hook(t).Handle(context.Background(), request("Push Hook", push, token))
	if a.Events[0].ID != b.Events[0].ID {
		t.Errorf("redelivery ids differ: %s, %s", a.Events[0].ID, b.Events[0].ID)
	}
}

func TestRefused(t *testing.T) {
	t.Parallel()
	push := sourcetest.Read(t, "testdata/push.json")
	tests := map[string]struct {
		req    source.Request
		status int
	}{
		"no token":        {request("Push Hook", push, ""), http.StatusUnauthorized},
		"wrong token":     {request("Push Hook", push, "codeup-token-2"), http.StatusUnauthorized},
		"no event header": {request("", push, token), http.StatusBadRequest},
		"body not json":   {request("Push Hook", push[:20], token), http.StatusBadRequest},
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
	f.Add(sourcetest.Read(f, "testdata/push.json"), "Push Hook")
	f.Add([]byte(`{"object_kind":"push"}`), "Push Hook")
	h := hook(f)
	f.Fuzz(func(t *testing.T, body []byte, kind string) {
		out, err := h.Handle(context.Background(), request(kind, body, token))
		sourcetest.CheckAny(t, out, err)
	})
}
