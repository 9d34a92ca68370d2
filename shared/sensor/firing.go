package sensor

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/fc-eventing/fc-eventing/shared/config"
	"github.com/fc-eventing/fc-eventing/shared/event"
)

// Trigger types a Firing carries.
const (
	TypeArgoWorkflow = config.TriggerArgoWorkflow
	TypeK8s          = config.TriggerK8s
	TypeLog          = config.TriggerLog
)

// Labels the engine puts on every object it resolves.
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
	// Trigger is the trigger template's name.
	Trigger string
	// Type is "argoWorkflow", "k8s" or "log".
	Type string
	// Operation is the operation with defaults filled in ("submit",
	// "create", ...; "log" for a log trigger).
	Operation string
	// Object is the object exactly as it would be sent: parameters applied,
	// labels set and, where the user gave generateName, the deterministic
	// name. It is nil when Source must be fetched first (file, url,
	// configmap, git, s3, oss): fetch the base object and call Resolve.
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
		if o, err = compileObject("template", f.Spec.Template); err != nil {
			return nil, fmt.Errorf("resolving firing: %w", err)
		}
		if o == nil {
			return nil, fmt.Errorf("resolving firing: a %s trigger has no object", f.Type)
		}
	}
	return o.build(base, f.Events, f.Sensor, f.Namespace, f.Trigger, f.EventIDs)
}

// ObjectName returns the deterministic name for generateName: the prefix
// (cut so the name fits a 63-character DNS label) followed by a short hash
// of the sensor, the trigger and the dependencies and ids of the events
// used. The same events always give the same name.
func ObjectName(generateName, sensor, trigger string, deps, ids []string) string {
	h := sha256.New()
	h.Write([]byte(sensor))
	h.Write([]byte{0})
	h.Write([]byte(trigger))
	for i, id := range ids {
		h.Write([]byte{0})
		if i < len(deps) {
			h.Write([]byte(deps[i]))
		}
		h.Write([]byte{'='})
		h.Write([]byte(id))
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	const hashLen = 10
	prefix := generateName
	if max := 63 - hashLen; len(prefix) > max {
		prefix = prefix[:max]
	}
	var buf [64]byte
	b := append(buf[:0], prefix...)
	b = hex.AppendEncode(b, sum[:hashLen/2])
	return string(b)
}

// build makes the object from base for one firing.
func (o *objectSpec) build(base map[string]any, events map[string]event.Event, sensor, namespace, trigger string, ids []string) (map[string]any, error) {
	obj, err := applyToObject(base, o.params, events)
	if err != nil {
		return nil, err
	}
	if _, ok := obj["metadata"].(map[string]any); !ok && obj["metadata"] != nil {
		return nil, errors.New("object metadata is not an object")
	}
	// metadata is always a fresh map: the trigger may set fields in it.
	out := make(map[string]any, len(obj)+1)
	for k, v := range obj {
		out[k] = v
	}
	md := cloneMap(asMap(obj["metadata"]), 3)
	out["metadata"] = md
	if o.args != nil {
		if err := applySubmitArgs(out, md, o.args); err != nil {
			return nil, err
		}
	}
	if o.creates {
		labels := cloneMap(asMap(md["labels"]), 2)
		labels[LabelSensor] = sensor
		labels[LabelTrigger] = trigger
		md["labels"] = labels
		if name, _ := md["name"].(string); name == "" {
			if gen, _ := md["generateName"].(string); gen != "" {
				md["name"] = ObjectName(gen, sensor, trigger, sortedKeys(events), ids)
			}
		}
	}
	if ns, _ := md["namespace"].(string); ns == "" && namespace != "" {
		md["namespace"] = namespace
	}
	return out, nil
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
// the argo CLI does before creating it. obj and md are fresh maps.
func applySubmitArgs(obj, md map[string]any, a *config.ArgoArgs) error {
	var spec map[string]any
	specFor := func() map[string]any {
		if spec == nil {
			spec = cloneMap(asMap(obj["spec"]), 2)
			obj["spec"] = spec
		}
		return spec
	}
	if a.Entrypoint != "" {
		specFor()["entrypoint"] = a.Entrypoint
	}
	if a.ServiceAccount != "" {
		specFor()["serviceAccountName"] = a.ServiceAccount
	}
	if a.Priority != nil {
		specFor()["priority"] = int64(*a.Priority)
	}
	if len(a.Labels) > 0 {
		labels := cloneMap(asMap(md["labels"]), len(a.Labels))
		for _, l := range a.Labels {
			labels[l.Name] = l.Value
		}
		md["labels"] = labels
	}
	if a.ScheduledTime != "" {
		ann := cloneMap(asMap(md["annotations"]), 1)
		ann["workflows.argoproj.io/scheduled-time"] = a.ScheduledTime
		md["annotations"] = ann
	}
	if len(a.Parameters) > 0 {
		s := specFor()
		args := cloneMap(asMap(s["arguments"]), 1)
		s["arguments"] = args
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
	return nil
}
