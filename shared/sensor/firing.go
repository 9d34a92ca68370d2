package sensor

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/fc-eventing/fc-eventing/shared/config"
	"github.com/fc-eventing/fc-eventing/shared/event"
)

// Trigger types a Firing carries.
const (
	TypeArgoWorkflow = config.TriggerArgoWorkflow
	TypeK8s          = config.TriggerK8s
	TypeLog          = config.TriggerLog
)

// Labels the engine puts on the objects of creating operations (k8s create,
// argoWorkflow submit).
const (
	LabelSensor  = "events.argoproj.io/sensor"
	LabelTrigger = "events.argoproj.io/trigger"
)

// Firing is one trigger the engine decided to fire: the interface between
// the engine and the package that carries triggers out.
type Firing struct {
	// Sensor and Namespace name the sensor that fired.
	Sensor    string
	Namespace string
	// Trigger is the trigger template's name as the sensor gives it: with
	// Sensor and Namespace, the key of the trigger's conditions state
	// (Key). Spec.Template.Name is the name after trigger-level parameters,
	// which the events.argoproj.io/trigger label carries.
	Trigger string
	// Type is "argoWorkflow", "k8s" or "log".
	Type string
	// Operation is the operation with defaults filled in ("submit",
	// "create", ...; "log" for a log trigger).
	Operation string
	// Object is the object exactly as it would be sent: parameters applied,
	// for submit the argo args applied, for creating operations the labels
	// and, where the user gave generateName, the deterministic name;
	// metadata.namespace defaults to the sensor's. It is nil for a log
	// trigger and when Source must be fetched first (file, url, configmap,
	// git, s3, oss): fetch the base object and call Resolve. Its metadata
	// map is the firing's own; subtrees the engine did not change are shared
	// with the compiled sensor and must be copied before they are changed.
	Object map[string]any
	// Source is where the object comes from, after trigger-level parameters.
	Source *config.ArtifactLocation
	// Spec is the trigger after trigger-level parameters were applied.
	Spec *config.Trigger
	// Events are the events used, by dependency name.
	Events map[string]event.Event
	// EventIDs are the ids of Events, in dependency-name order.
	EventIDs []string

	// object is how the trigger's object is built (nil for log triggers).
	object *objectSpec
}

// Resolve builds the object of a firing whose Source had to be fetched:
// it applies the trigger's object parameters to base, then (for
// operations that create: k8s create, argoWorkflow submit) the submit args,
// the labels events.argoproj.io/sensor and events.argoproj.io/trigger and
// the deterministic name, and fills metadata.namespace from the sensor
// when it is empty. base is not modified; the result shares the subtrees it
// did not change with base.
func (f Firing) Resolve(base map[string]any) (map[string]any, error) {
	if base == nil {
		return nil, errors.New("resolving firing: nil base object")
	}
	if err := checkObject(base); err != nil {
		return nil, fmt.Errorf("resolving firing: %w", err)
	}
	o := f.object
	if o == nil {
		if f.Spec == nil || f.Spec.Template == nil {
			return nil, errors.New("resolving firing: no trigger spec")
		}
		var err error
		if o, err = compileObject("template", f.Spec.Template, nil); err != nil {
			return nil, fmt.Errorf("resolving firing: %w", err)
		}
		if o == nil {
			return nil, fmt.Errorf("resolving firing: a %s trigger has no object", f.Type)
		}
	}
	label := f.Trigger
	if f.Spec != nil && f.Spec.Template != nil && f.Spec.Template.Name != "" {
		label = f.Spec.Template.Name
	}
	return o.build(base, f.Events, nil, f.Sensor, f.Namespace, f.Trigger, label, sortedKeys(f.Events), f.EventIDs)
}

// ObjectName returns the deterministic name for generateName: the prefix
// (cut so the name fits a 63-character DNS label) followed by a short hash
// of the sensor, the trigger and the dependencies and ids of the events
// used. The same events always give the same name.
func ObjectName(generateName, sensor, trigger string, deps, ids []string) string {
	var in [256]byte
	b := append(in[:0], sensor...)
	b = append(b, 0)
	b = append(b, trigger...)
	for i, id := range ids {
		b = append(b, 0)
		if i < len(deps) {
			b = append(b, deps[i]...)
		}
		b = append(b, '=')
		b = append(b, id...)
	}
	sum := sha256.Sum256(b)
	const hashLen = 10
	prefix := generateName
	if max := 63 - hashLen; len(prefix) > max {
		prefix = prefix[:max]
	}
	var buf [64]byte
	name := append(buf[:0], prefix...)
	name = hex.AppendEncode(name, sum[:hashLen/2])
	return string(name)
}

