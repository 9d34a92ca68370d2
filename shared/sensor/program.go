package sensor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // time filters and resets name IANA zones; FC images may lack zoneinfo

	"github.com/robfig/cron/v3"
	"sigs.k8s.io/yaml"

	"github.com/fc-eventing/fc-eventing/shared/config"
	"github.com/fc-eventing/fc-eventing/shared/event"
)

// DefaultScriptTimeout bounds one jq or Lua run when Options.ScriptTimeout
// is zero.
const DefaultScriptTimeout = 250 * time.Millisecond

// Options configure a Program.
type Options struct {
	// State remembers dependencies between events for triggers that wait
	// for more than one. Required when the sensor has such a trigger.
	State State
	// Now is the clock (conditionsReset, events without a time); time.Now
	// when nil.
	Now func() time.Time
	// ScriptTimeout bounds each jq or Lua run; DefaultScriptTimeout when
	// zero. The context given to Evaluate bounds it too.
	ScriptTimeout time.Duration
}

// Program is a Sensor compiled once: every regex, expression, template, jq
// program and Lua script is compiled, every resource decoded, at Compile.
// Evaluate only reads it and is safe for concurrent use.
type Program struct {
	name      string
	namespace string
	deps      []*dependency
	depIndex  map[string]int
	routes    map[route][]*dependency
	triggers  []*trigger
	opts      Options
	// fields are the plain paths the program reads from event data.
	fields *fieldSet
}

type route struct{ source, subject string }

// dependency is a compiled event dependency.
type dependency struct {
	name      string
	idx       int
	transform *transformer
	filters   *filters
	// triggers are the triggers whose conditions name this dependency.
	triggers []*trigger
}

// trigger is a compiled trigger.
type trigger struct {
	name    string
	path    string
	spec    *config.Trigger
	typ     string
	op      string
	deps    []int     // dependency indices the conditions name, ascending
	cond    *condNode // nil: all of deps
	single  bool      // exactly one dependency: fires without state
	resets  []cron.Schedule
	tparams []param // trigger-level parameters, applied to the template
	tjson   []byte  // the template as JSON, for tparams
	object  *objectSpec
}

// objectSpec is how a trigger's object is built.
type objectSpec struct {
	// base is the decoded resource or inline source; nil when the source is
	// fetched by the trigger. It is never modified.
	base   map[string]any
	params []param
	// args are the argo CLI flags applied to the object for submit.
	args *config.ArgoArgs
	// creates says whether the operation creates the object, so it gets
	// labels and a deterministic name.
	creates bool
	// trie holds the paths build changes.
	trie *pathTrie
	// sensorBox, triggerBox and namespaceBox hold the sensor's name, the
	// trigger's name and the sensor's namespace as interface values.
	sensorBox, triggerBox, namespaceBox any
}

