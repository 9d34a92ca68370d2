package memory_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/fc-eventing/fc-eventing/shared/event"
	"github.com/fc-eventing/fc-eventing/shared/sensor"
	"github.com/fc-eventing/fc-eventing/shared/state/memory"
)

var key = sensor.Key{Namespace: "ns", Sensor: "s", Trigger: "t"}

func put(dep, id string) func(map[string]sensor.Entry) (map[string]sensor.Entry, error) {
	return func(m map[string]sensor.Entry) (map[string]sensor.Entry, error) {
		if m == nil {
			m = map[string]sensor.Entry{}
		}
		m[dep] = sensor.Entry{Event: event.Event{ID: id}, At: time.Unix(1, 0)}
		return m, nil
	}
}

func TestUpdate(t *testing.T) {
	t.Parallel()
	s := memory.New()
	ctx := context.Background()
	if err := s.Update(ctx, key, put("a", "1")); err != nil {
		t.Fatal(err)
	}
	if got := s.Get(key); len(got) != 1 || got["a"].Event.ID != "1" {
		t.Fatalf("state = %v", got)
	}
	// fn gets a copy: changing it and failing leaves the state unchanged.
	boom := errors.New("boom")
	err := s.Update(ctx, key, func(m map[string]sensor.Entry) (map[string]sensor.Entry, error) {
		delete(m, "a")
		m["b"] = sensor.Entry{}
		return nil, boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if got := s.Get(key); len(got) != 1 || got["a"].Event.ID != "1" {
		t.Fatalf("state after failed update = %v", got)
	}
	// Returning nothing deletes the key; other keys are separate.
	other := sensor.Key{Namespace: "ns", Sensor: "s", Trigger: "u"}
	if err := s.Update(ctx, other, put("x", "9")); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, key, func(map[string]sensor.Entry) (map[string]sensor.Entry, error) { return nil, nil }); err != nil {
		t.Fatal(err)
	}
	if got := s.Get(key); len(got) != 0 {
		t.Errorf("state after clearing = %v", got)
	}
	if got := s.Get(other); len(got) != 1 {
		t.Errorf("other key = %v", got)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.Update(cctx, key, put("a", "2")); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: err = %v", err)
	}
}

func TestUpdateIsAtomic(t *testing.T) {
	t.Parallel()
	s := memory.New()
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_ = s.Update(context.Background(), key, func(m map[string]sensor.Entry) (map[string]sensor.Entry, error) {
				if m == nil {
					m = map[string]sensor.Entry{}
				}
				m[fmt.Sprint(i)] = sensor.Entry{}
				return m, nil
			})
		}(i)
	}
	wg.Wait()
	if got := s.Get(key); len(got) != 20 {
		t.Errorf("%d entries, want 20", len(got))
	}
}
