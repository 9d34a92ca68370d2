package router

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fc-eventing/fc-eventing/shared/bus/memory"
	"github.com/fc-eventing/fc-eventing/shared/fc"
	"github.com/fc-eventing/fc-eventing/shared/source/sourcetest"
)

const (
	ghSecret = "gh-router-secret"
	glToken  = "gl-router-token"
)

var env = map[string]string{"GITHUB_ACCESS_SECRET": ghSecret, "GITLAB_TOKEN": glToken}

func newRouter(t *testing.T, b *memory.Bus) *Router {
	t.Helper()
	rt, err := New(sourcetest.EventSources(t, env, "eventsources.yaml"), b)
	if err != nil {
		t.Fatal(err)
	}
	rt.Now = func() time.Time { return sourcetest.Received }
	return rt
}

// delivery is one request in both shapes: net/http and FC HTTP trigger.
type delivery struct {
	method, path string
	header       map[string]string
	body         []byte
}

func push(kind, id string, body []byte) delivery {
	return delivery{method: http.MethodPost, path: "/ci/push", body: body, header: map[string]string{
		"Content-Type": "application/json", "X-GitHub-Event": kind, "X-GitHub-Delivery": id, "X-Hub-Signature-256": sourcetest.HubSignature(ghSecret, body),
	}}
}

type row struct {
	name   string
	d      delivery
	status int
	events int
}

func rows() []row {
	body := []byte(`{"ref":"refs/heads/main","repository":{"full_name":"o/r"}}`)
	bad := push("push", "d-2", body)
	bad.header["X-Hub-Signature-256"] = "sha256=00"
	notJSON := push("push", "d-3", []byte("ref=main"))
	big := push("push", "d-4", []byte(`{"pad":"`+strings.Repeat("x", 5000)+`"}`))
	wrongMethod := push("push", "d-5", body)
	wrongMethod.method = http.MethodPut
	unknown := push("push", "d-6", body)
	unknown.path = "/ci/nope"
	gl := delivery{method: http.MethodPost, path: "/hooks/gitlab", body: []byte(`{"object_kind":"merge_request"}`), header: map[string]string{
		"X-Gitlab-Event": "Merge Request Hook", "X-Gitlab-Token": glToken, "Idempotency-Key": "gl-1"}}
	query := delivery{method: http.MethodGet, path: "/hooks/query?ref=main", header: map[string]string{"Idempotency-Key": "q-1"}}
	return []row{
		{"github push", push("push", "d-1", body), http.StatusOK, 1},
		{"github ping", push("ping", "d-0", []byte(`{"zen":"hi"}`)), http.StatusOK, 0},
		{"github event not allowed", push("issues", "d-7", body), http.StatusOK, 0},
		{"gitlab", gl, http.StatusOK, 1},
		{"generic GET", query, http.StatusOK, 1},
		{"bad signature", bad, http.StatusUnauthorized, 0},
		{"body not JSON", notJSON, http.StatusBadRequest, 0},
		{"over maxPayloadSize", big, http.StatusRequestEntityTooLarge, 0},
		{"wrong method", wrongMethod, http.StatusMethodNotAllowed, 0},
		{"unknown path", unknown, http.StatusNotFound, 0},
	}
}

func TestServeHTTP(t *testing.T) {
	for _, r := range rows() {
		t.Run(r.name, func(t *testing.T) {
			b := memory.New(memory.Options{})
			srv := httptest.NewServer(newRouter(t, b))
			defer srv.Close()
			req, err := http.NewRequest(r.d.method, srv.URL+r.d.path, bytes.NewReader(r.d.body))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range r.d.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var reply Reply
			if err := json.NewDecoder(resp.Body).Decode(&reply); err != nil {
				t.Fatalf("answer is not JSON: %v", err)
			}
			if resp.StatusCode != r.status {
				t.Fatalf("status = %d (%+v), want %d", resp.StatusCode, reply, r.status)
			}
			if len(reply.Events) != r.events || b.Len() != r.events {
				t.Errorf("answer events %v, bus holds %d, want %d", reply.Events, b.Len(), r.events)
			}
			if r.status == http.StatusMethodNotAllowed && resp.Header.Get("Allow") != "POST" {
				t.Errorf("Allow = %q", resp.Header.Get("Allow"))
			}
			if strings.Contains(reply.Error, ghSecret) {
				t.Errorf("answer leaks the secret")
			}
		})
	}
}