// build makes the object from base for one firing: it copies the
// containers on the paths the firing changes (o.trie) and changes them in
// place; base is not modified.
// trigger is the trigger's name in the sensor (it goes into the name);
// label is its name after trigger-level parameters (the label, as in Argo
// Events).
func (o *objectSpec) build(base map[string]any, events map[string]event.Event, docs *docSet, sensor, namespace, trigger, label string, deps, ids []string) (map[string]any, error) {
	var buf [8]map[string]any
	slots := buf[:]
	if n := o.trie.slots; n > len(buf) {
		slots = make([]map[string]any, n)
	}
	out, _ := o.trie.cloneAlong(base, slots).(map[string]any)
	if err := applyInPlace(out, o.params, events, docs, slots); err != nil {
		return nil, err
	}
	// metadata is always a map of the caller's own: the trigger may set
	// fields in it.
	var md map[string]any
	switch m := out["metadata"].(type) {
	case map[string]any:
		md = m
		if o.trie.children["metadata"] == nil {
			md = cloneMap(m, 2)
			out["metadata"] = md
		}
	case nil:
		md = map[string]any{}
		out["metadata"] = md
	default:
		return nil, errors.New("object metadata is not an object")
	}
	if o.args != nil {
		applySubmitArgs(out, md, o.args)
	}
	if o.creates {
		labels, _ := md["labels"].(map[string]any)
		if labels == nil {
			labels = make(map[string]any, 2)
			md["labels"] = labels
		}
		labels[LabelSensor] = boxed(sensor, o.sensorBox)
		labels[LabelTrigger] = boxed(label, o.triggerBox)
		if name, _ := md["name"].(string); name == "" {
			if gen, _ := md["generateName"].(string); gen != "" {
				md["name"] = ObjectName(gen, sensor, trigger, deps, ids)
			}
		}
	}
	if ns, _ := md["namespace"].(string); ns == "" && namespace != "" {
		md["namespace"] = boxed(namespace, o.namespaceBox)
	}
	return out, nil
}

// boxed returns b when it holds s, so a string boxed once at compile time
// is not boxed again for every firing; otherwise s itself.
func boxed(s string, b any) any {
	if bs, ok := b.(string); ok && bs == s {
		return b
	}
	return s
}

// buildTrie lists the paths build changes in place.
func (o *objectSpec) buildTrie() {
	o.trie = &pathTrie{}
	o.trie.add("metadata", "labels")
	for _, p := range o.params {
		o.trie.add(p.dest.keys...)
	}
	// A parameter sets its key directly in the copy of its parent map,
	// unless an earlier parameter sets a path above that key: that one may
	// have replaced the parent.
params:
	for i := range o.params {
		p := &o.params[i]
		p.parent = -1
		keys := p.dest.keys
		if len(keys) == 0 {
			continue
		}
		for _, q := range o.params[:i] {
			if len(q.dest.keys) < len(keys) && slices.Equal(q.dest.keys, keys[:len(q.dest.keys)]) {
				continue params
			}
		}
		p.parent = o.trie.slotAt(keys[:len(keys)-1])
	}
	if a := o.args; a != nil {
		if a.ScheduledTime != "" {
			o.trie.add("metadata", "annotations")
		}
		if a.Entrypoint != "" || a.ServiceAccount != "" || a.Priority != nil {
			o.trie.add("spec")
		}
		if len(a.Parameters) > 0 {
			o.trie.add("spec", "arguments")
		}
	}
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func cloneMap(m map[string]any, extra int) map[string]any {
	out := make(map[string]any, len(m)+extra)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// applySubmitArgs applies the argo submit flags to a Workflow object as
// the argo CLI does before creating it, in place: obj, md and the
// containers it changes belong to the caller (see buildTrie).
func applySubmitArgs(obj, md map[string]any, a *config.ArgoArgs) {
	spec := func() map[string]any {
		s, ok := obj["spec"].(map[string]any)
		if !ok {
			s = map[string]any{}
			obj["spec"] = s
		}
		return s
	}
	if a.Entrypoint != "" {
		spec()["entrypoint"] = a.Entrypoint
	}
	if a.ServiceAccount != "" {
		spec()["serviceAccountName"] = a.ServiceAccount
	}
	if a.Priority != nil {
		spec()["priority"] = int64(*a.Priority)
	}
	if len(a.Labels) > 0 || a.InstanceID != "" {
		labels, ok := md["labels"].(map[string]any)
		if !ok {
			labels = map[string]any{}
			md["labels"] = labels
		}
		for _, l := range a.Labels {
			labels[l.Name] = l.Value
		}
		if a.InstanceID != "" {
			labels[config.LabelControllerInstanceID] = a.InstanceID
		}
	}
	if a.ScheduledTime != "" {
		ann, ok := md["annotations"].(map[string]any)
		if !ok {
			ann = map[string]any{}
			md["annotations"] = ann
		}
		ann["workflows.argoproj.io/scheduled-time"] = a.ScheduledTime
	}
	if len(a.Parameters) > 0 {
		s := spec()
		args, ok := s["arguments"].(map[string]any)
		if !ok {
			args = map[string]any{}
			s["arguments"] = args
		}
		old, _ := args["parameters"].([]any)
		given := map[string]bool{}
		params := make([]any, 0, len(a.Parameters)+len(old))
		for _, p := range a.Parameters {
			given[p.Name] = true
			params = append(params, map[string]any{"name": p.Name, "value": p.Value})
		}
		for _, p := range old {
			if name, _ := asMap(p)["name"].(string); given[name] {
				continue
			}
			params = append(params, p)
		}
		args["parameters"] = params
	}
	if a.GenerateName != "" {
		md["generateName"] = a.GenerateName
	}
	if a.Name != "" {
		md["name"] = a.Name
	}
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
