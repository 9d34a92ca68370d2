package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/fc-eventing/fc-eventing/shared/config"
	"github.com/fc-eventing/fc-eventing/shared/sensor"
	"github.com/fc-eventing/fc-eventing/shared/state/memory"
)

func init() {
	register(command{
		name:    "validate",
		summary: "check Sensor and EventSource YAML files",
		run:     runValidate,
	})
}

func runValidate(_ context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("fceventing validate", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	placeholder := fs.Bool("placeholder-secrets", false,
		"treat every EventSource secret as set, to check files where the secrets' environment variables are not")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "usage: fceventing validate [--placeholder-secrets] FILE...")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() == 0 {
		return invalid(e, errors.New("validate: at least one FILE is required"))
	}
	lookup := e.getenv
	if *placeholder {
		lookup = func(string) (string, bool) { return "placeholder", true }
	}
	for _, path := range fs.Args() {
		desc, err := validateFile(path, lookup)
		if err != nil {
			return invalid(e, err)
		}
		fmt.Fprintf(e.stdout, "%s: valid %s\n", path, desc)
	}
	return exitOK
}

// validateFile loads every document of one file and compiles each
// Sensor; it returns what the file holds ("Sensor NAME"). A file of
// several documents names the failing one as FILE#N.
func validateFile(path string, lookup func(string) (string, bool)) (string, error) {
	data, err := readFile(path)
	if err != nil {
		return "", err
	}
	docs := config.SplitDocuments(data)
	if len(docs) == 0 {
		return "", fmt.Errorf("%s: no YAML document", path)
	}
	var descs []string
	checked := 0
	for i, doc := range docs {
		name := path
		if len(docs) > 1 {
			name = fmt.Sprintf("%s#%d", path, i+1)
			// Other objects applied with a Sensor (a WorkflowTemplate, ...)
			// are not fc-eventing's to check.
			if kind, err := config.DocumentKind(doc); err == nil && kind != config.SensorKind && kind != config.EventSourceKind {
				descs = append(descs, "skipped "+kind)
				continue
			}
		}
		checked++
		obj, err := config.ParseFile(name, doc, lookup)
		if err != nil {
			return "", err
		}
		switch o := obj.(type) {
		case *config.Sensor:
			if _, err := sensor.Compile(o, sensor.Options{State: memory.New()}); err != nil {
				return "", config.InFile(name, err)
			}
			descs = append(descs, "Sensor "+o.Metadata.Name)
		case *config.EventSource:
			descs = append(descs, "EventSource "+o.Metadata.Name)
		default:
			return "", fmt.Errorf("%s: unexpected document %T", name, obj)
		}
	}
	if checked == 0 {
		return "", fmt.Errorf("%s: no Sensor or EventSource document", path)
	}
	return strings.Join(descs, ", "), nil
}
