// Package source holds what every event source shares: the Request a webhook
// delivery arrives as (bytes and headers, so the FC HTTP trigger and a plain
// net/http server share verification and parsing), the Outcome of turning a
// delivery into events, the sentinel errors and the one place they become
// HTTP statuses (Status), the Argo Events data shapes of the git providers
// and of the generic webhook, event-source filter expressions, and
// publishing to the bus.
//
// The kinds live in subpackages: github, gitlab, gitee, codeup, bitbucket,
// bitbucketserver and webhook take a Request; oss, mns and eventbridge take
// the payload FC hands their function. router serves the webhook kinds by
// path, for the FC HTTP trigger and for net/http alike.
//
// Argo Events' conventions are kept: source = EventSource name, subject =
// event name, type = kind, data shaped as Argo Events shapes it. Where
// fc-eventing differs: a delivery without a configured secret is refused
// unless the event says allowUnauthenticated, the event id is the provider's
// delivery id (so a redelivery keeps it), and a delivery is answered 2xx only
// after the bus accepted every event it produced.
package source
