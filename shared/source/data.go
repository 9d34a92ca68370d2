package source

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/fc-eventing/fc-eventing/shared/event"
)

// GitData is the data of a git provider event as Argo Events shapes it
// (GithubEventData, GitLabEventData, BitbucketEventData, ...): every header
// with its values, the JSON body and the event's metadata.
type GitData struct {
	Headers  http.Header       `json:"headers"`
	Body     json.RawMessage   `json:"body"`
	Metadata map[string]string `json:"metadata,omitempty"`
}

// WebhookData is the data of a generic webhook event as Argo Events shapes it
// (WebhookEvent): note "header", not "headers".
type WebhookData struct {
	Header   http.Header       `json:"header"`
	Body     json.RawMessage   `json:"body"`
	Metadata map[string]string `json:"metadata,omitempty"`
}

// Meta names the event a source produces: EventSource name, event name and
// kind, as CloudEvents source, subject and type.
type Meta struct {
	EventSource string
	Event       string
	Kind        string
}

// New builds an event of m with the given id, time and data, encoding data
// to JSON.
func (m Meta) New(id string, t time.Time, data any) (event.Event, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return event.Event{}, fmt.Errorf("encoding %s event data: %w", m.Kind, err)
	}
	e := event.Event{
		ID: id, Source: m.EventSource, Subject: m.Event, Type: m.Kind, Time: t.UTC(),
		DataContentType: "application/json", Data: raw,
	}
	if err := e.Validate(); err != nil {
		return event.Event{}, fmt.Errorf("building %s event: %w", m.Kind, err)
	}
	return e, nil
}

// CloneHeader copies h so the event data does not alias the request.
func CloneHeader(h http.Header) http.Header {
	if h == nil {
		return http.Header{}
	}
	return h.Clone()
}
