// Package oss turns the OSS trigger payload FC hands a function
// ({"events": [record, ...]}, the OSS event notification format) into
// events: one per record and per configured oss event whose bucket, event
// name patterns ("ObjectCreated:*", with or without the "oss:" prefix),
// key prefix and suffix match it. The data is the record exactly as
// received; the id is the OSS request id, object key and event name, so a
// redelivered notification keeps it. See
// https://www.alibabacloud.com/help/en/functioncompute/fc-3-0/user-guide/oss-trigger-event.
package oss
