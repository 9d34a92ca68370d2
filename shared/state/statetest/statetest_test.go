package statetest_test

import (
	"testing"

	"github.com/fc-eventing/fc-eventing/shared/sensor"
	"github.com/fc-eventing/fc-eventing/shared/state/memory"
	"github.com/fc-eventing/fc-eventing/shared/state/statetest"
)

// The suite itself, against the in-memory State every client shares.
func TestMemory(t *testing.T) {
	s := memory.New()
	statetest.Run(t, func(*testing.T) sensor.State { return s })
}
