// Package smq is the bus on SMQ (Simple Message Queue, formerly MNS), through
// github.com/aliyun/aliyun-mns-go-sdk and the SMQ REST API 2015-06-06.
//
// Publishing sends the event as CloudEvents structured JSON to a queue
// (SendMessage) or a topic (PublishMessage, whose queue subscriptions feed
// the consumer's queue), with an explicit Priority (the SDK's zero value is
// not a valid priority). Transient failures (500, throttling, network) are
// retried a few times; a publish returns nil only once SMQ stored the
// message. An event whose encoding exceeds the queue's 64 KiB limit is
// stored in OSS through package ossref and the message carries a reference.
//
// Two consumers:
//   - Bus.Consume, a pull consumer for long-running processes: long-polling
//     BatchReceiveMessage, the handler's message kept invisible with
//     ChangeMessageVisibility while it runs, DeleteMessage only after the
//     handler returned nil, a failed message made visible again after
//     RetryDelay, and a message whose DequeueCount reached MaxDeliveries sent
//     to the dead-letter queue with the reason in the fcedlqreason extension
//     of its envelope, then deleted.
//   - Push, for the FC function behind the SMQ queue trigger (EventBridge
//     event streaming): it decodes the batch of CloudEvents whose
//     data.messageBody holds our message (base64 or not) and fails the whole
//     invocation when any handler fails, so EventBridge retries the batch and
//     finally dead-letters it; handlers must be idempotent, which the
//     sensor's deterministic workflow names make them.
//
// SMQ does not deduplicate: publishing one event id twice delivers it twice.
// Message bodies in a topic's XML notification format are unwrapped.
package smq
