package argo_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/fc-eventing/fc-eventing/shared/config"
	"github.com/fc-eventing/fc-eventing/shared/sensor"
	"github.com/fc-eventing/fc-eventing/shared/trigger/argo"
)

var configMapsGVR = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}

func TestK8sTrigger(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)

	t.Run("create", func(t *testing.T) {
		t.Parallel()
		ns := namespace(t)
		f := firing(ns, "wf", sensor.TypeK8s, "create", obj(t, helloWorkflow("from-k8s")))
		out, err := c.Execute(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if out.Resource != argo.WorkflowsResource || out.Name != "from-k8s" || out.Namespace != ns {
			t.Fatalf("outcome %+v", out)
		}
		get(t, workflowsGVR, ns, "from-k8s")
		// Any resource, through discovery: a ConfigMap too.
		f = firing(ns, "cm", sensor.TypeK8s, "create", obj(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: made}, data: {a: "1"}}`))
		if _, err := c.Execute(ctx, f); err != nil {
			t.Fatal(err)
		}
		if got := str(get(t, configMapsGVR, ns, "made"), "data", "a"); got != "1" {
			t.Fatalf("data.a = %q", got)
		}
		// A cluster-scoped resource: the sensor's namespace is not put on it.
		f = firing(ns, "ns", sensor.TypeK8s, "create", obj(t, `{apiVersion: v1, kind: Namespace, metadata: {name: `+ns+`-made}}`))
		out, err = c.Execute(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if out.Namespace != "" || out.Object.GetName() != ns+"-made" {
			t.Fatalf("cluster-scoped outcome %+v", out)
		}
	})

	t.Run("update", func(t *testing.T) {
		t.Parallel()
		ns := namespace(t)
		put(t, configMapsGVR, ns, `{apiVersion: v1, kind: ConfigMap, metadata: {name: cfg, labels: {keep: "yes"}}, data: {a: "1", b: "2"}}`)
		f := firing(ns, "cfg", sensor.TypeK8s, "update", obj(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: cfg}, data: {b: "20", c: "30"}}`))
		if _, err := c.Execute(ctx, f); err != nil {
			t.Fatal(err)
		}
		got := get(t, configMapsGVR, ns, "cfg")
		data, _, _ := unstructuredStringMap(got.Object, "data")
		if diff := cmp.Diff(map[string]string{"a": "1", "b": "20", "c": "30"}, data); diff != "" {
			t.Errorf("data (-want +got):\n%s", diff)
		}
		if got.GetLabels()["keep"] != "yes" {
			t.Errorf("labels %v", got.GetLabels())
		}
		// Updating what is not there creates it, as in Argo Events.
		f = firing(ns, "cfg", sensor.TypeK8s, "update", obj(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: fresh}, data: {x: "1"}}`))
		if _, err := c.Execute(ctx, f); err != nil {
			t.Fatal(err)
		}
		if str(get(t, configMapsGVR, ns, "fresh"), "data", "x") != "1" {
			t.Fatal("update of a missing object did not create it")
		}
	})

	t.Run("patch", func(t *testing.T) {
		ns := namespace(t)
		for _, tc := range []struct {
			strategy string
			object   string
			want     map[string]string
		}{
			{"merge", `{apiVersion: v1, kind: ConfigMap, metadata: {name: p-merge}, data: {b: "2", a: null}}`, map[string]string{"b": "2"}},
			{"application/merge-patch+json", `{apiVersion: v1, kind: ConfigMap, metadata: {name: p-mime}, data: {b: "2"}}`, map[string]string{"a": "1", "b": "2"}},
			{"strategic", `{apiVersion: v1, kind: ConfigMap, metadata: {name: p-strategic}, data: {b: "2"}}`, map[string]string{"a": "1", "b": "2"}},
			{"json", `{apiVersion: v1, kind: ConfigMap, metadata: {name: p-json}, patch: [{op: replace, path: /data/a, value: "10"}, {op: add, path: /data/z, value: "26"}]}`, map[string]string{"a": "10", "z": "26"}},
			{"apply", `{apiVersion: v1, kind: ConfigMap, metadata: {name: p-apply}, data: {b: "2"}}`, map[string]string{"a": "1", "b": "2"}},
		} {
			t.Run(tc.strategy, func(t *testing.T) {
				o := obj(t, tc.object)
				name := o["metadata"].(map[string]any)["name"].(string)
				put(t, configMapsGVR, ns, `{apiVersion: v1, kind: ConfigMap, metadata: {name: `+name+`}, data: {a: "1"}}`)
				f := firing(ns, "patch", sensor.TypeK8s, "patch", o)
				f.Spec.Template.K8s.PatchStrategy = tc.strategy
				out, err := c.Execute(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				data, _, _ := unstructuredStringMap(get(t, configMapsGVR, ns, name).Object, "data")
				if diff := cmp.Diff(tc.want, data); diff != "" {
					t.Errorf("data after %s patch (-want +got):\n%s", tc.strategy, diff)
				}
				if out.Object == nil {
					t.Error("no object in outcome")
				}
			})
		}
		t.Run("workflow", func(t *testing.T) {
			put(t, workflowsGVR, ns, helloWorkflow("patched"))
			f := firing(ns, "patch", sensor.TypeK8s, "patch", obj(t, `{apiVersion: argoproj.io/v1alpha1, kind: Workflow, metadata: {name: patched, labels: {stage: two}}}`))
			if _, err := c.Execute(ctx, f); err != nil {
				t.Fatal(err)
			}
			if got := get(t, workflowsGVR, ns, "patched").GetLabels()["stage"]; got != "two" {
				t.Fatalf("label stage = %q", got)
			}
		})
		t.Run("unknown-strategy", func(t *testing.T) {
			f := firing(ns, "patch", sensor.TypeK8s, "patch", obj(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: p-merge}}`))
			f.Spec.Template.K8s.PatchStrategy = "xml"
			if _, err := c.Execute(ctx, f); !errors.Is(err, argo.ErrPermanent) {
				t.Fatalf("got %v, want a permanent error", err)
			}
		})
	})

	t.Run("delete", func(t *testing.T) {
		t.Parallel()
		ns := namespace(t)
		put(t, workflowsGVR, ns, helloWorkflow("old"))
		f := firing(ns, "cleanup", sensor.TypeK8s, "delete", obj(t, `{apiVersion: argoproj.io/v1alpha1, kind: Workflow, metadata: {name: old}}`))
		if _, err := c.Execute(ctx, f); err != nil {
			t.Fatal(err)
		}
		if !gone(t, workflowsGVR, ns, "old") {
			t.Fatal("workflow still there")
		}
		// A redelivered delete finds nothing and succeeds.
		if _, err := c.Execute(ctx, f); err != nil {
			t.Fatalf("second delete: %v", err)
		}
	})

	t.Run("liveObject", func(t *testing.T) {
		t.Parallel()
		ns := namespace(t)
		put(t, configMapsGVR, ns, `{apiVersion: v1, kind: ConfigMap, metadata: {name: live}, data: {a: "1", b: "2"}}`)
		f := firing(ns, "live", sensor.TypeK8s, "update", obj(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: live, namespace: `+ns+`}}`))
		// The parameter applies to the object read from the cluster, not to the sensor's resource.
		f.Spec.Template.K8s.LiveObject = true
		f.Spec.Template.K8s.Parameters = []config.TriggerParameter{{
			Src:  &config.TriggerParameterSource{DependencyName: "dep0", DataKey: "value"},
			Dest: "data.b",
		}}
		ev := f.Events["dep0"]
		ev.DataContentType, ev.Data = "application/json", []byte(`{"value":"from-event"}`)
		f.Events["dep0"] = ev
		if _, err := c.Execute(ctx, f); err != nil {
			t.Fatal(err)
		}
		data, _, _ := unstructuredStringMap(get(t, configMapsGVR, ns, "live").Object, "data")
		if diff := cmp.Diff(map[string]string{"a": "1", "b": "from-event"}, data); diff != "" {
			t.Errorf("live object (-want +got):\n%s", diff)
		}
	})

	t.Run("unknown-kind", func(t *testing.T) {
		t.Parallel()
		ns := namespace(t)
		f := firing(ns, "x", sensor.TypeK8s, "create", obj(t, `{apiVersion: example.com/v1, kind: Gadget, metadata: {name: g}}`))
		_, err := c.Execute(ctx, f)
		if !errors.Is(err, argo.ErrPermanent) || !strings.Contains(err.Error(), "Gadget") {
			t.Fatalf("got %v, want a permanent error naming the kind", err)
		}
	})
}

func unstructuredStringMap(o map[string]any, path ...string) (map[string]string, bool, error) {
	cur := any(o)
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false, nil
		}
		cur = m[p]
	}
	m, ok := cur.(map[string]any)
	if !ok {
		return nil, false, nil
	}
	out := map[string]string{}
	for k, v := range m {
		out[k], _ = v.(string)
	}
	return out, true, nil
}

func TestIdempotentSubmit(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	ns := namespace(t)
	wf := obj(t, helloWorkflow(sensor.ObjectName("ci-", "ci", "build", []string{"dep0"}, []string{"delivery-42"})))
	f := firing(ns, "build", sensor.TypeArgoWorkflow, "submit", wf, "delivery-42")
	first, err := c.Execute(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	second, err := c.Execute(ctx, f)
	if err != nil {
		t.Fatalf("redelivered firing: %v", err)
	}
	if first.Existed || !second.Existed {
		t.Fatalf("existed: first %v second %v, want false then true", first.Existed, second.Existed)
	}
	if first.Object.GetUID() != second.Object.GetUID() {
		t.Fatalf("second firing reports %s, first created %s", second.Object.GetUID(), first.Object.GetUID())
	}
	list, err := admin(t).Resource(workflowsGVR).Namespace(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 1 {
		t.Fatalf("%d workflows after the same firing twice, want 1", len(list.Items))
	}

	// submit-from and resubmit name their Workflow from the events too.
	put(t, argo.WorkflowTemplatesResource, ns, `{apiVersion: argoproj.io/v1alpha1, kind: WorkflowTemplate, metadata: {name: tpl}, spec: {entrypoint: main, templates: [{name: main, container: {image: busybox}}]}}`)
	ff := firing(ns, "from", sensor.TypeArgoWorkflow, "submit-from", obj(t, `{kind: WorkflowTemplate, metadata: {name: tpl}}`), "delivery-43")
	a, err := c.Execute(ctx, ff)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Execute(ctx, ff)
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != b.Name || !b.Existed {
		t.Fatalf("submit-from twice: %s then %s (existed %v)", a.Name, b.Name, b.Existed)
	}
	ff.EventIDs = []string{"delivery-44"}
	ff.Events["dep0"] = eventWithID(ff.Events["dep0"], "delivery-44")
	d, err := c.Execute(ctx, ff)
	if err != nil {
		t.Fatal(err)
	}
	if d.Name == a.Name || d.Existed {
		t.Fatalf("a new event reused workflow %s", d.Name)
	}
}

func TestForbiddenNamespace(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join("..", "..", "..", "infra", "k8s")
	for _, f := range []string{"namespace.yaml", "serviceaccount.yaml", "role.yaml", "clusterrole.yaml"} {
		if err := cluster.ApplyFile(ctx, filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	token, err := cluster.ServiceAccountToken(ctx, "fc-eventing", "fc-eventing-sensor")
	if err != nil {
		t.Fatal(err)
	}
	// The function's identity, as FC would give it: API server, token and CA from the environment.
	t.Setenv("KUBECONFIG", "")
	t.Setenv(argo.EnvAPIServer, cluster.URL)
	t.Setenv(argo.EnvToken, token)
	t.Setenv(argo.EnvCAData, string(cluster.CAData))
	c, err := argo.New(argo.Config{})
	if err != nil {
		t.Fatal(err)
	}

	// Its own namespace: allowed (once the RBAC authorizer has seen the new binding).
	var out argo.Outcome
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		out, err = c.Execute(ctx, firing("fc-eventing", "build", sensor.TypeArgoWorkflow, "submit", obj(t, helloWorkflow("allowed"))))
		if err == nil || !strings.Contains(err.Error(), "forbidden") || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Fatalf("submit in fc-eventing: %v", err)
	}
	if out.Existed {
		t.Fatal("workflow existed before")
	}

	// Another namespace: refused, clearly, and not retried.
	other := namespace(t)
	f := firing(other, "build", sensor.TypeArgoWorkflow, "submit", obj(t, helloWorkflow("refused")))
	f.Spec.RetryStrategy = backoffSteps(3)
	_, err = c.Execute(ctx, f)
	if err == nil {
		t.Fatal("submit in another namespace succeeded")
	}
	var te *argo.Error
	if !errors.As(err, &te) || te.Transient || te.Attempts != 1 {
		t.Fatalf("got %#v, want a permanent failure tried once", err)
	}
	for _, want := range []string{"forbidden", `"workflows"`, `namespace "` + other + `"`, "system:serviceaccount:fc-eventing:fc-eventing-sensor"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %s", err, want)
		}
	}
	if !gone(t, workflowsGVR, other, "refused") {
		t.Fatal("refused workflow exists")
	}

	// Nothing else in its namespace either: no deleting workflows, no reading secrets.
	_, err = c.Execute(ctx, firing("fc-eventing", "rm", sensor.TypeK8s, "delete", obj(t, `{apiVersion: argoproj.io/v1alpha1, kind: Workflow, metadata: {name: allowed}}`)))
	if err == nil || !strings.Contains(err.Error(), "forbidden") {
		t.Fatalf("delete as the sensor: %v, want forbidden", err)
	}
}

// TestConnectionFromKubeconfig builds the client from a kubeconfig file, as a developer would.
func TestConnectionFromKubeconfig(t *testing.T) {
	ns := namespace(t)
	path := filepath.Join(t.TempDir(), "kubeconfig")
	kc := `apiVersion: v1
kind: Config
clusters: [{name: test, cluster: {server: "` + cluster.URL + `", certificate-authority-data: "` + b64(cluster.CAData) + `"}}]
users: [{name: admin, user: {token: "` + cluster.AdminToken + `"}}]
contexts: [{name: test, context: {cluster: test, user: admin}}]
current-context: test
`
	if err := os.WriteFile(path, []byte(kc), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KUBECONFIG", path)
	c, err := argo.New(argo.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Host() != cluster.URL {
		t.Fatalf("host %q, want %q", c.Host(), cluster.URL)
	}
	if _, err := c.Execute(context.Background(), firing(ns, "b", sensor.TypeArgoWorkflow, "submit", obj(t, helloWorkflow("kc")))); err != nil {
		t.Fatal(err)
	}
}

// TestConnectionFromEnv reads the ACK One style variables, with the CA as base64 of PEM (as a
// kubeconfig's certificate-authority-data), and refuses a server URL without a token.
func TestConnectionFromEnv(t *testing.T) {
	ns := namespace(t)
	t.Setenv("KUBECONFIG", "")
	t.Setenv(argo.EnvAPIServer, cluster.URL)
	t.Setenv(argo.EnvToken, cluster.AdminToken)
	t.Setenv(argo.EnvCAData, b64(cluster.CAData))
	c, err := argo.New(argo.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Execute(context.Background(), firing(ns, "b", sensor.TypeArgoWorkflow, "submit", obj(t, helloWorkflow("env")))); err != nil {
		t.Fatal(err)
	}

	// Without the CA the server's certificate is not trusted.
	t.Setenv(argo.EnvCAData, "")
	c, err = argo.New(argo.Config{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Execute(context.Background(), firing(ns, "b", sensor.TypeArgoWorkflow, "submit", obj(t, helloWorkflow("env2"))))
	if err == nil || !strings.Contains(err.Error(), "certificate") || argo.IsTransient(err) {
		t.Fatalf("unknown CA: %v (transient %v), want a permanent certificate error", err, argo.IsTransient(err))
	}

	t.Setenv(argo.EnvToken, "")
	if _, err := argo.New(argo.Config{}); err == nil || !strings.Contains(err.Error(), argo.EnvToken) {
		t.Fatalf("no token: %v", err)
	}
}
