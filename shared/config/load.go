package config

import (
	"fmt"
	"os"

	"sigs.k8s.io/yaml"
)

// LoadFile reads a Sensor or EventSource file and returns a *Sensor or an
// *EventSource according to its kind. Secrets of an EventSource are
// resolved from the environment, as LoadEventSource does.
func LoadFile(path string) (any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return ParseFile(path, data, os.LookupEnv)
}

// ParseFile decodes a Sensor or EventSource document by its kind; lookup
// resolves EventSource secrets. An unknown or missing kind is a *FieldError
// on path "kind".
func ParseFile(file string, data []byte, lookup func(string) (string, bool)) (any, error) {
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := yaml.Unmarshal(data, &head); err != nil {
		return nil, InFile(file, &FieldError{Msg: fmt.Sprintf("decoding YAML: %v", cleanYAMLError(err))})
	}
	switch head.Kind {
	case SensorKind:
		return ParseSensor(file, data)
	case EventSourceKind:
		return ParseEventSourceEnv(file, data, lookup)
	case "":
		return nil, InFile(file, Fieldf("kind", "is required (Sensor or EventSource)"))
	}
	return nil, InFile(file, Fieldf("kind", "unknown kind %q (Sensor or EventSource)", head.Kind))
}
