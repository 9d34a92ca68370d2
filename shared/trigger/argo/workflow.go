package argo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/fc-eventing/fc-eventing/shared/config"
	"github.com/fc-eventing/fc-eventing/shared/sensor"
)

// Argo Workflows resources.
var (
	WorkflowsResource                = wfv1.SchemeGroupVersion.WithResource("workflows")
	WorkflowTemplatesResource        = wfv1.SchemeGroupVersion.WithResource("workflowtemplates")
	ClusterWorkflowTemplatesResource = wfv1.SchemeGroupVersion.WithResource("clusterworkflowtemplates")
	CronWorkflowsResource            = wfv1.SchemeGroupVersion.WithResource("cronworkflows")
	podsResource                     = schema.GroupVersionResource{Version: "v1", Resource: "pods"}
)

// Labels and annotations Argo Workflows sets (workflow/common in argo-workflows).
const (
	labelCompleted               = "workflows.argoproj.io/completed"
	labelPhase                   = "workflows.argoproj.io/phase"
	labelArchiveStatus           = "workflows.argoproj.io/workflow-archiving-status"
	labelCreator                 = "workflows.argoproj.io/creator"
	labelCreatorEmail            = "workflows.argoproj.io/creator-email"
	labelCreatorPreferred        = "workflows.argoproj.io/creator-preferred-username"
	labelPreviousWorkflow        = "workflows.argoproj.io/resubmitted-from-workflow"
	labelWorkflowTemplate        = "workflows.argoproj.io/workflow-template"
	labelClusterWorkflowTemplate = "workflows.argoproj.io/cluster-workflow-template"
	labelCronWorkflow            = "workflows.argoproj.io/cron-workflow"
	annotationScheduledTime      = "workflows.argoproj.io/scheduled-time"
	annotationPodNameVersion     = "workflows.argoproj.io/pod-name-format"
)

// argoWorkflow carries out an argoWorkflow trigger's operation with the effect the argo CLI's
// command has on the Workflow object (argo-workflows v3.7 workflow/util and server/workflow).
func (c *Client) argoWorkflow(ctx context.Context, f sensor.Firing, obj *unstructured.Unstructured, out Outcome) (Outcome, error) {
	op := config.ArgoWorkflowOperation(f.Operation)
	if op == "" {
		op = config.ArgoSubmit
	}
	var rawArgs []string
	if f.Spec != nil && f.Spec.Template != nil && f.Spec.Template.ArgoWorkflow != nil {
		rawArgs = f.Spec.Template.ArgoWorkflow.Args
	}
	args, err := config.ParseArgoArgs(op, rawArgs)
	if err != nil {
		return out, permanent(fmt.Errorf("argoWorkflow args: %w", err))
	}
	ns := obj.GetNamespace()
	if ns == "" {
		ns = f.Namespace
	}
	if ns == "" {
		ns = "default"
	}
	out.Namespace = ns
	out.Resource = WorkflowsResource
	switch op {
	case config.ArgoSubmit:
		if k := obj.GetKind(); k != "" && k != "Workflow" {
			return out, permanent(fmt.Errorf("submit needs a Workflow, got a %s (use operation submit-from)", k))
		}
		// The object is sent as the engine resolved it (submit args applied there).
		obj.SetNamespace(ns)
		if obj.GetAPIVersion() == "" {
			obj.SetAPIVersion(wfv1.SchemeGroupVersion.String())
		}
		if obj.GetKind() == "" {
			obj.SetKind("Workflow")
		}
		return c.create(ctx, c.dyn.Resource(WorkflowsResource).Namespace(ns), obj, out)

	case config.ArgoSubmitFrom:
		wf, err := c.workflowFrom(ctx, obj, ns)
		if err != nil {
			return out, err
		}
		wf.Namespace = ns
		if err := applySubmitArgs(wf, args); err != nil {
			return out, err
		}
		if wf.Name == "" {
			wf.Name = objectName(wf.GenerateName, f)
		}
		return c.createWorkflow(ctx, wf, out)

	case config.ArgoResubmit:
		old, err := c.getWorkflow(ctx, ns, obj.GetName())
		if err != nil {
			return out, err
		}
		// Argo lets generateName pick a random name; the name here is derived from the events so
		// that a redelivered event finds its resubmission already there.
		gen := old.GenerateName
		if gen == "" {
			gen = old.Name + "-"
		}
		wf, err := formulateResubmit(old, args, objectName(gen, f), c.now())
		if err != nil {
			return out, err
		}
		wf.Namespace = ns
		return c.createWorkflow(ctx, wf, out)

	case config.ArgoRetry:
		return c.updateWorkflow(ctx, ns, obj.GetName(), out, func(wf *wfv1.Workflow) (bool, []string, error) {
			pods, err := formulateRetry(wf, args, c.now())
			return true, pods, err
		})

	case config.ArgoResume:
		return c.updateWorkflow(ctx, ns, obj.GetName(), out, func(wf *wfv1.Workflow) (bool, []string, error) {
			changed, err := resume(wf, args.NodeFieldSelector, c.now())
			return changed, nil, err
		})

	case config.ArgoSuspend:
		return c.updateWorkflow(ctx, ns, obj.GetName(), out, func(wf *wfv1.Workflow) (bool, []string, error) {
			if wf.Labels[labelCompleted] == "true" {
				return false, nil, permanent(fmt.Errorf("cannot suspend completed workflow %s/%s", wf.Namespace, wf.Name))
			}
			if wf.Spec.Suspend != nil && *wf.Spec.Suspend {
				return false, nil, nil
			}
			t := true
			wf.Spec.Suspend = &t
			return true, nil, nil
		})

	case config.ArgoStop, config.ArgoTerminate:
		if op == config.ArgoStop && args.NodeFieldSelector != "" {
			return c.updateWorkflow(ctx, ns, obj.GetName(), out, func(wf *wfv1.Workflow) (bool, []string, error) {
				err := setSuspendedNodes(wf, args.NodeFieldSelector, wfv1.NodeFailed, args.Message, c.now())
				return err == nil, nil, err
			})
		}
		strategy := wfv1.ShutdownStrategyTerminate
		if op == config.ArgoStop {
			strategy = wfv1.ShutdownStrategyStop
		}
		return c.shutdown(ctx, ns, obj.GetName(), strategy, out)
	}
	return out, permanent(fmt.Errorf("argoWorkflow operation %q is not supported", op))
}

