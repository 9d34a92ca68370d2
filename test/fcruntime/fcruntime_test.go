package fcruntime_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fc-eventing/fc-eventing/test/fcruntime"
)

const helloPkg = "github.com/fc-eventing/fc-eventing/test/fcruntime/hello"

func TestMain(m *testing.M) {
	code := m.Run()
	if err := fcruntime.CleanupBuilds(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}

type helloAnswer struct {
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

func hello(tb testing.TB) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bin, err := fcruntime.Build(ctx, helloPkg)
	if err != nil {
		tb.Fatal(err)
	}
	return bin
}

// start runs hello under the runtime API and closes it when the test ends.
func start(tb testing.TB, opts fcruntime.Options) *fcruntime.Function {
	tb.Helper()
	if opts.Binary == "" {
		opts.Binary = hello(tb)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	f, err := fcruntime.Start(ctx, opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := f.Close(ctx); err != nil {
			tb.Errorf("closing: %v", err)
		}
	})
	return f
}

func invoke(t *testing.T, f *fcruntime.Function, req map[string]any) (helloAnswer, error) {
	t.Helper()
	payload, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := f.Invoke(ctx, payload)
	if err != nil {
		return helloAnswer{}, err
	}
	var a helloAnswer
	if err := json.Unmarshal(out, &a); err != nil {
		t.Fatalf("decoding answer %q: %v", out, err)
	}
	return a, nil
}

func TestInvokeAnswers(t *testing.T) {
	t.Parallel()
	f := start(t, fcruntime.Options{Timeout: 7 * time.Second})
	before := time.Now()
	a, err := invoke(t, f, map[string]any{"name": "fc"})
	if err != nil {
		t.Fatal(err)
	}
	if a.Message != "hello, fc" {
		t.Errorf("message = %q", a.Message)
	}
	if a.RequestID == "" || a.Function != "hello" || a.Timeout != 7 || a.Initialized {
		t.Errorf("context seen by the function = %+v", a)
	}
	if dl := time.UnixMilli(a.Deadline); dl.Before(before.Add(6*time.Second)) || dl.After(time.Now().Add(7*time.Second)) {
		t.Errorf("deadline %v is not 7s after the invocation at %v", dl, before)
	}
	p := f.Process()
	if a.PID != p.PID || p.Generation != 1 {
		t.Errorf("answer from pid %d, process %+v", a.PID, p)
	}
	if p.Polling <= 0 || p.ColdStart < p.Polling || f.ColdStart() != p.ColdStart {
		t.Errorf("polling after %v, cold start %v", p.Polling, p.ColdStart)
	}
	if p.PeakRSS < 1<<20 || p.PeakRSS > 64<<20 {
		t.Errorf("peak RSS of hello-world = %d bytes", p.PeakRSS)
	}

	resp, err := f.Do(context.Background(), fcruntime.Request{Payload: []byte(`{"name":"again"}`), RetryCount: 2})
	if err != nil {
		t.Fatal(err)
	}
	var b helloAnswer
	if err := json.Unmarshal(resp.Payload, &b); err != nil {
		t.Fatal(err)
	}
	if b.RetryCount != 2 || b.RequestID != resp.RequestID || b.RequestID == a.RequestID {
		t.Errorf("second answer %+v for request %s", b, resp.RequestID)
	}
	if f.ColdStart() != p.ColdStart {
		t.Errorf("cold start changed after a warm invocation: %v -> %v", p.ColdStart, f.ColdStart())
	}
}

func TestFunctionErrors(t *testing.T) {
	t.Parallel()
	f := start(t, fcruntime.Options{})
	tests := map[string]struct {
		req      map[string]any
		wantType string
		wantMsg  string
		stack    bool
	}{
		"returned error": {req: map[string]any{"fail": "no such bucket"}, wantType: "errorString", wantMsg: "no such bucket"},
		"panic":          {req: map[string]any{"panic": "nil map"}, wantType: "string", wantMsg: "nil map", stack: true},
		"bad payload":    {req: map[string]any{"name": 42}, wantType: "UnmarshalTypeError"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := invoke(t, f, tt.req)
			var fe *fcruntime.FunctionError
			if !errors.As(err, &fe) {
				t.Fatalf("error = %v, want a FunctionError", err)
			}
			if fe.Type != tt.wantType || !strings.Contains(fe.Message, tt.wantMsg) || fe.RequestID == "" {
				t.Errorf("error = %+v", fe)
			}
			if tt.stack != (len(fe.StackTrace) > 0) {
				t.Errorf("stack trace = %v", fe.StackTrace)
			}
		})
	}
	// The process survives its handler's errors and panics.
	if a, err := invoke(t, f, map[string]any{"name": "after"}); err != nil || a.PID != f.Process().PID {
		t.Fatalf("after errors: %+v, %v", a, err)
	}
}

