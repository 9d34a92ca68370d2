package source

import (
	"maps"
	"slices"

	"github.com/fc-eventing/fc-eventing/shared/config"
)

// Target is one configured event of a kind that takes FC payloads (oss,
// mns, eventbridge): who its events are, its configuration, its compiled
// filter.
type Target[S any] struct {
	Meta   Meta
	Spec   S
	Filter *Filter
}

// Targets collects the events of kind from sources, in source order and by
// event name within a source, compiling each filter once. pick selects the
// kind's events from a spec, filter the filter of one of them. A filter
// that does not compile is a *config.FieldError in the EventSource's file.
func Targets[S any](sources []*config.EventSource, kind string, pick func(*config.EventSourceSpec) map[string]S,
	filter func(S) *config.EventSourceFilter) ([]Target[S], error) {
	var out []Target[S]
	for _, es := range sources {
		events := pick(&es.Spec)
		for _, n := range Names(events) {
			spec := events[n]
			f, err := CompileFilter(config.Path("spec", kind, n), filter(spec))
			if err != nil {
				return nil, config.InFile(es.Metadata.Name, err)
			}
			out = append(out, Target[S]{Meta: Meta{EventSource: es.Metadata.Name, Event: n, Kind: kind}, Spec: spec, Filter: f})
		}
	}
	return out, nil
}

// Names are the event names of one kind's map, sorted, so that events are
// built and routed in the same order on every load.
func Names[S any](events map[string]S) []string {
	return slices.Sorted(maps.Keys(events))
}
