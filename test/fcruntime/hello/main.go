// Command hello is the smallest useful function built with fc-runtime-go-sdk:
// the cold-start baseline the real functions are measured against, and the
// function the runtime API server's own tests invoke.
//
// It answers {"name": "x"} with {"message": "hello, x", ...}. The other
// request fields exercise the runtime: "fail" answers with that error,
// "panic" panics with it, "sleep" (a Go duration) sleeps without regard to the
// deadline, "exit" ends the process with that status mid-invocation.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"github.com/aliyun/fc-runtime-go-sdk/fc"
	"github.com/aliyun/fc-runtime-go-sdk/fccontext"
)

type request struct {
	Name  string `json:"name"`
	Fail  string `json:"fail,omitempty"`
	Panic string `json:"panic,omitempty"`
	Sleep string `json:"sleep,omitempty"`
	Exit  *int   `json:"exit,omitempty"`
}

type response struct {
	Message     string `json:"message"`
	RequestID   string `json:"requestId"`
	Function    string `json:"function"`
	Timeout     int    `json:"timeout"`
	RetryCount  int    `json:"retryCount"`
	Deadline    int64  `json:"deadline"`
	Initialized bool   `json:"initialized"`
	Concurrent  int32  `json:"concurrent"`
	PID         int    `json:"pid"`
}

var (
	initialized atomic.Bool
	running     atomic.Int32
)

func handle(ctx context.Context, req request) (response, error) {
	n := running.Add(1)
	defer running.Add(-1)
	if req.Sleep != "" {
		d, err := time.ParseDuration(req.Sleep)
		if err != nil {
			return response{}, fmt.Errorf("parsing sleep: %w", err)
		}
		time.Sleep(d)
	}
	if req.Exit != nil {
		os.Exit(*req.Exit)
	}
	if req.Panic != "" {
		panic(req.Panic)
	}
	if req.Fail != "" {
		return response{}, errors.New(req.Fail)
	}
	resp := response{
		Message:     "hello, " + req.Name,
		Initialized: initialized.Load(),
		Concurrent:  n,
		PID:         os.Getpid(),
	}
	if fctx, ok := fccontext.FromContext(ctx); ok {
		resp.RequestID = fctx.RequestID
		resp.Function = fctx.Function.Name
		resp.Timeout = fctx.Function.Timeout
		resp.RetryCount = fctx.RetryCount
	}
	if d, ok := ctx.Deadline(); ok {
		resp.Deadline = d.UnixMilli()
	}
	return resp, nil
}

func main() {
	fc.RegisterInitializerFunction(func(ctx context.Context) {
		if msg := os.Getenv("HELLO_INITIALIZER_PANIC"); msg != "" {
			panic(msg)
		}
		initialized.Store(true)
	})
	fc.RegisterPreStopFunction(func(ctx context.Context) {
		fmt.Println("hello: pre-stop")
	})
	fc.Start(handle)
}
