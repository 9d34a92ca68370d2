package dispatch

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/fc-eventing/fc-eventing/shared/bus"
	"github.com/fc-eventing/fc-eventing/shared/config"
	"github.com/fc-eventing/fc-eventing/shared/event"
	"github.com/fc-eventing/fc-eventing/shared/sensor"
	"github.com/fc-eventing/fc-eventing/shared/trigger/argo"
)

// Executor carries out one firing and reports what it did. *argo.Client
// implements it against the workflow cluster; DryRun writes the objects to
// files. A create that finds its object already there is a success with
// Outcome.Existed set. Errors marked argo.ErrPermanent or bus.ErrPermanent
// cannot be cured by trying again; any other error is transient.
type Executor interface {
	Execute(ctx context.Context, f sensor.Firing) (argo.Outcome, error)
}

var _ Executor = (*argo.Client)(nil)

// DefaultConcurrency is how many firings of one event are carried out at
// once when Options.Concurrency is zero.
const DefaultConcurrency = 8

// Options configure a Dispatcher.
type Options struct {
	// State keeps the conditions of triggers that wait for several
	// dependencies; required when a sensor has such a trigger.
	State sensor.State
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Log gives the logger for an event; nil logs nothing. Functions pass
	// fc.Logger.
	Log func(ctx context.Context) *logrus.Entry
	// Concurrency bounds the firings of one event carried out at once.
	Concurrency int
}

// Dispatcher routes events to compiled sensors and carries out what they
// fire. It is safe for concurrent use; Handle is a bus.Handler.
type Dispatcher struct {
	sensors []*compiled
	routes  map[route][]*compiled
	exec    Executor
	opts    Options
}

type route struct{ source, subject string }

type compiled struct {
	name, namespace string
	prog            *sensor.Program
}