// fcRequest is the event FC 3.0 hands the function for d.
func fcRequest(d delivery) []byte {
	path, query, _ := strings.Cut(d.path, "?")
	req := fc.HTTPRequest{
		Version: "v1", RawPath: path, Body: base64.StdEncoding.EncodeToString(d.body), IsBase64Encoded: true,
		Headers: map[string]string{}, QueryParameters: map[string]string{},
		RequestContext: fc.HTTPRequestContext{RequestID: "1-65f0-abc", HTTP: fc.HTTPInfo{Method: d.method, Path: path, Protocol: "HTTP/1.1"}},
	}
	for k, v := range d.header {
		req.Headers[http.CanonicalHeaderKey(k)] = v
	}
	if k, v, ok := strings.Cut(query, "="); ok {
		req.QueryParameters[k] = v
	}
	b, _ := json.Marshal(req)
	return b
}

func TestServeFC(t *testing.T) {
	for _, r := range rows() {
		t.Run(r.name, func(t *testing.T) {
			b := memory.New(memory.Options{})
			invoke := fc.Handler(newRouter(t, b).ServeFC)
			out, err := invoke(context.Background(), fcRequest(r.d))
			if err != nil {
				t.Fatal(err)
			}
			var resp fc.HTTPResponse
			if err := json.Unmarshal(out, &resp); err != nil {
				t.Fatal(err)
			}
			var reply Reply
			if err := json.Unmarshal([]byte(resp.Body), &reply); err != nil {
				t.Fatalf("answer body is not JSON: %q", resp.Body)
			}
			if resp.StatusCode != r.status {
				t.Fatalf("status = %d (%+v), want %d", resp.StatusCode, reply, r.status)
			}
			if len(reply.Events) != r.events || b.Len() != r.events {
				t.Errorf("answer events %v, bus holds %d, want %d", reply.Events, b.Len(), r.events)
			}
			if r.status == http.StatusMethodNotAllowed && resp.Headers["Allow"] != "POST" {
				t.Errorf("Allow = %q", resp.Headers["Allow"])
			}
		})
	}
}

func TestBusRefuses(t *testing.T) {
	b := memory.New(memory.Options{})
	_ = b.Close()
	rt := newRouter(t, b)
	d := push("push", "d-9", []byte(`{"ref":"x"}`))

	resp, _ := rt.ServeFC(context.Background(), fcDecode(t, fcRequest(d)))
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("FC status = %d, want 503", resp.StatusCode)
	}
	srv := httptest.NewServer(rt)
	defer srv.Close()
	req, _ := http.NewRequest(d.method, srv.URL+d.path, bytes.NewReader(d.body))
	for k, v := range d.header {
		req.Header.Set(k, v)
	}
	hr, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	hr.Body.Close()
	if hr.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("HTTP status = %d, want 503", hr.StatusCode)
	}
}

func fcDecode(t *testing.T, b []byte) fc.HTTPRequest {
	var r fc.HTTPRequest
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestTooLargeWithoutLength(t *testing.T) {
	b := memory.New(memory.Options{})
	srv := httptest.NewServer(newRouter(t, b))
	defer srv.Close()
	body := []byte(`{"pad":"` + strings.Repeat("y", 10000) + `"}`)
	d := push("push", "d-10", body)
	// A reader of unknown length makes the client send it chunked.
	req, _ := http.NewRequest(d.method, srv.URL+d.path, io.MultiReader(bytes.NewReader(body)))
	req.ContentLength = -1
	for k, v := range d.header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("status = %d, want 413", resp.StatusCode)
	}
}

func TestBadBase64(t *testing.T) {
	rt := newRouter(t, memory.New(memory.Options{}))
	req := fcDecode(t, fcRequest(push("push", "d-11", []byte(`{}`))))
	req.Body = "%%%not base64"
	resp, _ := rt.ServeFC(context.Background(), req)
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("status = %d, want 400", resp.StatusCode)
	}
}

func TestRoutes(t *testing.T) {
	rt := newRouter(t, memory.New(memory.Options{}))
	var got []string
	for _, r := range rt.Routes() {
		got = append(got, r.Method+" "+r.Path+" "+r.EventSource+"/"+r.Event+" "+r.Kind)
	}
	want := "POST /ci/push ci/push github|POST /hooks/gitlab ci/mr gitlab|GET /hooks/query ci/query webhook"
	if strings.Join(got, "|") != want {
		t.Errorf("routes = %q", got)
	}
	_, err := New(sourcetest.EventSources(t, env, "eventsources.yaml", "conflict.yaml"), memory.New(memory.Options{}))
	if err == nil || !strings.Contains(err.Error(), "POST /hooks/gitlab is served by both ci/mr and other/same") {
		t.Errorf("conflict error = %v", err)
	}
	if _, err := New(nil, nil); err == nil {
		t.Error("router without publisher accepted")
	}
}
