package oss

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/fc-eventing/fc-eventing/shared/config"
	"github.com/fc-eventing/fc-eventing/shared/source"
)

// Kind is the event type of OSS events.
const Kind = "oss"

// Record is the part of one notification record events are matched on.
type Record struct {
	EventName string `json:"eventName"`
	EventTime string `json:"eventTime"`
	Region    string `json:"region"`
	OSS       struct {
		Bucket struct {
			Name string `json:"name"`
		} `json:"bucket"`
		Object struct {
			Key string `json:"key"`
		} `json:"object"`
	} `json:"oss"`
	ResponseElements struct {
		RequestID string `json:"requestId"`
	} `json:"responseElements"`
}

// Decoder matches OSS notifications against every configured oss event.
type Decoder struct {
	targets []source.Target[config.OSSEventSource]
	// Now stamps events whose record has no readable eventTime.
	Now func() time.Time
}

var _ source.Decoder = (*Decoder)(nil)

// New collects the oss events of sources.
func New(sources []*config.EventSource) (*Decoder, error) {
	targets, err := source.Targets(sources, Kind,
		func(s *config.EventSourceSpec) map[string]config.OSSEventSource { return s.OSS },
		func(s config.OSSEventSource) *config.EventSourceFilter { return s.Filter })
	if err != nil {
		return nil, err
	}
	return &Decoder{targets: targets, Now: time.Now}, nil
}

// Events reports how many oss events are configured.
func (d *Decoder) Events() int { return len(d.targets) }

// cloudEvent is an OSS event as an EventBridge-based OSS trigger delivers
// it: a CloudEvent whose data is the notification record.
type cloudEvent struct {
	SpecVersion string          `json:"specversion"`
	Data        json.RawMessage `json:"data"`
}

// records returns the notification records of a payload of either trigger:
// {"events": [...]} (native OSS trigger), or a CloudEvent or an array of
// them (EventBridge-based OSS trigger).
func records(payload []byte) ([]json.RawMessage, error) {
	trimmed := bytes.TrimSpace(payload)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var ces []cloudEvent
		if err := json.Unmarshal(trimmed, &ces); err != nil {
			return nil, fmt.Errorf("%w: %v", source.ErrBadRequest, err)
		}
		out := make([]json.RawMessage, 0, len(ces))
		for i, ce := range ces {
			if ce.SpecVersion == "" || len(ce.Data) == 0 {
				return nil, fmt.Errorf("%w: element %d is not a CloudEvent with data", source.ErrBadRequest, i)
			}
			out = append(out, ce.Data)
		}
		return out, nil
	}
	var probe struct {
		Events      []json.RawMessage `json:"events"`
		SpecVersion string            `json:"specversion"`
		Data        json.RawMessage   `json:"data"`
	}
	if err := json.Unmarshal(trimmed, &probe); err != nil {
		return nil, fmt.Errorf("%w: %v", source.ErrBadRequest, err)
	}
	switch {
	case probe.Events != nil:
		return probe.Events, nil
	case probe.SpecVersion != "" && len(probe.Data) > 0:
		return []json.RawMessage{probe.Data}, nil
	}
	return nil, fmt.Errorf("%w: neither an \"events\" array nor a CloudEvent", source.ErrBadRequest)
}

// Decode turns one OSS trigger payload into events.
func (d *Decoder) Decode(_ context.Context, payload []byte) (source.Outcome, error) {
	recs, err := records(payload)
	if err != nil {
		return source.Outcome{}, fmt.Errorf("decoding OSS notification: %w", err)
	}
	var out source.Outcome
	for i, raw := range recs {
		var r Record
		if err := json.Unmarshal(raw, &r); err != nil {
			return source.Outcome{}, fmt.Errorf("decoding OSS notification record %d: %w: %v", i, source.ErrBadRequest, err)
		}
		if r.EventName == "" || r.OSS.Object.Key == "" {
			return source.Outcome{}, fmt.Errorf("decoding OSS notification record %d: %w: eventName and oss.object.key are required", i, source.ErrBadRequest)
		}
		t, err := time.Parse(time.RFC3339Nano, r.EventTime)
		if err != nil {
			t = d.Now()
		}
		id := r.ResponseElements.RequestID + ":" + r.OSS.Object.Key + ":" + r.EventName
		matched := false
		for _, tg := range d.targets {
			if !match(tg.Spec, r) {
				continue
			}
			matched = true
			e, err := tg.Meta.New(id, t, raw)
			if err != nil {
				return source.Outcome{}, err
			}
			tg.Filter.Keep(&out, e)
		}
		if !matched {
			out.Notes = append(out.Notes, fmt.Sprintf("OSS %s of %s/%s matches no oss event", r.EventName, r.OSS.Bucket.Name, r.OSS.Object.Key))
		}
	}
	source.Distinct(out.Events)
	return out, nil
}

func match(s config.OSSEventSource, r Record) bool {
	if s.Bucket != "" && s.Bucket != r.OSS.Bucket.Name {
		return false
	}
	if !strings.HasPrefix(r.OSS.Object.Key, s.Prefix) || !strings.HasSuffix(r.OSS.Object.Key, s.Suffix) {
		return false
	}
	if len(s.Events) == 0 {
		return true
	}
	name := strings.TrimPrefix(r.EventName, "oss:")
	for _, p := range s.Events {
		if source.Glob(strings.TrimPrefix(p, "oss:"), name) {
			return true
		}
	}
	return false
}
