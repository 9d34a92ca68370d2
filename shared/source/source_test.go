package source

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fc-eventing/fc-eventing/shared/bus"
	"github.com/fc-eventing/fc-eventing/shared/bus/memory"
	"github.com/fc-eventing/fc-eventing/shared/config"
	"github.com/fc-eventing/fc-eventing/shared/event"
)

func TestStatus(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		err  error
		want int
	}{
		"nil":                {nil, http.StatusOK},
		"bad request":        {fmt.Errorf("decoding: %w", ErrBadRequest), http.StatusBadRequest},
		"bad signature":      {fmt.Errorf("verifying: %w", ErrBadSignature), http.StatusUnauthorized},
		"not found":          {ErrNotFound, http.StatusNotFound},
		"method":             {ErrMethodNotAllowed, http.StatusMethodNotAllowed},
		"too large":          {ErrTooLarge, http.StatusRequestEntityTooLarge},
		"unavailable":        {ErrUnavailable, http.StatusServiceUnavailable},
		"bus unavailable":    {fmt.Errorf("x: %w", bus.ErrUnavailable), http.StatusServiceUnavailable},
		"anything else":      {errors.New("boom"), http.StatusInternalServerError},
		"signature over bad": {fmt.Errorf("%w: %w", ErrBadSignature, ErrBadRequest), http.StatusBadRequest},
	}
	for name, tc := range tests {
		if got := Status(tc.err); got != tc.want {
			t.Errorf("%s: Status = %d, want %d", name, got, tc.want)
		}
	}
}

func TestFilter(t *testing.T) {
	t.Parallel()
	if f, err := NewFilter("  "); f != nil || err != nil {
		t.Errorf("empty expression = %v, %v", f, err)
	}
	if _, err := NewFilter("a =="); err == nil {
		t.Error("bad expression compiled")
	}
	f, err := NewFilter(`x_y.n > 1 && body.kind in ["a", "b"]`)
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		data    string
		want    bool
		wantErr bool
	}{
		"match, dash read as underscore": {`{"x-y": {"n": 2}, "body": {"kind": "a"}}`, true, false},
		"no match":                       {`{"x-y": {"n": 2}, "body": {"kind": "c"}}`, false, false},
		"missing key fails closed":       {`{"body": {"kind": "a"}}`, false, true},
		"not an object":                  {`[1]`, false, true},
	}
	for name, tc := range tests {
		got, err := f.Match(json.RawMessage(tc.data))
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("%s: Match = %v, %v", name, got, err)
		}
	}
	h, err := NewFilter(`asInt(body.n) + 1 == 3 && asFloat(body.f) > 1.5 && toJson(body.tags) == "[\"a\"]"`)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := h.Match(json.RawMessage(`{"body": {"n": "2", "f": 1.75, "tags": ["a"]}}`)); !ok || err != nil {
		t.Errorf("helpers: Match = %v, %v", ok, err)
	}
	if ok, err := h.Match(json.RawMessage(`{"body": {"n": "two", "f": 1.75, "tags": ["a"]}}`)); ok || err == nil {
		t.Errorf("helper error: Match = %v, %v", ok, err)
	}
	var nilFilter *Filter
	if ok, err := nilFilter.Match(json.RawMessage(`null`)); !ok || err != nil {
		t.Errorf("nil filter = %v, %v", ok, err)
	}
	var o Outcome
	e := event.Event{ID: "1", Source: "s", Subject: "e", Type: "t", Data: json.RawMessage(`{"body": {}}`)}
	f.Keep(&o, e)
	if len(o.Events) != 0 || len(o.Notes) != 1 {
		t.Errorf("failed filter kept %+v", o)
	}
}

func TestDistinct(t *testing.T) {
	t.Parallel()
	events := []event.Event{
		{ID: "m1", Source: "a", Subject: "x"}, {ID: "m1", Source: "b", Subject: "y"}, {ID: "m2", Source: "a", Subject: "x"},
	}
	Distinct(events)
	var ids []string
	for _, e := range events {
		ids = append(ids, e.ID)
	}
	if diff := cmp.Diff([]string{"m1/a/x", "m1/b/y", "m2"}, ids); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
}

func TestPublish(t *testing.T) {
	t.Parallel()
	events := []event.Event{{ID: "1", Source: "s", Type: "t"}, {ID: "2", Source: "s", Type: "t"}}
	b := memory.New(memory.Options{})
	if err := Publish(context.Background(), b, events); err != nil {
		t.Fatal(err)
	}
	if b.Len() != 2 {
		t.Errorf("bus holds %d", b.Len())
	}
	_ = b.Close()
	err := Publish(context.Background(), b, events)
	if !errors.Is(err, ErrUnavailable) || !errors.Is(err, memory.ErrClosed) {
		t.Errorf("error = %v, want ErrUnavailable wrapping the bus error", err)
	}
}

func TestHelpers(t *testing.T) {
	t.Parallel()
	if BodyID([]byte("a")) != BodyID([]byte("a")) || BodyID([]byte("a")) == BodyID([]byte("b")) {
		t.Error("BodyID is not a stable content id")
	}
	if a := NewAllowList([]string{"push", "*"}); !a.Allows("anything") {
		t.Error(`"*" does not allow all`)
	}
	if a := NewAllowList([]string{"push"}); a.Allows("issues") || !a.Allows("push") {
		t.Error("allow-list wrong")
	}
	if !IsForm(http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=UTF-8"}}) || IsForm(http.Header{}) {
		t.Error("IsForm wrong")
	}
	if err := VerifyToken("s", "s", "X-Token"); err != nil {
		t.Error(err)
	}
	if err := VerifyToken("s", "", "X-Token"); !errors.Is(err, ErrBadSignature) {
		t.Errorf("missing token: %v", err)
	}
}

func TestNewGit(t *testing.T) {
	t.Parallel()
	ref := &config.SecretKeySelector{Name: "a", Key: "b"}
	es := &config.EventSource{Metadata: config.ObjectMeta{Name: "es"}, Spec: config.EventSourceSpec{
		Gitlab: map[string]config.GitlabEventSource{
			"locked": {SecretToken: ref},
			"open":   {AllowUnauthenticated: true, Events: []string{"PushEvents"}, Metadata: map[string]string{"team": "x"}},
		},
		Bitbucket: map[string]config.BitbucketEventSource{"locked": {WebhookSecret: ref}},
	}}
	g, err := NewGit(es, "gitlab", "open", es.Spec.Gitlab)
	if err != nil {
		t.Fatal(err)
	}
	if g.Meta != (Meta{EventSource: "es", Event: "open", Kind: "gitlab"}) || !g.Allow.Allows("PushEvents") || g.Allow.Allows("TagPushEvents") || g.Metadata["team"] != "x" {
		t.Errorf("NewGit = %+v", g)
	}
	for name, tc := range map[string]struct {
		err  error
		want string
	}{
		"unknown event":           {func() error { _, err := NewGit(es, "gitlab", "nope", es.Spec.Gitlab); return err }(), "spec.gitlab.nope: no such event"},
		"gitlab secretToken":      {func() error { _, err := NewGit(es, "gitlab", "locked", es.Spec.Gitlab); return err }(), "spec.gitlab.locked.secretToken"},
		"bitbucket webhookSecret": {func() error { _, err := NewGit(es, "bitbucket", "locked", es.Spec.Bitbucket); return err }(), "spec.bitbucket.locked.webhookSecret"},
	} {
		if !errors.Is(tc.err, config.ErrInvalid) || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("%s: error = %v, want one at %s", name, tc.err, tc.want)
		}
	}
}