// applySubmitArgs applies the argo submit flags the trigger carries out, as ApplySubmitOpts does.
func applySubmitArgs(wf *wfv1.Workflow, a config.ArgoArgs) error {
	if a.Entrypoint != "" {
		wf.Spec.Entrypoint = a.Entrypoint
	}
	if a.ServiceAccount != "" {
		wf.Spec.ServiceAccountName = a.ServiceAccount
	}
	if a.Priority != nil {
		p := *a.Priority
		wf.Spec.Priority = &p
	}
	if wf.Labels == nil {
		wf.Labels = map[string]string{}
	}
	for _, l := range a.Labels {
		wf.Labels[l.Name] = l.Value
	}
	if a.InstanceID != "" {
		wf.Labels[config.LabelControllerInstanceID] = a.InstanceID
	}
	if wf.Annotations == nil {
		wf.Annotations = map[string]string{}
	}
	if a.ScheduledTime != "" {
		if _, err := time.Parse(time.RFC3339, a.ScheduledTime); err != nil {
			return permanent(fmt.Errorf("--scheduled-time %q is not RFC3339: %w", a.ScheduledTime, err))
		}
		wf.Annotations[annotationScheduledTime] = a.ScheduledTime
	}
	overrideParameters(wf, a.Parameters)
	if a.GenerateName != "" {
		wf.GenerateName = a.GenerateName
	}
	if a.Name != "" {
		wf.Name = a.Name
	}
	return nil
}

// overrideParameters puts the given parameters first, then the workflow's others, as argo's
// -p NAME=VALUE does.
func overrideParameters(wf *wfv1.Workflow, params []config.NameValue) {
	if len(params) == 0 {
		return
	}
	out := make([]wfv1.Parameter, 0, len(params)+len(wf.Spec.Arguments.Parameters))
	passed := map[string]bool{}
	for _, p := range params {
		out = append(out, wfv1.Parameter{Name: p.Name, Value: wfv1.AnyStringPtr(p.Value)})
		passed[p.Name] = true
	}
	for _, p := range wf.Spec.Arguments.Parameters {
		if !passed[p.Name] {
			out = append(out, p)
		}
	}
	wf.Spec.Arguments.Parameters = out
	if wf.Status.StoredWorkflowSpec != nil {
		wf.Status.StoredWorkflowSpec.Arguments.Parameters = out
	}
}

