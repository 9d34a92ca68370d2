package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/fc-eventing/fc-eventing/shared/config"
	"github.com/fc-eventing/fc-eventing/shared/event"
	"github.com/fc-eventing/fc-eventing/shared/sensor"
	"github.com/fc-eventing/fc-eventing/shared/state/memory"
)

func init() {
	register(command{
		name:    "sensor test",
		summary: "feed events to a sensor and print what it would fire",
		run:     runSensorTest,
	})
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// testReport is the output of `sensor test`, as DESIGN.md specifies it.
type testReport struct {
	Dependencies []depReport     `json:"dependencies"`
	Triggers     []triggerReport `json:"triggers"`
}

type depReport struct {
	Name    string `json:"name"`
	Event   int    `json:"event"`
	Matched bool   `json:"matched"`
	Error   string `json:"error"`
}

type triggerReport struct {
	Name      string `json:"name"`
	Fired     bool   `json:"fired"`
	Operation string `json:"operation"`
	// Resource is the object exactly as it would be sent; null for a log
	// trigger or a source the trigger fetches first (see Source).
	Resource map[string]any `json:"resource"`
	// Source is where the trigger would fetch the object from, when it is
	// not in the sensor.
	Source *config.ArtifactLocation `json:"source,omitempty"`
	// Error is why a trigger whose conditions were met could not be
	// resolved.
	Error string `json:"error,omitempty"`
}

func runSensorTest(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("fceventing sensor test", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	sensorPath := fs.String("sensor", "", "Sensor YAML `file`")
	var events stringList
	fs.Var(&events, "event", "CloudEvents JSON `file`; repeat to feed several events in order")
	nowFlag := fs.String("now", "", "the time to evaluate at, RFC3339 (default: the current time)")
	output := fs.String("o", "yaml", "output format: json or yaml")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "usage: fceventing sensor test --sensor SENSOR.yaml --event EVENT.json [--event ...] [--now RFC3339] [-o json|yaml]")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	switch {
	case fs.NArg() > 0:
		return invalid(e, fmt.Errorf("unexpected arguments %q", fs.Args()))
	case *sensorPath == "":
		return invalid(e, errors.New("--sensor is required"))
	case len(events) == 0:
		return invalid(e, errors.New("at least one --event is required"))
	case *output != "json" && *output != "yaml":
		return invalid(e, fmt.Errorf("-o must be json or yaml, got %q", *output))
	}
	now := time.Now
	if *nowFlag != "" {
		t, err := time.Parse(time.RFC3339Nano, *nowFlag)
		if err != nil {
			return invalid(e, fmt.Errorf("--now: %q is not an RFC3339 time", *nowFlag))
		}
		now = func() time.Time { return t }
	}
	s, err := config.LoadSensor(*sensorPath)
	if err != nil {
		return invalid(e, err)
	}
	prog, err := sensor.Compile(s, sensor.Options{State: memory.New(), Now: now})
	if err != nil {
		return invalid(e, config.InFile(*sensorPath, err))
	}
	evs := make([]event.Event, len(events))
	for i, path := range events {
		ev, err := readEvent(path)
		if err != nil {
			return invalid(e, err)
		}
		evs[i] = ev
	}
	report := testReport{Dependencies: []depReport{}, Triggers: []triggerReport{}}
	fired := map[string]bool{}
	for i, ev := range evs {
		res, err := prog.Evaluate(ctx, ev)
		if err != nil {
			fmt.Fprintf(e.stderr, "fceventing: evaluating %s: %v\n", events[i], err)
			return exitFailure
		}
		for _, d := range res.Dependencies {
			r := depReport{Name: d.Name, Event: i, Matched: d.Matched}
			if d.Err != nil {
				r.Error = d.Err.Error()
			}
			report.Dependencies = append(report.Dependencies, r)
		}
		for _, te := range res.TriggerErrors {
			fired[te.Trigger] = true
			report.Triggers = append(report.Triggers, triggerReport{Name: te.Trigger, Error: te.Err.Error()})
		}
		for _, f := range res.Firings {
			fired[f.Trigger] = true
			r := triggerReport{Name: f.Trigger, Fired: true, Operation: f.Operation, Resource: f.Object}
			if f.Object == nil && f.Type != sensor.TypeLog {
				r.Source = f.Source
			}
			report.Triggers = append(report.Triggers, r)
		}
	}
	for _, name := range prog.Triggers() {
		if !fired[name] {
			report.Triggers = append(report.Triggers, triggerReport{Name: name})
		}
	}
	out, err := json.MarshalIndent(report, "", "  ")
	if err != nil {
		fmt.Fprintf(e.stderr, "fceventing: encoding report: %v\n", err)
		return exitFailure
	}
	if *output == "yaml" {
		if out, err = yaml.JSONToYAML(out); err != nil {
			fmt.Fprintf(e.stderr, "fceventing: encoding report: %v\n", err)
			return exitFailure
		}
		_, err = e.stdout.Write(out)
	} else {
		_, err = fmt.Fprintf(e.stdout, "%s\n", out)
	}
	if err != nil {
		return exitFailure
	}
	return exitOK
}

// readEvent reads one CloudEvents JSON file and validates it.
func readEvent(path string) (event.Event, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return event.Event{}, fmt.Errorf("reading event: %w", err)
	}
	var ev event.Event
	if err := json.Unmarshal(b, &ev); err != nil {
		return event.Event{}, fmt.Errorf("%s: %w", path, err)
	}
	if err := ev.Validate(); err != nil {
		return event.Event{}, fmt.Errorf("%s: %w", path, err)
	}
	return ev, nil
}

// invalid reports invalid input and returns exitInvalid.
func invalid(e *env, err error) int {
	fmt.Fprintf(e.stderr, "fceventing: %v\n", err)
	return exitInvalid
}
