package fcruntime

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Options describe a function and how it is run.
type Options struct {
	// Binary is the function executable, as Build returns it. Required.
	Binary string
	// Dir is the working directory of the process (FC's code directory);
	// default: the directory of Binary.
	Dir string
	// Env is added to the process environment ("KEY=value"). The process does
	// not inherit the caller's environment: it sees only what FC would set
	// (FC_* variables, credentials) and Env.
	Env []string
	// Name is the function name (x-fc-function-name, FC_FUNCTION_NAME);
	// default: the name of Binary's directory.
	Name string
	// Handler (x-fc-function-handler); default "main".
	Handler string
	// MemoryMB (x-fc-function-memory); default 128.
	MemoryMB int
	// Timeout bounds each handler invocation; default 60s. The function sees
	// it in whole seconds (x-fc-function-timeout) and as a deadline.
	Timeout time.Duration
	// Initializer runs the initializer hook (x-fc-function-type: 1) as the
	// first invocation of every process; handler invocations wait for it.
	Initializer bool
	// InitializerTimeout bounds the initializer; default Timeout.
	InitializerTimeout time.Duration
	// PreStop runs the pre-stop hook (x-fc-function-type: 2) when the Function
	// is closed, after in-flight invocations have been answered.
	PreStop bool
	// PreStopTimeout bounds the pre-stop hook; default 10s.
	PreStopTimeout time.Duration
	// Concurrency is how many invocations a process is given at once; default
	// 1, FC's default instance concurrency.
	Concurrency int
	// AutoRestart starts a new process whenever the current one exits (killed,
	// crashed or timed out), as FC starts a new instance.
	AutoRestart bool
	// Region, AccountID and ServiceName fill the matching headers and FC_*
	// variables; defaults cn-hangzhou, 1234567890123456 and fc-eventing.
	Region, AccountID, ServiceName string
	// Credentials, when set, are passed as FC passes a function role's STS
	// credentials: per invocation headers and ALIBABA_CLOUD_* variables.
	Credentials *Credentials
	// Output receives the process's stdout and stderr; default: discarded.
	// The last few KiB are kept either way for error messages.
	Output io.Writer
}

// Credentials are the temporary credentials of the function's role.
type Credentials struct {
	AccessKeyID, AccessKeySecret, SecurityToken string
}

// Request is one invocation.
type Request struct {
	// Payload is the event, as FC hands it to the function.
	Payload []byte
	// RetryCount is sent as x-fc-retry-count when positive.
	RetryCount int
	// HTTPParams is sent as x-fc-http-params (HTTP functions).
	HTTPParams string
}

// Response is a function's successful answer.
type Response struct {
	RequestID string
	Payload   []byte
	// HTTPParams is the x-fc-http-params of the answer (HTTP functions).
	HTTPParams string
	// Duration is from handing the invocation to the process to its answer.
	Duration time.Duration
}

// Process describes the current (or last) process of a Function.
type Process struct {
	PID int
	// Generation counts processes: 1 for the first, +1 per restart.
	Generation int
	Started    time.Time
	// Polling is from start to the runtime's first request for an invocation.
	Polling time.Duration
	// ColdStart is from start to the first answered handler invocation (the
	// initializer, when there is one, included); 0 until then.
	ColdStart time.Duration
	// PeakRSS is the process's peak resident memory in bytes (VmHWM while
	// it runs, the kernel's maxrss once it has exited); 0 if unknown.
	PeakRSS int64
	// Exited is closed when the process has exited.
	Exited <-chan struct{}
}

// Function is a function binary run under the local runtime API.
type Function struct {
	opts  Options
	queue chan *call

	mu       sync.Mutex
	inst     *instance
	gen      int
	closing  bool
	closed   chan struct{}
	broken   error // the last automatic restart failed; set until Restart
	starting sync.Mutex
}

// call is one invocation, queued or in flight.
type call struct {
	id   string
	hook hookType
	req  Request
	// timeout is set when the call is handed to a process.
	timeout time.Duration
	taken   atomic.Bool // claimed by a process, or abandoned by its caller
	result  chan result // buffered 1
}

type result struct {
	resp *Response
	err  error
}

type hookType int

const (
	handlerCall     hookType = 0
	initializerHook hookType = 1
	preStopHook     hookType = 2
)

