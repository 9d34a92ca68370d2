// Package memory is an in-process bus with the semantics of the cloud one:
// a message handed to a handler stays in flight until the handler returns
// nil; an error, a panic or an abandoned delivery (the consumer stopped
// before its handler answered) brings it back after a delay; after
// MaxDeliveries it moves to a dead-letter bus with the reason. Publishing an
// event id seen within the deduplication window is a no-op.
//
// It is the bus of tests and of `fceventing serve --bus memory`. Messages
// live only as long as the process.
package memory
