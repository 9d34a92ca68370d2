// Package mns turns the SMQ (formerly MNS) payloads FC hands a function into
// events. It reads every format FC delivers:
//   - topic trigger, JSON format: {"TopicName", "MessageId", "Message",
//     "PublishTime" (milliseconds), ...};
//   - topic trigger, STREAM format: the raw message body, or
//     {"body", "attrs"} when the message has attributes;
//   - queue trigger (through EventBridge): one CloudEvent, or an array of
//     them, whose data is {"requestId", "messageId", "messageBody"}.
//
// Each message becomes one event per configured mns event whose queue or
// topic matches (neither set: any message). The data is Argo Events'
// {"messageId", "body"}: body is the message text, or its JSON when
// jsonBody is set (a base64 body that decodes to JSON is decoded first).
// The id is the SMQ MessageId. The STREAM format carries neither MessageId
// nor topic name: such messages get a hash of the body as id and match only
// events that name no queue; use the JSON format to route by topic.
package mns
