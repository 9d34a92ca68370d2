package source

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"time"

	"github.com/fc-eventing/fc-eventing/shared/event"
)

// Request is one webhook delivery as bytes and headers, whether it came
// through the FC HTTP trigger or a net/http server.
type Request struct {
	Method string
	Path   string
	Header http.Header
	Query  url.Values
	Body   []byte
	// Received is when the delivery arrived; it becomes the event time.
	Received time.Time
}

// Outcome is what one delivery turned into.
type Outcome struct {
	Events []event.Event
	// Notes says why (part of) a delivery produced no event: a ping, an
	// event type not allowed, a filter that did not match or failed.
	Notes []string
}

// Add appends another outcome.
func (o *Outcome) Add(p Outcome) {
	o.Events = append(o.Events, p.Events...)
	o.Notes = append(o.Notes, p.Notes...)
}

// Hook turns a webhook delivery for one configured event into events.
type Hook interface {
	Handle(ctx context.Context, r Request) (Outcome, error)
}

// Decoder turns the payload FC hands a source function into events.
type Decoder interface {
	Decode(ctx context.Context, payload []byte) (Outcome, error)
}

// BodyID is the id of a delivery whose provider sends no delivery id: a
// hash of the body, so a redelivered body keeps its id.
func BodyID(body []byte) string {
	sum := sha256.Sum256(body)
	return "sha256-" + hex.EncodeToString(sum[:16])
}

// FirstHeader is the first non-empty value among the named headers.
func FirstHeader(h http.Header, names ...string) string {
	for _, n := range names {
		if v := h.Get(n); v != "" {
			return v
		}
	}
	return ""
}

// Distinct keeps event ids unique within one delivery: when one upstream
// record became events of several EventSource events (same upstream id),
// each id is qualified with its source and subject, so a bus that dedupes
// by id keeps them all. A record that became one event keeps the upstream
// id unchanged.
func Distinct(events []event.Event) {
	n := map[string]int{}
	for _, e := range events {
		n[e.ID]++
	}
	for i := range events {
		if n[events[i].ID] > 1 {
			events[i].ID = events[i].ID + "/" + events[i].Source + "/" + events[i].Subject
		}
	}
}
