package bitbucketserver

import (
	"context"

	"github.com/fc-eventing/fc-eventing/shared/config"
	"github.com/fc-eventing/fc-eventing/shared/source"
	"github.com/fc-eventing/fc-eventing/shared/source/bitbucket"
)

// Kind is the event type of Bitbucket Server events.
const Kind = "bitbucketserver"

// Bitbucket Server delivery headers and the ping event key.
const (
	HeaderRequestID = "X-Request-Id"
	EventPing       = "diagnostics:ping"
)

// Hook receives the deliveries of one configured Bitbucket Server event.
type Hook struct {
	source.Setup
	allow    source.AllowList
	metadata map[string]string
}

var _ source.Hook = (*Hook)(nil)

// New builds the hook of event name of es.
func New(es *config.EventSource, name string) (*Hook, error) {
	spec, ok := es.Spec.BitbucketServer[name]
	if !ok {
		return nil, config.Fieldf(config.Path("spec", Kind, name), "no such event")
	}
	s, err := source.NewSetup(es, Kind, name, "webhookSecret", spec.WebhookSecret, spec.AllowUnauthenticated, spec.Filter)
	if err != nil {
		return nil, err
	}
	return &Hook{Setup: s, allow: source.NewAllowList(spec.Events), metadata: spec.Metadata}, nil
}

// Handle verifies and decodes one delivery.
func (h *Hook) Handle(_ context.Context, r source.Request) (source.Outcome, error) {
	return bitbucket.Handle(h.Setup, h.allow, h.metadata, r, HeaderRequestID, EventPing)
}
