package fc

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestEarlyHoldsInvocationsUntilServed(t *testing.T) {
	t.Parallel()
	e := &Early{ready: make(chan struct{})}
	type result struct {
		out []byte
		err error
	}
	got := make(chan result, 1)
	go func() {
		out, err := e.invoke(context.Background(), []byte(`{"name":"fc"}`))
		got <- result{out, err}
	}()
	select {
	case r := <-got:
		t.Fatalf("invocation answered before the handler existed: %s, %v", r.out, r.err)
	case <-time.After(50 * time.Millisecond):
	}
	e.set(Handler(func(_ context.Context, in input) (output, error) {
		return output{Greeting: "hello " + in.Name}, nil
	}))
	r := <-got
	if r.err != nil || string(r.out) != `{"greeting":"hello fc"}` {
		t.Fatalf("invocation = %s, %v", r.out, r.err)
	}
	// A second handler is ignored: the first one serves for good.
	e.set(func(context.Context, []byte) ([]byte, error) { return []byte("other"), nil })
	if out, err := e.invoke(context.Background(), []byte(`{"name":"again"}`)); err != nil || string(out) != `{"greeting":"hello again"}` {
		t.Errorf("later invocation = %s, %v", out, err)
	}
}

func TestEarlyInvocationEndsWithItsContext(t *testing.T) {
	t.Parallel()
	e := &Early{ready: make(chan struct{})}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := e.invoke(ctx, []byte(`{}`)); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error = %v, want the context's deadline", err)
	}
}

func TestBeginOutsideFC(t *testing.T) {
	t.Setenv(RuntimeAPIEnv, "")
	if e := Begin(); e.polling {
		t.Error("Begin polls without a runtime API")
	}
}