// New compiles sensors. A sensor that does not compile is an error with the
// field path (*config.FieldError), as at load.
func New(sensors []*config.Sensor, exec Executor, opts Options) (*Dispatcher, error) {
	if exec == nil {
		return nil, errors.New("building dispatcher: no executor")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	d := &Dispatcher{routes: map[route][]*compiled{}, exec: exec, opts: opts}
	var st sensor.State
	if opts.State != nil {
		st = journaled{inner: opts.State}
	}
	seen := map[string]bool{}
	for _, s := range sensors {
		key := s.Metadata.Namespace + "/" + s.Metadata.Name
		if seen[key] {
			return nil, fmt.Errorf("building dispatcher: sensor %s is defined twice", key)
		}
		seen[key] = true
		p, err := sensor.Compile(s, sensor.Options{State: st, Now: opts.Now})
		if err != nil {
			return nil, fmt.Errorf("compiling sensor %s: %w", key, err)
		}
		c := &compiled{name: s.Metadata.Name, namespace: s.Metadata.Namespace, prog: p}
		d.sensors = append(d.sensors, c)
		routed := map[route]bool{}
		for _, dep := range s.Spec.Dependencies {
			r := route{dep.EventSourceName, dep.EventName}
			if !routed[r] {
				routed[r] = true
				d.routes[r] = append(d.routes[r], c)
			}
		}
	}
	return d, nil
}

// Load reads and compiles every Sensor in dir (see LoadSensors).
func Load(dir string, exec Executor, opts Options) (*Dispatcher, error) {
	sensors, err := LoadSensors(dir)
	if err != nil {
		return nil, err
	}
	return New(sensors, exec, opts)
}

// Sensors lists the loaded sensors as namespace/name, in load order.
func (d *Dispatcher) Sensors() []string {
	out := make([]string, len(d.sensors))
	for i, c := range d.sensors {
		out[i] = c.namespace + "/" + c.name
	}
	return out
}

// Routes lists the source/subject pairs some sensor depends on, sorted.
func (d *Dispatcher) Routes() []string {
	out := make([]string, 0, len(d.routes))
	for r := range d.routes {
		out = append(out, r.source+"/"+r.subject)
	}
	sort.Strings(out)
	return out
}

// Report is what one event caused.
type Report struct {
	// Sensors are the sensors the event was routed to (namespace/name).
	Sensors []string
	// Matched are the dependencies that matched, as sensor/dependency.
	Matched []string
	// Firings are the firings carried out or tried, in sensor order.
	Firings []FiringReport
	// Refusals say why a dependency did not take the event or a trigger did
	// not fire as it should.
	Refusals []Refusal
}

// FiringReport is one firing and its outcome.
type FiringReport struct {
	Sensor    string `json:"sensor"`
	Trigger   string `json:"trigger"`
	Operation string `json:"operation"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name,omitempty"`
	// Existed is true when the object was already there (a redelivery).
	Existed bool `json:"existed,omitempty"`
	// DLQ names the dlqTrigger's object when it carried the firing.
	DLQ   string `json:"dlq,omitempty"`
	Error string `json:"error,omitempty"`
}

// Refusal is one reason an event did not have its full effect.
type Refusal struct {
	Sensor     string `json:"sensor"`
	Dependency string `json:"dependency,omitempty"`
	Trigger    string `json:"trigger,omitempty"`
	Reason     string `json:"reason"`
	// Permanent is true when trying again cannot help.
	Permanent bool `json:"permanent"`
}

// Handle evaluates one message against the sensors that depend on its
// event and carries out every firing. It returns nil when all were carried
// out (or nothing fired), bus.ErrPermanent-marked errors when only
// permanent failures remain, and a plain error otherwise so that the bus
// delivers the message again.
func (d *Dispatcher) Handle(ctx context.Context, m bus.Message) error {
	start := time.Now()
	rep, err := d.Dispatch(ctx, m.Event)
	d.log(ctx, m, rep, err, time.Since(start))
	return err
}

// Dispatch is Handle without logging: it returns the report of the event.
func (d *Dispatcher) Dispatch(ctx context.Context, ev event.Event) (Report, error) {
	var rep Report
	targets := d.routes[route{ev.Source, ev.Subject}]
	if len(targets) == 0 {
		return rep, nil
	}
	jr := &journal{}
	ctx = context.WithValue(ctx, journalKey{}, jr)
	type pending struct {
		c *compiled
		f sensor.Firing
	}
	var todo []pending
	var transient, permanent []error
	for _, c := range targets {
		id := c.namespace + "/" + c.name
		rep.Sensors = append(rep.Sensors, id)
		res, err := c.prog.Evaluate(ctx, ev)
		for _, dr := range res.Dependencies {
			if dr.Matched {
				rep.Matched = append(rep.Matched, c.name+"/"+dr.Name)
			}
			if dr.Err != nil {
				rep.Refusals = append(rep.Refusals, Refusal{Sensor: id, Dependency: dr.Name, Reason: dr.Err.Error(), Permanent: true})
			}
		}
		for _, te := range res.TriggerErrors {
			rep.Refusals = append(rep.Refusals, Refusal{Sensor: id, Trigger: te.Trigger, Reason: te.Err.Error(), Permanent: true})
			permanent = append(permanent, fmt.Errorf("sensor %s trigger %s: %w", id, te.Trigger, te.Err))
		}
		if err != nil {
			rep.Refusals = append(rep.Refusals, Refusal{Sensor: id, Reason: err.Error()})
			transient = append(transient, fmt.Errorf("evaluating sensor %s: %w", id, err))
		}
		for _, f := range res.Firings {
			todo = append(todo, pending{c, f})
		}
	}

	rep.Firings = make([]FiringReport, len(todo))
	errs := make([]error, len(todo))
	sem := make(chan struct{}, d.opts.Concurrency)
	var wg sync.WaitGroup
	for i, p := range todo {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			rep.Firings[i], errs[i] = d.execute(ctx, p.f)
		}()
	}
	wg.Wait()

	for i, err := range errs {
		if err == nil {
			continue
		}
		p := todo[i]
		id := p.c.namespace + "/" + p.c.name
		perm := isPermanent(ctx, err)
		rep.Refusals = append(rep.Refusals, Refusal{Sensor: id, Trigger: p.f.Trigger, Reason: err.Error(), Permanent: perm})
		err = fmt.Errorf("sensor %s trigger %s: %w", id, p.f.Trigger, err)
		if perm {
			permanent = append(permanent, err)
			continue
		}
		if rerr := d.restore(ctx, jr, p.f); rerr != nil {
			// The events stay consumed: the redelivery cannot complete the
			// conditions alone. Say so; the message still comes back.
			rep.Refusals = append(rep.Refusals, Refusal{Sensor: id, Trigger: p.f.Trigger, Reason: rerr.Error()})
			err = fmt.Errorf("%w (%v)", err, rerr)
		}
		transient = append(transient, err)
	}

	switch {
	case len(transient) > 0:
		return rep, fmt.Errorf("dispatching event %s: %w", ev.ID, errors.Join(append(transient, permanent...)...))
	case len(permanent) > 0:
		return rep, bus.Permanent(fmt.Errorf("dispatching event %s: %w", ev.ID, errors.Join(permanent...)))
	}
	return rep, nil
}

