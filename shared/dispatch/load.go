package dispatch

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/yaml"

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
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		switch strings.ToLower(filepath.Ext(path)) {
		case ".yaml", ".yml", ".json":
		default:
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("reading sensor: %w", err)
		}
		var head struct {
			Kind string `json:"kind"`
		}
		if err := yaml.Unmarshal(data, &head); err != nil {
			return config.InFile(path, &config.FieldError{Msg: fmt.Sprintf("decoding YAML: %v", err)})
		}
		if head.Kind != config.SensorKind {
			return nil
		}
		s, err := config.ParseSensor(path, data)
		if err != nil {
			return err
		}
		key := s.Metadata.Namespace + "/" + s.Metadata.Name
		if prev, ok := byName[key]; ok {
			return config.InFile(path, config.Fieldf("metadata.name", "sensor %q is also defined in %s", key, prev))
		}
		byName[key] = path
		out = append(out, s)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("loading sensors from %s: %w", dir, err)
	}
	return out, nil
}
