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
// fc-eventing differs:
//   - a webhook event without a resolved secret is a configuration error
//     unless it says allowUnauthenticated: true;
//   - the event id is the provider's delivery id (so a redelivery keeps it);
//     when one upstream record becomes events of several EventSource events,
//     each id is qualified with source and subject (Distinct), so a bus that
//     deduplicates by id keeps them all;
//   - headers that carry the secret itself (X-Gitlab-Token, X-Codeup-Token,
//     Gitee's password, Authorization) and Gitee's body "password" do not
//     travel on in the data;
//   - a delivery is answered 2xx only after the bus accepted every event it
//     produced; a refusal of the bus is 503 (webhooks) or a failed invocation
//     (event functions), so the caller retries.
package source
