// Package dispatch is the sensor side of fc-eventing: it loads every Sensor
// of a configuration directory, compiles each once, routes a bus message to
// the sensors whose dependencies name its source and subject (Argo Events'
// eventSourceName and eventName), evaluates it, and carries out the firings
// through an Executor: shared/trigger/argo's Client against the workflow
// cluster, or DryRun, which writes each object to
// <out>/<namespace>/<name>.json.
//
// Delivery follows DESIGN.md: Handle returns nil (the bus acknowledges) only
// when every firing the event caused was carried out, so a redelivered
// event re-fires and deterministic object names make the second create find
// the first ("already exists" is success). Where fc-eventing goes further
// than Argo Events, whose sensor acknowledges an event even when a trigger
// failed unless atLeastOnce is set:
//   - a transient failure (timeout, throttling, 5xx, state unavailable)
//     leaves the message unacknowledged, whatever atLeastOnce says;
//   - a permanent failure (invalid object, a trigger parameter without
//     value) is returned as bus.ErrPermanent, so the bus moves the event to
//     its dead-letter destination at once, with the reason, instead of
//     dropping it;
//   - the cluster refusing the sensor's identity (401, 403) is not retried
//     by the trigger but is redelivered by the bus up to its delivery limit,
//     then dead-lettered with the reason: authorization still loading after
//     an API-server restart, or RBAC being fixed, must not cost events;
//   - when a trigger that waits for several dependencies fired and failed,
//     the events it consumed are put back into the conditions state, so the
//     redelivered event completes the conditions again and fires the same
//     object (same event ids, same name) instead of waiting for the other
//     dependencies a second time.
//
// A filter or transform error is "no match" (fail closed): the event is
// acknowledged and the refusal logged.
//
// Logging: with Options.Log set, one JSON line per event (event id, source,
// subject, matched dependencies, firings with object names, duration) and
// one per refusal (a dependency that failed to evaluate, a trigger that
// could not be resolved or carried out).
package dispatch
