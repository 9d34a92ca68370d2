package sensor

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/Knetic/govaluate"
	"github.com/tidwall/gjson"
	lua "github.com/yuin/gopher-lua"

	"github.com/fc-eventing/fc-eventing/shared/config"
	"github.com/fc-eventing/fc-eventing/shared/event"
)

// Error texts follow Argo Events' ("data filter error (path 'x' does not
// exist)"), so messages users search for still match.
const (
	errListSeparator = " / "
)

func filterErr(kind, msg string) error {
	return fmt.Errorf("%s filter error (%s)", kind, msg)
}

func multiFilterErr(kind string, msgs []string) error {
	return fmt.Errorf("%s filter errors [%s]", kind, strings.Join(msgs, errListSeparator))
}

// filters is a dependency's compiled filters.
type filters struct {
	data    []dataFilter
	dataOr  bool
	exprs   []exprFilter
	exprOr  bool
	context *config.EventContext
	time    *timeFilter
	script  *lua.FunctionProto
	or      bool // filtersLogicalOperator
}

type dataFilter struct {
	path       string
	slot       int
	typ        config.JSONType
	comparator config.Comparator
	bools      []bool
	numbers    []float64
	regexps    []*regexp.Regexp
	tmpl       *stringTemplate
}

type exprFilter struct {
	expr   *govaluate.EvaluableExpression
	fields []config.PayloadField
	names  []string
	slots  []int
}

// fieldValues are an expression's field values, by the fields' names; the
// last field of a name wins, as in the map Argo Events builds.
type fieldValues struct {
	names []string
	vals  []any
}

var fieldValuesPool = sync.Pool{New: func() any { return new(fieldValues) }}

func (p *fieldValues) release() {
	clear(p.vals)
	p.names, p.vals = nil, p.vals[:0]
	fieldValuesPool.Put(p)
}

// Get implements govaluate.Parameters.
func (p *fieldValues) Get(name string) (any, error) {
	for i := len(p.names) - 1; i >= 0; i-- {
		if p.names[i] == name {
			return p.vals[i], nil
		}
	}
	return nil, fmt.Errorf("no parameter '%s' found", name)
}

type timeFilter struct {
	start, stop time.Duration
	loc         *time.Location
}

func compileFilters(p string, f *config.EventDependencyFilter, op config.LogicalOperator, fs *fieldSet) (*filters, error) {
	if f == nil {
		return nil, nil
	}
	out := &filters{
		dataOr:  f.DataLogicalOperator == config.OrOperator,
		exprOr:  f.ExprLogicalOperator == config.OrOperator,
		context: f.Context,
		or:      op == config.OrOperator,
	}
	for i, df := range f.Data {
		dp := config.Path(p, "data", i)
		c := dataFilter{path: df.Path, slot: fs.add(df.Path), typ: df.Type, comparator: df.Comparator}
		if c.comparator == config.EmptyComparator {
			c.comparator = config.EqualTo
		}
		switch df.Type {
		case config.JSONTypeBool:
			if c.comparator != config.EqualTo && c.comparator != config.NotEqualTo {
				return nil, config.Fieldf(config.Path(dp, "comparator"), "comparator %q does not apply to type bool (=, !=)", df.Comparator)
			}
			for j, v := range df.Value {
				b, err := strconv.ParseBool(v)
				if err != nil {
					return nil, config.Fieldf(config.Path(dp, "value", j), "invalid bool %q", v)
				}
				c.bools = append(c.bools, b)
			}
		case config.JSONTypeNumber:
			for j, v := range df.Value {
				n, err := strconv.ParseFloat(v, 64)
				if err != nil {
					return nil, config.Fieldf(config.Path(dp, "value", j), "invalid number %q", v)
				}
				c.numbers = append(c.numbers, n)
			}
		case config.JSONTypeString:
			if c.comparator != config.EqualTo && c.comparator != config.NotEqualTo {
				return nil, config.Fieldf(config.Path(dp, "comparator"), "comparator %q does not apply to type string (=, !=)", df.Comparator)
			}
			for j, v := range df.Value {
				re, err := regexp.Compile(v)
				if err != nil {
					return nil, config.Fieldf(config.Path(dp, "value", j), "invalid regular expression %q: %v", v, err)
				}
				c.regexps = append(c.regexps, re)
			}
		default:
			return nil, config.Fieldf(config.Path(dp, "type"), "unknown type %q (bool, number or string)", df.Type)
		}
		if df.Template != "" {
			t, err := compileStringTemplate("data", df.Template)
			if err != nil {
				return nil, config.Fieldf(config.Path(dp, "template"), "%v", err)
			}
			c.tmpl = t
		}
		out.data = append(out.data, c)
	}
	for i, ef := range f.Exprs {
		ep := config.Path(p, "exprs", i)
		e, err := govaluate.NewEvaluableExpression(ef.Expr)
		if err != nil {
			return nil, config.Fieldf(config.Path(ep, "expr"), "invalid expression %q: %v", ef.Expr, err)
		}
		names := map[string]bool{}
		for _, fl := range ef.Fields {
			names[fl.Name] = true
		}
		for _, v := range e.Vars() {
			if !names[v] {
				return nil, config.Fieldf(config.Path(ep, "expr"), "expression uses %q, which no field names", v)
			}
		}
		slots := make([]int, len(ef.Fields))
		fnames := make([]string, len(ef.Fields))
		for j, fl := range ef.Fields {
			slots[j] = fs.add(fl.Path)
			fnames[j] = fl.Name
		}
		out.exprs = append(out.exprs, exprFilter{expr: e, fields: ef.Fields, names: fnames, slots: slots})
	}
	if tf := f.Time; tf != nil {
		start, err := config.ParseTimeOfDay(tf.Start)
		if err != nil {
			return nil, config.Fieldf(config.Path(p, "time", "start"), "%v", err)
		}
		stop, err := config.ParseTimeOfDay(tf.Stop)
		if err != nil {
			return nil, config.Fieldf(config.Path(p, "time", "stop"), "%v", err)
		}
		loc := time.UTC
		if tf.Timezone != "" {
			if loc, err = time.LoadLocation(tf.Timezone); err != nil {
				return nil, config.Fieldf(config.Path(p, "time", "timezone"), "unknown time zone %q", tf.Timezone)
			}
		}
		out.time = &timeFilter{start: time.Duration(start) * time.Second, stop: time.Duration(stop) * time.Second, loc: loc}
	}
	if f.Script != "" {
		proto, err := compileLua("filter", f.Script)
		if err != nil {
			return nil, config.Fieldf(config.Path(p, "script"), "%v", err)
		}
		out.script = proto
	}
	return out, nil
}

