package event

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// SpecVersion is the CloudEvents version every event carries.
const SpecVersion = "1.0"

// Event is one normalized event: a CloudEvents 1.0 context plus its JSON data.
// Source is the EventSource name, Subject the event name inside it, Type the
// source kind (github, oss, mns, ...). Data is the payload a sensor's filters
// and parameters address.
type Event struct {
	ID              string
	Source          string
	Subject         string
	Type            string
	Time            time.Time
	DataContentType string
	DataSchema      string
	// Data is the JSON payload; nil when the event has none.
	Data json.RawMessage
	// Extensions holds CloudEvents extension attributes (string-valued).
	Extensions map[string]string
}

// wire is the structured-mode JSON shape of an Event.
type wire struct {
	SpecVersion     string          `json:"specversion"`
	ID              string          `json:"id"`
	Source          string          `json:"source"`
	Subject         string          `json:"subject,omitempty"`
	Type            string          `json:"type"`
	Time            string          `json:"time,omitempty"`
	DataContentType string          `json:"datacontenttype,omitempty"`
	DataSchema      string          `json:"dataschema,omitempty"`
	Data            json.RawMessage `json:"data,omitempty"`
	DataBase64      string          `json:"data_base64,omitempty"`
}

var reserved = map[string]bool{
	"specversion": true, "id": true, "source": true, "subject": true, "type": true, "time": true,
	"datacontenttype": true, "dataschema": true, "data": true, "data_base64": true,
}

// ErrInvalid marks an event that is not a valid CloudEvent.
var ErrInvalid = errors.New("invalid event")

// Validate reports whether the required CloudEvents attributes are present.
func (e Event) Validate() error {
	switch {
	case e.ID == "":
		return fmt.Errorf("%w: id is empty", ErrInvalid)
	case e.Source == "":
		return fmt.Errorf("%w: source is empty", ErrInvalid)
	case e.Type == "":
		return fmt.Errorf("%w: type is empty", ErrInvalid)
	}
	if len(e.Data) > 0 && !json.Valid(e.Data) {
		return fmt.Errorf("%w: data is not JSON", ErrInvalid)
	}
	return nil
}

// MarshalJSON encodes the event in CloudEvents structured JSON.
func (e Event) MarshalJSON() ([]byte, error) {
	w := wire{
		SpecVersion: SpecVersion, ID: e.ID, Source: e.Source, Subject: e.Subject, Type: e.Type,
		DataContentType: e.DataContentType, DataSchema: e.DataSchema, Data: e.Data,
	}
	if !e.Time.IsZero() {
		w.Time = e.Time.UTC().Format(time.RFC3339Nano)
	}
	if len(e.Data) > 0 && w.DataContentType == "" {
		w.DataContentType = "application/json"
	}
	if len(e.Extensions) == 0 {
		return json.Marshal(w)
	}
	base, err := json.Marshal(w)
	if err != nil {
		return nil, err
	}
	ext, err := json.Marshal(e.Extensions)
	if err != nil {
		return nil, err
	}
	// Splice extension attributes in as top-level members.
	out := make([]byte, 0, len(base)+len(ext))
	out = append(out, base[:len(base)-1]...)
	out = append(out, ',')
	out = append(out, ext[1:]...)
	return out, nil
}

// UnmarshalJSON decodes CloudEvents structured JSON. Data given as
// data_base64 is kept only if it decodes to JSON; otherwise it is kept as a
// JSON string of the raw text.
func (e *Event) UnmarshalJSON(b []byte) error {
	var w wire
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if w.SpecVersion != "" && w.SpecVersion != SpecVersion {
		return fmt.Errorf("%w: specversion %q is not %q", ErrInvalid, w.SpecVersion, SpecVersion)
	}
	*e = Event{
		ID: w.ID, Source: w.Source, Subject: w.Subject, Type: w.Type,
		DataContentType: w.DataContentType, DataSchema: w.DataSchema, Data: w.Data,
	}
	if w.Time != "" {
		t, err := time.Parse(time.RFC3339Nano, w.Time)
		if err != nil {
			return fmt.Errorf("%w: time: %v", ErrInvalid, err)
		}
		e.Time = t
	}
	if w.DataBase64 != "" && len(e.Data) == 0 {
		d, err := decodeBase64Data(w.DataBase64)
		if err != nil {
			return fmt.Errorf("%w: data_base64: %v", ErrInvalid, err)
		}
		e.Data = d
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	for k, v := range all {
		if reserved[k] {
			continue
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			s = string(v)
		}
		if e.Extensions == nil {
			e.Extensions = map[string]string{}
		}
		e.Extensions[k] = s
	}
	return nil
}
