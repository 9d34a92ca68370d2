package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

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
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitInvalid
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

// validateFile loads one file and, for a Sensor, compiles it; it returns
// what the file holds ("Sensor NAME").
func validateFile(path string, lookup func(string) (string, bool)) (string, error) {
	data, err := readFile(path)
	if err != nil {
		return "", err
	}
	obj, err := config.ParseFile(path, data, lookup)
	if err != nil {
		return "", err
	}
	switch o := obj.(type) {
	case *config.Sensor:
		if _, err := sensor.Compile(o, sensor.Options{State: memory.New()}); err != nil {
			return "", config.InFile(path, err)
		}
		return "Sensor " + o.Metadata.Name, nil
	case *config.EventSource:
		return "EventSource " + o.Metadata.Name, nil
	}
	return "", fmt.Errorf("%s: unexpected document %T", path, obj)
}
