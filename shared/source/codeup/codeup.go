package codeup

import (
	"github.com/fc-eventing/fc-eventing/shared/config"
	"github.com/fc-eventing/fc-eventing/shared/source"
	"github.com/fc-eventing/fc-eventing/shared/source/gitlab"
)

// Kind is the event type of Codeup events.
const Kind = "codeup"

// Codeup delivery headers.
const (
	HeaderToken = "X-Codeup-Token"
	HeaderEvent = "X-Codeup-Event"
)

// dialect is Codeup's: GitLab's shape under its own headers, without a
// delivery id.
var dialect = gitlab.Dialect{Name: "Codeup", TokenHeader: HeaderToken, EventHeader: HeaderEvent}

// Hook receives the deliveries of one configured Codeup event.
type Hook = gitlab.Hook

// New builds the hook of event name of es.
func New(es *config.EventSource, name string) (*Hook, error) {
	g, err := source.NewGit(es, Kind, name, es.Spec.Codeup)
	if err != nil {
		return nil, err
	}
	return gitlab.NewHook(dialect, g), nil
}
