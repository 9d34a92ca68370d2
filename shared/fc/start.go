package fc

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	fcsdk "github.com/aliyun/fc-runtime-go-sdk/fc"
	"github.com/aliyun/fc-runtime-go-sdk/fccontext"
	"github.com/sirupsen/logrus"
)

// DeadlineMargin is how long before FC's own deadline the handler's context
// ends, so a handler that gives up still has time to answer (and an HTTP
// trigger caller gets a status instead of a timeout).
const DeadlineMargin = 500 * time.Millisecond

// Start runs h for every invocation FC hands this instance. It blocks; when
// the FC runtime API is not configured (FC_RUNTIME_API unset) the SDK logs
// the reason and exits the process.
func Start[T, R any](h func(ctx context.Context, in T) (R, error)) {
	fcsdk.Start(sdkHandler(Handler(h)))
}

// StartLoading is Start for a handler that takes a while to build: the FC
// loop starts at once and load runs beside it, so the runtime's first poll,
// and the delivery of the first event, overlap the function's set-up.
// Invocations wait until load returns. A load error is logged with log and
// ends the process, as a set-up that fails before Start does.
func StartLoading(log *logrus.Entry, load func() (Invoker, error)) {
	fcsdk.Start(sdkHandler(loading(log, load)))
}

// loading runs load on its own goroutine and returns an Invoker that waits
// for it (or for its invocation's context to end) and then calls what load
// built.
func loading(log *logrus.Entry, load func() (Invoker, error)) Invoker {
	var inv Invoker
	ready := make(chan struct{})
	go func() {
		h, err := load()
		if err != nil {
			log.WithError(err).Fatal("setting up the function")
			return
		}
		inv = h
		close(ready)
	}()
	return func(ctx context.Context, payload []byte) ([]byte, error) {
		select {
		case <-ready:
			return inv(ctx, payload)
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for the function's set-up: %w", ctx.Err())
		}
	}
}

// sdkHandler is inv in the shape the SDK calls without re-encoding: it
// hands a []byte argument over raw and JSON-encodes the result, which a
// json.RawMessage survives unchanged.
func sdkHandler(inv Invoker) func(ctx context.Context, payload []byte) (json.RawMessage, error) {
	return func(ctx context.Context, payload []byte) (json.RawMessage, error) {
		out, err := inv(ctx, payload)
		if err != nil {
			return nil, err
		}
		return json.RawMessage(out), nil
	}
}

// Invoker is a handler in the shape the FC runtime speaks: a payload in, a
// payload out. `fceventing serve` and tests call it directly with exactly the
// bytes FC would hand the function.
type Invoker func(ctx context.Context, payload []byte) ([]byte, error)

// Handler adapts a typed handler to an Invoker: it decodes the payload into
// T (raw bytes for []byte and json.RawMessage, JSON otherwise), shortens the
// deadline by DeadlineMargin, attaches the request-scoped logger and encodes
// the result (raw for []byte, JSON otherwise).
func Handler[T, R any](h func(ctx context.Context, in T) (R, error)) Invoker {
	return func(ctx context.Context, payload []byte) ([]byte, error) {
		ctx, cancel := withMargin(ctx)
		defer cancel()
		ctx = WithLogger(ctx, Logger(ctx))
		var in T
		if err := decode(payload, &in); err != nil {
			return nil, fmt.Errorf("decoding invocation payload: %w", err)
		}
		out, err := h(ctx, in)
		if err != nil {
			return nil, err
		}
		return encode(out)
	}
}

func decode[T any](payload []byte, in *T) error {
	switch p := any(in).(type) {
	case *[]byte:
		*p = payload
		return nil
	case *json.RawMessage:
		*p = payload
		return nil
	}
	return json.Unmarshal(payload, in)
}

func encode[R any](out R) ([]byte, error) {
	switch v := any(out).(type) {
	case []byte:
		return v, nil
	case json.RawMessage:
		return v, nil
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("encoding invocation result: %w", err)
	}
	return b, nil
}

// withMargin ends the context DeadlineMargin before FC's deadline, or half
// way to it when less than twice the margin remains.
func withMargin(ctx context.Context) (context.Context, context.CancelFunc) {
	d, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	margin := DeadlineMargin
	if left := time.Until(d); left < 2*margin {
		margin = left / 2
	}
	return context.WithDeadline(ctx, d.Add(-margin))
}

// RequestID is the FC request id of the invocation ctx belongs to, or the id
// set with WithRequestID, or "".
func RequestID(ctx context.Context) string {
	if id, ok := ctx.Value(requestIDKey{}).(string); ok {
		return id
	}
	if lc, ok := fccontext.FromContext(ctx); ok && lc != nil {
		return lc.RequestID
	}
	return ""
}

type requestIDKey struct{}

// WithRequestID gives ctx a request id for code that runs outside FC
// (`fceventing serve`), so logs and events read the same there.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// ConfigDirEnv names the variable holding the directory of Sensor and
// EventSource YAML.
const ConfigDirEnv = "FCE_CONFIG_DIR"

// ConfigDir is the directory a function reads its configuration from:
// FCE_CONFIG_DIR, or "config" beside the function binary (where the
// deployment package puts it).
func ConfigDir() string {
	if d := os.Getenv(ConfigDirEnv); d != "" {
		return d
	}
	exe, err := os.Executable()
	if err != nil {
		return "config"
	}
	return filepath.Join(filepath.Dir(exe), "config")
}
