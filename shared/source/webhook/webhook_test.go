package webhook

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/fc-eventing/fc-eventing/shared/source"
	"github.com/fc-eventing/fc-eventing/shared/source/sourcetest"
)

const token = "bearer-s3cret"

func hook(t testing.TB, name string) *Hook {
	t.Helper()
	h := sourcetest.Hook(t, New, name, map[string]string{"HOOK_TOKEN": token})
	h.NewID = func() string { return "0b5c4a0e-1111-4222-8333-944455556666" }
	return h
}

func request(method, contentType string, body []byte, auth string, q url.Values) source.Request {
	h := http.Header{}
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	h.Set("User-Agent", "curl/8.5.0")
	if auth != "" {
		h.Set("Authorization", auth)
	}
	return source.Request{Method: method, Path: "/example", Header: h, Query: q, Body: body, Received: sourcetest.Received}
}

func TestGolden(t *testing.T) {
	t.Parallel()
	body := sourcetest.Read(t, "testdata/body.json")
	idem := request(http.MethodPost, "application/json", body, "Bearer "+token, nil)
	idem.Header.Set("Idempotency-Key", "deploy-1.4.2")
	tests := map[string]struct {
		event  string
		req    source.Request
		golden string
		notes  int
	}{
		"json with bearer":     {"example", request(http.MethodPost, "application/json", body, "Bearer "+token, nil), "json.events.json", 0},
		"idempotency key":      {"example", idem, "idempotent.events.json", 0},
		"form":                 {"example", request(http.MethodPost, "application/x-www-form-urlencoded; charset=utf-8", []byte("env=prod&tag=a&tag=b"), "bearer "+token, nil), "form.events.json", 0},
		"empty body":           {"example", request(http.MethodPost, "", nil, "Bearer "+token, nil), "empty.events.json", 0},
		"get query":            {"query", request(http.MethodGet, "", nil, "", url.Values{"ref": {"main"}, "n": {"1", "2"}}), "query.events.json", 0},
		"filter matches":       {"staging", request(http.MethodPost, "application/json", body, "", nil), "staging.events.json", 0},
		"filter does not hold": {"staging", request(http.MethodPost, "application/json", []byte(`{"env":"prod"}`), "", nil), "none.events.json", 1},
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
				if strings.Contains(string(e.Data), token) {
					t.Errorf("event data carries the bearer token")
				}
			}
		})
	}
}

func TestRefused(t *testing.T) {
	t.Parallel()
	body := sourcetest.Read(t, "testdata/body.json")
	tests := map[string]struct {
		req    source.Request
		status int
	}{
		"no authorization": {request(http.MethodPost, "application/json", body, "", nil), http.StatusUnauthorized},
		"basic auth":       {request(http.MethodPost, "application/json", body, "Basic "+token, nil), http.StatusUnauthorized},
		"wrong token":      {request(http.MethodPost, "application/json", body, "Bearer nope", nil), http.StatusUnauthorized},
		"body not json":    {request(http.MethodPost, "text/plain", []byte("hello"), "Bearer "+token, nil), http.StatusBadRequest},
		"bad form":         {request(http.MethodPost, "application/x-www-form-urlencoded", []byte("a=%zz"), "Bearer "+token, nil), http.StatusBadRequest},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := hook(t, "example").Handle(context.Background(), tc.req)
			sourcetest.CheckStatus(t, err, tc.status)
		})
	}
}

func TestFreshIDs(t *testing.T) {
	t.Parallel()
	h := sourcetest.Hook(t, New, "staging", map[string]string{"HOOK_TOKEN": token})
	r := request(http.MethodPost, "application/json", []byte(`{"env":"staging"}`), "", nil)
	a, _ := h.Handle(context.Background(), r)
	b, _ := h.Handle(context.Background(), r)
	if a.Events[0].ID == b.Events[0].ID {
		t.Errorf("two requests without idempotency key share id %s", a.Events[0].ID)
	}
}

func FuzzHandle(f *testing.F) {
	f.Add(sourcetest.Read(f, "testdata/body.json"), "application/json", false)
	f.Add([]byte("env=prod&tag=a"), "application/x-www-form-urlencoded", false)
	f.Add([]byte(""), "", true)
	h := hook(f, "example")
	f.Fuzz(func(t *testing.T, body []byte, contentType string, get bool) {
		method := http.MethodPost
		if get {
			method = http.MethodGet
		}
		out, err := h.Handle(context.Background(), request(method, contentType, body, "Bearer "+token, url.Values{"q": {string(body)}}))
		sourcetest.CheckAny(t, out, err)
	})
}
