package bitbucket

import (
	"context"
	"fmt"

	"github.com/fc-eventing/fc-eventing/shared/config"
	"github.com/fc-eventing/fc-eventing/shared/source"
)

// Kind is the event type of Bitbucket Cloud events.
const Kind = "bitbucket"

// Bitbucket Cloud delivery headers.
const (
	HeaderSignature = "X-Hub-Signature"
	HeaderEvent     = "X-Event-Key"
	HeaderRequestID = "X-Request-UUID"
	HeaderHookID    = "X-Hook-UUID"
)

// Hook receives the deliveries of one configured Bitbucket Cloud event.
type Hook struct{ source.Git }

var _ source.Hook = (*Hook)(nil)

// New builds the hook of event name of es.
func New(es *config.EventSource, name string) (*Hook, error) {
	g, err := source.NewGit(es, Kind, name, es.Spec.Bitbucket)
	if err != nil {
		return nil, err
	}
	return &Hook{g}, nil
}

// Handle verifies and decodes one delivery.
func (h *Hook) Handle(_ context.Context, r source.Request) (source.Outcome, error) {
	return Handle(h.Git, r, HeaderRequestID, "")
}

// Handle is the delivery handling Bitbucket Cloud and Bitbucket Server
// share: signature, X-Event-Key allow-list (ping, when not empty, answered
// without an event), JSON body, id from the idHeader.
func Handle(s source.Git, r source.Request, idHeader, ping string) (source.Outcome, error) {
	if s.Secret != "" {
		if err := source.VerifyHubSignature(s.Secret, r.Body, r.Header.Get(HeaderSignature)); err != nil {
			return source.Outcome{}, fmt.Errorf("verifying %s delivery: %w", s.Meta.Kind, err)
		}
	}
	kind := r.Header.Get(HeaderEvent)
	if kind == "" {
		return source.Outcome{}, fmt.Errorf("%w: no %s header", source.ErrBadRequest, HeaderEvent)
	}
	if ping != "" && kind == ping {
		return source.Outcome{Notes: []string{s.Meta.Kind + " " + kind + " answered"}}, nil
	}
	if !s.Allow.Allows(kind) {
		return source.Outcome{Notes: []string{fmt.Sprintf("%s event %q is not in events of %s/%s", s.Meta.Kind, kind, s.Meta.EventSource, s.Meta.Event)}}, nil
	}
	body, err := source.JSONBody(r.Body)
	if err != nil {
		return source.Outcome{}, fmt.Errorf("decoding %s %s payload: %w", s.Meta.Kind, kind, err)
	}
	id := r.Header.Get(idHeader)
	if id == "" {
		id = source.BodyID(r.Body)
	}
	e, err := s.Meta.New(id, r.Received, source.GitData{Headers: source.CloneHeader(r.Header), Body: body, Metadata: s.Metadata})
	if err != nil {
		return source.Outcome{}, err
	}
	var o source.Outcome
	s.Filter.Keep(&o, e)
	return o, nil
}
