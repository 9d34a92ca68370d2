package argo_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/rest"

	"github.com/fc-eventing/fc-eventing/shared/config"
	"github.com/fc-eventing/fc-eventing/shared/event"
	"github.com/fc-eventing/fc-eventing/shared/sensor"
	"github.com/fc-eventing/fc-eventing/shared/trigger/argo"
)

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func eventWithID(e event.Event, id string) event.Event {
	e.ID = id
	return e
}

func backoffSteps(steps int32) *config.Backoff {
	d := config.Int64OrString{IsString: true, String: "10ms"}
	f := config.Amount("2")
	return &config.Backoff{Duration: &d, Factor: &f, Steps: steps}
}

// deadServer is a loopback address nothing listens on: every request fails to connect.
func deadServer(t *testing.T) *rest.Config {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cfg := cluster.AdminConfig()
	cfg.Host = "https://" + addr
	cfg.Timeout = 2 * time.Second
	return cfg
}

func TestRetryStrategyTransientOnly(t *testing.T) {
	ctx := context.Background()
	t.Run("transient", func(t *testing.T) {
		c := newClient(t, func(cfg *argo.Config) { cfg.REST = deadServer(t) })
		f := firing("default", "build", sensor.TypeArgoWorkflow, "submit", obj(t, helloWorkflow("x")))
		f.Spec.RetryStrategy = backoffSteps(3)
		start := time.Now()
		_, err := c.Execute(ctx, f)
		var te *argo.Error
		if !errors.As(err, &te) || !te.Transient || te.Attempts != 3 || !errors.Is(err, argo.ErrTransient) {
			t.Fatalf("got %#v, want a transient failure after 3 attempts", err)
		}
		// 10ms + 20ms of backoff between the three attempts.
		if el := time.Since(start); el < 30*time.Millisecond {
			t.Fatalf("3 attempts took %v, shorter than the backoff", el)
		}
	})
	t.Run("permanent", func(t *testing.T) {
		c := newClient(t)
		ns := namespace(t)
		// A name the API server refuses as Invalid (422).
		bad := obj(t, helloWorkflow("Bad_Name"))
		f := firing(ns, "build", sensor.TypeArgoWorkflow, "submit", bad)
		f.Spec.RetryStrategy = backoffSteps(5)
		_, err := c.Execute(ctx, f)
		var te *argo.Error
		if !errors.As(err, &te) || te.Transient || te.Attempts != 1 || !errors.Is(err, argo.ErrPermanent) {
			t.Fatalf("got %#v, want an invalid object refused once", err)
		}
		if !strings.Contains(err.Error(), "Invalid") && !strings.Contains(err.Error(), "invalid") {
			t.Fatalf("error %q does not say invalid", err)
		}
	})
}

func TestAtLeastOnce(t *testing.T) {
	ctx := context.Background()
	c := newClient(t, func(cfg *argo.Config) { cfg.REST = deadServer(t) })
	for _, atLeastOnce := range []bool{true, false} {
		f := firing("default", "build", sensor.TypeArgoWorkflow, "submit", obj(t, helloWorkflow("x")))
		f.Spec.AtLeastOnce = atLeastOnce
		_, err := c.Execute(ctx, f)
		var te *argo.Error
		if !errors.As(err, &te) {
			t.Fatalf("got %v", err)
		}
		if te.Redeliver != atLeastOnce {
			t.Errorf("atLeastOnce %v: Redeliver = %v", atLeastOnce, te.Redeliver)
		}
	}
}

func TestRateLimit(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	ns := namespace(t)
	start := time.Now()
	for i := range 4 {
		f := firing(ns, "limited", sensor.TypeK8s, "create",
			obj(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: rl-`+string(rune('a'+i))+`}}`))
		f.Spec.RateLimit = &config.RateLimit{Unit: config.Second, RequestsPerUnit: 2}
		if _, err := c.Execute(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	// A burst of 2, then one every 500ms: the 4th fires after about 1s.
	if el := time.Since(start); el < 900*time.Millisecond {
		t.Fatalf("4 firings at 2/Second took %v", el)
	}
}

func TestPolicyK8sLabels(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	ns := namespace(t)
	d := config.Int64OrString{IsString: true, String: "20ms"}
	wait := &config.Backoff{Duration: &d, Steps: 3}

	// Labels already there: success.
	f := firing(ns, "p", sensor.TypeK8s, "create", obj(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: ok, labels: {ready: "true"}}}`))
	f.Spec.Policy = &config.TriggerPolicy{K8s: &config.K8SResourcePolicy{Labels: map[string]string{"ready": "true"}, Backoff: wait}}
	out, err := c.Execute(ctx, f)
	if err != nil || out.PolicyTimedOut {
		t.Fatalf("labels present: %v timedOut=%v", err, out.PolicyTimedOut)
	}

	// Labels that never come: reported, an error only with errorOnBackoffTimeout.
	f = firing(ns, "p", sensor.TypeK8s, "create", obj(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: never}}`))
	f.Spec.Policy = &config.TriggerPolicy{K8s: &config.K8SResourcePolicy{Labels: map[string]string{"ready": "true"}, Backoff: wait}}
	out, err = c.Execute(ctx, f)
	if err != nil || !out.PolicyTimedOut {
		t.Fatalf("labels absent: %v timedOut=%v, want success with PolicyTimedOut", err, out.PolicyTimedOut)
	}
	f.Spec.Policy.K8s.ErrorOnBackoffTimeout = true
	if _, err = c.Execute(ctx, f); err == nil || !strings.Contains(err.Error(), "did not get labels") {
		t.Fatalf("labels absent with errorOnBackoffTimeout: %v", err)
	}
}

func TestDLQTrigger(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	ns := namespace(t)
	// The trigger submits to a WorkflowTemplate that does not exist; its dlqTrigger records the
	// failure as a ConfigMap.
	f := firing(ns, "release", sensor.TypeArgoWorkflow, "submit-from", obj(t, `{kind: WorkflowTemplate, metadata: {name: missing}}`))
	inline := `{apiVersion: v1, kind: ConfigMap, metadata: {generateName: failed-release-}, data: {reason: trigger failed}}`
	f.Spec.DLQTrigger = &config.Trigger{Template: &config.TriggerTemplate{
		Name: "record-failure",
		K8s:  &config.StandardK8STrigger{Operation: config.K8sCreate, Source: &config.ArtifactLocation{Inline: &inline}},
	}}
	out, err := c.Execute(ctx, f)
	if err != nil {
		t.Fatalf("failed trigger with a working dlqTrigger: %v", err)
	}
	if out.Err == nil || !strings.Contains(out.Err.Error(), "missing") || out.DLQ == nil {
		t.Fatalf("outcome %+v, want the trigger's error and the dlq outcome", out)
	}
	if !strings.HasPrefix(out.DLQ.Name, "failed-release-") {
		t.Fatalf("dlq object %q", out.DLQ.Name)
	}
	cm := get(t, configMapsGVR, ns, out.DLQ.Name)
	if cm.GetLabels()[sensor.LabelTrigger] != "record-failure" {
		t.Fatalf("dlq object labels %v", cm.GetLabels())
	}
}
