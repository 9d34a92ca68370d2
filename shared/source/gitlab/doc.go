// Package gitlab turns GitLab webhook deliveries into events, as Argo Events'
// gitlab event source does: X-Gitlab-Token compared with secretToken in
// constant time, data {"headers", "body", "metadata"}. The id is the
// Idempotency-Key header (stable across GitLab's retries), else
// X-Gitlab-Event-UUID. `events` holds GitLab hook options (PushEvents,
// MergeRequestsEvents, ...) as Argo Events registers them; fc-eventing does
// not register hooks, so it applies them as an allow-list of X-Gitlab-Event
// values instead. See https://docs.gitlab.com/user/project/integrations/webhook_events/.
package gitlab
