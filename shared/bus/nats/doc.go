// Package nats is the bus on NATS JetStream (https://docs.nats.io/nats-concepts/jetstream):
// one stream holds the events, one durable pull consumer with explicit
// acknowledgement hands them to the sensor, and a second stream holds dead
// letters.
//
// An event is published with Nats-Msg-Id set to its id, so the stream's
// duplicate window drops a second publish of the same event. A handler error
// naks the message with a delay; a handler that stops answering (a crash)
// lets AckWait expire. At MaxDeliveries failures the consumer republishes the
// event to the dead-letter subject with the reason (the Fceventing-Reason
// header and the fcedlqreason extension) and terminates it. The consumer's
// server-side MaxDeliver is one more than MaxDeliveries so that a message
// whose deliveries all crashed still reaches a consumer that dead-letters it;
// should even that delivery be lost, the server's MAX_DELIVERIES advisory
// makes the consumer fetch the message by sequence and dead-letter it.
//
// Package nats/embedded starts a nats-server with JetStream on file storage
// in a data directory: the default of `fceventing serve`. An external server
// is used the same way through Config.URL.
package nats