// workflowFrom builds the Workflow `argo submit --from KIND/NAME` creates.
func (c *Client) workflowFrom(ctx context.Context, ref *unstructured.Unstructured, ns string) (*wfv1.Workflow, error) {
	name := ref.GetName()
	if name == "" {
		return nil, permanent(errors.New("submit-from needs metadata.name of the WorkflowTemplate, ClusterWorkflowTemplate or CronWorkflow"))
	}
	switch strings.ToLower(ref.GetKind()) {
	case "workflowtemplate", "workflowtemplates", "wftmpl":
		// The server validates the reference; a missing template is refused here too.
		if _, err := c.dyn.Resource(WorkflowTemplatesResource).Namespace(ns).Get(ctx, name, metav1.GetOptions{}); err != nil {
			return nil, fmt.Errorf("reading WorkflowTemplate %s/%s: %w", ns, name, err)
		}
		return workflowFromTemplate(name, false), nil
	case "clusterworkflowtemplate", "clusterworkflowtemplates", "cwftmpl", "cwft":
		if _, err := c.dyn.Resource(ClusterWorkflowTemplatesResource).Get(ctx, name, metav1.GetOptions{}); err != nil {
			return nil, fmt.Errorf("reading ClusterWorkflowTemplate %s: %w", name, err)
		}
		return workflowFromTemplate(name, true), nil
	case "cronworkflow", "cronworkflows", "cronwf", "cwf":
		u, err := c.dyn.Resource(CronWorkflowsResource).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return nil, fmt.Errorf("reading CronWorkflow %s/%s: %w", ns, name, err)
		}
		var cron wfv1.CronWorkflow
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &cron); err != nil {
			return nil, permanent(fmt.Errorf("decoding CronWorkflow %s/%s: %w", ns, name, err))
		}
		return workflowFromCron(&cron, c.now()), nil
	}
	return nil, permanent(fmt.Errorf("submit-from: kind %q is not WorkflowTemplate, ClusterWorkflowTemplate or CronWorkflow", ref.GetKind()))
}

func workflowFromTemplate(name string, cluster bool) *wfv1.Workflow {
	wf := &wfv1.Workflow{
		TypeMeta: metav1.TypeMeta{APIVersion: wfv1.SchemeGroupVersion.String(), Kind: "Workflow"},
		ObjectMeta: metav1.ObjectMeta{
			GenerateName: name + "-",
			Labels:       map[string]string{},
			Annotations:  map[string]string{},
		},
		Spec: wfv1.WorkflowSpec{WorkflowTemplateRef: &wfv1.WorkflowTemplateRef{Name: name, ClusterScope: cluster}},
	}
	if cluster {
		wf.Labels[labelClusterWorkflowTemplate] = name
	} else {
		wf.Labels[labelWorkflowTemplate] = name
	}
	return wf
}

func workflowFromCron(cron *wfv1.CronWorkflow, now time.Time) *wfv1.Workflow {
	wf := &wfv1.Workflow{
		TypeMeta: metav1.TypeMeta{APIVersion: wfv1.SchemeGroupVersion.String(), Kind: "Workflow"},
		ObjectMeta: metav1.ObjectMeta{
			GenerateName: cron.Name + "-",
			Labels:       map[string]string{},
			Annotations:  map[string]string{annotationScheduledTime: now.Format(time.RFC3339)},
		},
		Spec: *cron.Spec.WorkflowSpec.DeepCopy(),
	}
	if id, ok := cron.Labels[config.LabelControllerInstanceID]; ok {
		wf.Labels[config.LabelControllerInstanceID] = id
	}
	wf.Labels[labelCronWorkflow] = cron.Name
	if md := cron.Spec.WorkflowMetadata; md != nil {
		for k, v := range md.Labels {
			wf.Labels[k] = v
		}
		for k, v := range md.Annotations {
			wf.Annotations[k] = v
		}
		wf.Finalizers = append(wf.Finalizers, md.Finalizers...)
	}
	t := true
	wf.OwnerReferences = append(wf.OwnerReferences, metav1.OwnerReference{
		APIVersion:         wfv1.SchemeGroupVersion.String(),
		Kind:               "CronWorkflow",
		Name:               cron.Name,
		UID:                cron.UID,
		Controller:         &t,
		BlockOwnerDeletion: &t,
	})
	return wf
}