func TestQueuedInvocations(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		concurrency int
		wantMax     int32
	}{
		"one at a time by default": {concurrency: 0, wantMax: 1},
		"instance concurrency 4":   {concurrency: 4, wantMax: 4},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := start(t, fcruntime.Options{Concurrency: tt.concurrency})
			const n = 8
			var wg sync.WaitGroup
			answers := make([]helloAnswer, n)
			errs := make([]error, n)
			begin := time.Now()
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					answers[i], errs[i] = invoke(t, f, map[string]any{"name": fmt.Sprint(i), "sleep": "150ms"})
				}()
			}
			wg.Wait()
			elapsed := time.Since(begin)
			var most int32
			for i := range n {
				if errs[i] != nil {
					t.Fatalf("invocation %d: %v", i, errs[i])
				}
				if answers[i].Message != fmt.Sprintf("hello, %d", i) {
					t.Errorf("invocation %d answered %q", i, answers[i].Message)
				}
				most = max(most, answers[i].Concurrent)
			}
			if most > tt.wantMax {
				t.Errorf("the function ran %d invocations at once, want at most %d", most, tt.wantMax)
			}
			if min := time.Duration(n/int(tt.wantMax)) * 150 * time.Millisecond; elapsed < min {
				t.Errorf("%d invocations took %v, less than %v", n, elapsed, min)
			}
		})
	}
}

func TestKillMidInvocation(t *testing.T) {
	t.Parallel()
	f := start(t, fcruntime.Options{})
	first := f.Process()

	type outcome struct {
		a   helloAnswer
		err error
	}
	inflight, queued := make(chan outcome, 1), make(chan outcome, 1)
	go func() {
		a, err := invoke(t, f, map[string]any{"name": "slow", "sleep": "30s"})
		inflight <- outcome{a, err}
	}()
	waitFor(t, func() bool { return f.InFlight() == 1 })
	go func() {
		a, err := invoke(t, f, map[string]any{"name": "queued"})
		queued <- outcome{a, err}
	}()
	time.Sleep(50 * time.Millisecond) // let it queue

	if err := f.Kill(); err != nil {
		t.Fatal(err)
	}
	got := <-inflight
	if !errors.Is(got.err, fcruntime.ErrKilled) {
		t.Fatalf("in-flight invocation: %+v, %v; want ErrKilled", got.a, got.err)
	}
	select {
	case o := <-queued:
		t.Fatalf("queued invocation ended without a process: %+v, %v", o.a, o.err)
	case <-time.After(100 * time.Millisecond):
	}

	if rss := f.Process().PeakRSS; rss < 1<<20 {
		t.Errorf("peak RSS of the killed process = %d bytes", rss)
	}
	if err := f.Restart(context.Background()); err != nil {
		t.Fatal(err)
	}
	o := <-queued
	if o.err != nil || o.a.Message != "hello, queued" {
		t.Fatalf("queued invocation after restart: %+v, %v", o.a, o.err)
	}
	second := f.Process()
	if second.Generation != 2 || second.PID == first.PID || o.a.PID != second.PID || second.ColdStart <= 0 {
		t.Errorf("after restart: %+v (first %+v), answered by %d", second, first, o.a.PID)
	}
	// The caller re-queues what failed.
	if a, err := invoke(t, f, map[string]any{"name": "slow again"}); err != nil || a.Message != "hello, slow again" {
		t.Fatalf("re-queued invocation: %+v, %v", a, err)
	}
}

func TestProcessExitAndAutoRestart(t *testing.T) {
	t.Parallel()
	f := start(t, fcruntime.Options{AutoRestart: true, Timeout: time.Second})
	first := f.Process().PID

	_, err := invoke(t, f, map[string]any{"exit": 3})
	if !errors.Is(err, fcruntime.ErrExited) || !strings.Contains(err.Error(), "exit status 3") {
		t.Fatalf("invocation that exits: %v", err)
	}
	a, err := invoke(t, f, map[string]any{"name": "next"})
	if err != nil || a.PID == first {
		t.Fatalf("after the exit: %+v, %v (first pid %d)", a, err, first)
	}

	_, err = invoke(t, f, map[string]any{"sleep": "10s"})
	if !errors.Is(err, fcruntime.ErrTimeout) {
		t.Fatalf("invocation past its deadline: %v", err)
	}
	b, err := invoke(t, f, map[string]any{"name": "after timeout"})
	if err != nil || b.PID == a.PID || f.Process().Generation != 3 {
		t.Fatalf("after the timeout: %+v, %v, %+v", b, err, f.Process())
	}
}

