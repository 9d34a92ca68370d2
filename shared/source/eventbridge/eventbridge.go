package eventbridge

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/fc-eventing/fc-eventing/shared/config"
	"github.com/fc-eventing/fc-eventing/shared/source"
)

// Kind is the event type of EventBridge events.
const Kind = "eventbridge"

// CloudEvent is the part of an EventBridge event that events are matched
// on; everything else travels untouched in the data.
type CloudEvent struct {
	ID                 string `json:"id"`
	Source             string `json:"source"`
	SpecVersion        string `json:"specversion"`
	Type               string `json:"type"`
	Subject            string `json:"subject"`
	Time               string `json:"time"`
	AliyunEventBusName string `json:"aliyuneventbusname"`
	AliyunPublishTime  string `json:"aliyunpublishtime"`
	AliyunRegionID     string `json:"aliyunregionid"`
}

// Decoder matches EventBridge events against every configured eventbridge
// event.
type Decoder struct {
	targets []source.Target[config.EventBridgeEventSource]
	// Now stamps events whose time does not parse as RFC 3339.
	Now func() time.Time
}

var _ source.Decoder = (*Decoder)(nil)

// New collects the eventbridge events of sources.
func New(sources []*config.EventSource) (*Decoder, error) {
	targets, err := source.Targets(sources, Kind,
		func(s *config.EventSourceSpec) map[string]config.EventBridgeEventSource { return s.EventBridge },
		func(s config.EventBridgeEventSource) *config.EventSourceFilter { return s.Filter })
	if err != nil {
		return nil, err
	}
	return &Decoder{targets: targets, Now: time.Now}, nil
}

// Events reports how many eventbridge events are configured.
func (d *Decoder) Events() int { return len(d.targets) }

// Decode turns one EventBridge payload into events.
func (d *Decoder) Decode(_ context.Context, payload []byte) (source.Outcome, error) {
	raws, err := split(payload)
	if err != nil {
		return source.Outcome{}, fmt.Errorf("decoding EventBridge payload: %w", err)
	}
	var out source.Outcome
	for i, raw := range raws {
		var ce CloudEvent
		if err := json.Unmarshal(raw, &ce); err != nil {
			return source.Outcome{}, fmt.Errorf("decoding EventBridge event %d: %w: %v", i, source.ErrBadRequest, err)
		}
		if ce.ID == "" || ce.Source == "" || ce.Type == "" {
			return source.Outcome{}, fmt.Errorf("decoding EventBridge event %d: %w: id, source and type are required", i, source.ErrBadRequest)
		}
		t, err := time.Parse(time.RFC3339Nano, ce.Time)
		if err != nil {
			t = d.Now()
		}
		matched := false
		for _, tg := range d.targets {
			if (tg.Spec.Source != "" && !source.Glob(tg.Spec.Source, ce.Source)) ||
				(tg.Spec.Type != "" && !source.Glob(tg.Spec.Type, ce.Type)) {
				continue
			}
			matched = true
			e, err := tg.Meta.New(ce.ID, t, raw)
			if err != nil {
				return source.Outcome{}, err
			}
			tg.Filter.Keep(&out, e)
		}
		if !matched {
			out.Notes = append(out.Notes, fmt.Sprintf("EventBridge event %s (source %q, type %q) matches no eventbridge event", ce.ID, ce.Source, ce.Type))
		}
	}
	source.Distinct(out.Events)
	return out, nil
}

func split(payload []byte) ([]json.RawMessage, error) {
	trimmed := bytes.TrimSpace(payload)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var list []json.RawMessage
		if err := json.Unmarshal(trimmed, &list); err != nil {
			return nil, fmt.Errorf("%w: %v", source.ErrBadRequest, err)
		}
		return list, nil
	}
	if len(trimmed) == 0 || trimmed[0] != '{' || !json.Valid(trimmed) {
		return nil, fmt.Errorf("%w: not a CloudEvent or an array of them", source.ErrBadRequest)
	}
	return []json.RawMessage{trimmed}, nil
}
