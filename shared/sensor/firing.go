package sensor

import (
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
}