// match applies the filters to ev. Errors follow Argo Events: with "and"
// the first failing filter's error; with "or" the errors of all filters
// joined. Unlike Argo Events, an "or" that passed is a match even when
// another filter errored (the error is still returned).
func (f *filters) match(ctx context.Context, ev *event.Event, doc *docView, now func() time.Time) (bool, error) {
	if f == nil {
		return true, nil
	}
	var errs []error
	fail := func(err error) (bool, error) {
		if !f.or {
			return false, err
		}
		errs = append(errs, err)
		return false, nil
	}
	pass := false
	all := true
	valid := len(ev.Data) == 0 || ((f.exprs != nil || f.data != nil) && doc.valid())
	if f.exprs != nil {
		ok, err := f.matchExprs(ev.Data, doc, valid)
		if err != nil {
			if r, e := fail(err); !f.or {
				return r, e
			}
		}
		pass, all = pass || ok, all && ok
	}
	if f.data != nil {
		ok, err := f.matchData(ev.Data, doc, valid)
		if err != nil {
			if r, e := fail(err); !f.or {
				return r, e
			}
		}
		pass, all = pass || ok, all && ok
	}
	if f.context != nil {
		ok := matchContext(f.context, ev)
		pass, all = pass || ok, all && ok
	}
	if f.time != nil {
		t := ev.Time
		if t.IsZero() {
			t = now()
		}
		ok := f.time.match(t)
		pass, all = pass || ok, all && ok
	}
	if f.script != nil {
		ok, err := matchScript(ctx, f.script, ev.Data)
		if err != nil {
			if r, e := fail(err); !f.or {
				return r, e
			}
		}
		pass, all = pass || ok, all && ok
	}
	if f.or && len(errs) > 0 {
		msgs := make([]string, len(errs))
		for i, e := range errs {
			msgs[i] = e.Error()
		}
		return pass, errors.New(strings.Join(msgs, errListSeparator))
	}
	if f.or {
		return pass, nil
	}
	return all, nil
}

