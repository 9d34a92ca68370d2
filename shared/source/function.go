package source

import (
	"context"
	"strings"

	"github.com/sirupsen/logrus"

	"github.com/fc-eventing/fc-eventing/shared/bus"
	"github.com/fc-eventing/fc-eventing/shared/config"
	"github.com/fc-eventing/fc-eventing/shared/fc"
)

// Answer is what an event source function returns to FC once the bus holds
// every event of the invocation.
type Answer struct {
	Events  []string `json:"events"`
	Ignored []string `json:"ignored,omitempty"`
}

// Function is the FC handler of an event source function: decode the
// payload, publish every event, answer only then. An error (undecodable
// payload, bus refusal) fails the invocation so FC or the upstream retries
// it; publishing is idempotent by event id, so a retried batch is safe.
func Function(d Decoder, pub bus.Publisher) func(ctx context.Context, payload []byte) (Answer, error) {
	return func(ctx context.Context, payload []byte) (Answer, error) {
		log := fc.Logger(ctx)
		out, err := d.Decode(ctx, payload)
		if err == nil {
			err = Publish(ctx, pub, out.Events)
		}
		if err != nil {
			log.WithFields(logrus.Fields{fc.FieldStatus: Status(err), fc.FieldReason: err.Error()}).Error("invocation refused")
			return Answer{}, err
		}
		a := Answer{Events: make([]string, 0, len(out.Events)), Ignored: out.Notes}
		for _, e := range out.Events {
			a.Events = append(a.Events, e.ID)
			log.WithFields(logrus.Fields{fc.FieldEventSource: e.Source, fc.FieldEvent: e.Subject, fc.FieldEventID: e.ID}).Info("event published")
		}
		if len(out.Notes) > 0 {
			log.WithField(fc.FieldReason, strings.Join(out.Notes, "; ")).Info("part of the invocation produced no event")
		}
		return a, nil
	}
}

// LogWarnings logs, one line each, the fields of sources that were accepted
// but have no effect here.
func LogWarnings(l *logrus.Entry, sources []*config.EventSource) {
	for _, es := range sources {
		for _, w := range es.Warnings {
			l.WithField(fc.FieldEventSource, es.Metadata.Name).Warn(w)
		}
	}
}
