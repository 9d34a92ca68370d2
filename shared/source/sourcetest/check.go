package sourcetest

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/fc-eventing/fc-eventing/shared/bus/memory"
	"github.com/fc-eventing/fc-eventing/shared/config"
	"github.com/fc-eventing/fc-eventing/shared/event"
	"github.com/fc-eventing/fc-eventing/shared/source"
	"github.com/fc-eventing/fc-eventing/test/fcruntime"
)

// EventSources parses each file under testdata/, resolving secrets from
// env alone (nil: none is set).
func EventSources(t testing.TB, env map[string]string, files ...string) []*config.EventSource {
	t.Helper()
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	out := make([]*config.EventSource, 0, len(files))
	for _, f := range files {
		es, err := config.ParseEventSourceEnv(filepath.Base(f), Read(t, filepath.Join("testdata", f)), lookup)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, es)
	}
	return out
}

// Hook builds, with a webhook kind's New, the hook of event name of the
// EventSource in testdata/eventsource.yaml, secrets resolved from env.
func Hook[H any](t testing.TB, newHook func(*config.EventSource, string) (H, error), name string, env map[string]string) H {
	t.Helper()
	h, err := newHook(EventSources(t, env, "eventsource.yaml")[0], name)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// CheckGolden asserts an outcome: valid events (CheckOutcome), the ones in
// the golden file testdata/<golden>, and as many notes as want.
func CheckGolden(t *testing.T, out source.Outcome, golden string, notes int) {
	t.Helper()
	CheckOutcome(t, out.Events)
	Golden(t, filepath.Join("testdata", golden), out.Events)
	if len(out.Notes) != notes {
		t.Errorf("notes = %q, want %d", out.Notes, notes)
	}
}

// CheckStatus asserts that err is the outcome answered with status.
func CheckStatus(t *testing.T, err error, status int) {
	t.Helper()
	if got := source.Status(err); got != status {
		t.Errorf("status = %d (%v), want %d", got, err, status)
	}
}

// CheckAny asserts what a parser must guarantee for any input, fuzzed or
// not: a bad request, or valid events (CheckOutcome).
func CheckAny(t *testing.T, out source.Outcome, err error) {
	t.Helper()
	if err != nil {
		if s := source.Status(err); s != http.StatusBadRequest {
			t.Fatalf("status %d for %v", s, err)
		}
		return
	}
	CheckOutcome(t, out.Events)
}

// ClosedBus is a memory bus that refuses every event.
func ClosedBus() *memory.Bus {
	b := memory.New(memory.Options{})
	_ = b.Close()
	return b
}

// Main runs a function package's tests, then removes the binaries built
// for them.
func Main(m *testing.M) {
	code := m.Run()
	if err := fcruntime.CleanupBuilds(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}

// Invoke invokes the deployed function with payload and decodes its
// answer.
func Invoke[R any](t *testing.T, d *Deployed, payload []byte) R {
	t.Helper()
	var ans R
	out, err := d.Function.Invoke(context.Background(), payload)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, &ans); err != nil {
		t.Fatalf("answer %q: %v", out, err)
	}
	return ans
}

// CheckEventFunction asserts what every deployed event function does: it
// answers payload with the id of the one event it made of it, once the bus
// holds that event (want's id, source, subject and type); it fails the
// invocation, so it is retried, for a malformed payload and when the bus
// is gone. It stops the bus.
func CheckEventFunction(t *testing.T, d *Deployed, payload []byte, want event.Event) {
	t.Helper()
	ans := Invoke[source.Answer](t, d, payload)
	if len(ans.Events) != 1 || ans.Events[0] != want.ID {
		t.Fatalf("answer = %+v", ans)
	}
	if got := d.Events(t, 1)[0]; got.ID != want.ID || got.Source != want.Source || got.Subject != want.Subject || got.Type != want.Type {
		t.Errorf("event on the bus = %+v", got)
	}

	var fe *fcruntime.FunctionError
	if _, err := d.Function.Invoke(context.Background(), []byte("[")); !errors.As(err, &fe) {
		t.Errorf("malformed payload: error = %v, want a function error", err)
	}
	d.StopBus()
	if _, err := d.Function.Invoke(context.Background(), payload); !errors.As(err, &fe) {
		t.Errorf("bus down: error = %v, want a function error", err)
	}
}

// CheckMalformed asserts that d refuses every payload (by name) as a bad
// request.
func CheckMalformed(t *testing.T, d source.Decoder, payloads map[string]string) {
	t.Helper()
	for name, payload := range payloads {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := d.Decode(context.Background(), []byte(payload))
			CheckStatus(t, err, http.StatusBadRequest)
		})
	}
}

// HubSignature is the "sha256=<hex>" signature GitHub and Bitbucket send:
// the HMAC-SHA256 of body under key.
func HubSignature(key string, body []byte) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}
