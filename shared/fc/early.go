package fc

import (
	"context"
	"os"
	"sync"

	fcsdk "github.com/aliyun/fc-runtime-go-sdk/fc"
)

// RuntimeAPIEnv names the variable FC sets to the runtime API's address.
const RuntimeAPIEnv = "FC_RUNTIME_API"

// Early is an invocation loop started before the function's handler
// exists: it asks FC for the first invocation while the function loads its
// configuration and builds its clients, and holds what FC hands it until
// Serve gives it the handler. A cold start then pays for the runtime API's
// round trip and the function's setup at once instead of one after the
// other.
//
// Setup errors still end the process before anything is answered: the
// function logs them and exits as it would have without Early, and FC
// sees the instance fail.
type Early struct {
	once  sync.Once
	ready chan struct{}
	inv   Invoker
	// polling is false outside FC (FC_RUNTIME_API unset); Serve then
	// starts the loop itself, so the SDK's complaint about the missing
	// runtime API comes after any setup error rather than instead of it.
	polling bool
}

// Begin starts asking FC for invocations and returns at once; they wait
// until Serve.
func Begin() *Early {
	e := &Early{ready: make(chan struct{})}
	if os.Getenv(RuntimeAPIEnv) == "" {
		return e
	}
	e.polling = true
	go fcsdk.Start(sdkHandler(e.invoke))
	return e
}

func (e *Early) invoke(ctx context.Context, payload []byte) ([]byte, error) {
	select {
	case <-e.ready:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return e.inv(ctx, payload)
}

// Serve hands e the handler: held and further invocations run h. Like
// Start, it blocks.
func Serve[T, R any](e *Early, h func(ctx context.Context, in T) (R, error)) {
	e.set(Handler(h))
	if !e.polling {
		fcsdk.Start(sdkHandler(e.inv))
		return
	}
	select {}
}

// set gives e its handler once and releases the invocations waiting for it.
func (e *Early) set(inv Invoker) {
	e.once.Do(func() {
		e.inv = inv
		close(e.ready)
	})
}