// formulateResubmit builds the new Workflow `argo resubmit` creates (FormulateResubmitWorkflow),
// named name. With --memoized the old workflow's nodes are carried over under the new name:
// succeeded pods as Skipped (so they are not run again), the others Pending.
func formulateResubmit(old *wfv1.Workflow, a config.ArgoArgs, name string, now time.Time) (*wfv1.Workflow, error) {
	wf := &wfv1.Workflow{TypeMeta: old.TypeMeta}
	if wf.APIVersion == "" {
		wf.APIVersion, wf.Kind = wfv1.SchemeGroupVersion.String(), "Workflow"
	}
	if old.GenerateName != "" {
		wf.GenerateName = old.GenerateName
	} else {
		wf.GenerateName = old.Name + "-"
	}
	wf.Name = name
	if a.Memoized {
		switch old.Status.Phase {
		case wfv1.WorkflowFailed, wfv1.WorkflowError:
		default:
			return nil, permanent(fmt.Errorf("workflow %s/%s must be Failed/Error to resubmit in memoized mode, it is %q", old.Namespace, old.Name, old.Status.Phase))
		}
	}
	wf.Spec = *old.Spec.DeepCopy()
	if wf.Spec.ActiveDeadlineSeconds != nil && *wf.Spec.ActiveDeadlineSeconds == 0 {
		wf.Spec.ActiveDeadlineSeconds = nil
	}
	wf.Spec.Shutdown = ""
	wf.Labels = map[string]string{}
	for k, v := range old.Labels {
		switch k {
		case labelCreator, labelCreatorEmail, labelCreatorPreferred, labelPhase, labelCompleted, labelArchiveStatus:
		default:
			wf.Labels[k] = v
		}
	}
	wf.Labels[labelPreviousWorkflow] = old.Name
	wf.Annotations = map[string]string{}
	for k, v := range old.Annotations {
		wf.Annotations[k] = v
	}
	wf.OwnerReferences = append(wf.OwnerReferences, old.OwnerReferences...)
	overrideParameters(wf, a.Parameters)
	if !a.Memoized {
		return wf, nil
	}
	if _, err := hydrate(old); err != nil {
		return nil, err
	}
	rename := func(n string) string {
		if strings.HasPrefix(n, old.Name) {
			return wf.Name + strings.TrimPrefix(n, old.Name)
		}
		return n
	}
	newID := func(oldID string) string { return wf.NodeID(rename(old.Status.Nodes[oldID].Name)) }
	onExit := old.Name + ".onExit"
	wf.Status.Nodes = wfv1.Nodes{}
	for _, n := range old.Status.Nodes {
		if strings.HasPrefix(n.Name, onExit) {
			continue
		}
		nn := n.DeepCopy()
		originalID := n.ID
		nn.Name = rename(n.Name)
		nn.ID = wf.NodeID(nn.Name)
		if n.BoundaryID != "" {
			nn.BoundaryID = newID(n.BoundaryID)
		}
		if nn.FailedOrError() && nn.Type == wfv1.NodeTypePod {
			nn.StartedAt, nn.FinishedAt = metav1.Time{}, metav1.Time{}
		} else {
			nn.StartedAt = metav1.Time{Time: now.UTC()}
			nn.FinishedAt = nn.StartedAt
		}
		nn.Children = make([]string, len(n.Children))
		for i, ch := range n.Children {
			nn.Children[i] = newID(ch)
		}
		nn.OutboundNodes = make([]string, len(n.OutboundNodes))
		for i, o := range n.OutboundNodes {
			nn.OutboundNodes[i] = newID(o)
		}
		switch {
		case !nn.FailedOrError() && nn.Type == wfv1.NodeTypePod:
			nn.Phase, nn.Type = wfv1.NodeSkipped, wfv1.NodeTypeSkipped
			nn.Message = "original pod: " + originalID
		case nn.Type == wfv1.NodeTypeSkipped && !descendantSucceeded(old.Status.Nodes, n, map[string]bool{}, map[string]bool{}):
			delete(wf.Status.Nodes, nn.ID)
			continue
		default:
			nn.Phase, nn.Message = wfv1.NodePending, ""
		}
		wf.Status.Nodes[nn.ID] = *nn
	}
	wf.Status.StoredTemplates = map[string]wfv1.Template{}
	for id, t := range old.Status.StoredTemplates {
		wf.Status.StoredTemplates[id] = t
	}
	wf.Status.Conditions = wfv1.Conditions{{Status: metav1.ConditionFalse, Type: wfv1.ConditionTypeCompleted}}
	wf.Status.Phase = wfv1.WorkflowUnknown
	return wf, nil
}

// objectName is the engine's deterministic name for generateName: the same firing always names
// the same Workflow.
func objectName(generateName string, f sensor.Firing) string {
	deps := make([]string, 0, len(f.Events))
	for d := range f.Events {
		deps = append(deps, d)
	}
	slices.Sort(deps)
	return sensor.ObjectName(generateName, f.Sensor, f.Trigger, deps, f.EventIDs)
}

