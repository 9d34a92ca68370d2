package event

import (
	"encoding/json"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"
	"github.com/google/go-cmp/cmp"
)

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	tests := map[string]Event{
		"github push": {
			ID: "72d3162e-cc78-11e3-81ab-4c9367dc0958", Source: "github", Subject: "push", Type: "github",
			Time: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC), DataContentType: "application/json",
			Data: json.RawMessage(`{"headers":{"X-Github-Event":["push"]},"body":{"ref":"refs/heads/main"}}`),
		},
		"with extensions": {
			ID: "1", Source: "eb", Subject: "rule", Type: "eventbridge", DataContentType: "application/json",
			Data: json.RawMessage(`{"a":1}`), Extensions: map[string]string{"aliyunregionid": "cn-hangzhou"},
		},
		"no data": {ID: "2", Source: "s", Type: "t"},
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b, err := json.Marshal(in)
			if err != nil {
				t.Fatal(err)
			}
			// The CloudEvents SDK must accept what we write.
			var ce cloudevents.Event
			if err := json.Unmarshal(b, &ce); err != nil {
				t.Fatalf("cloudevents sdk rejects %s: %v", b, err)
			}
			if err := ce.Validate(); err != nil {
				t.Fatalf("cloudevents sdk: %v", err)
			}
			var out Event
			if err := json.Unmarshal(b, &out); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(in, out); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUnmarshalMalformed(t *testing.T) {
	t.Parallel()
	for name, in := range map[string]string{
		"not json":    `{`,
		"bad version": `{"specversion":"0.3","id":"1","source":"s","type":"t"}`,
		"bad time":    `{"specversion":"1.0","id":"1","source":"s","type":"t","time":"yesterday"}`,
		"bad base64":  `{"specversion":"1.0","id":"1","source":"s","type":"t","data_base64":"%%%"}`,
	} {
		t.Run(name, func(t *testing.T) {
			var e Event
			if err := json.Unmarshal([]byte(in), &e); err == nil {
				t.Errorf("accepted %s", in)
			}
		})
	}
}

func TestDataBase64(t *testing.T) {
	t.Parallel()
	var e Event
	if err := json.Unmarshal([]byte(`{"specversion":"1.0","id":"1","source":"s","type":"t","data_base64":"eyJhIjoxfQ=="}`), &e); err != nil {
		t.Fatal(err)
	}
	if string(e.Data) != `{"a":1}` {
		t.Errorf("data = %s", e.Data)
	}
	if err := json.Unmarshal([]byte(`{"specversion":"1.0","id":"1","source":"s","type":"t","data_base64":"aGVsbG8="}`), &e); err != nil {
		t.Fatal(err)
	}
	if string(e.Data) != `"hello"` {
		t.Errorf("data = %s", e.Data)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	for name, e := range map[string]Event{
		"no id":     {Source: "s", Type: "t"},
		"no source": {ID: "1", Type: "t"},
		"no type":   {ID: "1", Source: "s"},
		"bad data":  {ID: "1", Source: "s", Type: "t", Data: json.RawMessage(`{`)},
	} {
		if err := e.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := (Event{ID: "1", Source: "s", Type: "t"}).Validate(); err != nil {
		t.Error(err)
	}
}
