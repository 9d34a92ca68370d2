// Package oss turns the OSS trigger payload FC hands a function into
// events. A native OSS trigger hands {"events": [record, ...]} (the OSS
// event notification format); an EventBridge-based OSS trigger hands a
// CloudEvent, or an array of them, whose data is one such record. Either
// way the record is what is matched and what the event carries, so a sensor
// sees the same data whichever trigger delivered it.
//
// A record becomes one event per configured oss event whose bucket, event
// name patterns ("ObjectCreated:*", with or without the "oss:" prefix), key
// prefix and suffix match it. The data is the record exactly as received;
// the id is the OSS request id, object key and event name, so a redelivered
// notification keeps it. See
// https://www.alibabacloud.com/help/en/functioncompute/fc-3-0/user-guide/oss-trigger-event.
package oss
