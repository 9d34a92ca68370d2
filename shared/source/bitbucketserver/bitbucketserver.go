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
type Hook struct{ source.Git }

var _ source.Hook = (*Hook)(nil)

// New builds the hook of event name of es.
func New(es *config.EventSource, name string) (*Hook, error) {
	g, err := source.NewGit(es, Kind, name, es.Spec.BitbucketServer)
	if err != nil {
		return nil, err
	}
	return &Hook{g}, nil
}

// Handle verifies and decodes one delivery.
func (h *Hook) Handle(_ context.Context, r source.Request) (source.Outcome, error) {
	return bitbucket.Handle(h.Git, r, HeaderRequestID, EventPing)
}
