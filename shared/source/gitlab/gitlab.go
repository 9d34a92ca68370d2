package gitlab

import (
	"context"
	"fmt"

	"github.com/fc-eventing/fc-eventing/shared/config"
	"github.com/fc-eventing/fc-eventing/shared/source"
)

// Kind is the event type of GitLab events.
const Kind = "gitlab"

// GitLab delivery headers.
const (
	HeaderToken          = "X-Gitlab-Token"
	HeaderEvent          = "X-Gitlab-Event"
	HeaderEventUUID      = "X-Gitlab-Event-UUID"
	HeaderIdempotencyKey = "Idempotency-Key"
)

// hookOptions maps X-Gitlab-Event values to the hook options of Argo Events'
// gitlab `events` field.
var hookOptions = map[string]string{
	"Push Hook":                  "PushEvents",
	"Tag Push Hook":              "TagPushEvents",
	"Issue Hook":                 "IssuesEvents",
	"Confidential Issue Hook":    "ConfidentialIssuesEvents",
	"Note Hook":                  "NoteEvents",
	"Confidential Note Hook":     "ConfidentialNoteEvents",
	"Merge Request Hook":         "MergeRequestsEvents",
	"Job Hook":                   "JobEvents",
	"Pipeline Hook":              "PipelineEvents",
	"Wiki Page Hook":             "WikiPageEvents",
	"Deployment Hook":            "DeploymentEvents",
	"Release Hook":               "ReleasesEvents",
	"Feature Flag Hook":          "FeatureFlagEvents",
	"Emoji Hook":                 "EmojiEvents",
	"Resource Access Token Hook": "ResourceAccessTokenEvents",
	"Member Hook":                "MemberEvents",
	"Subgroup Hook":              "SubgroupEvents",
}

// Dialect is what tells apart the providers that deliver GitLab-shaped
// webhooks (GitLab itself, Codeup): the verification, the allow-list and
// the data are the same, the names and headers are not.
type Dialect struct {
	// Name is the provider's name in errors and notes.
	Name string
	// TokenHeader carries the secret token (it does not travel on in the
	// data); EventHeader the event type.
	TokenHeader, EventHeader string
	// IDHeaders carry the delivery id, the first non-empty one wins;
	// without any the id is a hash of the body.
	IDHeaders []string
	// Options maps event types to the hook option names `events` may list
	// as well as the event types themselves.
	Options map[string]string
}

// gitLab is the dialect of GitLab itself.
var gitLab = Dialect{Name: "GitLab", TokenHeader: HeaderToken, EventHeader: HeaderEvent,
	IDHeaders: []string{HeaderIdempotencyKey, HeaderEventUUID}, Options: hookOptions}

// Hook receives the deliveries of one configured event of a GitLab-shaped
// provider.
type Hook struct {
	source.Git
	dialect Dialect
}

var _ source.Hook = (*Hook)(nil)

// New builds the hook of GitLab event name of es.
func New(es *config.EventSource, name string) (*Hook, error) {
	g, err := source.NewGit(es, Kind, name, es.Spec.Gitlab)
	if err != nil {
		return nil, err
	}
	return NewHook(gitLab, g), nil
}

// NewHook builds a hook of dialect d for a resolved event.
func NewHook(d Dialect, g source.Git) *Hook {
	return &Hook{Git: g, dialect: d}
}

// Handle verifies and decodes one delivery.
func (h *Hook) Handle(_ context.Context, r source.Request) (source.Outcome, error) {
	d := h.dialect
	if h.Secret != "" {
		if err := source.VerifyToken(h.Secret, r.Header.Get(d.TokenHeader), d.TokenHeader); err != nil {
			return source.Outcome{}, fmt.Errorf("verifying %s delivery: %w", d.Name, err)
		}
	}
	kind := r.Header.Get(d.EventHeader)
	if kind == "" {
		return source.Outcome{}, fmt.Errorf("%w: no %s header", source.ErrBadRequest, d.EventHeader)
	}
	if !h.Allow.Allows(kind) && (d.Options == nil || !h.Allow.Allows(d.Options[kind])) {
		return source.Outcome{Notes: []string{fmt.Sprintf("%s event %q is not in events of %s/%s", d.Name, kind, h.Meta.EventSource, h.Meta.Event)}}, nil
	}
	body, err := source.JSONBody(r.Body)
	if err != nil {
		return source.Outcome{}, fmt.Errorf("decoding %s %s payload: %w", d.Name, kind, err)
	}
	id := source.FirstHeader(r.Header, d.IDHeaders...)
	if id == "" {
		id = source.BodyID(r.Body)
	}
	// The token is the secret itself: it does not travel on.
	headers := source.CloneHeader(r.Header)
	headers.Del(d.TokenHeader)
	e, err := h.Meta.New(id, r.Received, source.GitData{Headers: headers, Body: body, Metadata: h.Metadata})
	if err != nil {
		return source.Outcome{}, err
	}
	var o source.Outcome
	h.Filter.Keep(&o, e)
	return o, nil
}
