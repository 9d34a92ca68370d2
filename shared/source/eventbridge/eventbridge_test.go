package eventbridge

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fc-eventing/fc-eventing/shared/bus/memory"
	"github.com/fc-eventing/fc-eventing/shared/source"
	"github.com/fc-eventing/fc-eventing/shared/source/sourcetest"
)

func decoder(t testing.TB) *Decoder {
	t.Helper()
	d, err := New(sourcetest.EventSources(t, nil, "eventsources.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	d.Now = func() time.Time { return sourcetest.Received }
	return d
}

func TestGolden(t *testing.T) {
	t.Parallel()
	stopped := strings.Replace(string(sourcetest.Read(t, "testdata/ecs-event.json")), `"Running"`, `"Stopped"`, 1)
	tests := map[string]struct {
		payload []byte
		golden  string
		notes   int
	}{
		"one CloudEvent":                 {sourcetest.Read(t, "testdata/ecs-event.json"), "ecs-event.events.json", 0},
		"streaming batch, PRC time kept": {sourcetest.Read(t, "testdata/stream-batch.json"), "stream-batch.events.json", 1},
		"filter drops":                   {[]byte(stopped), "none.events.json", 1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out, err := decoder(t).Decode(context.Background(), tc.payload)
			if err != nil {
				t.Fatal(err)
			}
			sourcetest.CheckGolden(t, out, tc.golden, tc.notes)
		})
	}
}

func TestGlob(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		pattern, s string
		want       bool
	}{
		{"ecs:Instance:*", "ecs:Instance:StateChange", true},
		{"*", "", true},
		{"acs.*", "acs.ecs", true},
		{"*:PutObject", "oss:ObjectCreated:PutObject", true},
		{"oss:*:Put*", "oss:ObjectCreated:PutObject", true},
		{"oss:*:Put*", "oss:ObjectRemoved:DeleteObject", false},
		{"acs.ecs", "acs.ecs2", false},
		{"a*a", "a", false},
	} {
		if got := source.Glob(tc.pattern, tc.s); got != tc.want {
			t.Errorf("Glob(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}

func TestMalformed(t *testing.T) {
	t.Parallel()
	d := decoder(t)
	sourcetest.CheckMalformed(t, d, map[string]string{
		"not json":        `hello`,
		"number":          `42`,
		"broken":          `{"id":`,
		"missing id":      `{"source":"acs.ecs","type":"ecs:x"}`,
		"missing type":    `{"id":"1","source":"acs.ecs"}`,
		"array of junk":   `[{"id":"1","source":"s","type":"t"}, 5]`,
		"id not a string": `{"id":1,"source":"s","type":"t"}`,
	})
}

func TestFunction(t *testing.T) {
	t.Parallel()
	b := memory.New(memory.Options{})
	ans, err := source.Function(decoder(t), b)(context.Background(), sourcetest.Read(t, "testdata/ecs-event.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ans.Events) != 1 || ans.Events[0] != "45ef4dewdwe1-7c35-447a-bd93-fab****" {
		t.Fatalf("answer = %+v", ans)
	}
	if got := sourcetest.Drain(t, b, 1); got[0].Source != "bridge" || got[0].Subject != "ecs-running" {
		t.Errorf("bus event = %+v", got[0])
	}
	_, err = source.Function(decoder(t), sourcetest.ClosedBus())(context.Background(), sourcetest.Read(t, "testdata/stream-batch.json"))
	if got := source.Status(err); got != http.StatusServiceUnavailable {
		t.Errorf("refusing bus: status = %d (%v), want 503", got, err)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(sourcetest.Read(f, "testdata/ecs-event.json"))
	f.Add(sourcetest.Read(f, "testdata/stream-batch.json"))
	f.Add([]byte(`[]`))
	d := decoder(f)
	f.Fuzz(func(t *testing.T, payload []byte) {
		out, err := d.Decode(context.Background(), payload)
		sourcetest.CheckAny(t, out, err)
	})
}
