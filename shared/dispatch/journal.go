package dispatch

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/fc-eventing/fc-eventing/shared/sensor"
)

// journal records, for one event, the conditions states that the event
// completed: the entries a trigger consumed when it fired. If carrying out
// that firing fails, restore puts them back so the redelivered event fires
// it again.
type journal struct {
	mu       sync.Mutex
	consumed map[sensor.Key]map[string]sensor.Entry
}

type journalKey struct{}

// restoreTimeout bounds putting consumed events back into the state.
const restoreTimeout = 10 * time.Second

// journaled wraps the conditions state and records in the journal of the
// context what each Update consumed.
type journaled struct{ inner sensor.State }

func (j journaled) Update(ctx context.Context, key sensor.Key, fn func(map[string]sensor.Entry) (map[string]sensor.Entry, error)) error {
	jr, _ := ctx.Value(journalKey{}).(*journal)
	if jr == nil {
		return j.inner.Update(ctx, key, fn)
	}
	var before, after map[string]sensor.Entry
	err := j.inner.Update(ctx, key, func(entries map[string]sensor.Entry) (map[string]sensor.Entry, error) {
		// fn may run more than once (optimistic concurrency): keep the last.
		before = maps.Clone(entries)
		next, err := fn(entries)
		after = next
		return next, err
	})
	if err != nil {
		return err
	}
	if len(after) == 0 {
		jr.mu.Lock()
		if jr.consumed == nil {
			jr.consumed = map[sensor.Key]map[string]sensor.Entry{}
		}
		jr.consumed[key] = before
		jr.mu.Unlock()
	}
	return nil
}

// restore puts the events of a firing that failed transiently back into the conditions
// state of its trigger, when the firing consumed state; entries stored
// since (newer events of the same dependency) are kept.
func (d *Dispatcher) restore(ctx context.Context, jr *journal, f sensor.Firing) error {
	key := sensor.Key{Namespace: f.Namespace, Sensor: f.Sensor, Trigger: f.Trigger}
	jr.mu.Lock()
	before, ok := jr.consumed[key]
	jr.mu.Unlock()
	if !ok || d.opts.State == nil {
		return nil
	}
	now := d.opts.Now()
	// The event is coming back: restore even when ctx ended (shutdown).
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), restoreTimeout)
	defer cancel()
	err := d.opts.State.Update(ctx, key, func(entries map[string]sensor.Entry) (map[string]sensor.Entry, error) {
		next := maps.Clone(entries)
		if next == nil {
			next = map[string]sensor.Entry{}
		}
		for dep, ev := range f.Events {
			if _, ok := next[dep]; ok {
				continue
			}
			e := sensor.Entry{Event: ev, At: now}
			if old, ok := before[dep]; ok && old.Event.ID == ev.ID {
				e.At = old.At
			}
			next[dep] = e
		}
		return next, nil
	})
	if err != nil {
		return fmt.Errorf("restoring conditions state of %s: %w", key, err)
	}
	return nil
}
