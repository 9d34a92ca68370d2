package mns

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/fc-eventing/fc-eventing/shared/config"
	"github.com/fc-eventing/fc-eventing/shared/source"
)

// Kind is the event type of SMQ events.
const Kind = "mns"

// TopicMessage is the JSON format of the topic trigger.
type TopicMessage struct {
	TopicOwner       string `json:"TopicOwner"`
	TopicName        string `json:"TopicName"`
	Subscriber       string `json:"Subscriber"`
	SubscriptionName string `json:"SubscriptionName"`
	MessageID        string `json:"MessageId"`
	MessageMD5       string `json:"MessageMD5"`
	Message          string `json:"Message"`
	// PublishTime is milliseconds since the epoch.
	PublishTime int64 `json:"PublishTime"`
}

// StreamMessage is the STREAM format of a message with attributes.
type StreamMessage struct {
	Body  *string         `json:"body"`
	Attrs json.RawMessage `json:"attrs"`
}

// QueueEvent is the CloudEvent EventBridge hands a function for a queue
// trigger.
type QueueEvent struct {
	ID          string `json:"id"`
	Source      string `json:"source"`
	SpecVersion string `json:"specversion"`
	Type        string `json:"type"`
	// Subject is the queue ARN, "acs:mns:<region>:<account>:queues/<name>".
	Subject string    `json:"subject"`
	Time    string    `json:"time"`
	Data    QueueData `json:"data"`
}

// QueueData is the message inside a QueueEvent.
type QueueData struct {
	RequestID   string `json:"requestId"`
	MessageID   string `json:"messageId"`
	MessageBody string `json:"messageBody"`
}

// Data is the event data, as Argo Events' MNSEventData.
type Data struct {
	MessageID string          `json:"messageId"`
	Body      json.RawMessage `json:"body"`
}

// message is one SMQ message in any format.
type message struct {
	id, queue, topic string
	body             string
	time             time.Time
	stream           bool
}

// Decoder matches SMQ messages against every configured mns event.
type Decoder struct {
	targets []source.Target[config.MNSEventSource]
	// Now stamps messages whose format carries no time.
	Now func() time.Time
}

var _ source.Decoder = (*Decoder)(nil)

// New collects the mns events of sources.
func New(sources []*config.EventSource) (*Decoder, error) {
	targets, err := source.Targets(sources, Kind,
		func(s *config.EventSourceSpec) map[string]config.MNSEventSource { return s.MNS },
		func(s config.MNSEventSource) *config.EventSourceFilter { return s.Filter })
	if err != nil {
		return nil, err
	}
	return &Decoder{targets: targets, Now: time.Now}, nil
}

// Events reports how many mns events are configured.
func (d *Decoder) Events() int { return len(d.targets) }

// Decode turns one SMQ trigger payload into events.
func (d *Decoder) Decode(_ context.Context, payload []byte) (source.Outcome, error) {
	msgs, err := d.messages(payload)
	if err != nil {
		return source.Outcome{}, fmt.Errorf("decoding SMQ payload: %w", err)
	}
	var out source.Outcome
	for _, m := range msgs {
		matched := false
		for _, tg := range d.targets {
			if !match(tg.Spec, m) {
				continue
			}
			matched = true
			body, err := bodyJSON(m.body, tg.Spec.JSONBody)
			if err != nil {
				out.Notes = append(out.Notes, fmt.Sprintf("%s/%s: message %s dropped: %v", tg.Meta.EventSource, tg.Meta.Event, m.id, err))
				continue
			}
			e, err := tg.Meta.New(m.id, m.time, Data{MessageID: m.id, Body: body})
			if err != nil {
				return source.Outcome{}, err
			}
			tg.Filter.Keep(&out, e)
		}
		if !matched {
			out.Notes = append(out.Notes, fmt.Sprintf("SMQ message %s (queue %q, topic %q) matches no mns event", m.id, m.queue, m.topic))
		}
	}
	source.Distinct(out.Events)
	return out, nil
}

