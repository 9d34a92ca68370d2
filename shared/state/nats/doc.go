// Package nats keeps a sensor's conditions state (sensor.State) in a NATS
// JetStream key-value bucket, for `fceventing serve` on its embedded NATS
// and for deployments that run NATS instead of reaching the workflow cluster
// for state.
//
// One key per sensor trigger: <namespace>.<sensor>.<trigger>, each token
// keeping [A-Za-z0-9_-] and writing every other byte as =XX (hex), an empty
// token as a lone =, so distinct keys never collide and any name is a valid
// key. The value is the JSON of the entries, {"<dependency>": {"event":
// <CloudEvent>, "at": <RFC 3339>}}.
//
// Updates are revision-checked, JetStream's optimistic concurrency: Update
// reads the key and its revision, runs fn, and writes with Update(key,
// value, revision) (Create for a missing key, Delete with LastRevision for an
// empty result). A write based on a stale revision is refused by the server
// (wrong last sequence); Update then reads again and reruns fn, with a short
// jittered backoff, until it wins, ctx ends or MaxAttempts is reached
// (ErrConflict). The bucket keeps one revision per key (History 1) on file
// storage.
package nats
