package fcruntime

import (
	"errors"
	"fmt"
)

var (
	// ErrKilled: the process was killed (Kill, Restart, Close or a timeout)
	// while the invocation was in flight. The function may or may not have
	// done its work; the caller decides whether to invoke again.
	ErrKilled = errors.New("function process killed")
	// ErrExited: the process exited on its own while the invocation was in flight.
	ErrExited = errors.New("function process exited")
	// ErrTimeout: the function did not answer before the invocation deadline;
	// the process is killed, as the handler is still running.
	ErrTimeout = errors.New("function timed out")
	// ErrClosed: the Function was closed before the invocation was handed out.
	ErrClosed = errors.New("function closed")
	// ErrInitializer: the initializer hook failed, so the process serves nothing.
	ErrInitializer = errors.New("function initializer failed")
)

// FunctionError is the error a function answered with (POST …/{id}/error):
// the handler returned an error or panicked.
type FunctionError struct {
	RequestID  string       `json:"-"`
	Type       string       `json:"errorType"`
	Message    string       `json:"errorMessage"`
	StackTrace []StackFrame `json:"stackTrace,omitempty"`
}

// StackFrame is one frame of a panicking function's stack trace.
type StackFrame struct {
	Path  string `json:"path"`
	Line  int32  `json:"line"`
	Label string `json:"label"`
}

func (e *FunctionError) Error() string {
	if e.Type == "" {
		return fmt.Sprintf("function error (request %s): %s", e.RequestID, e.Message)
	}
	return fmt.Sprintf("function error %s (request %s): %s", e.Type, e.RequestID, e.Message)
}
