package dispatch

import (
	"context"
	"sync/atomic"

	"github.com/fc-eventing/fc-eventing/shared/bus"
	"github.com/fc-eventing/fc-eventing/shared/bus/smq"
)

// PushAnswer is what the sensor function answers for a batch it carried
// out completely.
type PushAnswer struct {
	// Messages is how many messages of the batch were handled.
	Messages int `json:"messages"`
}

// PushFunction is the FC handler of the sensor function behind the SMQ
// queue trigger: it decodes the batch with p and hands every event to the
// dispatcher. It answers success only when every message was carried out
// (or dead-lettered by p for a permanent failure); otherwise the error
// makes the trigger deliver the whole batch again, which creates nothing
// twice.
func (d *Dispatcher) PushFunction(p *smq.Push) func(ctx context.Context, payload []byte) (PushAnswer, error) {
	return func(ctx context.Context, payload []byte) (PushAnswer, error) {
		var n atomic.Int64
		err := p.Handle(ctx, payload, func(ctx context.Context, m bus.Message) error {
			n.Add(1)
			return d.Handle(ctx, m)
		})
		if err != nil {
			return PushAnswer{}, err
		}
		return PushAnswer{Messages: int(n.Load())}, nil
	}
}
