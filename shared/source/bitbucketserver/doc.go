// Package bitbucketserver turns Bitbucket Server / Data Center webhook
// deliveries into events, as Argo Events' bitbucketserver event source
// shapes them: data {"headers", "body", "metadata"}, X-Hub-Signature
// ("sha256=<hex>" HMAC of the raw body) verified with webhookSecret,
// X-Event-Key ("repo:refs_changed", "pr:opened", ...) checked against
// `events`, the "diagnostics:ping" test answered without an event. The id
// is X-Request-Id. See https://confluence.atlassian.com/bitbucketserver/event-payload-938025882.html.
package bitbucketserver
