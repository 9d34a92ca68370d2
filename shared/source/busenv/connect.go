package busenv

import (
	"context"
	"os"

	"github.com/fc-eventing/fc-eventing/shared/bus"
	"github.com/fc-eventing/fc-eventing/shared/bus/smq"
)

// Pending is a Publisher being built on another goroutine, so that a
// function's start builds its bus client while it loads its configuration.
type Pending struct {
	done chan struct{}
	pub  bus.Publisher
	err  error
}

// Connect starts building the Publisher FCE_BUS names and returns at once.
// For SMQ it then warms the client in the background (smq.Bus.Warm), so
// the first publish finds an open connection; a failed warm-up is ignored,
// as publishing reports its own errors.
func Connect(ctx context.Context) *Pending {
	return connect(ctx, os.Getenv)
}

func connect(ctx context.Context, getenv func(string) string) *Pending {
	p := &Pending{done: make(chan struct{})}
	go func() {
		defer close(p.done)
		p.pub, p.err = FromEnv(ctx, getenv)
		if b, ok := p.pub.(*smq.Bus); ok {
			go func() { _ = b.Warm() }()
		}
	}()
	return p
}

// Wait returns the Publisher, or why it could not be built; the error reads
// as Publisher's.
func (p *Pending) Wait() (bus.Publisher, error) {
	<-p.done
	return p.pub, p.err
}
