package source

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"

	"github.com/fc-eventing/fc-eventing/shared/event"
)

// helpers are the functions Argo Events puts beside the data in a filter's
// environment, besides expr-lang's builtins. Its "sprig" namespace is left
// out: the template library would add megabytes to every source function.
var helpers = map[string]any{
	"toJson": func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	},
	"asInt": func(v any) (int, error) {
		switch w := v.(type) {
		case float64:
			return int(w), nil
		case string:
			return strconv.Atoi(w)
		case int:
			return w, nil
		}
		return 0, fmt.Errorf("asInt: cannot convert %T", v)
	},
	"asFloat": func(v any) (float64, error) {
		switch w := v.(type) {
		case float64:
			return w, nil
		case string:
			return strconv.ParseFloat(w, 64)
		case int:
			return float64(w), nil
		}
		return 0, fmt.Errorf("asFloat: cannot convert %T", v)
	},
}

// Filter is a compiled event-source filter expression (Argo Events'
// spec.<kind>.<event>.filter.expression): an expr-lang boolean expression
// over the event data's top-level keys, with "-" in a key read as "_".
// A nil *Filter matches everything.
type Filter struct {
	src  string
	prog *vm.Program
}

// NewFilter compiles expression; an empty one gives a nil Filter.
func NewFilter(expression string) (*Filter, error) {
	if strings.TrimSpace(expression) == "" {
		return nil, nil
	}
	prog, err := expr.Compile(expression, expr.AllowUndefinedVariables(), expr.AsBool())
	if err != nil {
		return nil, fmt.Errorf("compiling filter expression: %w", err)
	}
	return &Filter{src: expression, prog: prog}, nil
}

// Match evaluates the filter on JSON event data. An evaluation error is no
// match, returned with the reason.
func (f *Filter) Match(data json.RawMessage) (bool, error) {
	if f == nil {
		return true, nil
	}
	var top map[string]any
	if err := json.Unmarshal(data, &top); err != nil {
		return false, fmt.Errorf("filter %q: event data is not a JSON object: %w", f.src, err)
	}
	env := make(map[string]any, len(top)+len(helpers))
	for k, v := range helpers {
		env[k] = v
	}
	for k, v := range top {
		env[strings.ReplaceAll(k, "-", "_")] = v
	}
	out, err := expr.Run(f.prog, env)
	if err != nil {
		return false, fmt.Errorf("filter %q: %w", f.src, err)
	}
	ok, _ := out.(bool)
	return ok, nil
}

// Keep adds e to o when the filter matches it; a non-match or an
// evaluation error becomes a note instead (fail closed).
func (f *Filter) Keep(o *Outcome, e event.Event) {
	ok, err := f.Match(e.Data)
	switch {
	case err != nil:
		o.Notes = append(o.Notes, fmt.Sprintf("%s/%s: event %s dropped: %v", e.Source, e.Subject, e.ID, err))
	case !ok:
		o.Notes = append(o.Notes, fmt.Sprintf("%s/%s: event %s dropped: filter did not match", e.Source, e.Subject, e.ID))
	default:
		o.Events = append(o.Events, e)
	}
}
