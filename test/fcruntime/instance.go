package fcruntime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

const (
	apiPrefix = "/2020-11-11/runtime/invocation/"
	// timeoutGrace lets a function that honours its deadline answer (with
	// its own error) before the invocation is declared timed out.
	timeoutGrace = 500 * time.Millisecond
	// maxAnswer caps an answer body, as FC caps synchronous responses.
	maxAnswer = 32 << 20
	tailSize  = 16 << 10
)

// instance is one function process and the runtime API server it polls.
type instance struct {
	f       *Function
	gen     int
	cmd     *exec.Cmd
	srv     *http.Server
	out     *tailWriter
	started time.Time

	slots  chan struct{} // a token per invocation in flight
	hooks  chan *call    // lifecycle hooks, served before the queue
	ready  chan struct{} // closed once handler invocations may be served
	exited chan struct{}

	noRestart atomic.Bool
	killing   atomic.Bool

	mu       sync.Mutex
	inflight map[string]*flight
	polled   time.Time
	answered time.Time
	dead     bool
	exitErr  error
	maxRSS   int64
}

type flight struct {
	c          *call
	dispatched time.Time
	timeout    time.Duration
	timer      *time.Timer
}

func startInstance(f *Function, gen int) (*instance, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening for the runtime API: %w", err)
	}
	inst := &instance{
		f:        f,
		gen:      gen,
		out:      &tailWriter{w: f.opts.Output},
		slots:    make(chan struct{}, f.opts.Concurrency),
		hooks:    make(chan *call, 2),
		ready:    make(chan struct{}),
		exited:   make(chan struct{}),
		inflight: map[string]*flight{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+apiPrefix+"next", inst.handleNext)
	mux.HandleFunc("POST "+apiPrefix+"{id}/response", func(w http.ResponseWriter, r *http.Request) {
		inst.handleAnswer(w, r, false)
	})
	mux.HandleFunc("POST "+apiPrefix+"{id}/error", func(w http.ResponseWriter, r *http.Request) {
		inst.handleAnswer(w, r, true)
	})
	inst.srv = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	go func() { _ = inst.srv.Serve(ln) }()

	cmd := exec.Command(f.opts.Binary)
	cmd.Dir = f.opts.Dir
	cmd.Env = f.environ(ln.Addr().String(), gen)
	cmd.Stdout = inst.out
	cmd.Stderr = inst.out
	inst.cmd = cmd
	inst.started = time.Now()
	if err := cmd.Start(); err != nil {
		_ = inst.srv.Close()
		return nil, fmt.Errorf("starting %s: %w", f.opts.Binary, err)
	}
	go inst.wait()
	return inst, nil
}

// wait reaps the process, fails what it had in flight and lets the Function
// restart it.
func (inst *instance) wait() {
	waitErr := inst.cmd.Wait()
	var cause error
	if inst.killing.Load() {
		cause = ErrKilled
	} else {
		if waitErr == nil {
			waitErr = errors.New("exit status 0")
		}
		cause = fmt.Errorf("%w (%v); output: %s", ErrExited, waitErr, inst.out.tail())
	}
	var maxRSS int64
	if ru, ok := inst.cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		maxRSS = int64(ru.Maxrss) << 10 // KiB on Linux
	}
	inst.mu.Lock()
	inst.dead = true
	inst.maxRSS = maxRSS
	inst.exitErr = fmt.Errorf("process %d (generation %d): %w", inst.cmd.Process.Pid, inst.gen, cause)
	flights := inst.inflight
	inst.inflight = map[string]*flight{}
	polled := !inst.polled.IsZero()
	inst.mu.Unlock()
	for id, fl := range flights {
		fl.timer.Stop()
		fl.c.finish(nil, fmt.Errorf("request %s: %w", id, inst.exitErr))
	}
	close(inst.exited)
	_ = inst.srv.Close()
	if !polled && !inst.killing.Load() {
		// It died before reaching the runtime loop: restarting would only
		// repeat that.
		inst.noRestart.Store(true)
		inst.f.markBroken(inst.exitErr)
	}
	inst.f.exitedProcess(inst)
}

func (inst *instance) kill() {
	inst.killing.Store(true)
	_ = inst.cmd.Process.Kill()
}

func (inst *instance) hasExited() bool {
	select {
	case <-inst.exited:
		return true
	default:
		return false
	}
}

func (inst *instance) describe() Process {
	inst.mu.Lock()
	defer inst.mu.Unlock()
	p := Process{
		PID:        inst.cmd.Process.Pid,
		Generation: inst.gen,
		Started:    inst.started,
		Exited:     inst.exited,
	}
	if !inst.polled.IsZero() {
		p.Polling = inst.polled.Sub(inst.started)
	}
	if !inst.answered.IsZero() {
		p.ColdStart = inst.answered.Sub(inst.started)
	}
	if inst.dead {
		p.PeakRSS = inst.maxRSS
	} else {
		p.PeakRSS = peakRSS(p.PID)
	}
	return p
}

// peakRSS reads VmHWM, the peak resident set, of a running process.
func peakRSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}

