package gitee

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fc-eventing/fc-eventing/shared/source"
	"github.com/fc-eventing/fc-eventing/shared/source/sourcetest"
)

const secret = "SECa1b2c3d4e5f6"

func hook(t testing.TB, name string) *Hook {
	t.Helper()
	h := sourcetest.Hook(t, New, name, map[string]string{"GITEE_SECRET": secret})
	return h
}

func request(kind string, body []byte, token string, ts int64) source.Request {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "git-oschina-hook")
	h.Set(HeaderEvent, kind)
	if token != "" {
		h.Set(HeaderToken, token)
	}
	if ts != 0 {
		h.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	}
	return source.Request{Method: http.MethodPost, Path: "/gitee/signed", Header: h, Body: body, Received: sourcetest.Received}
}

func TestSignVector(t *testing.T) {
	t.Parallel()
	// Gitee's published example inputs; the value was computed independently
	// (Python hmac + base64) from the documented algorithm: HMAC-SHA256 keyed with the
	// secret over "<timestamp>\n<secret>", base64.
	got := Sign("this is secret", 1576754827988)
	if got != "2D978FIy4DMMTbiN80zQkNH1Eq/kMBt3gL6OnWfGzzY=" {
		t.Errorf("Sign = %s", got)
	}
}

func TestGolden(t *testing.T) {
	t.Parallel()
	push := sourcetest.Read(t, "testdata/push.json")
	now := sourcetest.Received.UnixMilli()
	withPassword := []byte(strings.Replace(string(push), `"password": ""`, `"password": "`+secret+`"`, 1))
	tests := map[string]struct {
		event  string
		req    source.Request
		golden string
		notes  int
	}{
		"signed":                 {"signed", request("Push Hook", push, Sign(secret, now-5000), now-5000), "push.events.json", 0},
		"signed, url-encoded":    {"signed", request("Push Hook", push, url.QueryEscape(Sign(secret, now)), now), "push-escaped.events.json", 0},
		"password mode redacted": {"password", request("Push Hook", withPassword, secret, now), "password.events.json", 0},
		"event not allowed":      {"signed", request("Tag Push Hook", push, Sign(secret, now), now), "none.events.json", 1},
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
				if strings.Contains(string(e.Data), secret) {
					t.Errorf("event data carries the secret: %s", e.Data)
				}
			}
		})
	}
}

func TestRefused(t *testing.T) {
	t.Parallel()
	push := sourcetest.Read(t, "testdata/push.json")
	now := sourcetest.Received.UnixMilli()
	stale := now - (time.Hour + time.Minute).Milliseconds()
	tests := map[string]struct {
		event  string
		req    source.Request
		status int
	}{
		"no token":             {"signed", request("Push Hook", push, "", now), http.StatusUnauthorized},
		"wrong secret":         {"signed", request("Push Hook", push, Sign("other", now), now), http.StatusUnauthorized},
		"stale timestamp":      {"signed", request("Push Hook", push, Sign(secret, stale), stale), http.StatusUnauthorized},
		"no timestamp":         {"signed", request("Push Hook", push, Sign(secret, now), 0), http.StatusUnauthorized},
		"password as sig mode": {"signed", request("Push Hook", push, secret, now), http.StatusUnauthorized},
		"wrong password":       {"password", request("Push Hook", push, "guess", now), http.StatusUnauthorized},
		"no event header":      {"signed", request("", push, Sign(secret, now), now), http.StatusBadRequest},
		"body not json":        {"signed", request("Push Hook", []byte("<xml/>"), Sign(secret, now), now), http.StatusBadRequest},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := hook(t, tc.event).Handle(context.Background(), tc.req)
			sourcetest.CheckStatus(t, err, tc.status)
		})
	}
}

func FuzzHandle(f *testing.F) {
	f.Add(sourcetest.Read(f, "testdata/push.json"), "Push Hook", int64(0))
	f.Add([]byte(`{"password":"x"}`), "Push Hook", int64(-1))
	h := hook(f, "signed")
	now := sourcetest.Received.UnixMilli()
	f.Fuzz(func(t *testing.T, body []byte, kind string, skew int64) {
		ts := now + skew
		out, err := h.Handle(context.Background(), request(kind, body, Sign(secret, ts), ts))
		if err != nil {
			if s := source.Status(err); s != http.StatusBadRequest && s != http.StatusUnauthorized {
				t.Fatalf("status %d for %v", s, err)
			}
			return
		}
		sourcetest.CheckOutcome(t, out.Events)
	})
}