func toWorkflow(obj *unstructured.Unstructured) (*wfv1.Workflow, error) {
	var wf wfv1.Workflow
	data, err := json.Marshal(obj.Object)
	if err == nil {
		err = json.Unmarshal(data, &wf)
	}
	if err != nil {
		return nil, permanent(fmt.Errorf("decoding Workflow: %w", err))
	}
	if wf.APIVersion == "" {
		wf.APIVersion = wfv1.SchemeGroupVersion.String()
	}
	if wf.Kind == "" {
		wf.Kind = "Workflow"
	}
	return &wf, nil
}

func fromWorkflow(wf *wfv1.Workflow) (*unstructured.Unstructured, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(wf)
	if err != nil {
		return nil, permanent(fmt.Errorf("encoding Workflow %s: %w", wf.Name, err))
	}
	u := &unstructured.Unstructured{Object: m}
	// A new Workflow carries no status, and a zero creationTimestamp encodes as null.
	unstructured.RemoveNestedField(u.Object, "metadata", "creationTimestamp")
	if wf.ResourceVersion == "" && wf.Status.Phase == "" && len(wf.Status.Nodes) == 0 && wf.Status.CompressedNodes == "" {
		unstructured.RemoveNestedField(u.Object, "status")
	}
	return u, nil
}

func (c *Client) getWorkflow(ctx context.Context, ns, name string) (*wfv1.Workflow, error) {
	if name == "" {
		return nil, permanent(errors.New("the trigger's Workflow has no metadata.name"))
	}
	u, err := c.dyn.Resource(WorkflowsResource).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("reading Workflow %s/%s: %w", ns, name, err)
	}
	return toWorkflow(u)
}

// createWorkflow creates wf; AlreadyExists is success, reporting the existing Workflow.
func (c *Client) createWorkflow(ctx context.Context, wf *wfv1.Workflow, out Outcome) (Outcome, error) {
	u, err := fromWorkflow(wf)
	if err != nil {
		return out, err
	}
	return c.create(ctx, c.dyn.Resource(WorkflowsResource).Namespace(wf.Namespace), u, out)
}

// updateWorkflow reads the Workflow, lets mutate change it and writes it back, trying again on
// a conflict as argo does. mutate returns whether it changed anything and the pods to delete
// first (retry).
func (c *Client) updateWorkflow(ctx context.Context, ns, name string, out Outcome,
	mutate func(*wfv1.Workflow) (bool, []string, error)) (Outcome, error) {
	out.Name = name
	wfs := c.dyn.Resource(WorkflowsResource).Namespace(ns)
	for attempt := 0; ; attempt++ {
		wf, err := c.getWorkflow(ctx, ns, name)
		if err != nil {
			return out, err
		}
		compressed, err := hydrate(wf)
		if err != nil {
			return out, err
		}
		changed, pods, err := mutate(wf)
		if err != nil {
			return out, err
		}
		if !changed {
			u, err := fromWorkflow(wf)
			if err != nil {
				return out, err
			}
			out.Object = u
			return out, nil
		}
		for _, pod := range pods {
			err := c.dyn.Resource(podsResource).Namespace(ns).Delete(ctx, pod, metav1.DeleteOptions{})
			if err != nil && !apierrors.IsNotFound(err) {
				return out, fmt.Errorf("deleting pod %s/%s of workflow %s: %w", ns, pod, name, err)
			}
		}
		if compressed {
			if err := dehydrate(wf); err != nil {
				return out, err
			}
		}
		u, err := fromWorkflow(wf)
		if err != nil {
			return out, err
		}
		got, err := wfs.Update(ctx, u, metav1.UpdateOptions{})
		if apierrors.IsConflict(err) && attempt < 5 {
			continue
		}
		if err != nil {
			return out, fmt.Errorf("updating Workflow %s/%s: %w", ns, name, err)
		}
		out.Object = got
		return out, nil
	}
}

// shutdown sets spec.shutdown with a merge patch, refusing a completed workflow (patchShutdownStrategy).
func (c *Client) shutdown(ctx context.Context, ns, name string, s wfv1.ShutdownStrategy, out Outcome) (Outcome, error) {
	out.Name = name
	wf, err := c.getWorkflow(ctx, ns, name)
	if err != nil {
		return out, err
	}
	if wf.Status.Fulfilled() {
		return out, permanent(fmt.Errorf("cannot shutdown a completed workflow: workflow: %q, namespace: %q", name, ns))
	}
	patch := []byte(fmt.Sprintf(`{"spec":{"shutdown":%q}}`, s))
	got, err := c.dyn.Resource(WorkflowsResource).Namespace(ns).Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{})
	if err != nil {
		return out, fmt.Errorf("setting shutdown %s on Workflow %s/%s: %w", s, ns, name, err)
	}
	out.Object = got
	return out, nil
}