// runHook runs a lifecycle hook on this process and waits for its answer.
func (inst *instance) runHook(ctx context.Context, hook hookType, timeout time.Duration) error {
	c := newCall(hook, Request{})
	c.timeout = timeout
	c.claim()
	select {
	case inst.hooks <- c:
	case <-inst.exited:
		return inst.exitError()
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case r := <-c.result:
		return r.err
	case <-inst.exited:
		select {
		case r := <-c.result:
			return r.err
		default:
			return inst.exitError()
		}
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (inst *instance) exitError() error {
	inst.mu.Lock()
	defer inst.mu.Unlock()
	return inst.exitErr
}

// handleNext is GET …/invocation/next: the runtime's long poll. It holds the
// request until the process may take one more invocation and one is there.
func (inst *instance) handleNext(w http.ResponseWriter, r *http.Request) {
	inst.mu.Lock()
	if inst.polled.IsZero() {
		inst.polled = time.Now()
	}
	inst.mu.Unlock()

	select {
	case inst.slots <- struct{}{}:
	case <-r.Context().Done():
		return
	case <-inst.exited:
		return
	}
	ready := inst.ready
	var queue chan *call // served once ready
	for {
		select {
		case c := <-inst.hooks:
			inst.dispatch(w, c)
			return
		case <-ready:
			ready, queue = nil, inst.f.queue
		case c := <-queue:
			if !c.claim() {
				continue // abandoned by its caller
			}
			if inst.f.isClosing() {
				c.finish(nil, ErrClosed)
				continue
			}
			if inst.killing.Load() {
				// Being killed: leave the call to the next process.
				c.taken.Store(false)
				inst.f.requeue(c)
				<-inst.slots
				return
			}
			c.timeout = inst.f.opts.Timeout
			inst.dispatch(w, c)
			return
		case <-r.Context().Done():
			<-inst.slots
			return
		case <-inst.exited:
			<-inst.slots
			return
		}
	}
}

// dispatch hands c to the process as the answer to its poll. The slot the
// poll took is released when the invocation is answered or expires.
func (inst *instance) dispatch(w http.ResponseWriter, c *call) {
	now := time.Now()
	inst.mu.Lock()
	if inst.dead {
		err := inst.exitErr
		inst.mu.Unlock()
		c.finish(nil, fmt.Errorf("request %s: %w", c.id, err))
		return
	}
	fl := &flight{c: c, dispatched: now, timeout: c.timeout}
	fl.timer = time.AfterFunc(c.timeout+timeoutGrace, func() { inst.expire(c.id) })
	inst.inflight[c.id] = fl
	inst.mu.Unlock()

	h := w.Header()
	for k, v := range inst.f.headers(c, now.Add(c.timeout), c.timeout) {
		h.Set(k, v)
	}
	h.Set("Content-Type", "application/octet-stream")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(c.req.Payload)
}

// expire fails an invocation that missed its deadline and kills the process
// still running it.
func (inst *instance) expire(id string) {
	inst.mu.Lock()
	fl, ok := inst.inflight[id]
	delete(inst.inflight, id)
	inst.mu.Unlock()
	if !ok {
		return
	}
	// The slot stays taken: the process is going, and nothing more may be
	// handed to it.
	inst.kill()
	fl.c.finish(nil, fmt.Errorf("request %s after %s: %w", id, fl.timeout, ErrTimeout))
}

// handleAnswer is POST …/invocation/{id}/response and …/{id}/error.
func (inst *instance) handleAnswer(w http.ResponseWriter, r *http.Request, failed bool) {
	id := r.PathValue("id")
	body, err := io.ReadAll(io.LimitReader(r.Body, maxAnswer+1))
	if err != nil {
		http.Error(w, "reading answer: "+err.Error(), http.StatusBadRequest)
		return
	}
	now := time.Now()
	inst.mu.Lock()
	fl, ok := inst.inflight[id]
	if ok {
		delete(inst.inflight, id)
		if fl.c.hook == handlerCall && inst.answered.IsZero() {
			inst.answered = now
		}
	}
	inst.mu.Unlock()
	if !ok {
		http.Error(w, "no invocation "+id+" in flight", http.StatusNotFound)
		return
	}
	fl.timer.Stop()
	<-inst.slots
	w.WriteHeader(http.StatusOK)

	if len(body) > maxAnswer {
		fl.c.finish(nil, fmt.Errorf("request %s: answer larger than %d bytes", id, maxAnswer))
		return
	}
	if failed {
		fe := &FunctionError{RequestID: id}
		if err := json.Unmarshal(body, fe); err != nil || (fe.Message == "" && fe.Type == "") {
			fe = &FunctionError{RequestID: id, Message: string(body)}
		}
		fl.c.finish(nil, fe)
		return
	}
	fl.c.finish(&Response{
		RequestID:  id,
		Payload:    body,
		HTTPParams: r.Header.Get("x-fc-http-params"),
		Duration:   now.Sub(fl.dispatched),
	}, nil)
}

// tailWriter forwards process output and keeps its last bytes.
type tailWriter struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
}

func (t *tailWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > tailSize {
		t.buf = append(t.buf[:0:0], t.buf[len(t.buf)-tailSize:]...)
	}
	if t.w != nil {
		_, _ = t.w.Write(p)
	}
	return len(p), nil
}

func (t *tailWriter) tail() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
