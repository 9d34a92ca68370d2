package dispatch

import (
	"fmt"
	"os"

	"github.com/fc-eventing/fc-eventing/shared/config"
)

// LoadSensors reads every Sensor in dir and its subdirectories (*.yaml,
// *.yml, *.json, in lexical order; documents of other kinds, such as
// EventSources, are skipped). An invalid Sensor is an error naming its file
// and field path; two Sensors with the same namespace and name are an error
// naming both files, because they would share conditions state.
func LoadSensors(dir string) ([]*config.Sensor, error) {
	var out []*config.Sensor
	byName := map[string]string{}
	for path, err := range config.YAMLFiles(dir) {
		var s *config.Sensor
		if err == nil {
			s, err = loadSensorFile(path, byName)
		}
		if err != nil {
			return nil, fmt.Errorf("loading sensors from %s: %w", dir, err)
		}
		if s != nil {
			out = append(out, s)
		}
	}
	return out, nil
}

// loadSensorFile reads the Sensor in path and records its namespace/name in
// byName; nil when the file holds a document of another kind. A key
// already in byName is an error naming both files.
func loadSensorFile(path string, byName map[string]string) (*config.Sensor, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading sensor: %w", err)
	}
	kind, err := config.DocumentKind(data)
	if err != nil {
		return nil, config.InFile(path, &config.FieldError{Msg: fmt.Sprintf("decoding YAML: %v", err)})
	}
	if kind != config.SensorKind {
		return nil, nil
	}
	s, err := config.ParseSensor(path, data)
	if err != nil {
		return nil, err
	}
	key := s.Metadata.Namespace + "/" + s.Metadata.Name
	if prev, ok := byName[key]; ok {
		return nil, config.InFile(path, config.Fieldf("metadata.name", "sensor %q is also defined in %s", key, prev))
	}
	byName[key] = path
	return s, nil
}
