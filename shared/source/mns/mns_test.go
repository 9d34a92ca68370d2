package mns

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/fc-eventing/fc-eventing/shared/bus/memory"
	"github.com/fc-eventing/fc-eventing/shared/source"
	"github.com/fc-eventing/fc-eventing/shared/source/sourcetest"
)

func decoder(t testing.TB, files ...string) *Decoder {
	t.Helper()
	if len(files) == 0 {
		files = []string{"eventsources.yaml"}
	}
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
		"topic JSON format":            {nil, "topic-json.json", "topic-json.events.json", 0},
		"topic STREAM, not JSON":       {nil, "topic-stream.txt", "none.events.json", 1},
		"topic STREAM, any event":      {[]string{"everything.yaml"}, "topic-stream.txt", "topic-stream.events.json", 0},
		"topic STREAM with attrs":      {nil, "topic-stream-attrs.json", "topic-stream-attrs.events.json", 0},
		"queue event, base64 body":     {nil, "queue.json", "queue.events.json", 0},
		"queue batch, filter drops":    {nil, "queue-batch.json", "queue-batch.events.json", 2},
		"fan-out to two event sources": {[]string{"eventsources.yaml", "everything.yaml"}, "queue.json", "fan-out.events.json", 0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out, err := decoder(t, tc.files...).Decode(context.Background(), sourcetest.Read(t, "testdata/"+tc.payload))
			if err != nil {
				t.Fatal(err)
			}
			sourcetest.CheckGolden(t, out, tc.golden, tc.notes)
		})
	}
}

func TestMalformed(t *testing.T) {
	t.Parallel()
	d := decoder(t)
	sourcetest.CheckMalformed(t, d, map[string]string{
		"empty":                  ``,
		"broken array":           `[{"id":`,
		"queue event without id": `{"specversion":"1.0","data":{"messageBody":"x"}}`,
		"queue data wrong type":  `{"specversion":"1.0","data":{"messageId":7}}`,
		"topic without id":       `{"TopicName":"orders","MessageId":"","Message":"x"}`,
		"array of non-events":    `[1,2]`,
	})
}

func TestFunction(t *testing.T) {
	t.Parallel()
	b := memory.New(memory.Options{})
	ans, err := source.Function(decoder(t), b)(context.Background(), sourcetest.Read(t, "testdata/topic-json.json"))
	if err != nil {
		t.Fatal(err)
	}
	got := sourcetest.Drain(t, b, len(ans.Events))
	for i, e := range got {
		if e.ID != ans.Events[i] || e.Type != Kind {
			t.Errorf("bus event %d = %s/%s, answer %s", i, e.ID, e.Type, ans.Events[i])
		}
	}
	_, err = source.Function(decoder(t), sourcetest.ClosedBus())(context.Background(), sourcetest.Read(t, "testdata/queue.json"))
	if got := source.Status(err); got != http.StatusServiceUnavailable {
		t.Errorf("refusing bus: status = %d (%v), want 503", got, err)
	}
}

func FuzzDecode(f *testing.F) {
	for _, p := range []string{"topic-json.json", "topic-stream.txt", "topic-stream-attrs.json", "queue.json", "queue-batch.json"} {
		f.Add(sourcetest.Read(f, "testdata/"+p))
	}
	d := decoder(f, "eventsources.yaml", "everything.yaml")
	f.Fuzz(func(t *testing.T, payload []byte) {
		out, err := d.Decode(context.Background(), payload)
		sourcetest.CheckAny(t, out, err)
	})
}
