// Package sensorenv builds the parts of the sensor function from its
// environment (the variables DESIGN.md and docs/deploy.md list): the
// connection to the workflow cluster, the conditions state chosen by
// FCE_STATE, and the decoding of the SMQ queue trigger's batches with the
// large-payload store and the dead-letter queue.
package sensorenv

import (
	"context"
	"fmt"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/fc-eventing/fc-eventing/shared/bus/ossref"
	"github.com/fc-eventing/fc-eventing/shared/bus/smq"
	"github.com/fc-eventing/fc-eventing/shared/sensor"
	kubestate "github.com/fc-eventing/fc-eventing/shared/state/kubernetes"
	"github.com/fc-eventing/fc-eventing/shared/state/memory"
	natsstate "github.com/fc-eventing/fc-eventing/shared/state/nats"
	"github.com/fc-eventing/fc-eventing/shared/trigger/argo"
)

// Environment variables read here (besides those of shared/bus/smq and
// shared/bus/ossref).
const (
	EnvKubeconfig     = "KUBECONFIG"
	EnvAPIServer      = argo.EnvAPIServer
	EnvToken          = argo.EnvToken
	EnvCAData         = argo.EnvCAData
	EnvState          = "FCE_STATE"
	EnvStateNamespace = "FCE_STATE_NAMESPACE"
	EnvNATSURL        = "FCE_NATS_URL"
)

// RESTConfig is the connection to the workflow cluster: the kubeconfig
// named by KUBECONFIG, else FCE_KUBE_API_SERVER with FCE_KUBE_TOKEN and
// FCE_KUBE_CA_DATA (PEM or base64 of PEM), else the in-cluster
// configuration.
func RESTConfig(getenv func(string) string) (*rest.Config, error) {
	if path := getenv(EnvKubeconfig); path != "" {
		rc, err := clientcmd.BuildConfigFromFlags("", path)
		if err != nil {
			return nil, fmt.Errorf("loading kubeconfig %s: %w", path, err)
		}
		return rc, nil
	}
	if host := getenv(EnvAPIServer); host != "" {
		return argo.TokenConfig(host, getenv(EnvToken), getenv(EnvCAData))
	}
	rc, err := rest.InClusterConfig()
	if err != nil {
		return nil, fmt.Errorf("no %s, no %s and not in a cluster: %w", EnvKubeconfig, EnvAPIServer, err)
	}
	return rc, nil
}

// State is the conditions state FCE_STATE names: "kubernetes" (the
// default: ConfigMaps in FCE_STATE_NAMESPACE of the cluster rc reaches),
// "nats" (JetStream key-value at FCE_NATS_URL) or "memory" (this instance
// only: right for one instance, wrong for several). close releases what
// the state holds.
func State(ctx context.Context, getenv func(string) string, rc *rest.Config) (st sensor.State, close func(), err error) {
	switch kind := getenv(EnvState); kind {
	case "", "kubernetes":
		ns := getenv(EnvStateNamespace)
		if ns == "" {
			return nil, nil, fmt.Errorf("%s=kubernetes: %s is not set", EnvState, EnvStateNamespace)
		}
		s, err := kubestate.New(rc, kubestate.Options{Namespace: ns})
		if err != nil {
			return nil, nil, fmt.Errorf("%s=kubernetes: %w", EnvState, err)
		}
		return s, func() {}, nil
	case "nats":
		url := getenv(EnvNATSURL)
		if url == "" {
			return nil, nil, fmt.Errorf("%s=nats: %s is not set", EnvState, EnvNATSURL)
		}
		s, err := natsstate.Connect(ctx, url, natsstate.Options{})
		if err != nil {
			return nil, nil, fmt.Errorf("%s=nats: %w", EnvState, err)
		}
		return s, s.Close, nil
	case "memory":
		return memory.New(), func() {}, nil
	default:
		return nil, nil, fmt.Errorf("%s=%q: unknown conditions state (want kubernetes, nats or memory)", EnvState, kind)
	}
}

// Push decodes the SMQ queue trigger's batches: events carried by
// reference are fetched from the FCE_OSS_* store, and, when FCE_SMQ_DLQ is
// set, events that can never be carried out go to that queue (the batch
// then succeeds); without it they fail the batch and the trigger's own
// retries and dead-letter queue take over.
func Push(getenv func(string) string) (*smq.Push, error) {
	p := &smq.Push{}
	oc, ok, err := ossref.ConfigFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	if ok {
		store, err := ossref.New(oc)
		if err != nil {
			return nil, fmt.Errorf("large-payload store: %w", err)
		}
		p.Blobs = store
	}
	if getenv(smq.EnvDeadLetter) != "" {
		cfg, err := smq.ConfigFromEnv(getenv)
		if err != nil {
			return nil, fmt.Errorf("dead-letter queue: %w", err)
		}
		if cfg.AccessKeyID == "" || cfg.AccessKeySecret == "" {
			// The SMQ SDK panics on empty credentials; FC always sets them
			// for the function's role.
			return nil, fmt.Errorf("dead-letter queue: %s and %s are not set", ossref.EnvKeyID, ossref.EnvSecret)
		}
		cfg.Queue, cfg.Topic = cfg.DeadLetterQueue, ""
		dlq, err := smq.New(cfg)
		if err != nil {
			return nil, fmt.Errorf("dead-letter queue: %w", err)
		}
		p.DeadLetter = dlq
	}
	return p, nil
}
