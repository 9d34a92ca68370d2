package argo_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"

	"github.com/fc-eventing/fc-eventing/shared/config"
	"github.com/fc-eventing/fc-eventing/shared/event"
	"github.com/fc-eventing/fc-eventing/shared/sensor"
	"github.com/fc-eventing/fc-eventing/shared/trigger/argo"
)

// TestSensorToWorkflow runs the repository's example sensor on its example GitHub push and
// carries out what it fires: the Workflow the engine resolved lands in the cluster, and the
// redelivered event finds it there.
func TestSensorToWorkflow(t *testing.T) {
	ctx := context.Background()
	root := filepath.Join("..", "..", "..")
	s, err := config.LoadSensor(filepath.Join(root, "examples", "sensors", "github-push.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	prog, err := sensor.Compile(s, sensor.Options{})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, "examples", "events", "github-push.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ev event.Event
	if err := ev.UnmarshalJSON(data); err != nil {
		t.Fatal(err)
	}
	if err := cluster.EnsureNamespace(ctx, s.Metadata.Namespace); err != nil {
		t.Fatal(err)
	}
	c := newClient(t)
	var names []string
	for delivery := range 2 {
		res, err := prog.Evaluate(ctx, ev)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Firings) != 1 {
			t.Fatalf("delivery %d: %d firings, want 1", delivery, len(res.Firings))
		}
		out, err := c.Execute(ctx, res.Firings[0])
		if err != nil {
			t.Fatal(err)
		}
		if out.Existed != (delivery == 1) {
			t.Fatalf("delivery %d: existed = %v", delivery, out.Existed)
		}
		names = append(names, out.Name)
	}
	if names[0] != names[1] || !strings.HasPrefix(names[0], "ci-") {
		t.Fatalf("workflow names %v", names)
	}
	wf := toWF(t, get(t, workflowsGVR, s.Metadata.Namespace, names[0]))
	if wf.Spec.ServiceAccountName != "ci-runner" {
		t.Errorf("serviceAccountName %q, want ci-runner from args", wf.Spec.ServiceAccountName)
	}
	if got := wf.Spec.Arguments.Parameters[1].Value.String(); got != "f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4" {
		t.Errorf("revision parameter %q", got)
	}
	if wf.Labels[sensor.LabelSensor] != "github-push" || wf.Labels[sensor.LabelTrigger] != "ci" {
		t.Errorf("labels %v", wf.Labels)
	}
}

func TestSubmitFromCronWorkflow(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	ns := namespace(t)
	cron := put(t, argo.CronWorkflowsResource, ns, `
apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata:
  name: nightly
  labels: {workflows.argoproj.io/controller-instanceid: ci}
spec:
  schedules: ["0 2 * * *"]
  workflowMetadata:
    labels: {team: data}
    annotations: {owner: data-team}
  workflowSpec:
    entrypoint: main
    templates: [{name: main, container: {image: busybox}}]
`)
	out, err := c.Execute(ctx, firing(ns, "now", sensor.TypeArgoWorkflow, "submit-from", obj(t, `{kind: CronWorkflow, metadata: {name: nightly}}`)))
	if err != nil {
		t.Fatal(err)
	}
	wf := toWF(t, get(t, workflowsGVR, ns, out.Name))
	wantLabels := map[string]string{
		"workflows.argoproj.io/cron-workflow":         "nightly",
		"workflows.argoproj.io/controller-instanceid": "ci",
		"team": "data",
	}
	if diff := cmp.Diff(wantLabels, wf.Labels); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
	if wf.Annotations["owner"] != "data-team" || wf.Annotations["workflows.argoproj.io/scheduled-time"] == "" {
		t.Errorf("annotations %v", wf.Annotations)
	}
	if len(wf.OwnerReferences) != 1 || wf.OwnerReferences[0].UID != cron.GetUID() || wf.OwnerReferences[0].Kind != "CronWorkflow" {
		t.Errorf("owner references %+v", wf.OwnerReferences)
	}
	if wf.Spec.Entrypoint != "main" || len(wf.Spec.Templates) != 1 {
		t.Errorf("spec not copied from the CronWorkflow: %+v", wf.Spec)
	}
}

func TestSubmitFromClusterWorkflowTemplate(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	ns := namespace(t)
	put(t, argo.ClusterWorkflowTemplatesResource, "", `
apiVersion: argoproj.io/v1alpha1
kind: ClusterWorkflowTemplate
metadata: {name: shared-build}
spec:
  entrypoint: main
  templates: [{name: main, container: {image: busybox}}]
`)
	f := firing(ns, "shared", sensor.TypeArgoWorkflow, "submit-from", obj(t, `{kind: ClusterWorkflowTemplate, metadata: {name: shared-build}}`))
	f.Spec.Template.ArgoWorkflow.Args = []string{"--name", "shared-build-manual"}
	out, err := c.Execute(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	if out.Name != "shared-build-manual" {
		t.Fatalf("--name: workflow %q", out.Name)
	}
	wf := toWF(t, get(t, workflowsGVR, ns, out.Name))
	if ref := wf.Spec.WorkflowTemplateRef; ref == nil || ref.Name != "shared-build" || !ref.ClusterScope {
		t.Fatalf("workflowTemplateRef %+v", ref)
	}
	if wf.Labels["workflows.argoproj.io/cluster-workflow-template"] != "shared-build" {
		t.Errorf("labels %v", wf.Labels)
	}

	// A template that is not there is refused, naming it.
	f = firing(ns, "shared", sensor.TypeArgoWorkflow, "submit-from", obj(t, `{kind: ClusterWorkflowTemplate, metadata: {name: nope}}`))
	if _, err := c.Execute(ctx, f); !errors.Is(err, argo.ErrPermanent) || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("missing template: %v", err)
	}
}

// TestStopSuspendNode stops one suspend node with a message (argo stop --node-field-selector
// --message): the node fails with the message, the workflow is not shut down.
func TestStopSuspendNode(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	ns := namespace(t)
	put(t, workflowsGVR, ns, helloWorkflow("approval")+`
status:
  phase: Running
  nodes:
    approval:
      {id: approval, name: approval, type: Steps, phase: Running, children: [approval-a, approval-b]}
    approval-a:
      {id: approval-a, name: "approval[0].a", displayName: a, type: Suspend, phase: Running, templateName: wait}
    approval-b:
      {id: approval-b, name: "approval[0].b", displayName: b, type: Suspend, phase: Running, templateName: wait}
`)
	f := firing(ns, "reject", sensor.TypeArgoWorkflow, "stop", obj(t, `{apiVersion: argoproj.io/v1alpha1, kind: Workflow, metadata: {name: approval}}`))
	f.Spec.Template.ArgoWorkflow.Args = []string{"--node-field-selector", "displayName=a", "--message", "rejected by reviewer"}
	if _, err := c.Execute(ctx, f); err != nil {
		t.Fatal(err)
	}
	wf := toWF(t, get(t, workflowsGVR, ns, "approval"))
	a, b := wf.Status.Nodes["approval-a"], wf.Status.Nodes["approval-b"]
	if a.Phase != wfv1.NodeFailed || a.Message != "rejected by reviewer" || a.FinishedAt.IsZero() {
		t.Errorf("node a: phase %q message %q finishedAt %v", a.Phase, a.Message, a.FinishedAt)
	}
	if b.Phase != wfv1.NodeRunning {
		t.Errorf("node b phase %q, want untouched", b.Phase)
	}
	if wf.Spec.Shutdown != "" {
		t.Errorf("shutdown %q, want none", wf.Spec.Shutdown)
	}
	// A selector matching nothing is a permanent error.
	f.Spec.Template.ArgoWorkflow.Args = []string{"--node-field-selector", "displayName=zzz"}
	if _, err := c.Execute(ctx, f); !errors.Is(err, argo.ErrPermanent) {
		t.Fatalf("selector matching nothing: %v", err)
	}
}

// TestRetryDAG retries a DAG whose task failed after its retries: the failed attempts are
// removed (their pods deleted), the retry node and the DAG are reset to Running, the succeeded
// task and what it skipped stay.
func TestRetryDAG(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	ns := namespace(t)
	put(t, workflowsGVR, ns, helloWorkflow("dag")+`
status:
  phase: Failed
  nodes:
    dag:
      {id: dag, name: dag, type: DAG, phase: Failed, templateName: main, children: [dag-a, dag-b]}
    dag-a:
      {id: dag-a, name: dag.a, type: Pod, phase: Succeeded, boundaryID: dag, templateName: step, children: [dag-c]}
    dag-b:
      {id: dag-b, name: dag.b, type: Retry, phase: Failed, boundaryID: dag, templateName: step, children: [dag-b0, dag-b1]}
    dag-b0:
      {id: dag-b0, name: "dag.b(0)", type: Pod, phase: Failed, boundaryID: dag, templateName: step, nodeFlag: {retried: true}}
    dag-b1:
      {id: dag-b1, name: "dag.b(1)", type: Pod, phase: Failed, boundaryID: dag, templateName: step, nodeFlag: {retried: true}}
    dag-c:
      {id: dag-c, name: dag.c, type: Pod, phase: Omitted, boundaryID: dag, templateName: step}
`)
	f := firing(ns, "retry", sensor.TypeArgoWorkflow, "retry", obj(t, `{apiVersion: argoproj.io/v1alpha1, kind: Workflow, metadata: {name: dag}}`))
	if _, err := c.Execute(ctx, f); err != nil {
		t.Fatal(err)
	}
	wf := toWF(t, get(t, workflowsGVR, ns, "dag"))
	phases := map[string]wfv1.NodePhase{}
	for id, n := range wf.Status.Nodes {
		phases[id] = n.Phase
	}
	// The failed attempts go, the retry node and the DAG are reset, the succeeded task stays.
	want := map[string]wfv1.NodePhase{
		"dag":   wfv1.NodeRunning,
		"dag-a": wfv1.NodeSucceeded,
		"dag-b": wfv1.NodeRunning,
		"dag-c": wfv1.NodeOmitted,
	}
	if diff := cmp.Diff(want, phases); diff != "" {
		t.Errorf("nodes after retry (-want +got):\n%s", diff)
	}
	if ch := wf.Status.Nodes["dag-b"].Children; len(ch) != 0 {
		t.Errorf("retry node children %v, want none", ch)
	}

	// Retrying a running workflow is refused, as by the CLI.
	if _, err := c.Execute(ctx, f); !errors.Is(err, argo.ErrPermanent) || !strings.Contains(err.Error(), "Running") {
		t.Fatalf("retrying a running workflow: %v", err)
	}
}

// TestResumeCompressedNodes resumes a workflow whose controller compressed its node status.
func TestResumeCompressedNodes(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	ns := namespace(t)
	compressed := compressNodes(t, `{"big":{"id":"big","name":"big","type":"Steps","phase":"Running","children":["big-s"]},
"big-s":{"id":"big-s","name":"big[0].s","type":"Suspend","phase":"Running"}}`)
	put(t, workflowsGVR, ns, helloWorkflow("big")+`
status:
  phase: Running
  compressedNodes: `+compressed+`
`)
	f := firing(ns, "go", sensor.TypeArgoWorkflow, "resume", obj(t, `{apiVersion: argoproj.io/v1alpha1, kind: Workflow, metadata: {name: big}}`))
	if _, err := c.Execute(ctx, f); err != nil {
		t.Fatal(err)
	}
	u := get(t, workflowsGVR, ns, "big")
	if n, _, _ := unstructuredStringMap(u.Object, "status", "nodes"); len(n) != 0 {
		t.Fatalf("nodes written uncompressed: %v", n)
	}
	nodes := decompressNodes(t, str(u, "status", "compressedNodes"))
	if nodes["big-s"].Phase != wfv1.NodeSucceeded {
		t.Fatalf("suspend node phase %q after resume", nodes["big-s"].Phase)
	}
}

func compressNodes(t *testing.T, nodesJSON string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write([]byte(nodesJSON)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}

func decompressNodes(t *testing.T, s string) wfv1.Nodes {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	var nodes wfv1.Nodes
	if err := json.Unmarshal(data, &nodes); err != nil {
		t.Fatal(err)
	}
	return nodes
}

// TestResubmitMemoized resubmits a failed workflow with --memoized: its nodes come along under
// the new name, the succeeded pod as Skipped, the failed one Pending.
func TestResubmitMemoized(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	ns := namespace(t)
	put(t, workflowsGVR, ns, failedWorkflow("etl"))
	f := firing(ns, "again", sensor.TypeArgoWorkflow, "resubmit", obj(t, `{apiVersion: argoproj.io/v1alpha1, kind: Workflow, metadata: {name: etl}}`))
	f.Spec.Template.ArgoWorkflow.Args = []string{"--memoized"}
	out, err := c.Execute(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	wf := toWF(t, get(t, workflowsGVR, ns, out.Name))
	byName := map[string]wfv1.NodeStatus{}
	for id, n := range wf.Status.Nodes {
		if id != wf.NodeID(n.Name) {
			t.Errorf("node %s has id %s, want %s", n.Name, id, wf.NodeID(n.Name))
		}
		byName[n.Name] = n
	}
	want := map[string]wfv1.NodePhase{
		wf.Name:             wfv1.NodePending,
		wf.Name + "[0]":     wfv1.NodePending,
		wf.Name + "[0].ok":  wfv1.NodeSkipped,
		wf.Name + "[0].bad": wfv1.NodePending,
	}
	got := map[string]wfv1.NodePhase{}
	for n, s := range byName {
		got[n] = s.Phase
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("memoized nodes (-want +got):\n%s", diff)
	}
	if ok := byName[wf.Name+"[0].ok"]; ok.Type != wfv1.NodeTypeSkipped || ok.Message != "original pod: etl-ok" {
		t.Errorf("succeeded pod carried as %s %q", ok.Type, ok.Message)
	}
	if wf.Status.Phase != wfv1.WorkflowUnknown {
		t.Errorf("phase %q, want Unknown", wf.Status.Phase)
	}

	// Memoized resubmit of a workflow that did not fail is refused.
	put(t, workflowsGVR, ns, helloWorkflow("fine")+"status: {phase: Succeeded}\n")
	f.Object = obj(t, `{apiVersion: argoproj.io/v1alpha1, kind: Workflow, metadata: {name: fine}}`)
	if _, err := c.Execute(ctx, f); !errors.Is(err, argo.ErrPermanent) || !strings.Contains(err.Error(), "memoized") {
		t.Fatalf("memoized resubmit of a succeeded workflow: %v", err)
	}
}
