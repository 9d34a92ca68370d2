// Package bitbucket turns Bitbucket Cloud webhook deliveries into events, as
// Argo Events' bitbucket event source shapes them: data {"headers", "body",
// "metadata"}. Bitbucket Cloud signs deliveries of a webhook with a secret
// in X-Hub-Signature ("sha256=<hex>" HMAC of the raw body); fc-eventing adds
// webhookSecret to verify it, which Argo Events lacks. X-Event-Key
// ("repo:push", ...) is checked against `events`; the id is X-Request-UUID.
// See https://support.atlassian.com/bitbucket-cloud/docs/manage-webhooks/.
package bitbucket
