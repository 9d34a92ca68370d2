package github

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/fc-eventing/fc-eventing/shared/config"
	"github.com/fc-eventing/fc-eventing/shared/source"
)

// Kind is the event type of GitHub events.
const Kind = "github"

// GitHub delivery headers.
const (
	HeaderEvent     = "X-GitHub-Event"
	HeaderDelivery  = "X-GitHub-Delivery"
	HeaderSignature = "X-Hub-Signature-256"
)

// Hook receives the deliveries of one configured GitHub event.
type Hook struct{ source.Git }

var _ source.Hook = (*Hook)(nil)

// New builds the hook of event name of es.
func New(es *config.EventSource, name string) (*Hook, error) {
	g, err := source.NewGit(es, Kind, name, es.Spec.Github)
	if err != nil {
		return nil, err
	}
	return &Hook{g}, nil
}

// Handle verifies and decodes one delivery.
func (h *Hook) Handle(_ context.Context, r source.Request) (source.Outcome, error) {
	if h.Secret != "" {
		if err := source.VerifyHubSignature(h.Secret, r.Body, r.Header.Get(HeaderSignature)); err != nil {
			return source.Outcome{}, fmt.Errorf("verifying GitHub delivery: %w", err)
		}
	}
	kind := r.Header.Get(HeaderEvent)
	if kind == "" {
		return source.Outcome{}, fmt.Errorf("%w: no %s header", source.ErrBadRequest, HeaderEvent)
	}
	delivery := r.Header.Get(HeaderDelivery)
	if kind == "ping" {
		return source.Outcome{Notes: []string{"GitHub ping " + delivery + " answered"}}, nil
	}
	if !h.Allow.Allows(kind) {
		return source.Outcome{Notes: []string{fmt.Sprintf("GitHub event %q is not in events of %s/%s", kind, h.Meta.EventSource, h.Meta.Event)}}, nil
	}
	payload := r.Body
	if source.IsForm(r.Header) {
		form, err := url.ParseQuery(string(r.Body))
		if err != nil {
			return source.Outcome{}, fmt.Errorf("%w: decoding form body: %v", source.ErrBadRequest, err)
		}
		payload = []byte(form.Get("payload"))
	}
	body, err := source.JSONObject(payload)
	if err != nil {
		return source.Outcome{}, fmt.Errorf("decoding GitHub %s payload: %w", kind, err)
	}
	body[HeaderEvent], _ = json.Marshal(kind)
	body[HeaderDelivery], _ = json.Marshal(delivery)
	b, err := json.Marshal(body)
	if err != nil {
		return source.Outcome{}, fmt.Errorf("encoding GitHub %s payload: %w", kind, err)
	}
	id := delivery
	if id == "" {
		id = source.BodyID(r.Body)
	}
	e, err := h.Meta.New(id, r.Received, source.GitData{Headers: source.CloneHeader(r.Header), Body: b, Metadata: h.Metadata})
	if err != nil {
		return source.Outcome{}, err
	}
	var o source.Outcome
	h.Filter.Keep(&o, e)
	return o, nil
}