func (d *Decoder) messages(payload []byte) ([]message, error) {
	trimmed := bytes.TrimSpace(payload)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var evs []json.RawMessage
		if err := json.Unmarshal(trimmed, &evs); err != nil {
			return nil, fmt.Errorf("%w: %v", source.ErrBadRequest, err)
		}
		var out []message
		for i, raw := range evs {
			m, err := d.queueMessage(raw)
			if err != nil {
				return nil, fmt.Errorf("event %d: %w", i, err)
			}
			out = append(out, m)
		}
		return out, nil
	}
	if len(trimmed) > 0 && trimmed[0] == '{' {
		var probe map[string]json.RawMessage
		if err := json.Unmarshal(trimmed, &probe); err == nil {
			switch {
			case probe["specversion"] != nil && probe["data"] != nil:
				m, err := d.queueMessage(trimmed)
				if err != nil {
					return nil, err
				}
				return []message{m}, nil
			case probe["MessageId"] != nil && probe["TopicName"] != nil:
				var t TopicMessage
				if err := json.Unmarshal(trimmed, &t); err != nil {
					return nil, fmt.Errorf("%w: topic message: %v", source.ErrBadRequest, err)
				}
				if t.MessageID == "" {
					return nil, fmt.Errorf("%w: topic message without MessageId", source.ErrBadRequest)
				}
				tm := time.UnixMilli(t.PublishTime)
				if t.PublishTime == 0 {
					tm = d.Now()
				}
				return []message{{id: t.MessageID, topic: t.TopicName, body: t.Message, time: tm}}, nil
			case len(probe) == 2 && probe["body"] != nil && probe["attrs"] != nil:
				var s StreamMessage
				if err := json.Unmarshal(trimmed, &s); err == nil && s.Body != nil {
					return []message{{id: source.BodyID(payload), body: *s.Body, time: d.Now(), stream: true}}, nil
				}
			}
		}
	}
	if len(payload) == 0 {
		return nil, fmt.Errorf("%w: empty payload", source.ErrBadRequest)
	}
	return []message{{id: source.BodyID(payload), body: string(payload), time: d.Now(), stream: true}}, nil
}

func (d *Decoder) queueMessage(raw []byte) (message, error) {
	var q QueueEvent
	if err := json.Unmarshal(raw, &q); err != nil {
		return message{}, fmt.Errorf("%w: queue event: %v", source.ErrBadRequest, err)
	}
	id := q.Data.MessageID
	if id == "" {
		return message{}, fmt.Errorf("%w: queue event without data.messageId", source.ErrBadRequest)
	}
	t, err := time.Parse(time.RFC3339Nano, q.Time)
	if err != nil {
		t = d.Now()
	}
	queue := q.Subject
	if i := strings.LastIndex(queue, "queues/"); i >= 0 {
		queue = queue[i+len("queues/"):]
	}
	return message{id: id, queue: queue, body: q.Data.MessageBody, time: t}, nil
}

func match(s config.MNSEventSource, m message) bool {
	if s.Queue != "" && s.Queue != m.queue {
		return false
	}
	if s.Topic != "" && !m.stream && s.Topic != m.topic {
		return false
	}
	if s.Queue == "" && s.Topic == "" {
		return true
	}
	// A queue event needs a queue message; a topic event a topic message
	// (STREAM messages, whose topic is not known, included).
	if s.Queue != "" {
		return m.queue != ""
	}
	return m.queue == ""
}

// bodyJSON is the message body as event data: a JSON string, or the parsed
// JSON when jsonBody (a base64 body that decodes to JSON is decoded).
func bodyJSON(body string, jsonBody bool) (json.RawMessage, error) {
	if !jsonBody {
		return json.Marshal(body)
	}
	if json.Valid([]byte(body)) {
		return json.RawMessage(body), nil
	}
	if dec, err := base64.StdEncoding.DecodeString(strings.TrimSpace(body)); err == nil && json.Valid(dec) {
		return json.RawMessage(dec), nil
	}
	return nil, fmt.Errorf("jsonBody is set but the body is not JSON")
}
