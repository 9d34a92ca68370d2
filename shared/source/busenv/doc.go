// Package busenv builds the bus.Publisher a source function publishes to,
// chosen by FCE_BUS: "smq" (the default: the cloud deployment) configured by
// smq.ConfigFromEnv, or "nats" configured by nats.ConfigFromEnv. The memory
// bus lives inside one process and so serves only `fceventing serve`, which
// builds it itself; asking a function for it is a configuration error rather
// than a bus that silently keeps events nobody consumes.
package busenv
