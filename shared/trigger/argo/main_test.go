package argo_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"

	"github.com/fc-eventing/fc-eventing/shared/config"
	"github.com/fc-eventing/fc-eventing/shared/event"
	"github.com/fc-eventing/fc-eventing/shared/sensor"
	"github.com/fc-eventing/fc-eventing/shared/trigger/argo"
	"github.com/fc-eventing/fc-eventing/test/kube"
)

var cluster *kube.Server

func TestMain(m *testing.M) { os.Exit(kube.Run(m, &cluster)) }

var nsSeq atomic.Int64

// namespace makes a fresh namespace for one test.
func namespace(t testing.TB) string {
	t.Helper()
	ns := fmt.Sprintf("t%d-%s", nsSeq.Add(1), strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name())))
	if len(ns) > 63 {
		ns = strings.TrimRight(ns[:63], "-")
	}
	if err := cluster.EnsureNamespace(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
	return ns
}

// newClient is a trigger client as the cluster admin.
func newClient(t testing.TB, mod ...func(*argo.Config)) *argo.Client {
	t.Helper()
	cfg := argo.Config{REST: cluster.AdminConfig()}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := argo.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func admin(t testing.TB) *dynamic.DynamicClient {
	t.Helper()
	dc, err := dynamic.NewForConfig(cluster.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	return dc
}

var workflowsGVR = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "workflows"}

// obj decodes a YAML object.
func obj(t testing.TB, y string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(y), &m); err != nil {
		t.Fatalf("test object: %v", err)
	}
	return m
}

// put creates an object as the admin.
func put(t testing.TB, gvr schema.GroupVersionResource, ns, y string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{Object: obj(t, y)}
	var ri dynamic.ResourceInterface = admin(t).Resource(gvr)
	if ns != "" {
		ri = admin(t).Resource(gvr).Namespace(ns)
	}
	got, err := ri.Create(context.Background(), u, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating %s: %v", gvr.Resource, err)
	}
	return got
}

func get(t testing.TB, gvr schema.GroupVersionResource, ns, name string) *unstructured.Unstructured {
	t.Helper()
	got, err := admin(t).Resource(gvr).Namespace(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("reading %s %s/%s: %v", gvr.Resource, ns, name, err)
	}
	return got
}

func gone(t testing.TB, gvr schema.GroupVersionResource, ns, name string) bool {
	t.Helper()
	_, err := admin(t).Resource(gvr).Namespace(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
	return apierrors.IsNotFound(err)
}

func str(u *unstructured.Unstructured, path ...string) string {
	s, _, _ := unstructured.NestedString(u.Object, path...)
	return s
}

func labels(u *unstructured.Unstructured) map[string]string { return u.GetLabels() }

// helloWorkflow is a minimal valid Workflow.
func helloWorkflow(name string) string {
	return `
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  name: ` + name + `
spec:
  entrypoint: main
  arguments:
    parameters:
      - name: message
        value: hello
  templates:
    - name: main
      container:
        image: busybox
        command: [echo, "{{workflow.parameters.message}}"]
`
}

// firing builds the firing the engine would hand over for an argoWorkflow or k8s trigger.
func firing(ns, trigger, typ, op string, object map[string]any, ids ...string) sensor.Firing {
	spec := &config.Trigger{Template: &config.TriggerTemplate{Name: trigger}}
	switch typ {
	case sensor.TypeArgoWorkflow:
		spec.Template.ArgoWorkflow = &config.ArgoWorkflowTrigger{Operation: config.ArgoWorkflowOperation(op)}
	case sensor.TypeK8s:
		spec.Template.K8s = &config.StandardK8STrigger{Operation: config.KubernetesResourceOperation(op)}
	}
	if len(ids) == 0 {
		ids = []string{"event-1"}
	}
	events := map[string]event.Event{}
	for i, id := range ids {
		events[fmt.Sprintf("dep%d", i)] = event.Event{ID: id, Source: "webhook", Subject: "push", Type: "webhook", Time: time.Unix(1764720000, 0)}
	}
	return sensor.Firing{
		Sensor: "ci", Namespace: ns, Trigger: trigger, Type: typ, Operation: op,
		Object: object, Spec: spec, Events: events, EventIDs: ids,
	}
}
