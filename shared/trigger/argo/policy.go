package argo

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/time/rate"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fc-eventing/fc-eventing/shared/config"
	"github.com/fc-eventing/fc-eventing/shared/sensor"
)

// limiter is one trigger's rate limit; the spec it was built from is kept so a changed sensor
// gets a new one.
type limiter struct {
	spec config.RateLimit
	lim  *rate.Limiter
}

// waitRateLimit blocks until the trigger may fire under its rateLimit (requestsPerUnit per unit,
// per sensor and trigger, in this process).
func (c *Client) waitRateLimit(ctx context.Context, f sensor.Firing, rl *config.RateLimit) error {
	if rl == nil || rl.RequestsPerUnit <= 0 {
		return nil
	}
	var unit time.Duration
	switch rl.Unit {
	case config.Second, "":
		unit = time.Second
	case config.Minute:
		unit = time.Minute
	case config.Hour:
		unit = time.Hour
	default:
		return permanent(fmt.Errorf("rateLimit unit %q is not Second, Minute or Hour", rl.Unit))
	}
	key := f.Namespace + "/" + f.Sensor + "/" + f.Trigger
	c.mu.Lock()
	l := c.limiters[key]
	if l == nil || l.spec != *rl {
		every := unit / time.Duration(rl.RequestsPerUnit)
		l = &limiter{spec: *rl, lim: rate.NewLimiter(rate.Every(every), int(rl.RequestsPerUnit))}
		c.limiters[key] = l
	}
	c.mu.Unlock()
	return l.lim.Wait(ctx)
}

// waitLabels polls the object until it carries every label of policy.k8s, on the policy's
// backoff. It reports a timeout as an error only when errorOnBackoffTimeout is set.
func (c *Client) waitLabels(ctx context.Context, out Outcome, p *config.K8SResourcePolicy) (timedOut bool, err error) {
	if len(p.Labels) == 0 {
		return false, nil
	}
	bo, err := newBackoff(p.Backoff)
	if err != nil {
		return false, permanent(fmt.Errorf("policy.k8s.backoff: %w", err))
	}
	ri := c.dyn.Resource(out.Resource).Namespace(out.Namespace)
	obj := out.Object
	for step := 1; ; step++ {
		if hasLabels(obj.GetLabels(), p.Labels) {
			return false, nil
		}
		if step >= bo.steps {
			break
		}
		t := time.NewTimer(bo.next())
		select {
		case <-ctx.Done():
			t.Stop()
			return false, fmt.Errorf("waiting for labels %v on %s/%s: %w", p.Labels, out.Namespace, out.Name, ctx.Err())
		case <-t.C:
		}
		got, err := ri.Get(ctx, out.Name, metav1.GetOptions{})
		if err != nil {
			return false, fmt.Errorf("reading %s/%s for policy labels: %w", out.Namespace, out.Name, err)
		}
		obj = got
	}
	if p.ErrorOnBackoffTimeout {
		return true, permanent(fmt.Errorf("policy: %s/%s did not get labels %v in %d checks", out.Namespace, out.Name, p.Labels, bo.steps))
	}
	return true, nil
}

func hasLabels(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}
