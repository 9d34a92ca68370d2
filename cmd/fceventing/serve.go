package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/fc-eventing/fc-eventing/shared/bus"
	"github.com/fc-eventing/fc-eventing/shared/bus/memory"
	"github.com/fc-eventing/fc-eventing/shared/bus/nats"
	"github.com/fc-eventing/fc-eventing/shared/bus/nats/embedded"
	"github.com/fc-eventing/fc-eventing/shared/bus/smq"
	"github.com/fc-eventing/fc-eventing/shared/config"
	"github.com/fc-eventing/fc-eventing/shared/dispatch"
	"github.com/fc-eventing/fc-eventing/shared/fc"
	"github.com/fc-eventing/fc-eventing/shared/sensor"
	"github.com/fc-eventing/fc-eventing/shared/source"
	"github.com/fc-eventing/fc-eventing/shared/source/eventbridge"
	"github.com/fc-eventing/fc-eventing/shared/source/mns"
	"github.com/fc-eventing/fc-eventing/shared/source/oss"
	"github.com/fc-eventing/fc-eventing/shared/source/router"
	memstate "github.com/fc-eventing/fc-eventing/shared/state/memory"
	natsstate "github.com/fc-eventing/fc-eventing/shared/state/nats"
	"github.com/fc-eventing/fc-eventing/shared/trigger/argo"
)

func init() {
	register(command{
		name:    "serve",
		summary: "run every function in one process: webhooks, FC payloads, bus, sensors",
		run:     runServe,
	})
}

// DefaultListen is where serve listens unless --listen says otherwise.
const DefaultListen = "127.0.0.1:12000"

// serveOptions are the flags of serve.
type serveOptions struct {
	config     string
	listen     string
	bus        string
	natsURL    string
	data       string
	kubeconfig string
	dryRun     bool
	out        string
	grace      time.Duration
}

func runServe(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("fceventing serve", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var o serveOptions
	fs.StringVar(&o.config, "config", "", "`dir`ectory of EventSource and Sensor YAML (required)")
	fs.StringVar(&o.listen, "listen", DefaultListen, "`address` to serve webhooks and /fc/<function> on")
	fs.StringVar(&o.bus, "bus", "nats", "bus: nats (embedded JetStream in --data, or --nats-url) or memory")
	fs.StringVar(&o.natsURL, "nats-url", "", "use the NATS server at `url` instead of an embedded one")
	fs.StringVar(&o.data, "data", ".data", "`dir`ectory of the embedded NATS server's store")
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "submit to the cluster of this kubeconfig `file`")
	fs.BoolVar(&o.dryRun, "dry-run", false, "send nothing: write every object to --out/<namespace>/<name>.json")
	fs.StringVar(&o.out, "out", "out", "`dir`ectory of the dry run's objects")
	fs.DurationVar(&o.grace, "grace", 30*time.Second, "how long shutdown waits for in-flight events")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "usage: fceventing serve --config DIR [--listen ADDR] [--bus memory|nats] [--kubeconfig PATH | --dry-run --out DIR]")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	switch {
	case fs.NArg() > 0:
		return invalid(e, fmt.Errorf("unexpected arguments %q", fs.Args()))
	case o.config == "":
		return invalid(e, errors.New("--config is required"))
	case o.bus != "nats" && o.bus != "memory":
		return invalid(e, fmt.Errorf("--bus must be nats or memory, got %q", o.bus))
	case o.dryRun && o.kubeconfig != "":
		return invalid(e, errors.New("--dry-run and --kubeconfig exclude each other"))
	case o.grace <= 0:
		return invalid(e, errors.New("--grace must be positive"))
	}

	log := serveLogger(e)
	s, err := newServer(ctx, e, o, log)
	if err != nil {
		log.WithError(err).Error("serve: not started")
		if errors.Is(err, config.ErrInvalid) {
			return exitInvalid
		}
		return exitFailure
	}
	if err := s.run(ctx); err != nil {
		log.WithError(err).Error("serve: stopped with an error")
		return exitFailure
	}
	return exitOK
}

// serveLogger is the JSON logger of serve, on the command's standard error.
func serveLogger(e *env) *logrus.Entry {
	l := logrus.New()
	l.SetOutput(e.stderr)
	l.SetFormatter(&logrus.JSONFormatter{})
	l.SetLevel(logrus.InfoLevel)
	if v, ok := e.getenv(fc.LogLevelEnv); ok {
		if lv, err := logrus.ParseLevel(v); err == nil {
			l.SetLevel(lv)
		}
	}
	return logrus.NewEntry(l)
}

