package fc

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
)

// testLog is a logger writing to buf whose Fatal records its exit code
// instead of ending the test process.
func testLog(buf *bytes.Buffer, exited chan<- int) *logrus.Entry {
	l := logrus.New()
	l.Out = buf
	l.Formatter = &logrus.JSONFormatter{}
	l.ExitFunc = func(code int) { exited <- code }
	return logrus.NewEntry(l)
}

func TestLoading(t *testing.T) {
	t.Parallel()
	t.Run("an invocation waits for the set-up", func(t *testing.T) {
		t.Parallel()
		release := make(chan struct{})
		inv := loading(testLog(new(bytes.Buffer), make(chan int, 1)), func() (Invoker, error) {
			<-release
			return func(_ context.Context, p []byte) ([]byte, error) { return append([]byte("got "), p...), nil }, nil
		})
		answered := make(chan []byte, 1)
		go func() {
			out, _ := inv(context.Background(), []byte("event"))
			answered <- out
		}()
		select {
		case out := <-answered:
			t.Fatalf("answered %q before the set-up finished", out)
		case <-time.After(50 * time.Millisecond):
		}
		close(release)
		select {
		case out := <-answered:
			if string(out) != "got event" {
				t.Errorf("answer = %q", out)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no answer after the set-up finished")
		}
	})
	t.Run("the invocation's deadline ends the wait", func(t *testing.T) {
		t.Parallel()
		inv := loading(testLog(new(bytes.Buffer), make(chan int, 1)), func() (Invoker, error) {
			select {}
		})
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		_, err := inv(ctx, nil)
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "waiting for the function's set-up") {
			t.Errorf("error = %v", err)
		}
	})
	t.Run("a failed set-up is logged and ends the process", func(t *testing.T) {
		t.Parallel()
		var buf bytes.Buffer
		exited := make(chan int, 1)
		loading(testLog(&buf, exited), func() (Invoker, error) {
			return nil, errors.New("loading event sources: spec.githib: unknown field")
		})
		select {
		case code := <-exited:
			if code != 1 {
				t.Errorf("exit code %d", code)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("a failed set-up did not end the process")
		}
		if s := buf.String(); !strings.Contains(s, `"msg":"setting up the function"`) || !strings.Contains(s, "spec.githib: unknown field") {
			t.Errorf("log = %s", s)
		}
	})
}