// execute carries out one firing and describes it.
func (d *Dispatcher) execute(ctx context.Context, f sensor.Firing) (FiringReport, error) {
	fr := FiringReport{Sensor: f.Namespace + "/" + f.Sensor, Trigger: f.Trigger, Operation: f.Operation}
	if md, ok := f.Object["metadata"].(map[string]any); ok {
		fr.Name, _ = md["name"].(string)
		fr.Namespace, _ = md["namespace"].(string)
	}
	out, err := d.exec.Execute(ctx, f)
	if out.Name != "" {
		fr.Name, fr.Namespace = out.Name, out.Namespace
	}
	fr.Existed = out.Existed
	if out.DLQ != nil {
		fr.DLQ = out.DLQ.Namespace + "/" + out.DLQ.Name
		if out.Err != nil {
			fr.Error = out.Err.Error()
		}
	}
	if err != nil {
		fr.Error = err.Error()
	}
	return fr, err
}

// isPermanent reports whether an executor error cannot be cured by trying
// again. A firing cut short because the context ended (shutdown, deadline)
// is never permanent, however the executor classified it. Nor is a refusal
// of the sensor's identity by the cluster (401 Unauthorized, 403
// Forbidden): the trigger does not retry it, but the bus redelivers the
// event up to its delivery limit, because such refusals also come from
// authorization that is still loading (an API server just restarted) or
// from RBAC an operator is about to fix; only after the last delivery does
// the event go to the dead-letter destination, with the reason.
func isPermanent(ctx context.Context, err error) bool {
	if ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err) {
		return false
	}
	return errors.Is(err, argo.ErrPermanent) || errors.Is(err, bus.ErrPermanent)
}

func (d *Dispatcher) log(ctx context.Context, m bus.Message, rep Report, err error, took time.Duration) {
	if d.opts.Log == nil {
		return
	}
	l := d.opts.Log(ctx).WithFields(logrus.Fields{
		FieldEventID:     m.Event.ID,
		FieldEventSource: m.Event.Source,
		FieldEvent:       m.Event.Subject,
		FieldDelivery:    m.Delivery,
	})
	for _, r := range rep.Refusals {
		rl := l.WithFields(logrus.Fields{FieldSensor: r.Sensor, FieldReason: r.Reason, FieldPermanent: r.Permanent})
		switch {
		case r.Dependency != "":
			rl.WithField(FieldDependency, r.Dependency).Warn("dependency refused event")
		default:
			rl.WithField(FieldTrigger, r.Trigger).Warn("trigger not carried out")
		}
	}
	names := make([]string, 0, len(rep.Firings))
	for _, f := range rep.Firings {
		if f.Error == "" && f.Name != "" {
			names = append(names, f.Namespace+"/"+f.Name)
		}
	}
	l = l.WithFields(logrus.Fields{
		FieldSensors:    nonNil(rep.Sensors),
		FieldMatched:    nonNil(rep.Matched),
		FieldFirings:    rep.Firings,
		FieldObjects:    names,
		FieldDurationMs: float64(took.Microseconds()) / 1000,
	})
	switch {
	case err == nil:
		l.Info("event dispatched")
	case errors.Is(err, bus.ErrPermanent):
		l.WithField(FieldReason, err.Error()).Error("event refused for good")
	default:
		l.WithField(FieldReason, err.Error()).Warn("event not dispatched, will be redelivered")
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Log field names of the dispatcher's lines, beside those of shared/fc
// (requestId, function).
const (
	FieldEventID     = "eventId"
	FieldEventSource = "eventSource"
	FieldEvent       = "event"
	FieldDelivery    = "delivery"
	FieldSensors     = "sensors"
	FieldSensor      = "sensor"
	FieldDependency  = "dependency"
	FieldTrigger     = "trigger"
	FieldMatched     = "matched"
	FieldFirings     = "firings"
	FieldObjects     = "workflows"
	FieldDurationMs  = "durationMs"
	FieldReason      = "reason"
	FieldPermanent   = "permanent"
)