func (f *filters) matchExprs(data []byte, doc *docView, valid bool) (bool, error) {
	if len(data) == 0 {
		return true, nil
	}
	if !valid {
		return false, filterErr("expr", "event data not valid JSON")
	}
	var msgs []string
	params := fieldValuesPool.Get().(*fieldValues)
	defer params.release()
next:
	for _, e := range f.exprs {
		params.names = e.names
		params.vals = append(params.vals[:0], make([]any, len(e.fields))...)
		for j, fl := range e.fields {
			r := doc.get(e.slots[j], fl.Path)
			if !r.Exists() {
				msg := fmt.Sprintf("path '%s' does not exist", fl.Path)
				if f.exprOr {
					msgs = append(msgs, msg)
					continue next
				}
				return false, filterErr("expr", msg)
			}
			params.vals[j] = r.Value()
		}
		res, err := e.expr.Eval(params)
		if err != nil {
			if f.exprOr {
				msgs = append(msgs, err.Error())
				continue
			}
			return false, filterErr("expr", err.Error())
		}
		if res == true {
			if f.exprOr {
				return true, nil
			}
		} else if !f.exprOr {
			return false, nil
		}
	}
	if f.exprOr {
		if len(msgs) > 0 {
			return false, multiFilterErr("expr", msgs)
		}
		return false, nil
	}
	return true, nil
}

func (f *filters) matchData(data []byte, doc *docView, valid bool) (bool, error) {
	if len(data) == 0 {
		return true, nil
	}
	if !valid {
		return false, filterErr("data", "event data not valid JSON")
	}
	var msgs []string
	for i := range f.data {
		df := &f.data[i]
		ok, msg := df.match(doc)
		switch {
		case msg != "":
			if !f.dataOr {
				return false, filterErr("data", msg)
			}
			msgs = append(msgs, msg)
		case ok && f.dataOr:
			return true, nil
		case !ok && !f.dataOr:
			return false, nil
		}
	}
	if f.dataOr {
		if len(msgs) > 0 {
			return false, multiFilterErr("data", msgs)
		}
		return false, nil
	}
	return true, nil
}

// match tests one data filter; msg is non-empty on error.
func (df *dataFilter) match(doc *docView) (bool, string) {
	r := doc.get(df.slot, df.path)
	if !r.Exists() {
		return false, fmt.Sprintf("path '%s' does not exist", df.path)
	}
	if df.tmpl != nil {
		out, err := df.tmpl.exec(r.String())
		if err != nil {
			return false, err.Error()
		}
		r = gjson.Result{Type: gjson.String, Str: out}
	}
	neq := df.comparator == config.NotEqualTo
	switch df.typ {
	case config.JSONTypeBool:
		got := r.Bool()
		for _, v := range df.bools {
			if (v == got) != neq {
				return true, ""
			}
		}
	case config.JSONTypeNumber:
		got := r.Float()
		for _, v := range df.numbers {
			if compareNumber(df.comparator, got, v) {
				return true, ""
			}
		}
	case config.JSONTypeString:
		got := r.String()
		for _, re := range df.regexps {
			if re.MatchString(got) != neq {
				return true, ""
			}
		}
	}
	return false, ""
}

func compareNumber(c config.Comparator, got, want float64) bool {
	switch c {
	case config.GreaterThanOrEqualTo:
		return got >= want
	case config.GreaterThan:
		return got > want
	case config.LessThan:
		return got < want
	case config.LessThanOrEqualTo:
		return got <= want
	case config.NotEqualTo:
		return got != want
	}
	return got == want
}

func matchContext(want *config.EventContext, ev *event.Event) bool {
	return (want.Type == "" || want.Type == ev.Type) &&
		(want.Subject == "" || want.Subject == ev.Subject) &&
		(want.Source == "" || want.Source == ev.Source) &&
		(want.DataContentType == "" || want.DataContentType == ev.DataContentType)
}

// match reports whether t's time of day in the filter's zone lies in
// [start, stop); a window with stop <= start spans midnight.
func (tf *timeFilter) match(t time.Time) bool {
	lt := t.In(tf.loc)
	tod := time.Duration(lt.Hour())*time.Hour + time.Duration(lt.Minute())*time.Minute +
		time.Duration(lt.Second())*time.Second + time.Duration(lt.Nanosecond())
	if tf.start < tf.stop {
		return tod >= tf.start && tod < tf.stop
	}
	return tod >= tf.start || tod < tf.stop
}

func matchScript(ctx context.Context, proto *lua.FunctionProto, data []byte) (bool, error) {
	if len(data) == 0 {
		return true, nil
	}
	in, err := decodeJSON(data)
	if err != nil {
		return false, fmt.Errorf("script filter error (event data not valid JSON)")
	}
	if _, ok := in.(map[string]any); !ok {
		return false, fmt.Errorf("script filter error (event data is not a JSON object)")
	}
	out, err := runLua(ctx, proto, in)
	if err != nil {
		return false, fmt.Errorf("script filter error (%v)", err)
	}
	return out == true, nil
}
