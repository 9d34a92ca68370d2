package sensor

import (
	"context"
	"time"

	"github.com/fc-eventing/fc-eventing/shared/event"
)

// Key names the remembered state of one trigger of one sensor.
type Key struct {
	Namespace string
	Sensor    string
	Trigger   string
}

// String renders the key as namespace/sensor/trigger.
func (k Key) String() string { return k.Namespace + "/" + k.Sensor + "/" + k.Trigger }

// Entry is the latest event seen for one dependency of a trigger.
type Entry struct {
	Event event.Event `json:"event"`
	// At is when the engine stored the entry (Options.Now); conditionsReset
	// drops entries stored before the last reset time.
	At time.Time `json:"at"`
}

// State is where a trigger with several dependencies remembers, between
// events, the latest event of each dependency. Update must run fn on the
// entries stored under key and store what fn returns (nil or empty: delete
// the key) as one atomic step with respect to other Updates of the same key.
// An implementation with optimistic concurrency may call fn more than once;
// fn is pure. When fn returns an error nothing is stored and Update returns
// that error.
type State interface {
	Update(ctx context.Context, key Key, fn func(entries map[string]Entry) (map[string]Entry, error)) error
}