func (c *call) claim() bool { return c.taken.CompareAndSwap(false, true) }

func (c *call) finish(resp *Response, err error) {
	select {
	case c.result <- result{resp, err}:
	default:
	}
}

// Start starts the function's process and, with Options.Initializer, runs
// the initializer; it returns once the process may be invoked.
func Start(ctx context.Context, opts Options) (*Function, error) {
	if opts.Binary == "" {
		return nil, errors.New("starting function: no binary")
	}
	bin, err := filepath.Abs(opts.Binary)
	if err != nil {
		return nil, fmt.Errorf("starting function: %w", err)
	}
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("starting function: %w", err)
	}
	opts.Binary = bin
	if opts.Dir == "" {
		opts.Dir = filepath.Dir(bin)
	}
	if opts.Name == "" {
		opts.Name = filepath.Base(filepath.Dir(bin))
	}
	if opts.Handler == "" {
		opts.Handler = "main"
	}
	if opts.MemoryMB <= 0 {
		opts.MemoryMB = 128
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 60 * time.Second
	}
	if opts.InitializerTimeout <= 0 {
		opts.InitializerTimeout = opts.Timeout
	}
	if opts.PreStopTimeout <= 0 {
		opts.PreStopTimeout = 10 * time.Second
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 1
	}
	if opts.Region == "" {
		opts.Region = "cn-hangzhou"
	}
	if opts.AccountID == "" {
		opts.AccountID = "1234567890123456"
	}
	if opts.ServiceName == "" {
		opts.ServiceName = "fc-eventing"
	}
	f := &Function{
		opts:   opts,
		queue:  make(chan *call, 1<<16),
		closed: make(chan struct{}),
	}
	if err := f.startProcess(ctx); err != nil {
		return nil, fmt.Errorf("starting function %s: %w", opts.Name, err)
	}
	return f, nil
}

// Invoke invokes the handler with payload and returns its answer. A function
// error is a *FunctionError; a process that died mid-invocation gives
// ErrKilled or ErrExited, a missed deadline ErrTimeout. Invocations queue
// while the process is busy or absent (killed without AutoRestart: until
// Restart) and are handed out in order.
func (f *Function) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	resp, err := f.Do(ctx, Request{Payload: payload})
	if err != nil {
		return nil, err
	}
	return resp.Payload, nil
}

// Do is Invoke with the whole request and answer.
func (f *Function) Do(ctx context.Context, req Request) (*Response, error) {
	c := newCall(handlerCall, req)
	// Enqueue under the lock that Close and markBroken take before draining
	// the queue, so nothing is left behind in it.
	f.mu.Lock()
	var err error
	switch {
	case f.closing:
		err = ErrClosed
	case f.broken != nil:
		err = f.broken
	default:
		select {
		case f.queue <- c:
		default:
			err = fmt.Errorf("%d invocations already queued", cap(f.queue))
		}
	}
	f.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("invoking %s: %w", f.opts.Name, err)
	}
	select {
	case r := <-c.result:
		if r.err != nil {
			return nil, fmt.Errorf("invoking %s: %w", f.opts.Name, r.err)
		}
		return r.resp, nil
	case <-ctx.Done():
		if c.claim() {
			return nil, fmt.Errorf("invoking %s (queued): %w", f.opts.Name, ctx.Err())
		}
		return nil, fmt.Errorf("invoking %s (request %s in flight): %w", f.opts.Name, c.id, ctx.Err())
	}
}

func newCall(hook hookType, req Request) *call {
	return &call{id: newRequestID(), hook: hook, req: req, result: make(chan result, 1)}
}

// newRequestID makes an id shaped like FC's (a UUID).
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Kill kills the process at once (SIGKILL) and waits for it to exit. Every
// invocation in flight fails with ErrKilled; queued ones stay queued for the
// next process (AutoRestart, or Restart).
func (f *Function) Kill() error {
	f.mu.Lock()
	inst := f.inst
	f.mu.Unlock()
	if inst == nil || inst.hasExited() {
		return fmt.Errorf("killing %s: no process running", f.opts.Name)
	}
	inst.kill()
	<-inst.exited
	return nil
}

