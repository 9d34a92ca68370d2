package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ArgoArgs are the argo CLI arguments of an argoWorkflow trigger
// (argoWorkflow.args), parsed at load. Argo Events appends them to the argo
// command line; fc-eventing carries out the operations through the
// Kubernetes API, so ParseArgoArgs returns the flags it carries out.
type ArgoArgs struct {
	// Name and GenerateName set the new workflow's name (submit, submit-from).
	Name         string
	GenerateName string
	// Entrypoint overrides spec.entrypoint (submit, submit-from).
	Entrypoint string
	// ServiceAccount overrides spec.serviceAccountName (submit, submit-from).
	ServiceAccount string
	// Parameters override spec.arguments.parameters, in order (-p NAME=VALUE).
	Parameters []NameValue
	// Labels are added to the new workflow (-l k=v,k2=v2).
	Labels []NameValue
	// Priority sets spec.priority (submit).
	Priority *int32
	// NodeFieldSelector selects the nodes to retry, resume or stop.
	NodeFieldSelector string
	// Memoized resubmits with memoization (resubmit).
	Memoized bool
	// RestartSuccessful also restarts succeeded nodes matched by
	// NodeFieldSelector (retry).
	RestartSuccessful bool
	// Message is the stop message (stop).
	Message string
	// ScheduledTime overrides the workflow's scheduledTime (RFC3339, submit).
	ScheduledTime string
	// InstanceID sets the controller instance label
	// workflows.argoproj.io/controller-instanceid (submit, submit-from).
	InstanceID string
}

// LabelControllerInstanceID is the label --instanceid sets, naming the
// workflow controller instance that runs the workflow.
const LabelControllerInstanceID = "workflows.argoproj.io/controller-instanceid"

// NameValue is one NAME=VALUE argument.
type NameValue struct {
	Name  string
	Value string
}

// flagKind says what fc-eventing does with an argo CLI flag.
type flagKind int

const (
	flagHonoured flagKind = iota // carried out through the API
	flagIgnored                  // affects only the CLI's output or waiting
	flagRejected                 // cannot be carried out; rejected at load
)

type flagSpec struct {
	kind   flagKind
	isBool bool
	why    string // for rejected flags
}

var (
	displayFlags = map[string]flagSpec{
		"output": {kind: flagIgnored}, "wait": {kind: flagIgnored, isBool: true},
		"watch": {kind: flagIgnored, isBool: true}, "log": {kind: flagIgnored, isBool: true},
	}
	submitFlags = map[string]flagSpec{
		"name": {}, "generate-name": {}, "entrypoint": {}, "parameter": {}, "serviceaccount": {},
		"labels": {}, "priority": {}, "scheduled-time": {}, "instanceid": {},
		"strict": {kind: flagIgnored, isBool: true}, "status": {kind: flagIgnored},
		"node-field-selector": {kind: flagIgnored},
		"parameter-file":      {kind: flagRejected, why: "it reads a file on the sensor's disk; use -p NAME=VALUE or parameters"},
		"dry-run":             {kind: flagRejected, isBool: true, why: "a trigger that never submits is not supported"},
		"server-dry-run":      {kind: flagRejected, isBool: true, why: "a trigger that never submits is not supported"},
		"from":                {kind: flagRejected, why: "use operation submit-from"},
	}
	selectorFlags = map[string]flagSpec{
		"selector":       {kind: flagRejected, why: "the trigger acts on the workflow its source names, not on a selection"},
		"field-selector": {kind: flagRejected, why: "the trigger acts on the workflow its source names, not on a selection"},
	}
	argoFlagSets = map[ArgoWorkflowOperation][]map[string]flagSpec{
		ArgoSubmit:     {submitFlags, displayFlags},
		ArgoSubmitFrom: {submitFlags, displayFlags},
		ArgoResubmit:   {{"parameter": {}, "priority": {}, "memoized": {isBool: true}}, selectorFlags, displayFlags},
		ArgoRetry: {{"parameter": {}, "node-field-selector": {}, "restart-successful": {isBool: true}},
			selectorFlags, displayFlags},
		ArgoResume:  {{"node-field-selector": {}}, selectorFlags},
		ArgoSuspend: {selectorFlags},
		ArgoTerminate: {selectorFlags, {"dry-run": {kind: flagRejected, isBool: true,
			why: "a trigger that never terminates is not supported"}}},
		ArgoStop: {{"node-field-selector": {}, "message": {}}, selectorFlags, {"dry-run": {kind: flagRejected,
			isBool: true, why: "a trigger that never stops is not supported"}}},
	}
)

// shortFlag maps a one-letter flag to its long name for an operation.
func shortFlag(op ArgoWorkflowOperation, c string) (string, bool) {
	switch c {
	case "p":
		return "parameter", op != ArgoResume && op != ArgoSuspend && op != ArgoTerminate && op != ArgoStop
	case "l":
		if op == ArgoSubmit || op == ArgoSubmitFrom {
			return "labels", true
		}
		return "selector", true
	case "o":
		return "output", true
	case "w":
		return "wait", op != ArgoResume && op != ArgoSuspend && op != ArgoTerminate && op != ArgoStop
	case "f":
		return "parameter-file", op == ArgoSubmit || op == ArgoSubmitFrom
	}
	return "", false
}

