package smq_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fc-eventing/fc-eventing/shared/bus"
	"github.com/fc-eventing/fc-eventing/shared/bus/memory"
	"github.com/fc-eventing/fc-eventing/shared/bus/ossref"
	"github.com/fc-eventing/fc-eventing/shared/bus/smq"
	"github.com/fc-eventing/fc-eventing/shared/event"
)

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPushDecodesEveryBodyForm(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		file string
		want []string
	}{
		"batch of string, base64 and object bodies": {"push-batch.json", []string{"e-1", "e-2", "e-3"}},
		"single event": {"push-single.json", []string{"e-1"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var got []string
			p := &smq.Push{}
			err := p.Handle(context.Background(), readFile(t, tc.file), func(_ context.Context, m bus.Message) error {
				got = append(got, m.Event.ID)
				if string(m.Event.Data) != `{"body":{"ref":"refs/heads/main"}}` {
					t.Errorf("event %s data = %s", m.Event.ID, m.Event.Data)
				}
				if m.Delivery != 1 {
					t.Errorf("Delivery = %d", m.Delivery)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPushRoundTripGolden(t *testing.T) {
	t.Parallel()
	batch, err := smq.DecodePush(readFile(t, "push-batch.json"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(batch)
	if err != nil {
		t.Fatal(err)
	}
	again, err := smq.DecodePush(out)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(batch, again, cmp.Transformer("json", func(r json.RawMessage) string {
		var v any
		_ = json.Unmarshal(r, &v)
		b, _ := json.Marshal(v)
		return string(b)
	})); diff != "" {
		t.Errorf("decode/encode/decode differs:\n%s", diff)
	}
	if batch[0].Data.MessageID != "C6DB60D1574661357FA2272774450001" || batch[0].Type != "mns:Queue:SendMessage" {
		t.Errorf("first event = %+v", batch[0])
	}
}

func TestPushFailures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ok := func(context.Context, bus.Message) error { return nil }

	if err := (&smq.Push{}).Handle(ctx, []byte(`{not json`), ok); err == nil {
		t.Error("malformed payload accepted")
	}
	if err := (&smq.Push{}).Handle(ctx, readFile(t, "push-malformed.json"), ok); err == nil || !strings.Contains(err.Error(), "M1") {
		t.Errorf("undecodable body without dead-letter = %v, want an error naming the message", err)
	}

	dl := memory.New(memory.Options{})
	p := &smq.Push{DeadLetter: dl}
	if err := p.Handle(ctx, readFile(t, "push-malformed.json"), ok); err != nil {
		t.Errorf("undecodable body with dead-letter = %v, want it handed off", err)
	}
	calls := 0
	err := p.Handle(ctx, readFile(t, "push-batch.json"), func(_ context.Context, m bus.Message) error {
		calls++
		switch m.Event.ID {
		case "e-1":
			return bus.Permanent(errors.New("never matches"))
		case "e-2":
			return errors.New("cluster unreachable")
		}
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "cluster unreachable") || strings.Contains(err.Error(), "never matches") {
		t.Errorf("batch error = %v, want only the transient failure", err)
	}
	if calls != 3 {
		t.Errorf("handler called %d times, want every message tried", calls)
	}
	if dl.Len() != 2 {
		t.Errorf("dead letters = %d, want the undecodable and the permanent one", dl.Len())
	}
}

func TestPushResolvesReferences(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	big := event.Event{ID: "big", Source: "s", Type: "t", Data: json.RawMessage(`{"x":"` + strings.Repeat("y", 100000) + `"}`)}
	enc, _ := json.Marshal(big)
	ref, err := ossref.Offload(ctx, blobs, big, enc)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(ref)
	payload, _ := json.Marshal([]smq.PushEvent{{ID: "1", Source: "acs:mns", Type: "mns:Queue:SendMessage",
		Data: smq.PushData{MessageID: "m", MessageBody: mustJSON(string(body))}}})
	var got int
	err = (&smq.Push{Blobs: blobs}).Handle(ctx, payload, func(_ context.Context, m bus.Message) error {
		got = len(m.Event.Data)
		return nil
	})
	if err != nil || got != len(big.Data) {
		t.Errorf("resolved %d bytes (%v), want %d", got, err, len(big.Data))
	}
	if err := (&smq.Push{}).Handle(ctx, payload, func(context.Context, bus.Message) error { return nil }); !errors.Is(err, ossref.ErrReference) {
		t.Errorf("reference without a store = %v, want ErrReference", err)
	}
}

func mustJSON(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}

func FuzzDecodePush(f *testing.F) {
	for _, name := range []string{"push-batch.json", "push-single.json", "push-malformed.json"} {
		f.Add(readFile(f, name))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		batch, err := smq.DecodePush(payload)
		if err != nil {
			return
		}
		for _, pe := range batch {
			if body, err := pe.Data.Body(); err == nil {
				if e, err := smq.DecodeBody(body); err == nil && e.Validate() != nil {
					t.Errorf("DecodeBody returned an invalid event %+v", e)
				}
			}
		}
	})
}

func FuzzDecodeBody(f *testing.F) {
	f.Add(`{"specversion":"1.0","id":"1","source":"s","type":"t"}`)
	f.Add(`eyJzcGVjdmVyc2lvbiI6IjEuMCIsImlkIjoiMSIsInNvdXJjZSI6InMiLCJ0eXBlIjoidCJ9`)
	f.Add(`<Notification><Message>{"id":"1","source":"s","type":"t"}</Message></Notification>`)
	f.Add(`not json`)
	f.Fuzz(func(t *testing.T, body string) {
		e, err := smq.DecodeBody(body)
		if err == nil && e.Validate() != nil {
			t.Errorf("DecodeBody(%q) returned an invalid event", body)
		}
	})
}
