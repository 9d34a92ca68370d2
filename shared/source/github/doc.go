// Package github turns GitHub webhook deliveries into events, as Argo Events'
// github event source does: X-Hub-Signature-256 (HMAC-SHA256 of the raw
// body) verified in constant time, the X-GitHub-Event allow-list, ping
// answered without an event, JSON and form (payload=) bodies, and data
// {"headers", "body", "metadata"} where body also carries X-GitHub-Event and
// X-GitHub-Delivery. The event id is X-GitHub-Delivery, so a redelivery
// keeps it. See https://docs.github.com/webhooks/webhook-events-and-payloads.
package github
