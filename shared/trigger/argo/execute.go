package argo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/fc-eventing/fc-eventing/shared/config"
	"github.com/fc-eventing/fc-eventing/shared/sensor"
)

// Outcome is what a firing did.
type Outcome struct {
	// Trigger, Type and Operation repeat the firing's.
	Trigger   string
	Type      string
	Operation string
	// Resource, Namespace and Name identify the object acted on (for resubmit and submit-from,
	// the new Workflow).
	Resource  schema.GroupVersionResource
	Namespace string
	Name      string
	// Object is the object as the API server returned it (nil for delete and log).
	Object *unstructured.Unstructured
	// Existed is true when a create found the object already there (a redelivered event): the
	// existing object is reported and nothing was changed.
	Existed bool
	// Attempts is how many times the operation was tried (retryStrategy).
	Attempts int
	// PolicyTimedOut is true when policy.k8s labels did not appear in time and
	// errorOnBackoffTimeout is false.
	PolicyTimedOut bool
	// DLQ is set when the trigger failed and its dlqTrigger was carried out instead.
	DLQ *Outcome
	// Err is the trigger's own failure when DLQ carried it.
	Err error
}

// Execute carries out one firing: fetches its source if needed, waits for the rate limit, runs
// the operation with the trigger's retry strategy (transient failures only), checks policy.k8s,
// and on failure fires the dlqTrigger. The error is an *Error. A log trigger does nothing here
// (this package does not print); the caller logs its events.
func (c *Client) Execute(ctx context.Context, f sensor.Firing) (Outcome, error) {
	out := Outcome{Trigger: f.Trigger, Type: f.Type, Operation: f.Operation}
	spec := f.Spec
	if spec == nil {
		spec = &config.Trigger{}
	}
	if err := c.waitRateLimit(ctx, f, spec.RateLimit); err != nil {
		return out, c.fail(f, spec, 0, fmt.Errorf("waiting for rate limit: %w", err))
	}
	backoff, err := newBackoff(spec.RetryStrategy)
	if err != nil {
		return out, c.fail(f, spec, 0, permanent(fmt.Errorf("retryStrategy: %w", err)))
	}
	attempts := 0
	for {
		attempts++
		out, err = c.executeOnce(ctx, f)
		out.Attempts = attempts
		if err == nil || !IsTransient(err) || attempts >= backoff.steps {
			break
		}
		wait := backoff.next()
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			err = fmt.Errorf("%w (retry interrupted: %v)", err, ctx.Err())
		case <-t.C:
			continue
		}
		break
	}
	if err == nil && spec.Policy != nil && spec.Policy.K8s != nil && out.Object != nil {
		out.PolicyTimedOut, err = c.waitLabels(ctx, out, spec.Policy.K8s)
	}
	if err == nil {
		return out, nil
	}
	if spec.DLQTrigger != nil {
		dlq, dlqErr := c.executeDLQ(ctx, f, spec.DLQTrigger)
		if dlqErr == nil {
			out.DLQ = &dlq
			out.Err = err
			return out, nil
		}
		err = fmt.Errorf("%w; dlqTrigger failed too: %v", err, dlqErr)
	}
	return out, c.fail(f, spec, attempts, err)
}

func (c *Client) fail(f sensor.Firing, spec *config.Trigger, attempts int, err error) error {
	var te *Error
	if errors.As(err, &te) {
		return err
	}
	transient := IsTransient(err)
	return &Error{
		Trigger:   f.Trigger,
		Transient: transient,
		Redeliver: transient && spec.AtLeastOnce,
		Attempts:  attempts,
		Err:       err,
	}
}

// executeOnce runs the operation once, fetching and resolving the source first when needed.
func (c *Client) executeOnce(ctx context.Context, f sensor.Firing) (Outcome, error) {
	out := Outcome{Trigger: f.Trigger, Type: f.Type, Operation: f.Operation}
	switch f.Type {
	case sensor.TypeLog:
		return out, nil
	case sensor.TypeArgoWorkflow, sensor.TypeK8s:
	default:
		return out, permanent(fmt.Errorf("trigger type %q is not carried out by this package", f.Type))
	}
	obj, err := c.object(ctx, f)
	if err != nil {
		return out, err
	}
	if f.Type == sensor.TypeArgoWorkflow {
		return c.argoWorkflow(ctx, f, obj, out)
	}
	return c.k8s(ctx, f, obj, out)
}

