package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/uuid"

	"github.com/fc-eventing/fc-eventing/shared/config"
	"github.com/fc-eventing/fc-eventing/shared/source"
)

// Kind is the event type of generic webhook events.
const Kind = "webhook"

// Hook receives the requests of one configured webhook event.
type Hook struct {
	source.Setup
	metadata map[string]string
	// NewID makes the id of a request without an idempotency header.
	NewID func() string
}

var _ source.Hook = (*Hook)(nil)

// New builds the hook of event name of es.
func New(es *config.EventSource, name string) (*Hook, error) {
	spec, ok := es.Spec.Webhook[name]
	if !ok {
		return nil, config.Fieldf(config.Path("spec", Kind, name), "no such event")
	}
	s, err := source.NewSetup(es, Kind, name, "authSecret", spec.AuthSecret, spec.AllowUnauthenticated, spec.Filter)
	if err != nil {
		return nil, err
	}
	return &Hook{Setup: s, metadata: spec.Metadata, NewID: uuid.NewString}, nil
}

// Handle verifies and decodes one request.
func (h *Hook) Handle(_ context.Context, r source.Request) (source.Outcome, error) {
	if h.Secret != "" {
		auth := r.Header.Get("Authorization")
		scheme, token, _ := strings.Cut(auth, " ")
		if auth == "" || !strings.EqualFold(scheme, "Bearer") {
			return source.Outcome{}, fmt.Errorf("verifying webhook request: %w: no bearer token", source.ErrBadSignature)
		}
		if err := source.VerifyToken(h.Secret, strings.TrimSpace(token), "bearer token"); err != nil {
			return source.Outcome{}, fmt.Errorf("verifying webhook request: %w", err)
		}
	}
	body, err := decodeBody(r)
	if err != nil {
		return source.Outcome{}, fmt.Errorf("decoding webhook request: %w", err)
	}
	id := source.FirstHeader(r.Header, "Idempotency-Key", "Ce-Id")
	if id == "" {
		id = h.NewID()
	}
	header := source.CloneHeader(r.Header)
	header.Del("Authorization")
	e, err := h.Meta.New(id, r.Received, source.WebhookData{Header: header, Body: body, Metadata: h.metadata})
	if err != nil {
		return source.Outcome{}, err
	}
	var o source.Outcome
	h.Filter.Keep(&o, e)
	return o, nil
}

func decodeBody(r source.Request) (json.RawMessage, error) {
	switch {
	case r.Method == http.MethodGet:
		q := r.Query
		if q == nil {
			q = url.Values{}
		}
		return json.Marshal(q)
	case source.IsForm(r.Header):
		form, err := url.ParseQuery(string(r.Body))
		if err != nil {
			return nil, fmt.Errorf("%w: form body: %v", source.ErrBadRequest, err)
		}
		return json.Marshal(form)
	case len(strings.TrimSpace(string(r.Body))) == 0:
		return json.RawMessage("null"), nil
	}
	return source.JSONBody(r.Body)
}
