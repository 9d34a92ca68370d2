package config

import (
	"bytes"
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
	if err := singleDocument(file, data); err != nil {
		return nil, err
	}
	kind, err := DocumentKind(data)
	if err != nil {
		return nil, InFile(file, &FieldError{Msg: fmt.Sprintf("decoding YAML: %v", cleanYAMLError(err))})
	}
	switch kind {
	case SensorKind:
		return ParseSensor(file, data)
	case EventSourceKind:
		return ParseEventSourceEnv(file, data, lookup)
	case "":
		return nil, InFile(file, Fieldf("kind", "is required (Sensor or EventSource)"))
	}
	return nil, InFile(file, Fieldf("kind", "unknown kind %q (Sensor or EventSource)", kind))
}

// DocumentKind reads the kind of one YAML document.
func DocumentKind(data []byte) (string, error) {
	var head struct {
		Kind string `json:"kind"`
	}
	if err := yaml.Unmarshal(data, &head); err != nil {
		return "", err
	}
	return head.Kind, nil
}

// SplitDocuments splits a YAML stream at its "---" separator lines and
// drops documents that hold only comments and blank lines.
func SplitDocuments(data []byte) [][]byte {
	var docs [][]byte
	var cur []byte
	flush := func() {
		if hasContent(cur) {
			docs = append(docs, cur)
		}
		cur = nil
	}
	for _, line := range bytes.SplitAfter(data, []byte("\n")) {
		t := bytes.TrimRight(line, " \t\r\n")
		if bytes.Equal(t, []byte("---")) || bytes.HasPrefix(t, []byte("--- ")) || bytes.HasPrefix(t, []byte("---\t")) {
			flush()
			continue
		}
		cur = append(cur, line...)
	}
	flush()
	return docs
}

func hasContent(doc []byte) bool {
	for _, line := range bytes.Split(doc, []byte("\n")) {
		t := bytes.TrimSpace(line)
		if len(t) > 0 && t[0] != '#' {
			return true
		}
	}
	return false
}

// singleDocument rejects a stream of several YAML documents, which the
// YAML decoder would silently cut to the first.
func singleDocument(file string, data []byte) error {
	if n := len(SplitDocuments(data)); n > 1 {
		return InFile(file, &FieldError{Msg: fmt.Sprintf("holds %d YAML documents; give one per file", n)})
	}
	return nil
}
