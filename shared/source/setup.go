package source

import (
	"github.com/fc-eventing/fc-eventing/shared/config"
)

// Setup is what a webhook kind resolves from its configuration once, at
// load: who its events are, the secret it verifies with, its filter.
type Setup struct {
	Meta   Meta
	Secret string
	Filter *Filter
}

// NewSetup resolves the event name of kind in es. secretField names the
// secret's field for errors; without a resolved secret the event must allow
// unauthenticated requests (fail closed).
func NewSetup(es *config.EventSource, kind, name, secretField string, secret *config.SecretKeySelector,
	allowUnauthenticated bool, filter *config.EventSourceFilter) (Setup, error) {
	p := config.Path("spec", kind, name)
	s := Setup{Meta: Meta{EventSource: es.Metadata.Name, Event: name, Kind: kind}, Secret: es.Secret(secret)}
	if s.Secret == "" && !allowUnauthenticated {
		return Setup{}, config.Fieldf(config.Path(p, secretField), "no secret resolved and allowUnauthenticated is not set")
	}
	f, err := CompileFilter(p, filter)
	if err != nil {
		return Setup{}, err
	}
	s.Filter = f
	return s, nil
}

// CompileFilter compiles the filter of the event at path p; a compile error
// is a *config.FieldError at p.filter.expression.
func CompileFilter(p string, filter *config.EventSourceFilter) (*Filter, error) {
	if filter == nil {
		return nil, nil
	}
	f, err := NewFilter(filter.Expression)
	if err != nil {
		return nil, config.Fieldf(config.Path(p, "filter", "expression"), "%v", err)
	}
	return f, nil
}

// Git is what a git provider's hook resolves from its event once: its
// Setup, the event types it lets through and the metadata its events
// carry.
type Git struct {
	Setup
	Allow    AllowList
	Metadata map[string]string
}

// GitEvent is the configuration of a git provider's event.
type GitEvent interface {
	Git() config.GitWebhook
}

// NewGit resolves the event name of kind in es, events being that kind's
// events of es (see NewSetup). An unknown name is a *config.FieldError.
func NewGit[E GitEvent](es *config.EventSource, kind, name string, events map[string]E) (Git, error) {
	e, ok := events[name]
	if !ok {
		return Git{}, config.Fieldf(config.Path("spec", kind, name), "no such event")
	}
	g := e.Git()
	s, err := NewSetup(es, kind, name, g.SecretField, g.Secret, g.AllowUnauthenticated, g.Filter)
	if err != nil {
		return Git{}, err
	}
	return Git{Setup: s, Allow: NewAllowList(g.Events), Metadata: g.Metadata}, nil
}