// server is every function of fc-eventing in one process.
type server struct {
	opts serveOptions
	log  *logrus.Entry

	pub      bus.Publisher
	consumer bus.Consumer
	mem      *memory.Bus // set for --bus memory: drained at shutdown
	closers  []func()    // run in reverse order at the end
	disp     *dispatch.Dispatcher
	mux      http.Handler
	gate     gate
}

// newServer loads the configuration and builds the parts; nothing is
// served yet.
func newServer(ctx context.Context, e *env, o serveOptions, log *logrus.Entry) (_ *server, err error) {
	s := &server{opts: o, log: log}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	sources, err := config.LoadEventSources(o.config)
	if err != nil {
		return nil, err
	}
	for _, es := range sources {
		for _, w := range es.Warnings {
			log.WithField(fc.FieldEventSource, es.Metadata.Name).Warn(w)
		}
	}
	var state sensor.State
	switch {
	case o.bus == "memory":
		s.mem = memory.New(memory.Options{Concurrency: 4})
		s.pub, s.consumer = s.mem, s.mem
		s.closers = append(s.closers, func() { _ = s.mem.Close() })
		state = memstate.New()
		log.WithField("bus", "memory").Warn("memory bus: events not yet dispatched are lost if the process dies; --bus nats keeps them")
	default:
		url := o.natsURL
		if url == "" {
			dir := filepath.Join(o.data, "nats")
			srv, err := embedded.Start(embedded.Config{Dir: dir})
			if err != nil {
				return nil, err
			}
			s.closers = append(s.closers, srv.Close)
			url = srv.URL()
			log.WithFields(logrus.Fields{"bus": "nats", "data": dir, "url": url}).Info("embedded NATS JetStream started")
		}
		b, err := nats.New(ctx, nats.Config{URL: url, Concurrency: 4})
		if err != nil {
			return nil, err
		}
		s.closers = append(s.closers, b.Close)
		s.pub, s.consumer = b, b
		log.WithField("bus", "nats").Info("events that cannot be carried out are dead-lettered to the stream FCEVENTING_DLQ, with their reason")
		st, err := natsstate.Connect(ctx, url, natsstate.Options{})
		if err != nil {
			return nil, err
		}
		s.closers = append(s.closers, st.Close)
		state = st
	}

	exec, err := s.executor(e)
	if err != nil {
		return nil, err
	}
	s.disp, err = dispatch.Load(o.config, exec, dispatch.Options{State: state, Log: fc.Logger})
	if err != nil {
		return nil, err
	}
	if len(s.disp.Sensors()) == 0 {
		log.WithField("config", o.config).Warn("no Sensor in the configuration: events are accepted and nothing fires")
	}
	log.WithFields(logrus.Fields{"sensors": s.disp.Sensors(), "dependsOn": s.disp.Routes()}).Info("sensors loaded")

	rt, err := router.New(sources, s.pub)
	if err != nil {
		return nil, err
	}
	rt.Log = fc.Logger
	s.mux, err = s.routes(sources, rt)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// executor chooses where firings go: the cluster of --kubeconfig (or of
// KUBECONFIG / FCE_KUBE_API_SERVER), or files with --dry-run, or files when
// no cluster is configured at all.
func (s *server) executor(e *env) (dispatch.Executor, error) {
	o := s.opts
	configured := o.kubeconfig != ""
	if !o.dryRun && !configured {
		for _, v := range []string{"KUBECONFIG", argo.EnvAPIServer} {
			if val, ok := e.getenv(v); ok && val != "" {
				configured = true
			}
		}
	}
	if o.dryRun || !configured {
		dry, err := dispatch.NewDryRun(o.out)
		if err != nil {
			return nil, err
		}
		abs, _ := filepath.Abs(o.out)
		l := s.log.WithFields(logrus.Fields{"mode": "dry-run", "out": abs})
		if o.dryRun {
			l.Info("dry run: nothing is submitted; every object is written to <out>/<namespace>/<name>.json")
		} else {
			l.Warn("no cluster configured (--kubeconfig, KUBECONFIG or FCE_KUBE_API_SERVER): DRY RUN, nothing is submitted; every object is written to <out>/<namespace>/<name>.json")
		}
		return dry, nil
	}
	c, err := argo.New(argo.Config{Kubeconfig: o.kubeconfig})
	if err != nil {
		return nil, err
	}
	s.log.WithFields(logrus.Fields{"mode": "submit", "cluster": c.Host()}).Info("firings are submitted to the cluster")
	return c, nil
}

// fcFunctions are the functions served at /fc/<function>, with exactly the
// payload FC hands each.
var fcFunctions = []string{"webhook", "oss-source", "mns-source", "eventbridge-source", "sensor"}

// routes builds the HTTP handler: POST /fc/<function> for the FC payloads,
// every other path through the webhook router.
func (s *server) routes(sources []*config.EventSource, rt *router.Router) (http.Handler, error) {
	ossDec, err := oss.New(sources)
	if err != nil {
		return nil, err
	}
	mnsDec, err := mns.New(sources)
	if err != nil {
		return nil, err
	}
	ebDec, err := eventbridge.New(sources)
	if err != nil {
		return nil, err
	}
	fns := map[string]fcFunction{
		"webhook":            {invoke: fc.Handler(rt.ServeFC)},
		"oss-source":         {invoke: fc.Handler(source.Function(ossDec, s.pub)), status: source.Status},
		"mns-source":         {invoke: fc.Handler(source.Function(mnsDec, s.pub)), status: source.Status},
		"eventbridge-source": {invoke: fc.Handler(source.Function(ebDec, s.pub)), status: source.Status},
		// The sensor as FC runs it: an SMQ trigger batch, dispatched at once.
		"sensor": {invoke: fc.Handler(s.disp.PushFunction(&smq.Push{}))},
	}
	mux := http.NewServeMux()
	for _, name := range fcFunctions {
		path := "/fc/" + name
		if _, err := rt.Match(http.MethodPost, path); err == nil {
			return nil, fmt.Errorf("a webhook event is served at %s, which serve keeps for the %s function", path, name)
		}
		mux.Handle("POST "+path, s.fcHandler(name, fns[name]))
	}
	mux.Handle("/", s.withRequest("webhook", rt))
	var served []string
	for _, r := range rt.Routes() {
		served = append(served, r.Method+" "+r.Path+" -> "+r.EventSource+"/"+r.Event+" ("+r.Kind+")")
	}
	sort.Strings(served)
	s.log.WithField("webhooks", served).Info("webhook endpoints")
	return mux, nil
}

// fcFunction is one function served at /fc/<name>.
type fcFunction struct {
	invoke fc.Invoker
	// status maps a failed invocation to an HTTP status; 500 when nil.
	status func(error) int
}

// maxFCPayload is the largest payload FC hands a function synchronously.
const maxFCPayload = 32 << 20

// fcHandler answers with what the function returns: 200 and its result,
// or an FC-style error object ({"errorMessage", "errorType"}) with the
// status the failure maps to.
func (s *server) fcHandler(name string, f fcFunction) http.Handler {
	return s.withRequest(name, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		payload, err := io.ReadAll(io.LimitReader(r.Body, maxFCPayload+1))
		if err == nil && len(payload) > maxFCPayload {
			err = fmt.Errorf("payload over %d bytes", maxFCPayload)
		}
		if err != nil {
			writeJSON(w, http.StatusBadRequest, fcError{Message: err.Error(), Type: "InvalidPayload"})
			return
		}
		out, err := f.invoke(r.Context(), payload)
		if err != nil {
			status := http.StatusInternalServerError
			if f.status != nil {
				status = f.status(err)
			}
			fc.Logger(r.Context()).WithFields(logrus.Fields{fc.FieldStatus: status, fc.FieldReason: err.Error()}).Warn("invocation failed")
			writeJSON(w, status, fcError{Message: err.Error(), Type: "HandledInvocationError"})
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(out)
	}))
}

