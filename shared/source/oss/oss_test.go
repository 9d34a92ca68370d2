package oss

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/fc-eventing/fc-eventing/shared/bus/memory"
	"github.com/fc-eventing/fc-eventing/shared/config"
	"github.com/fc-eventing/fc-eventing/shared/source"
	"github.com/fc-eventing/fc-eventing/shared/source/sourcetest"
)

func decoder(t testing.TB, files ...string) *Decoder {
	t.Helper()
	d, err := New(sourcetest.EventSources(t, nil, files...))
	if err != nil {
		t.Fatal(err)
	}
	d.Now = func() time.Time { return sourcetest.Received }
	return d
}

func TestGolden(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		files   []string
		payload string
		golden  string
		notes   int
	}{
		"matched by bucket, pattern, prefix, suffix": {[]string{"eventsources.yaml"}, "put-object.json", "put-object.events.json", 2},
		"one record fans out to two event sources":   {[]string{"eventsources.yaml", "everything.yaml"}, "put-object.json", "fan-out.events.json", 2},
		"EventBridge-based trigger, same event":      {[]string{"eventsources.yaml"}, "eventbridge-trigger.json", "eventbridge-trigger.events.json", 1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out, err := decoder(t, tc.files...).Decode(context.Background(), sourcetest.Read(t, "testdata/"+tc.payload))
			if err != nil {
				t.Fatal(err)
			}
			sourcetest.CheckOutcome(t, out.Events)
			sourcetest.Golden(t, "testdata/"+tc.golden, out.Events)
			// big-files drops every record (size too small): one note each.
			if len(out.Notes) != tc.notes {
				t.Errorf("notes = %q", out.Notes)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	t.Parallel()
	rec := func(bucket, key, name string) Record {
		var r Record
		r.EventName, r.OSS.Bucket.Name, r.OSS.Object.Key = name, bucket, key
		return r
	}
	tests := map[string]struct {
		spec config.OSSEventSource
		rec  Record
		want bool
	}{
		"empty spec matches all":      {config.OSSEventSource{}, rec("b", "k", "ObjectCreated:PutObject"), true},
		"wildcard":                    {config.OSSEventSource{Events: []string{"ObjectCreated:*"}}, rec("b", "k", "ObjectCreated:PostObject"), true},
		"oss prefix on pattern":       {config.OSSEventSource{Events: []string{"oss:ObjectCreated:*"}}, rec("b", "k", "ObjectCreated:PutObject"), true},
		"oss prefix on record":        {config.OSSEventSource{Events: []string{"ObjectCreated:PutObject"}}, rec("b", "k", "oss:ObjectCreated:PutObject"), true},
		"other event":                 {config.OSSEventSource{Events: []string{"ObjectCreated:*"}}, rec("b", "k", "ObjectRemoved:DeleteObject"), false},
		"other bucket":                {config.OSSEventSource{Bucket: "a"}, rec("b", "k", "ObjectCreated:PutObject"), false},
		"prefix":                      {config.OSSEventSource{Prefix: "in/"}, rec("b", "out/k", "ObjectCreated:PutObject"), false},
		"suffix":                      {config.OSSEventSource{Suffix: ".jpg"}, rec("b", "k.png", "ObjectCreated:PutObject"), false},
		"exact name without wildcard": {config.OSSEventSource{Events: []string{"ObjectCreated:Put"}}, rec("b", "k", "ObjectCreated:PutObject"), false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := match(tc.spec, tc.rec); got != tc.want {
				t.Errorf("match = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestMalformed(t *testing.T) {
	t.Parallel()
	d := decoder(t, "everything.yaml")
	sourcetest.CheckMalformed(t, d, map[string]string{
		"not json":                 `events`,
		"no events":                `{"Records": []}`,
		"record no key":            `{"events": [{"eventName": "ObjectCreated:PutObject", "oss": {"bucket": {"name": "b"}}}]}`,
		"record wrong":             `{"events": [{"eventName": 5}]}`,
		"events not arr":           `{"events": {}}`,
		"cloud event without data": `{"specversion": "1.0", "id": "x"}`,
		"array of non-events":      `[{"id": "x"}]`,
	})
}

func TestFunction(t *testing.T) {
	t.Parallel()
	payload := sourcetest.Read(t, "testdata/put-object.json")
	b := memory.New(memory.Options{})
	h := source.Function(decoder(t, "eventsources.yaml"), b)
	ans, err := h(context.Background(), payload)
	if err != nil {
		t.Fatal(err)
	}
	if len(ans.Events) != 2 {
		t.Fatalf("answer = %+v", ans)
	}
	got := sourcetest.Drain(t, b, 2)
	if got[0].ID != ans.Events[0] || got[1].ID != ans.Events[1] {
		t.Errorf("bus holds %s, %s; answer says %v", got[0].ID, got[1].ID, ans.Events)
	}
	// A retried batch publishes the same ids: the bus keeps one copy.
	if _, err := h(context.Background(), payload); err != nil {
		t.Fatal(err)
	}
	if n := b.Len(); n != 0 {
		t.Errorf("retried batch added %d messages", n)
	}

	_, err = source.Function(decoder(t, "eventsources.yaml"), sourcetest.ClosedBus())(context.Background(), payload)
	if got := source.Status(err); got != http.StatusServiceUnavailable {
		t.Errorf("refusing bus: status = %d (%v), want 503", got, err)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(sourcetest.Read(f, "testdata/put-object.json"))
	f.Add([]byte(`{"events":[]}`))
	f.Add(sourcetest.Read(f, "testdata/eventbridge-trigger.json"))
	f.Add([]byte(`{"events":[{"eventName":"x","oss":{"object":{"key":"k"}}}]}`))
	d := decoder(f, "eventsources.yaml", "everything.yaml")
	f.Fuzz(func(t *testing.T, payload []byte) {
		out, err := d.Decode(context.Background(), payload)
		sourcetest.CheckAny(t, out, err)
	})
}
