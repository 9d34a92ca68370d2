// Package memory keeps a sensor's conditions state in process memory: for
// the local server, tests and a sensor function that runs as one instance.
// State is lost when the process ends.
package memory

import (
	"context"
	"maps"
	"sync"

	"github.com/fc-eventing/fc-eventing/shared/sensor"
)

// State is an in-memory sensor.State, safe for concurrent use.
type State struct {
	mu      sync.Mutex
	entries map[sensor.Key]map[string]sensor.Entry
}

var _ sensor.State = (*State)(nil)

// New returns an empty State.
func New() *State {
	return &State{entries: map[sensor.Key]map[string]sensor.Entry{}}
}

// Update runs fn on a copy of key's entries under the lock and stores the
// result; on error the stored entries are unchanged.
func (s *State) Update(ctx context.Context, key sensor.Key, fn func(map[string]sensor.Entry) (map[string]sensor.Entry, error)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	next, err := fn(maps.Clone(s.entries[key]))
	if err != nil {
		return err
	}
	if len(next) == 0 {
		delete(s.entries, key)
		return nil
	}
	s.entries[key] = next
	return nil
}

// Get returns a copy of the entries stored under key.
func (s *State) Get(key sensor.Key) map[string]sensor.Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.entries[key])
}
