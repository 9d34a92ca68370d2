// Package busenv builds the bus.Publisher a deployed source function
// publishes to: SMQ, configured by smq.ConfigFromEnv, whenever FCE_BUS is
// unset or "smq". NATS and the memory bus serve `fceventing serve`, which
// runs the sources in-process and builds its bus itself; a deployed
// function asked for either fails at start with an error saying so, rather
// than linking a client (and its cold-start cost) it never uses in the
// cloud.
package busenv
