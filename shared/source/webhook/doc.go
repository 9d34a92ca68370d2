// Package webhook turns generic HTTP webhook requests into events, as Argo
// Events' webhook event source does: data {"header", "body", "metadata"}
// where body is the JSON body, the form fields of a form POST, or the query
// of a GET. With authSecret the request must carry "Authorization: Bearer
// <secret>" (constant-time compare); the Authorization header does not
// travel on in the data. The id is the Idempotency-Key or Ce-Id header when
// the caller sends one, else a fresh UUID (a generic caller's identical
// requests are separate events).
package webhook