// object is the firing's object: as resolved by the engine, or fetched from its source and then
// resolved (parameters, labels, deterministic name).
func (c *Client) object(ctx context.Context, f sensor.Firing) (*unstructured.Unstructured, error) {
	if f.Object != nil {
		return &unstructured.Unstructured{Object: deepCopyMap(f.Object)}, nil
	}
	if f.Source == nil {
		return nil, permanent(errors.New("firing has neither an object nor a source"))
	}
	base, err := c.sources.fetch(ctx, f.Namespace, f.Source)
	if err != nil {
		return nil, err
	}
	resolved, err := resolve(f, base)
	if err != nil {
		return nil, permanent(fmt.Errorf("applying parameters to the fetched source: %w", err))
	}
	return &unstructured.Unstructured{Object: resolved}, nil
}

// resolve applies the firing's parameters, labels and name to a fetched base object through
// sensor.Firing.Resolve.
func resolve(f sensor.Firing, base map[string]any) (map[string]any, error) {
	r, ok := any(f).(interface {
		Resolve(map[string]any) (map[string]any, error)
	})
	if !ok {
		return nil, errors.New("this build's sensor.Firing cannot resolve fetched sources")
	}
	return r.Resolve(base)
}

func (c *Client) executeDLQ(ctx context.Context, f sensor.Firing, dlq *config.Trigger) (Outcome, error) {
	if dlq.Template == nil {
		return Outcome{}, permanent(errors.New("dlqTrigger has no template"))
	}
	df := sensor.Firing{
		Sensor:    f.Sensor,
		Namespace: f.Namespace,
		Trigger:   dlq.Template.Name,
		Spec:      dlq,
		Events:    f.Events,
		EventIDs:  f.EventIDs,
	}
	switch {
	case dlq.Template.ArgoWorkflow != nil:
		df.Type, df.Operation, df.Source = sensor.TypeArgoWorkflow, string(dlq.Template.ArgoWorkflow.Operation), dlq.Template.ArgoWorkflow.Source
		if df.Operation == "" {
			df.Operation = string(config.ArgoSubmit)
		}
	case dlq.Template.K8s != nil:
		df.Type, df.Operation, df.Source = sensor.TypeK8s, string(dlq.Template.K8s.Operation), dlq.Template.K8s.Source
		if df.Operation == "" {
			df.Operation = string(config.K8sCreate)
		}
	case dlq.Template.Log != nil:
		df.Type, df.Operation = sensor.TypeLog, "log"
	default:
		return Outcome{}, permanent(errors.New("dlqTrigger has no argoWorkflow, k8s or log template"))
	}
	// The dead-letter trigger runs once, without its own dlqTrigger.
	spec := *dlq
	spec.DLQTrigger = nil
	df.Spec = &spec
	return c.Execute(ctx, df)
}

// backoff is a retryStrategy: Steps tries in all, waits growing by Factor, with Jitter.
type backoff struct {
	steps    int
	duration time.Duration
	factor   float64
	jitter   float64
}

func newBackoff(b *config.Backoff) (*backoff, error) {
	// Without retryStrategy a trigger is tried once, as in Argo Events.
	bo := &backoff{steps: 1, duration: time.Second, factor: 1}
	if b == nil {
		return bo, nil
	}
	if b.Steps > 0 {
		bo.steps = int(b.Steps)
	}
	if b.Duration != nil {
		d, err := b.Duration.Duration()
		if err != nil {
			return nil, err
		}
		if d < 0 {
			return nil, fmt.Errorf("duration %v is negative", d)
		}
		bo.duration = d
	}
	if b.Factor != nil {
		f, err := b.Factor.Float64()
		if err != nil {
			return nil, fmt.Errorf("factor: %w", err)
		}
		if f > 0 {
			bo.factor = f
		}
	}
	if b.Jitter != nil {
		j, err := b.Jitter.Float64()
		if err != nil {
			return nil, fmt.Errorf("jitter: %w", err)
		}
		if j < 0 {
			return nil, fmt.Errorf("jitter %v is negative", j)
		}
		bo.jitter = j
	}
	return bo, nil
}

func (b *backoff) next() time.Duration {
	d := b.duration
	if b.jitter > 0 {
		d += time.Duration(rand.Float64() * b.jitter * float64(d))
	}
	b.duration = time.Duration(float64(b.duration) * b.factor)
	return d
}

// deepCopyMap copies the maps and slices of a JSON-like object; scalars are shared.
func deepCopyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = deepCopyValue(v)
	}
	return out
}

func deepCopyValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return deepCopyMap(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopyValue(e)
		}
		return out
	}
	return v
}
