// Command sensor is the FC function behind the SMQ queue trigger: it
// evaluates every event of a batch against the Sensors of its
// configuration and submits what they fire to the workflow cluster,
// answering success only when every firing exists.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/fc-eventing/fc-eventing/shared/dispatch"
	"github.com/fc-eventing/fc-eventing/shared/dispatch/sensorenv"
	"github.com/fc-eventing/fc-eventing/shared/fc"
	"github.com/fc-eventing/fc-eventing/shared/trigger/argo"
)

func main() {
	ctx := context.Background()
	log := fc.Logger(ctx).WithField(fc.FieldFunction, "sensor")
	// The runtime polls for the first batch while the function sets up.
	fc.StartLoading(log, func() (fc.Invoker, error) {
		rc, err := sensorenv.RESTConfig(os.Getenv)
		if err != nil {
			return nil, fmt.Errorf("configuring the workflow cluster: %w", err)
		}
		client, err := argo.New(argo.Config{REST: rc})
		if err != nil {
			return nil, fmt.Errorf("building the trigger client: %w", err)
		}
		// The connection to the cluster opens while the Sensors compile.
		go func() { _ = client.Warm(ctx) }()
		// The state lives as long as the process: the FC loop never returns.
		state, _, err := sensorenv.State(ctx, os.Getenv, rc)
		if err != nil {
			return nil, fmt.Errorf("opening the conditions state: %w", err)
		}
		d, err := dispatch.Load(fc.ConfigDir(), client, dispatch.Options{State: state, Log: fc.Logger})
		if err != nil {
			return nil, fmt.Errorf("loading sensors: %w", err)
		}
		push, err := sensorenv.Push(os.Getenv)
		if err != nil {
			return nil, fmt.Errorf("configuring the bus: %w", err)
		}
		return fc.Handler(d.PushFunction(push)), nil
	})
}
