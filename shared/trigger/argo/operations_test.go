package argo_test

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/fc-eventing/fc-eventing/shared/sensor"
	"github.com/fc-eventing/fc-eventing/shared/trigger/argo"
)

func toWF(t *testing.T, u *unstructured.Unstructured) *wfv1.Workflow {
	t.Helper()
	var wf wfv1.Workflow
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &wf); err != nil {
		t.Fatal(err)
	}
	return &wf
}

// failedWorkflow is a finished, failed Workflow as the controller leaves it: steps root, one
// step group, a succeeded pod and a failed pod.
func failedWorkflow(name string) string {
	return helloWorkflow(name) + `
  activeDeadlineSeconds: 0
  shutdown: Terminate
status:
  phase: Failed
  message: child failed
  startedAt: "2026-12-01T10:00:00Z"
  finishedAt: "2026-12-01T10:05:00Z"
  conditions:
    - type: Completed
      status: "True"
  nodes:
    ` + name + `:
      id: ` + name + `
      name: ` + name + `
      displayName: ` + name + `
      type: Steps
      templateName: main
      phase: Failed
      children: [` + name + `-sg]
      outboundNodes: [` + name + `-bad]
    ` + name + `-sg:
      id: ` + name + `-sg
      name: ` + name + `[0]
      displayName: "[0]"
      type: StepGroup
      templateName: main
      phase: Failed
      boundaryID: ` + name + `
      children: [` + name + `-ok, ` + name + `-bad]
    ` + name + `-ok:
      id: ` + name + `-ok
      name: ` + name + `[0].ok
      displayName: ok
      type: Pod
      templateName: main
      phase: Succeeded
      boundaryID: ` + name + `
    ` + name + `-bad:
      id: ` + name + `-bad
      name: ` + name + `[0].bad
      displayName: bad
      type: Pod
      templateName: main
      phase: Failed
      message: exit code 1
      boundaryID: ` + name + `
`
}

func withLabels(y string, kv ...string) string {
	var b strings.Builder
	b.WriteString("  labels:\n")
	for i := 0; i+1 < len(kv); i += 2 {
		b.WriteString("    " + kv[i] + ": \"" + kv[i+1] + "\"\n")
	}
	return strings.Replace(y, "metadata:\n", "metadata:\n"+b.String(), 1)
}

