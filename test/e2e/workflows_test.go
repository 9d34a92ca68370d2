package e2e

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

var workflowsResource = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "workflows"}

const sensorLabel = "events.argoproj.io/sensor"

// workflow is what a test checks of a stored Workflow.
type workflow struct {
	Name    string
	Sensor  string
	Trigger string
	Params  map[string]string
}

func workflowClient(tb testing.TB) dynamic.ResourceInterface {
	tb.Helper()
	dc, err := dynamic.NewForConfig(cluster.AdminConfig())
	if err != nil {
		tb.Fatal(err)
	}
	return dc.Resource(workflowsResource).Namespace(namespace)
}

func toWorkflow(u *unstructured.Unstructured) workflow {
	w := workflow{
		Name: u.GetName(), Sensor: u.GetLabels()[sensorLabel], Trigger: u.GetLabels()["events.argoproj.io/trigger"],
		Params: map[string]string{},
	}
	params, _, _ := unstructured.NestedSlice(u.Object, "spec", "arguments", "parameters")
	for _, p := range params {
		m, _ := p.(map[string]any)
		name, _ := m["name"].(string)
		value, _ := m["value"].(string)
		w.Params[name] = value
	}
	return w
}

// workflowsOf lists the Workflows a Sensor of this pipeline made.
func (p *pipeline) workflowsOf(ctx context.Context, template string) ([]workflow, error) {
	list, err := workflowClient(p.tb).List(ctx, metav1.ListOptions{LabelSelector: sensorLabel + "=" + p.sensorName(template)})
	if err != nil {
		return nil, fmt.Errorf("listing workflows: %w", err)
	}
	out := make([]workflow, len(list.Items))
	for i := range list.Items {
		out[i] = toWorkflow(&list.Items[i])
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// waitWorkflows waits until the Sensor made at least n Workflows, then
// waits settle more to catch any extra, and returns them all.
func (p *pipeline) waitWorkflows(ctx context.Context, template string, n int, settle time.Duration) []workflow {
	p.tb.Helper()
	for {
		got, err := p.workflowsOf(ctx, template)
		if err != nil {
			p.tb.Fatal(err)
		}
		if len(got) >= n {
			if settle > 0 {
				time.Sleep(settle)
				if got, err = p.workflowsOf(ctx, template); err != nil {
					p.tb.Fatal(err)
				}
			}
			return got
		}
		select {
		case <-ctx.Done():
			p.tb.Fatalf("sensor %s: %d workflows, want %d: %v", p.sensorName(template), len(got), n, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// countBy counts Workflows by one parameter: how many exist for each value.
func countBy(wfs []workflow, param string) map[string]int {
	m := map[string]int{}
	for _, w := range wfs {
		m[w.Params[param]]++
	}
	return m
}
