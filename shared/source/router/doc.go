// Package router serves the webhook kinds of a set of EventSources by path
// and method: each event at its webhook.endpoint (default
// /<eventsource>/<event>) and webhook.method (default POST). The FC HTTP
// trigger (ServeFC) and a net/http server (ServeHTTP, `fceventing serve`)
// go through the same Dispatch: size cap, verification and decoding by the
// kind's Hook, publishing every event, and an answer of 200 only once the
// bus accepted all of them; refusals get the status source.Status gives.
package router
