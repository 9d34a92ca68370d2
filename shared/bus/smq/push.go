package smq

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/fc-eventing/fc-eventing/shared/bus"
	"github.com/fc-eventing/fc-eventing/shared/bus/ossref"
	"github.com/fc-eventing/fc-eventing/shared/event"
)

// PushEvent is one element of the batch the SMQ queue trigger (EventBridge
// event streaming, source acs:mns, type mns:Queue:SendMessage) hands a
// function.
type PushEvent struct {
	ID      string   `json:"id"`
	Source  string   `json:"source"`
	Type    string   `json:"type"`
	Subject string   `json:"subject"`
	Data    PushData `json:"data"`
}

// PushData is the data of a PushEvent.
type PushData struct {
	RequestID string `json:"requestId"`
	MessageID string `json:"messageId"`
	// MessageBody is the SMQ message body; with the trigger's base64
	// decoding switched on, a JSON body may arrive as an object.
	MessageBody json.RawMessage `json:"messageBody"`
	// DequeueCount is kept when the trigger passes it on.
	DequeueCount int `json:"dequeueCount,omitempty"`
}

// Body returns the message body as text.
func (d PushData) Body() (string, error) {
	b := bytes.TrimSpace(d.MessageBody)
	if len(b) == 0 || bytes.Equal(b, []byte("null")) {
		return "", fmt.Errorf("message %s has no messageBody", d.MessageID)
	}
	if b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return "", fmt.Errorf("decoding messageBody of %s: %w", d.MessageID, err)
		}
		return s, nil
	}
	var c bytes.Buffer
	if err := json.Compact(&c, b); err != nil {
		return "", fmt.Errorf("decoding messageBody of %s: %w", d.MessageID, err)
	}
	return c.String(), nil
}

// DecodePush decodes a trigger payload: a JSON array of PushEvents, or a
// single one.
func DecodePush(payload []byte) ([]PushEvent, error) {
	p := bytes.TrimSpace(payload)
	if len(p) > 0 && p[0] == '{' {
		var one PushEvent
		if err := json.Unmarshal(p, &one); err != nil {
			return nil, fmt.Errorf("decoding SMQ trigger event: %w", err)
		}
		return []PushEvent{one}, nil
	}
	var batch []PushEvent
	if err := json.Unmarshal(p, &batch); err != nil {
		return nil, fmt.Errorf("decoding SMQ trigger batch: %w", err)
	}
	return batch, nil
}

// Push handles the batches of the SMQ queue trigger.
type Push struct {
	// Blobs resolves events carried by reference.
	Blobs ossref.Blobs
	// DeadLetter, when set, receives events whose handler failed with
	// bus.ErrPermanent or that cannot be decoded; the batch then counts them
	// as handled. Without it such failures fail the batch like any other.
	DeadLetter bus.Publisher
}

// Handle decodes payload and hands each event to h in order. It returns an
// error when any message could not be handed off, so that the trigger
// retries the whole batch (handlers must be idempotent); the error names
// every failed message.
func (p *Push) Handle(ctx context.Context, payload []byte, h bus.Handler) error {
	batch, err := DecodePush(payload)
	if err != nil {
		return err
	}
	var errs []error
	for _, pe := range batch {
		if err := p.one(ctx, pe, h); err != nil {
			errs = append(errs, fmt.Errorf("message %s: %w", pe.Data.MessageID, err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%d of %d messages failed: %w", len(errs), len(batch), errors.Join(errs...))
	}
	return nil
}

func (p *Push) one(ctx context.Context, pe PushEvent, h bus.Handler) error {
	delivery := max(pe.Data.DequeueCount, 1)
	body, err := pe.Data.Body()
	if err != nil {
		return p.deadLetter(ctx, undecodable(pe.Data.MessageID, string(pe.Data.MessageBody)), err, delivery)
	}
	raw, err := DecodeBody(body)
	if err != nil {
		return p.deadLetter(ctx, undecodable(pe.Data.MessageID, body), err, delivery)
	}
	e, err := ossref.Resolve(ctx, p.Blobs, raw)
	if err != nil {
		return err
	}
	if err := h(ctx, bus.Message{Event: e, Delivery: delivery}); err != nil {
		if errors.Is(err, bus.ErrPermanent) {
			return p.deadLetter(ctx, raw, err, delivery)
		}
		return err
	}
	return nil
}

func (p *Push) deadLetter(ctx context.Context, e event.Event, cause error, delivery int) error {
	if p.DeadLetter == nil {
		return cause
	}
	dl := bus.DeadLetter(e, bus.Reason(cause), delivery)
	if err := p.DeadLetter.Publish(ctx, dl); err != nil {
		return fmt.Errorf("%w (dead-lettering failed: %w)", cause, err)
	}
	return nil
}
