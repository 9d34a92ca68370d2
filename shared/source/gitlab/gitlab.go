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

// Hook receives the deliveries of one configured GitLab event.
type Hook struct {
	source.Setup
	allow    source.AllowList
	metadata map[string]string
}

var _ source.Hook = (*Hook)(nil)

// New builds the hook of event name of es.
func New(es *config.EventSource, name string) (*Hook, error) {
	spec, ok := es.Spec.Gitlab[name]
	if !ok {
		return nil, config.Fieldf(config.Path("spec", Kind, name), "no such event")
	}
	s, err := source.NewSetup(es, Kind, name, "secretToken", spec.SecretToken, spec.AllowUnauthenticated, spec.Filter)
	if err != nil {
		return nil, err
	}
	return &Hook{Setup: s, allow: source.NewAllowList(spec.Events), metadata: spec.Metadata}, nil
}

// Handle verifies and decodes one delivery.
func (h *Hook) Handle(_ context.Context, r source.Request) (source.Outcome, error) {
	if h.Secret != "" {
		if err := source.VerifyToken(h.Secret, r.Header.Get(HeaderToken), HeaderToken); err != nil {
			return source.Outcome{}, fmt.Errorf("verifying GitLab delivery: %w", err)
		}
	}
	kind := r.Header.Get(HeaderEvent)
	if kind == "" {
		return source.Outcome{}, fmt.Errorf("%w: no %s header", source.ErrBadRequest, HeaderEvent)
	}
	if h.allow != nil && !h.allow.Allows(hookOptions[kind]) && !h.allow.Allows(kind) {
		return source.Outcome{Notes: []string{fmt.Sprintf("GitLab event %q is not in events of %s/%s", kind, h.Meta.EventSource, h.Meta.Event)}}, nil
	}
	body, err := source.JSONBody(r.Body)
	if err != nil {
		return source.Outcome{}, fmt.Errorf("decoding GitLab %s payload: %w", kind, err)
	}
	id := source.FirstHeader(r.Header, HeaderIdempotencyKey, HeaderEventUUID)
	if id == "" {
		id = source.BodyID(r.Body)
	}
	// The token is the secret itself: it does not travel on.
	headers := source.CloneHeader(r.Header)
	headers.Del(HeaderToken)
	e, err := h.Meta.New(id, r.Received, source.GitData{Headers: headers, Body: body, Metadata: h.metadata})
	if err != nil {
		return source.Outcome{}, err
	}
	var o source.Outcome
	h.Filter.Keep(&o, e)
	return o, nil
}