// fcError is how FC reports a failed invocation.
type fcError struct {
	Message string `json:"errorMessage"`
	Type    string `json:"errorType"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// withRequest gives each request an id and a logger carrying it and the
// function, as FC does.
func (s *server) withRequest(function string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := requestID()
		ctx := fc.WithRequestID(r.Context(), id)
		ctx = fc.WithLogger(ctx, s.log.WithFields(logrus.Fields{fc.FieldRequestID: id, fc.FieldFunction: function}))
		w.Header().Set("X-Fc-Request-Id", id)
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}

func requestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// gate lets in-flight events finish at shutdown and holds back new ones.
type gate struct {
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

// wrap admits messages until close; a message that arrives after close is
// left unanswered (the bus delivers it again later, after a restart).
func (g *gate) wrap(h bus.Handler) bus.Handler {
	return func(ctx context.Context, m bus.Message) error {
		g.mu.Lock()
		if g.closed {
			g.mu.Unlock()
			<-ctx.Done()
			return fmt.Errorf("shutting down: %w", ctx.Err())
		}
		g.wg.Add(1)
		g.mu.Unlock()
		defer g.wg.Done()
		return h(ctx, m)
	}
}

// close stops admitting messages and waits for the admitted ones, at most
// until ctx ends; it reports whether all finished.
func (g *gate) close(ctx context.Context) bool {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	done := make(chan struct{})
	go func() { g.wg.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-ctx.Done():
		return false
	}
}

// run serves until ctx ends, then shuts down gracefully: no new
// deliveries, in-flight requests answered, the memory bus drained,
// in-flight events carried out.
func (s *server) run(ctx context.Context) error {
	defer s.close()
	ln, err := net.Listen("tcp", s.opts.listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", s.opts.listen, err)
	}
	hs := &http.Server{Handler: s.mux, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()

	consumeCtx, stopConsume := context.WithCancel(context.Background())
	defer stopConsume()
	consumeCtx = fc.WithLogger(consumeCtx, s.log.WithField(fc.FieldFunction, "sensor"))
	consumed := make(chan error, 1)
	go func() { consumed <- s.consumer.Consume(consumeCtx, s.gate.wrap(s.disp.Handle)) }()
	if s.mem != nil {
		// The memory bus's dead letters live in this process only: log each
		// in full, with its reason, so none disappears unseen.
		dlq := s.mem.DeadLetters()
		go func() {
			_ = dlq.Consume(consumeCtx, func(_ context.Context, m bus.Message) error {
				s.log.WithFields(logrus.Fields{
					fc.FieldEventID: m.Event.ID, fc.FieldEventSource: m.Event.Source, fc.FieldEvent: m.Event.Subject,
					fc.FieldReason: bus.DeadLetterReason(m.Event), "deliveries": m.Event.Extensions[bus.ExtDeliveries],
					"deadLetter": m.Event,
				}).Error("event dead-lettered: it will not be retried")
				return nil
			})
		}()
	}

	s.log.WithFields(logrus.Fields{"listen": ln.Addr().String(), "url": "http://" + ln.Addr().String()}).Info("serving")

	var runErr error
	select {
	case <-ctx.Done():
	case err := <-served:
		runErr = fmt.Errorf("serving HTTP: %w", err)
	case err := <-consumed:
		consumed <- err
		if err == nil {
			err = errors.New("consumer stopped")
		}
		runErr = fmt.Errorf("consuming the bus: %w", err)
	}
	s.log.Info("shutting down: finishing in-flight requests and events")
	graceCtx, cancel := context.WithTimeout(context.Background(), s.opts.grace)
	defer cancel()
	if err := hs.Shutdown(graceCtx); err != nil {
		s.log.WithError(err).Warn("HTTP requests still open at the end of the grace period")
	}
	if s.mem != nil && runErr == nil {
		// The memory bus keeps nothing across restarts: dispatch what it
		// accepted before stopping.
		for s.mem.Len() > 0 && graceCtx.Err() == nil {
			select {
			case <-graceCtx.Done():
			case <-time.After(10 * time.Millisecond):
			}
		}
		if n := s.mem.Len(); n > 0 {
			s.log.WithField("events", n).Error("memory bus: events accepted but not dispatched within the grace period are lost")
		}
	}
	if !s.gate.close(graceCtx) {
		s.log.Warn("events still being dispatched at the end of the grace period are left to redelivery")
	}
	stopConsume()
	if err := <-consumed; err != nil && runErr == nil {
		runErr = fmt.Errorf("consuming the bus: %w", err)
	}
	s.log.Info("stopped")
	return runErr
}

// close releases the bus, the state and the embedded server.
func (s *server) close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
	s.closers = nil
}
