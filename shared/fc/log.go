package fc

import (
	"context"
	"os"
	"sync"

	"github.com/sirupsen/logrus"
)

// Log field names used across the functions, so queries over FC's logs can
// rely on them.
const (
	FieldRequestID   = "requestId"
	FieldFunction    = "function"
	FieldEventSource = "eventSource"
	FieldEvent       = "event"
	FieldEventID     = "eventId"
	FieldStatus      = "status"
	FieldReason      = "reason"
)

// LogLevelEnv names the variable holding the log level (debug, info, warn,
// error); info when unset or unknown.
const LogLevelEnv = "FCE_LOG_LEVEL"

var (
	baseOnce sync.Once
	base     *logrus.Logger
)

// BaseLogger is the process-wide JSON logger writing to standard error,
// which FC collects into the function's log store.
func BaseLogger() *logrus.Logger {
	baseOnce.Do(func() {
		base = logrus.New()
		base.SetOutput(os.Stderr)
		base.SetFormatter(&logrus.JSONFormatter{})
		base.SetLevel(logrus.InfoLevel)
		if lv, err := logrus.ParseLevel(os.Getenv(LogLevelEnv)); err == nil {
			base.SetLevel(lv)
		}
	})
	return base
}

type loggerKey struct{}

// WithLogger stores a logger in ctx; Logger returns it from then on.
func WithLogger(ctx context.Context, l *logrus.Entry) context.Context {
	return context.WithValue(ctx, loggerKey{}, l)
}

// Logger is the logger of the invocation ctx belongs to: the one stored with
// WithLogger, or a JSON entry carrying the FC request id when there is one.
func Logger(ctx context.Context) *logrus.Entry {
	if l, ok := ctx.Value(loggerKey{}).(*logrus.Entry); ok && l != nil {
		return l
	}
	e := logrus.NewEntry(BaseLogger())
	if id := RequestID(ctx); id != "" {
		e = e.WithField(FieldRequestID, id)
	}
	return e
}
