// Command sensor is the FC function behind the SMQ queue trigger: it
// evaluates every event of a batch against the Sensors of its
// configuration and submits what they fire to the workflow cluster,
// answering success only when every firing exists.
package main

import (
	"context"
	"os"

	"github.com/fc-eventing/fc-eventing/shared/dispatch"
	"github.com/fc-eventing/fc-eventing/shared/dispatch/sensorenv"
	"github.com/fc-eventing/fc-eventing/shared/fc"
	"github.com/fc-eventing/fc-eventing/shared/trigger/argo"
)

func main() {
	ctx := context.Background()
	log := fc.Logger(ctx).WithField(fc.FieldFunction, "sensor")
	rc, err := sensorenv.RESTConfig(os.Getenv)
	if err != nil {
		log.WithError(err).Fatal("configuring the workflow cluster")
	}
	client, err := argo.New(argo.Config{REST: rc})
	if err != nil {
		log.WithError(err).Fatal("building the trigger client")
	}
	state, closeState, err := sensorenv.State(ctx, os.Getenv, rc)
	if err != nil {
		log.WithError(err).Fatal("opening the conditions state")
	}
	defer closeState()
	d, err := dispatch.Load(fc.ConfigDir(), client, dispatch.Options{State: state, Log: fc.Logger})
	if err != nil {
		log.WithError(err).Fatal("loading sensors")
	}
	push, err := sensorenv.Push(os.Getenv)
	if err != nil {
		log.WithError(err).Fatal("configuring the bus")
	}
	fc.Start(d.PushFunction(push))
}