func TestOperations(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)

	t.Run("submit", func(t *testing.T) {
		t.Parallel()
		ns := namespace(t)
		f := firing(ns, "build", sensor.TypeArgoWorkflow, "submit", obj(t, helloWorkflow("build-abc")))
		out, err := c.Execute(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if out.Existed || out.Name != "build-abc" || out.Namespace != ns {
			t.Fatalf("outcome %+v", out)
		}
		got := get(t, workflowsGVR, ns, "build-abc")
		if diff := cmp.Diff("main", str(got, "spec", "entrypoint")); diff != "" {
			t.Fatal(diff)
		}
	})

	t.Run("submit-from", func(t *testing.T) {
		t.Parallel()
		ns := namespace(t)
		put(t, argo.WorkflowTemplatesResource, ns, `
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: release}
spec:
  entrypoint: main
  templates: [{name: main, container: {image: busybox}}]
`)
		f := firing(ns, "release", sensor.TypeArgoWorkflow, "submit-from", obj(t, `
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: release}
`))
		f.Spec.Template.ArgoWorkflow.Args = []string{"--entrypoint", "main", "-p", "tag=v1.2.3", "-l", "team=infra", "--serviceaccount", "runner", "--instanceid", "prod"}
		out, err := c.Execute(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		wf := toWF(t, get(t, workflowsGVR, ns, out.Name))
		if !strings.HasPrefix(wf.Name, "release-") || wf.GenerateName != "release-" {
			t.Errorf("name %q generateName %q, want release-<hash>", wf.Name, wf.GenerateName)
		}
		want := wfv1.WorkflowSpec{
			WorkflowTemplateRef: &wfv1.WorkflowTemplateRef{Name: "release"},
			Entrypoint:          "main",
			ServiceAccountName:  "runner",
			Arguments:           wfv1.Arguments{Parameters: []wfv1.Parameter{{Name: "tag", Value: wfv1.AnyStringPtr("v1.2.3")}}},
		}
		if diff := cmp.Diff(want, wf.Spec); diff != "" {
			t.Errorf("spec (-want +got):\n%s", diff)
		}
		if wf.Labels["workflows.argoproj.io/workflow-template"] != "release" || wf.Labels["team"] != "infra" ||
			wf.Labels["workflows.argoproj.io/controller-instanceid"] != "prod" {
			t.Errorf("labels %v", wf.Labels)
		}
	})

	t.Run("resubmit", func(t *testing.T) {
		t.Parallel()
		ns := namespace(t)
		put(t, workflowsGVR, ns, withLabels(failedWorkflow("nightly"),
			"workflows.argoproj.io/completed", "true", "workflows.argoproj.io/phase", "Failed",
			"workflows.argoproj.io/creator", "someone", "app", "nightly"))
		f := firing(ns, "again", sensor.TypeArgoWorkflow, "resubmit", obj(t, `{apiVersion: argoproj.io/v1alpha1, kind: Workflow, metadata: {name: nightly}}`))
		f.Spec.Template.ArgoWorkflow.Args = []string{"-p", "message=again"}
		out, err := c.Execute(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if out.Name == "nightly" || !strings.HasPrefix(out.Name, "nightly-") {
			t.Fatalf("resubmitted as %q", out.Name)
		}
		wf := toWF(t, get(t, workflowsGVR, ns, out.Name))
		wantLabels := map[string]string{"app": "nightly", "workflows.argoproj.io/resubmitted-from-workflow": "nightly"}
		if diff := cmp.Diff(wantLabels, wf.Labels); diff != "" {
			t.Errorf("labels (-want +got):\n%s", diff)
		}
		if wf.Spec.Shutdown != "" || wf.Spec.ActiveDeadlineSeconds != nil {
			t.Errorf("shutdown %q activeDeadlineSeconds %v carried over", wf.Spec.Shutdown, wf.Spec.ActiveDeadlineSeconds)
		}
		if wf.Status.Phase != "" || len(wf.Status.Nodes) != 0 {
			t.Errorf("status carried over: %+v", wf.Status)
		}
		if got := wf.Spec.Arguments.Parameters[0].Value.String(); got != "again" {
			t.Errorf("parameter message = %q, want again", got)
		}
		// The original is untouched.
		if old := toWF(t, get(t, workflowsGVR, ns, "nightly")); old.Status.Phase != wfv1.WorkflowFailed {
			t.Errorf("original phase %q", old.Status.Phase)
		}
	})

	t.Run("retry", func(t *testing.T) {
		t.Parallel()
		ns := namespace(t)
		put(t, workflowsGVR, ns, withLabels(failedWorkflow("flaky"),
			"workflows.argoproj.io/completed", "true", "workflows.argoproj.io/phase", "Failed"))
		// The pods the controller ran, named as Argo names them (v2: workflow-template-fnv32a(node name)).
		put(t, serviceAccountsGVR, ns, `{apiVersion: v1, kind: ServiceAccount, metadata: {name: default}}`)
		okPod, badPod := argoPodName("flaky", "main", "flaky[0].ok"), argoPodName("flaky", "main", "flaky[0].bad")
		for _, p := range []string{okPod, badPod} {
			put(t, podsGVR, ns, `{apiVersion: v1, kind: Pod, metadata: {name: `+p+`}, spec: {containers: [{name: main, image: busybox}]}}`)
		}
		f := firing(ns, "retry", sensor.TypeArgoWorkflow, "retry", obj(t, `{apiVersion: argoproj.io/v1alpha1, kind: Workflow, metadata: {name: flaky}}`))
		if _, err := c.Execute(ctx, f); err != nil {
			t.Fatal(err)
		}
		// The failed node's pod is deleted so that it runs again; the succeeded one stays.
		if !gone(t, podsGVR, ns, badPod) || gone(t, podsGVR, ns, okPod) {
			t.Errorf("after retry: pod %s gone=%v (want true), pod %s gone=%v (want false)",
				badPod, gone(t, podsGVR, ns, badPod), okPod, gone(t, podsGVR, ns, okPod))
		}
		wf := toWF(t, get(t, workflowsGVR, ns, "flaky"))
		if wf.Status.Phase != wfv1.WorkflowRunning || wf.Labels["workflows.argoproj.io/phase"] != "Running" {
			t.Errorf("phase %q label %q, want Running", wf.Status.Phase, wf.Labels["workflows.argoproj.io/phase"])
		}
		if _, ok := wf.Labels["workflows.argoproj.io/completed"]; ok {
			t.Error("completed label kept")
		}
		if wf.Spec.Shutdown != "" || wf.Status.Message != "" || !wf.Status.FinishedAt.IsZero() {
			t.Errorf("shutdown %q message %q finishedAt %v not cleared", wf.Spec.Shutdown, wf.Status.Message, wf.Status.FinishedAt)
		}
		phases := map[string]wfv1.NodePhase{}
		for id, n := range wf.Status.Nodes {
			phases[id] = n.Phase
		}
		want := map[string]wfv1.NodePhase{"flaky": wfv1.NodeRunning, "flaky-sg": wfv1.NodeRunning, "flaky-ok": wfv1.NodeSucceeded}
		if diff := cmp.Diff(want, phases); diff != "" {
			t.Errorf("nodes after retry (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"flaky-ok"}, wf.Status.Nodes["flaky-sg"].Children); diff != "" {
			t.Errorf("step group children (-want +got):\n%s", diff)
		}
		if c := wf.Status.Conditions; len(c) != 1 || c[0].Status != metav1.ConditionFalse {
			t.Errorf("conditions %+v, want Completed=False", c)
		}
	})

	t.Run("resume", func(t *testing.T) {
		t.Parallel()
		ns := namespace(t)
		put(t, workflowsGVR, ns, helloWorkflow("gate")+`
  suspend: true
status:
  phase: Running
  nodes:
    gate:
      id: gate
      name: gate
      type: Steps
      phase: Running
      children: [gate-approve]
    gate-approve:
      id: gate-approve
      name: gate[0].approve
      displayName: approve
      type: Suspend
      phase: Running
      outputs:
        parameters:
          - name: approved
            valueFrom: {supplied: {}, default: "yes"}
`)
		f := firing(ns, "approve", sensor.TypeArgoWorkflow, "resume", obj(t, `{apiVersion: argoproj.io/v1alpha1, kind: Workflow, metadata: {name: gate}}`))
		if _, err := c.Execute(ctx, f); err != nil {
			t.Fatal(err)
		}
		wf := toWF(t, get(t, workflowsGVR, ns, "gate"))
		if wf.Spec.Suspend != nil {
			t.Errorf("spec.suspend = %v, want unset", *wf.Spec.Suspend)
		}
		n := wf.Status.Nodes["gate-approve"]
		if n.Phase != wfv1.NodeSucceeded || n.FinishedAt.IsZero() {
			t.Errorf("suspend node phase %q finishedAt %v", n.Phase, n.FinishedAt)
		}
		if got := n.Outputs.Parameters[0].Value.String(); got != "yes" || n.Outputs.Parameters[0].ValueFrom != nil {
			t.Errorf("output parameter %+v, want the default", n.Outputs.Parameters[0])
		}
	})

	t.Run("suspend", func(t *testing.T) {
		t.Parallel()
		ns := namespace(t)
		put(t, workflowsGVR, ns, helloWorkflow("long")+"status: {phase: Running}\n")
		f := firing(ns, "pause", sensor.TypeArgoWorkflow, "suspend", obj(t, `{apiVersion: argoproj.io/v1alpha1, kind: Workflow, metadata: {name: long}}`))
		if _, err := c.Execute(ctx, f); err != nil {
			t.Fatal(err)
		}
		wf := toWF(t, get(t, workflowsGVR, ns, "long"))
		if wf.Spec.Suspend == nil || !*wf.Spec.Suspend {
			t.Fatalf("spec.suspend = %v, want true", wf.Spec.Suspend)
		}
		// A completed workflow is refused, permanently.
		put(t, workflowsGVR, ns, withLabels(helloWorkflow("done"), "workflows.argoproj.io/completed", "true"))
		f.Object = obj(t, `{apiVersion: argoproj.io/v1alpha1, kind: Workflow, metadata: {name: done}}`)
		_, err := c.Execute(ctx, f)
		if !errors.Is(err, argo.ErrPermanent) || !strings.Contains(err.Error(), "cannot suspend completed workflow") {
			t.Fatalf("suspending a completed workflow: %v", err)
		}
	})

	for _, tc := range []struct{ op, want string }{{"terminate", "Terminate"}, {"stop", "Stop"}} {
		t.Run(tc.op, func(t *testing.T) {
			t.Parallel()
			ns := namespace(t)
			put(t, workflowsGVR, ns, helloWorkflow("job")+"status: {phase: Running}\n")
			f := firing(ns, tc.op, sensor.TypeArgoWorkflow, tc.op, obj(t, `{apiVersion: argoproj.io/v1alpha1, kind: Workflow, metadata: {name: job}}`))
			if _, err := c.Execute(ctx, f); err != nil {
				t.Fatal(err)
			}
			wf := toWF(t, get(t, workflowsGVR, ns, "job"))
			if string(wf.Spec.Shutdown) != tc.want {
				t.Fatalf("spec.shutdown = %q, want %q", wf.Spec.Shutdown, tc.want)
			}
			// A finished workflow cannot be shut down, as with the CLI.
			put(t, workflowsGVR, ns, helloWorkflow("finished")+"status: {phase: Succeeded}\n")
			f.Object = obj(t, `{apiVersion: argoproj.io/v1alpha1, kind: Workflow, metadata: {name: finished}}`)
			_, err := c.Execute(ctx, f)
			if !errors.Is(err, argo.ErrPermanent) || !strings.Contains(err.Error(), "cannot shutdown a completed workflow") {
				t.Fatalf("%s on a finished workflow: %v", tc.op, err)
			}
		})
	}
}

var (
	podsGVR            = schema.GroupVersionResource{Version: "v1", Resource: "pods"}
	serviceAccountsGVR = schema.GroupVersionResource{Version: "v1", Resource: "serviceaccounts"}
)

func argoPodName(workflow, template, node string) string {
	h := fnv.New32a()
	h.Write([]byte(node))
	return fmt.Sprintf("%s-%s-%d", workflow, template, h.Sum32())
}