func TestInitializer(t *testing.T) {
	t.Parallel()
	t.Run("runs before the first invocation", func(t *testing.T) {
		t.Parallel()
		f := start(t, fcruntime.Options{Initializer: true})
		a, err := invoke(t, f, map[string]any{"name": "x"})
		if err != nil || !a.Initialized {
			t.Fatalf("answer %+v, %v; want initialized", a, err)
		}
		if err := f.Restart(context.Background()); err != nil {
			t.Fatal(err)
		}
		if a, err := invoke(t, f, map[string]any{"name": "y"}); err != nil || !a.Initialized {
			t.Fatalf("after restart: %+v, %v; want initialized", a, err)
		}
	})
	t.Run("failure stops the start", func(t *testing.T) {
		t.Parallel()
		_, err := fcruntime.Start(context.Background(), fcruntime.Options{
			Binary:      hello(t),
			Initializer: true,
			Env:         []string{"HELLO_INITIALIZER_PANIC=no configuration"},
		})
		var fe *fcruntime.FunctionError
		if !errors.Is(err, fcruntime.ErrInitializer) || !errors.As(err, &fe) || fe.Message != "no configuration" {
			t.Fatalf("start = %v, want the initializer's panic", err)
		}
	})
}

func TestPreStopAndClose(t *testing.T) {
	t.Parallel()
	var out syncBuffer
	f := start(t, fcruntime.Options{PreStop: true, Output: &out})
	if _, err := invoke(t, f, map[string]any{"name": "x"}); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "hello: pre-stop") || !strings.Contains(out.String(), "FC PreStop End") {
		t.Errorf("output has no pre-stop run:\n%s", out.String())
	}
	select {
	case <-f.Process().Exited:
	default:
		t.Error("process still running after Close")
	}
	if _, err := invoke(t, f, map[string]any{"name": "late"}); !errors.Is(err, fcruntime.ErrClosed) {
		t.Errorf("invoking a closed function: %v", err)
	}

	// A process already gone has no pre-stop to run: closing is not an error.
	g := start(t, fcruntime.Options{PreStop: true})
	if err := g.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := g.Close(context.Background()); err != nil {
		t.Errorf("closing after a kill: %v", err)
	}
}

func TestProcessThatNeverPolls(t *testing.T) {
	t.Parallel()
	f := start(t, fcruntime.Options{Binary: "/bin/false", AutoRestart: true})
	_, err := invoke(t, f, map[string]any{"name": "x"})
	if !errors.Is(err, fcruntime.ErrExited) {
		t.Fatalf("invoking a binary that exits at once: %v", err)
	}
	if g := f.Process().Generation; g != 1 {
		t.Errorf("restarted a process that never reached the runtime loop: generation %d", g)
	}
}

func TestBuildIsCached(t *testing.T) {
	t.Parallel()
	a, b := hello(t), hello(t)
	if a != b {
		t.Errorf("two builds: %s, %s", a, b)
	}
	if _, err := fcruntime.Build(context.Background(), "./no/such/function"); err == nil {
		t.Error("building a missing package succeeded")
	}
}

func TestMeasureColdStarts(t *testing.T) {
	t.Parallel()
	samples, err := fcruntime.MeasureColdStarts(context.Background(), fcruntime.Options{Binary: hello(t)}, []byte(`{"name":"x"}`), 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(samples) != 3 {
		t.Fatalf("%d samples", len(samples))
	}
	for _, s := range samples {
		if s <= 0 || s > 10*time.Second {
			t.Errorf("cold start %v", s)
		}
	}
	_, err = fcruntime.MeasureColdStarts(context.Background(), fcruntime.Options{Binary: hello(t)}, []byte(`{"fail":"x"}`), 1)
	var fe *fcruntime.FunctionError
	if !errors.As(err, &fe) {
		t.Errorf("measuring with a failing invocation: %v", err)
	}
}

// BenchmarkColdStart measures hello-world's cold start: process start to its
// first answered invocation, the baseline the functions are compared with.
func BenchmarkColdStart(b *testing.B) {
	bin := hello(b)
	ctx := context.Background()
	var samples []time.Duration
	for b.Loop() {
		f, err := fcruntime.Start(ctx, fcruntime.Options{Binary: bin})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := f.Invoke(ctx, []byte(`{"name":"cold"}`)); err != nil {
			b.Fatal(err)
		}
		samples = append(samples, f.ColdStart())
		if err := f.Close(ctx); err != nil {
			b.Fatal(err)
		}
	}
	reportColdStart(b, samples)
}

func reportColdStart(b *testing.B, samples []time.Duration) {
	if len(samples) == 0 {
		return
	}
	sort.Slice(samples, func(i, j int) bool { return samples[i] < samples[j] })
	var sum time.Duration
	for _, s := range samples {
		sum += s
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(sum/time.Duration(len(samples))), "cold-ms/op")
	b.ReportMetric(ms(samples[len(samples)/2]), "cold-p50-ms")
	b.ReportMetric(ms(samples[len(samples)*99/100]), "cold-p99-ms")
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