func lookupFlag(op ArgoWorkflowOperation, name string) (flagSpec, bool) {
	for _, set := range argoFlagSets[op] {
		if f, ok := set[name]; ok {
			return f, true
		}
	}
	return flagSpec{}, false
}

// ParseArgoArgs parses and validates the args of an argoWorkflow trigger
// for operation op (empty means submit), following the argo CLI's flags for
// that command: flags fc-eventing carries out are returned, flags that only
// change what the CLI prints or whether it waits (-o, --wait, --watch,
// --log, ...) are accepted and ignored, and flags it cannot carry out are
// rejected with the reason. Flags are written `--flag value`,
// `--flag=value`, `-p value`, `-p=value` or `-pvalue`. Errors are
// *FieldError with the index of the offending argument as path ("[2]").
func ParseArgoArgs(op ArgoWorkflowOperation, args []string) (ArgoArgs, error) {
	if op == "" {
		op = ArgoSubmit
	}
	if _, ok := argoFlagSets[op]; !ok {
		return ArgoArgs{}, fmt.Errorf("unknown operation %q", op)
	}
	var out ArgoArgs
	for i := 0; i < len(args); i++ {
		a := args[i]
		at := fmt.Sprintf("[%d]", i)
		var name, val string
		hasVal := false
		switch {
		case strings.HasPrefix(a, "--") && len(a) > 2:
			name = a[2:]
			if k := strings.IndexByte(name, '='); k >= 0 {
				name, val, hasVal = name[:k], name[k+1:], true
			}
		case strings.HasPrefix(a, "-") && len(a) > 1 && a[1] != '-':
			long, ok := shortFlag(op, a[1:2])
			if !ok {
				return ArgoArgs{}, &FieldError{Path: at, Msg: fmt.Sprintf("unknown flag %q for argo %s", a, op)}
			}
			name = long
			if rest := a[2:]; rest != "" {
				val, hasVal = strings.TrimPrefix(rest, "="), true
			}
		default:
			return ArgoArgs{}, &FieldError{Path: at, Msg: fmt.Sprintf("unexpected argument %q: only flags are allowed", a)}
		}
		spec, ok := lookupFlag(op, name)
		if !ok {
			return ArgoArgs{}, &FieldError{Path: at, Msg: fmt.Sprintf("unknown flag %q for argo %s", "--"+name, op)}
		}
		if spec.kind == flagRejected {
			return ArgoArgs{}, &FieldError{Path: at, Msg: fmt.Sprintf("flag %q is not supported: %s", "--"+name, spec.why)}
		}
		if spec.isBool {
			b := true
			if hasVal {
				var err error
				if b, err = strconv.ParseBool(val); err != nil {
					return ArgoArgs{}, &FieldError{Path: at, Msg: fmt.Sprintf("--%s: invalid boolean %q", name, val)}
				}
			}
			switch name {
			case "memoized":
				out.Memoized = b
			case "restart-successful":
				out.RestartSuccessful = b
			}
			continue
		}
		if !hasVal {
			if i+1 >= len(args) {
				return ArgoArgs{}, &FieldError{Path: at, Msg: fmt.Sprintf("--%s needs a value", name)}
			}
			i++
			val = args[i]
		}
		if spec.kind == flagIgnored {
			continue
		}
		switch name {
		case "name":
			out.Name = val
		case "generate-name":
			out.GenerateName = val
		case "entrypoint":
			out.Entrypoint = val
		case "instanceid":
			out.InstanceID = val
		case "serviceaccount":
			out.ServiceAccount = val
		case "node-field-selector":
			out.NodeFieldSelector = val
		case "message":
			out.Message = val
		case "scheduled-time":
			if _, err := time.Parse(time.RFC3339, val); err != nil {
				return ArgoArgs{}, &FieldError{Path: at, Msg: fmt.Sprintf("--scheduled-time: %q is not RFC3339", val)}
			}
			out.ScheduledTime = val
		case "priority":
			n, err := strconv.ParseInt(val, 10, 32)
			if err != nil {
				return ArgoArgs{}, &FieldError{Path: at, Msg: fmt.Sprintf("--priority: invalid integer %q", val)}
			}
			p := int32(n)
			out.Priority = &p
		case "parameter":
			k := strings.IndexByte(val, '=')
			if k <= 0 {
				return ArgoArgs{}, &FieldError{Path: at, Msg: fmt.Sprintf("--parameter %q: want NAME=VALUE", val)}
			}
			out.Parameters = append(out.Parameters, NameValue{Name: val[:k], Value: val[k+1:]})
		case "labels":
			for _, kv := range strings.Split(val, ",") {
				k := strings.IndexByte(kv, '=')
				if k <= 0 {
					return ArgoArgs{}, &FieldError{Path: at, Msg: fmt.Sprintf("--labels %q: want KEY=VALUE[,KEY=VALUE]", val)}
				}
				out.Labels = append(out.Labels, NameValue{Name: kv[:k], Value: kv[k+1:]})
			}
		}
	}
	return out, nil
}
