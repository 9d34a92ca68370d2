// Package eventbridge turns what EventBridge hands a function (one CloudEvent,
// or an array of them for event streaming) into events: one per CloudEvent
// and per configured eventbridge event whose source and type patterns match.
// The data is the whole original CloudEvent, attributes and data, exactly as
// received: EventBridge's aliyun* extension attributes and its times (it
// writes them in forms such as "2024-01-01 10:00:00PRC") stay strings for
// the sensor to read. The id is the CloudEvent id, so a redelivery keeps it.
// See https://www.alibabacloud.com/help/en/eventbridge/user-guide/event-overview.
package eventbridge