// Compile validates s and compiles it. Errors are *config.FieldError with
// the field path of the offending value.
func Compile(s *config.Sensor, opts Options) (*Program, error) {
	if s == nil {
		return nil, errors.New("nil sensor")
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ScriptTimeout <= 0 {
		opts.ScriptTimeout = DefaultScriptTimeout
	}
	p := &Program{
		name: s.Metadata.Name, namespace: s.Metadata.Namespace,
		depIndex: map[string]int{}, routes: map[route][]*dependency{}, opts: opts,
		fields: newFieldSet(),
	}
	for i := range s.Spec.Dependencies {
		d := &s.Spec.Dependencies[i]
		dp := config.Path("spec", "dependencies", i)
		cd := &dependency{name: d.Name, idx: i}
		if d.Transform != nil {
			t, err := compileTransform(d.Transform.JQ, d.Transform.Script)
			if err != nil {
				field := "jq"
				if d.Transform.JQ == "" {
					field = "script"
				}
				return nil, config.Fieldf(config.Path(dp, "transform", field), "%v", err)
			}
			cd.transform = t
		}
		f := d.Filters
		if f != nil && (len(f.Data) > 0 || len(f.Exprs) > 0 || f.Context != nil || f.Time != nil || f.Script != "") {
			cf, err := compileFilters(config.Path(dp, "filters"), f, d.FiltersLogicalOperator, p.fields)
			if err != nil {
				return nil, err
			}
			cd.filters = cf
		}
		p.deps = append(p.deps, cd)
		p.depIndex[d.Name] = i
		r := route{d.EventSourceName, d.EventName}
		p.routes[r] = append(p.routes[r], cd)
	}
	for i := range s.Spec.Triggers {
		t, err := p.compileTrigger(config.Path("spec", "triggers", i), &s.Spec.Triggers[i], p.fields)
		if err != nil {
			return nil, err
		}
		if !t.single && opts.State == nil {
			return nil, config.Fieldf(config.Path(t.path, "template", "conditions"),
				"trigger waits for several dependencies but no conditions state is configured")
		}
		p.triggers = append(p.triggers, t)
		for _, di := range t.deps {
			p.deps[di].triggers = append(p.deps[di].triggers, t)
		}
	}
	return p, nil
}

// compileTrigger compiles one trigger; fs registers the data paths it
// reads (nil when compiling at evaluation time, when the program's
// fieldSet must not change).
func (p *Program) compileTrigger(path string, spec *config.Trigger, fs *fieldSet) (*trigger, error) {
	tt := spec.Template
	tp := config.Path(path, "template")
	t := &trigger{name: tt.Name, path: path, spec: spec, typ: tt.Type(), op: tt.Operation()}
	if strings.TrimSpace(tt.Conditions) != "" {
		c, err := parseConditions(tt.Conditions, p.depIndex)
		if err != nil {
			return nil, config.Fieldf(config.Path(tp, "conditions"), "invalid conditions %q: %v", tt.Conditions, err)
		}
		set := map[int]bool{}
		c.vars(set)
		for i := range p.deps {
			if set[i] {
				t.deps = append(t.deps, i)
			}
		}
		t.cond = c
	} else {
		for i := range p.deps {
			t.deps = append(t.deps, i)
		}
	}
	t.single = len(t.deps) == 1 && (t.cond == nil || t.cond.eval(onlyPresent(len(p.deps), t.deps[0])))
	for i, r := range tt.ConditionsReset {
		rp := config.Path(tp, "conditionsReset", i, "byTime")
		spec := r.ByTime.Cron
		if r.ByTime.Timezone != "" {
			if _, err := time.LoadLocation(r.ByTime.Timezone); err != nil {
				return nil, config.Fieldf(config.Path(rp, "timezone"), "unknown time zone %q", r.ByTime.Timezone)
			}
			spec = "CRON_TZ=" + r.ByTime.Timezone + " " + spec
		}
		sched, err := cron.ParseStandard(spec)
		if err != nil {
			return nil, config.Fieldf(config.Path(rp, "cron"), "invalid cron expression %q: %v", r.ByTime.Cron, err)
		}
		t.resets = append(t.resets, sched)
	}
	if len(spec.Parameters) > 0 {
		ps, err := compileParams(config.Path(path, "parameters"), spec.Parameters, fs)
		if err != nil {
			return nil, err
		}
		b, err := json.Marshal(tt)
		if err != nil {
			return nil, fmt.Errorf("encoding trigger template: %w", err)
		}
		t.tparams, t.tjson = ps, b
	}
	obj, err := compileObject(tp, tt, fs)
	if err != nil {
		return nil, err
	}
	if obj != nil {
		obj.sensorBox, obj.triggerBox, obj.namespaceBox = any(p.name), any(tt.Name), any(p.namespace)
	}
	t.object = obj
	if spec.DLQTrigger != nil {
		if _, err := p.compileTrigger(config.Path(path, "dlqTrigger"), spec.DLQTrigger, nil); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func onlyPresent(n, i int) []bool {
	b := make([]bool, n)
	b[i] = true
	return b
}

// compileObject prepares the object of an argoWorkflow or k8s trigger.
func compileObject(tp string, tt *config.TriggerTemplate, fs *fieldSet) (*objectSpec, error) {
	var sp string
	var params []config.TriggerParameter
	o := &objectSpec{}
	switch tt.Type() {
	case config.TriggerArgoWorkflow:
		sp = config.Path(tp, "argoWorkflow")
		params = tt.ArgoWorkflow.Parameters
		op := config.ArgoWorkflowOperation(tt.Operation())
		if op == config.ArgoSubmit {
			a, err := config.ParseArgoArgs(op, tt.ArgoWorkflow.Args)
			if err != nil {
				return nil, config.Fieldf(config.Path(sp, "args"), "%v", err)
			}
			o.args = &a
			o.creates = true
		}
	case config.TriggerK8s:
		sp = config.Path(tp, "k8s")
		params = tt.K8s.Parameters
		o.creates = tt.Operation() == string(config.K8sCreate)
	default:
		return nil, nil
	}
	ps, err := compileParams(config.Path(sp, "parameters"), params, fs)
	if err != nil {
		return nil, err
	}
	o.params = ps
	o.buildTrie()
	src := tt.Source()
	var raw []byte
	switch {
	case src == nil:
	case len(src.Resource) > 0:
		raw = src.Resource
	case src.Inline != nil:
		j, err := yaml.YAMLToJSON([]byte(*src.Inline))
		if err != nil {
			return nil, config.Fieldf(config.Path(sp, "source", "inline"), "decoding inline resource: %v", err)
		}
		raw = j
	}
	if raw != nil {
		field := "resource"
		if len(src.Resource) == 0 {
			field = "inline"
		}
		v, err := decodeJSON(raw)
		if err != nil {
			return nil, config.Fieldf(config.Path(sp, "source", field), "decoding resource: %v", err)
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, config.Fieldf(config.Path(sp, "source", field), "resource must be an object")
		}
		if err := checkObject(m); err != nil {
			return nil, config.Fieldf(config.Path(sp, "source", field), "%v", err)
		}
		o.base = m
	}
	return o, nil
}

// checkObject requires what every Kubernetes object has.
func checkObject(m map[string]any) error {
	if s, _ := m["apiVersion"].(string); s == "" {
		return errors.New("resource has no apiVersion")
	}
	if s, _ := m["kind"].(string); s == "" {
		return errors.New("resource has no kind")
	}
	if md, ok := m["metadata"]; ok {
		if _, isMap := md.(map[string]any); !isMap {
			return errors.New("resource metadata must be an object")
		}
	}
	return nil
}

// DependencyResult is the outcome of one dependency for one event.
type DependencyResult struct {
	Name    string
	Matched bool
	// Err is why the dependency did not match (a transform or filter
	// error); with filtersLogicalOperator "or" it may be set on a match.
	Err error
}

// TriggerError is a trigger whose conditions were met but that could not
// be resolved (a parameter without value or default, a bad template
// result). Its remembered events are consumed, as in Argo Events.
type TriggerError struct {
	Trigger string
	Err     error
}

// Result is what one event caused.
type Result struct {
	// Dependencies has one entry for each dependency the event was routed
	// to, in the sensor's order.
	Dependencies []DependencyResult
	// Firings are the triggers to fire, in the sensor's order.
	Firings []Firing
	// TriggerErrors are triggers that should have fired but could not be
	// resolved.
	TriggerErrors []TriggerError
}

// Name is the sensor's name.
func (p *Program) Name() string { return p.name }

// Triggers lists the names of the sensor's triggers in order.
func (p *Program) Triggers() []string {
	out := make([]string, len(p.triggers))
	for i, t := range p.triggers {
		out[i] = t.name
	}
	return out
}

// Evaluate routes ev to the dependencies that name its source and subject,
// transforms and filters it, updates the conditions state and returns the
// triggers to fire. The error is non-nil only when the state could not be
// read or written or ctx ended; filter and trigger errors are in the
// Result.
func (p *Program) Evaluate(ctx context.Context, ev event.Event) (Result, error) {
	var res Result
	deps := p.routes[route{ev.Source, ev.Subject}]
	if len(deps) == 0 {
		return res, nil
	}
	res.Dependencies = make([]DependencyResult, 0, len(deps))
	var matched [8]matchedDep
	hits := matched[:0]
	defer func() {
		for _, h := range hits {
			if h.doc != nil {
				h.doc.release()
			}
		}
	}()
	for _, d := range deps {
		e, doc, ok, err := p.matchDependency(ctx, d, ev)
		res.Dependencies = append(res.Dependencies, DependencyResult{Name: d.name, Matched: ok, Err: err})
		if ok {
			hits = append(hits, matchedDep{d, e, doc})
		} else if doc != nil {
			doc.release()
		}
	}
	if len(hits) == 0 {
		return res, nil
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	var now time.Time
	for _, t := range p.triggers {
		var events map[string]event.Event
		docs := docSet{fs: p.fields}
		if t.single {
			h := t.firstHit(hits)
			if h == nil {
				continue
			}
			events = map[string]event.Event{h.dep.name: h.ev}
			if h.doc != nil {
				docs.add(h.dep.name, h.doc)
			}
		} else {
			var mine []matchedDep
			for _, h := range hits {
				if t.uses(h.dep.idx) {
					mine = append(mine, h)
				}
			}
			if len(mine) == 0 {
				continue
			}
			if now.IsZero() {
				now = p.opts.Now()
			}
			var err error
			events, err = p.updateState(ctx, t, mine, now)
			if err != nil {
				return res, err
			}
			if events == nil {
				continue
			}
		}
		f, err := p.fire(t, events, &docs)
		if err != nil {
			res.TriggerErrors = append(res.TriggerErrors, TriggerError{Trigger: t.name, Err: err})
			continue
		}
		res.Firings = append(res.Firings, f)
	}
	return res, nil
}

type matchedDep struct {
	dep *dependency
	ev  event.Event
	doc *docView // the view the filters read, nil when there were none
}

// firstHit returns the first hit on one of t's dependencies, or nil.
func (t *trigger) firstHit(hits []matchedDep) *matchedDep {
	for i := range hits {
		if t.uses(hits[i].dep.idx) {
			return &hits[i]
		}
	}
	return nil
}

func (t *trigger) uses(dep int) bool {
	for _, d := range t.deps {
		if d == dep {
			return true
		}
	}
	return false
}

// matchDependency transforms ev for d and applies d's filters; doc is the
// view of the (transformed) data the filters read.
func (p *Program) matchDependency(ctx context.Context, d *dependency, ev event.Event) (event.Event, *docView, bool, error) {
	if d.transform != nil {
		sctx, cancel := context.WithTimeout(ctx, p.opts.ScriptTimeout)
		data, err := d.transform.apply(sctx, ev.Data)
		cancel()
		if err != nil {
			return ev, nil, false, fmt.Errorf("transform: %w", err)
		}
		ev.Data = data
		if len(data) > 0 {
			ev.DataContentType = "application/json"
		}
	}
	if d.filters == nil {
		return ev, nil, true, nil
	}
	fctx := ctx
	if d.filters.script != nil {
		var cancel context.CancelFunc
		fctx, cancel = context.WithTimeout(ctx, p.opts.ScriptTimeout)
		defer cancel()
	}
	doc := acquireDocView(ev.Data, p.fields)
	ok, err := d.filters.match(fctx, &ev, doc, p.opts.Now)
	return ev, doc, ok, err
}

// updateState records the matched dependencies of t and returns the events
// to fire with when its conditions hold (clearing the state), or nil.
func (p *Program) updateState(ctx context.Context, t *trigger, mine []matchedDep, now time.Time) (map[string]event.Event, error) {
	key := Key{Namespace: p.namespace, Sensor: p.name, Trigger: t.name}
	var fired map[string]event.Event
	err := p.opts.State.Update(ctx, key, func(entries map[string]Entry) (map[string]Entry, error) {
		fired = nil
		next := make(map[string]Entry, len(entries)+len(mine))
		for dep, e := range entries {
			if _, known := p.depIndex[dep]; !known || t.resetSince(e.At, now) {
				continue
			}
			next[dep] = e
		}
		for _, m := range mine {
			next[m.dep.name] = Entry{Event: m.ev, At: now}
		}
		present := make([]bool, len(p.deps))
		for dep := range next {
			present[p.depIndex[dep]] = true
		}
		if !t.holds(present) {
			return next, nil
		}
		fired = make(map[string]event.Event, len(next))
		for dep, e := range next {
			fired[dep] = e.Event
		}
		return nil, nil
	})
	if err != nil {
		return nil, fmt.Errorf("updating conditions state of %s: %w", key, err)
	}
	return fired, nil
}

// resetSince reports whether a conditionsReset time lies in (at, now].
func (t *trigger) resetSince(at, now time.Time) bool {
	for _, s := range t.resets {
		if next := s.Next(at); !next.After(now) {
			return true
		}
	}
	return false
}

func (t *trigger) holds(present []bool) bool {
	if t.cond != nil {
		return t.cond.eval(present)
	}
	for _, d := range t.deps {
		if !present[d] {
			return false
		}
	}
	return true
}

// fire resolves trigger t for events.
func (p *Program) fire(t *trigger, events map[string]event.Event, docs *docSet) (Firing, error) {
	spec := t.spec
	ct := t
	if len(t.tparams) > 0 {
		b, err := applyToJSON(t.tjson, t.tparams, events)
		if err != nil {
			return Firing{}, fmt.Errorf("applying trigger parameters: %w", err)
		}
		var tmpl config.TriggerTemplate
		if err := json.Unmarshal(b, &tmpl); err != nil {
			return Firing{}, fmt.Errorf("decoding parameterized trigger template: %w", err)
		}
		if tmpl.Type() == "" {
			return Firing{}, errors.New("parameterized trigger template names no trigger type")
		}
		resolved := *t.spec
		resolved.Template = &tmpl
		spec = &resolved
		if ct, err = p.compileTrigger(t.path, spec, nil); err != nil {
			return Firing{}, fmt.Errorf("parameterized trigger template: %w", err)
		}
	}
	// deps and ids share one allocation.
	names := make([]string, 2*len(events))
	deps, ids := names[:0:len(events)], names[len(events):]
	for d := range events {
		deps = append(deps, d)
	}
	slices.Sort(deps)
	for i, d := range deps {
		ids[i] = events[d].ID
	}
	f := Firing{
		Sensor: p.name, Namespace: p.namespace, Trigger: t.name,
		Type: ct.typ, Operation: ct.op, Source: spec.Template.Source(), Spec: spec,
		Events: events, EventIDs: ids, object: ct.object,
	}
	if ct.object != nil && ct.object.base != nil {
		obj, err := ct.object.build(ct.object.base, events, docs, p.name, p.namespace, f.Trigger, spec.Template.Name, deps, ids)
		if err != nil {
			return Firing{}, err
		}
		f.Object = obj
	}
	return f, nil
}
