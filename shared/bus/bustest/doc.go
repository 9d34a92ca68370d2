// Package bustest is the conformance suite every bus implementation passes:
// publish, consume and acknowledge; a failed handler brings the message back;
// a consumer that stops mid-handler (a crash) brings it back; after
// MaxDeliveries the message reaches the dead-letter destination with the
// reason; a permanent error dead-letters at once; publishing one event id
// twice yields one delivery where the bus deduplicates (and at most two where
// it does not); a large payload round-trips unchanged; nothing is lost under
// concurrent publishers and a flaky handler. Bench measures publish and
// consume throughput.
package bustest
