// Package event defines the Event every part of fc-eventing exchanges: a
// CloudEvents 1.0 context (https://github.com/cloudevents/spec, structured
// JSON mode) plus JSON data, with Argo Events' mapping of source (EventSource
// name), subject (event name) and type (source kind).
//
// Differences from a general CloudEvents implementation: data is always JSON
// (non-JSON payloads are carried as a JSON string), and extension attributes
// are kept as strings.
package event