// Restart kills the current process, if any, and starts a new one (running
// the initializer when configured). Queued invocations go to the new process.
func (f *Function) Restart(ctx context.Context) error {
	f.mu.Lock()
	inst := f.inst
	if f.closing {
		f.mu.Unlock()
		return fmt.Errorf("restarting %s: %w", f.opts.Name, ErrClosed)
	}
	f.broken = nil
	f.mu.Unlock()
	if inst != nil {
		inst.noRestart.Store(true)
		inst.kill()
		<-inst.exited
	}
	if err := f.startProcess(ctx); err != nil {
		return fmt.Errorf("restarting %s: %w", f.opts.Name, err)
	}
	return nil
}

// Close stops the Function: queued invocations fail with ErrClosed; with
// Options.PreStop the pre-stop hook runs once in-flight invocations are
// answered; then the process is killed. Close returns the pre-stop hook's error.
func (f *Function) Close(ctx context.Context) error {
	f.mu.Lock()
	if f.closing {
		f.mu.Unlock()
		<-f.closed
		return nil
	}
	f.closing = true
	inst := f.inst
	f.mu.Unlock()
	defer close(f.closed)
	f.failQueued(ErrClosed)

	var hookErr error
	if inst != nil && f.opts.PreStop && !inst.hasExited() {
		hookErr = inst.runHook(ctx, preStopHook, f.opts.PreStopTimeout)
		if hookErr != nil {
			hookErr = fmt.Errorf("pre-stop hook of %s: %w", f.opts.Name, hookErr)
		}
	}
	if inst != nil {
		inst.noRestart.Store(true)
		inst.kill()
		<-inst.exited
	}
	// A restart may have raced with closing; stop what it started.
	f.mu.Lock()
	last := f.inst
	f.mu.Unlock()
	if last != nil && last != inst {
		last.noRestart.Store(true)
		last.kill()
		<-last.exited
	}
	f.failQueued(ErrClosed)
	return hookErr
}

// requeue puts back a call a dying process had taken from the queue.
func (f *Function) requeue(c *call) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closing {
		if c.claim() {
			c.finish(nil, ErrClosed)
		}
		return
	}
	select {
	case f.queue <- c:
	default:
		if c.claim() {
			c.finish(nil, fmt.Errorf("requeueing request %s: %d invocations already queued", c.id, cap(f.queue)))
		}
	}
}

func (f *Function) isClosing() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.closing
}

// markBroken records why no process can serve and fails what is queued;
// invocations fail with err until Restart.
func (f *Function) markBroken(err error) {
	f.mu.Lock()
	f.broken = err
	f.mu.Unlock()
	f.failQueued(err)
}

func (f *Function) failQueued(err error) {
	for {
		select {
		case c := <-f.queue:
			if c.claim() {
				c.finish(nil, err)
			}
		default:
			return
		}
	}
}

// ColdStart is the current process's time from start to its first answered
// handler invocation; 0 until it has answered one.
func (f *Function) ColdStart() time.Duration {
	return f.Process().ColdStart
}

// Process describes the current (or last) process.
func (f *Function) Process() Process {
	f.mu.Lock()
	inst := f.inst
	f.mu.Unlock()
	if inst == nil {
		return Process{}
	}
	return inst.describe()
}

// InFlight is how many invocations the current process is running.
func (f *Function) InFlight() int {
	f.mu.Lock()
	inst := f.inst
	f.mu.Unlock()
	if inst == nil {
		return 0
	}
	inst.mu.Lock()
	defer inst.mu.Unlock()
	return len(inst.inflight)
}

// Output is the tail of the current (or last) process's stdout and stderr.
func (f *Function) Output() string {
	f.mu.Lock()
	inst := f.inst
	f.mu.Unlock()
	if inst == nil {
		return ""
	}
	return inst.out.tail()
}

// startProcess starts a process, makes it current and runs the initializer.
func (f *Function) startProcess(ctx context.Context) error {
	f.starting.Lock()
	defer f.starting.Unlock()
	f.mu.Lock()
	if f.closing {
		f.mu.Unlock()
		return ErrClosed
	}
	f.gen++
	gen := f.gen
	f.mu.Unlock()

	inst, err := startInstance(f, gen)
	if err != nil {
		return err
	}
	f.mu.Lock()
	f.inst = inst
	f.mu.Unlock()
	if !f.opts.Initializer {
		close(inst.ready)
		return nil
	}
	if err := inst.runHook(ctx, initializerHook, f.opts.InitializerTimeout); err != nil {
		inst.noRestart.Store(true)
		inst.kill()
		<-inst.exited
		return fmt.Errorf("%w: %w", ErrInitializer, err)
	}
	close(inst.ready)
	return nil
}

// exitedProcess is called once a process has exited and its invocations failed.
func (f *Function) exitedProcess(inst *instance) {
	if inst.noRestart.Load() || !f.opts.AutoRestart {
		return
	}
	f.mu.Lock()
	closing := f.closing
	f.mu.Unlock()
	if closing {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), f.opts.InitializerTimeout+10*time.Second)
	defer cancel()
	if err := f.startProcess(ctx); err != nil && !errors.Is(err, ErrClosed) {
		f.markBroken(fmt.Errorf("restarting after exit: %w", err))
	}
}

func (f *Function) headers(c *call, deadline time.Time, timeout time.Duration) map[string]string {
	secs := int((timeout + time.Second - 1) / time.Second)
	h := map[string]string{
		"x-fc-request-id":        c.id,
		"x-fc-function-deadline": strconv.FormatInt(deadline.UnixMilli(), 10),
		"x-fc-function-timeout":  strconv.Itoa(secs),
		"x-fc-function-name":     f.opts.Name,
		"x-fc-function-handler":  f.opts.Handler,
		"x-fc-function-memory":   strconv.Itoa(f.opts.MemoryMB),
		"x-fc-service-name":      f.opts.ServiceName,
		"x-fc-region":            f.opts.Region,
		"x-fc-account-id":        f.opts.AccountID,
		"x-fc-qualifier":         "LATEST",
		"x-fc-version-id":        "LATEST",
	}
	if c.hook != handlerCall {
		h["x-fc-function-type"] = strconv.Itoa(int(c.hook))
	}
	if c.req.RetryCount > 0 {
		h["x-fc-retry-count"] = strconv.Itoa(c.req.RetryCount)
	}
	if c.req.HTTPParams != "" {
		h["x-fc-http-params"] = c.req.HTTPParams
	}
	if cr := f.opts.Credentials; cr != nil {
		h["x-fc-access-key-id"] = cr.AccessKeyID
		h["x-fc-access-key-secret"] = cr.AccessKeySecret
		h["x-fc-security-token"] = cr.SecurityToken
	}
	return h
}

func (f *Function) environ(api string, gen int) []string {
	o := f.opts
	env := []string{
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"HOME=/tmp",
		"TMPDIR=" + os.TempDir(),
		"FC_RUNTIME_API=" + api,
		"FC_FUNCTION_NAME=" + o.Name,
		"FC_FUNCTION_HANDLER=" + o.Handler,
		"FC_FUNCTION_MEMORY_SIZE=" + strconv.Itoa(o.MemoryMB),
		"FC_SERVICE_NAME=" + o.ServiceName,
		"FC_REGION=" + o.Region,
		"FC_ACCOUNT_ID=" + o.AccountID,
		"FC_INSTANCE_ID=" + fmt.Sprintf("%s-%d", o.Name, gen),
	}
	if cr := o.Credentials; cr != nil {
		env = append(env,
			"ALIBABA_CLOUD_ACCESS_KEY_ID="+cr.AccessKeyID,
			"ALIBABA_CLOUD_ACCESS_KEY_SECRET="+cr.AccessKeySecret,
			"ALIBABA_CLOUD_SECURITY_TOKEN="+cr.SecurityToken,
		)
	}
	return append(env, o.Env...)
}

// MeasureColdStarts starts the function n times, one process at a time,
// invokes each fresh process once with payload and returns each cold start
// (process start to that answer). The processes are closed in between so
// they do not compete for the CPU.
func MeasureColdStarts(ctx context.Context, opts Options, payload []byte, n int) ([]time.Duration, error) {
	samples := make([]time.Duration, 0, n)
	for range n {
		f, err := Start(ctx, opts)
		if err != nil {
			return samples, err
		}
		_, err = f.Invoke(ctx, payload)
		cold := f.ColdStart()
		if cerr := f.Close(ctx); err == nil && cerr != nil {
			err = cerr
		}
		if err != nil {
			return samples, fmt.Errorf("measuring cold start of %s: %w", f.opts.Name, err)
		}
		samples = append(samples, cold)
	}
	return samples, nil
}
