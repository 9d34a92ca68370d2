package argo

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"slices"
	"strings"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"

	"github.com/fc-eventing/fc-eventing/shared/config"
)

// hydrate expands status.compressedNodes into status.nodes, reporting whether they were
// compressed. Node status offloaded to Argo's database cannot be reached through the
// Kubernetes API and is refused.
func hydrate(wf *wfv1.Workflow) (bool, error) {
	if wf.Status.IsOffloadNodeStatus() {
		return false, permanent(fmt.Errorf("workflow %s/%s keeps its node status in the Argo server's database (offloaded); this operation needs the nodes", wf.Namespace, wf.Name))
	}
	if wf.Status.CompressedNodes == "" {
		return false, nil
	}
	raw, err := base64.StdEncoding.DecodeString(wf.Status.CompressedNodes)
	if err != nil {
		return false, permanent(fmt.Errorf("decoding compressed nodes of %s/%s: %w", wf.Namespace, wf.Name, err))
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return false, permanent(fmt.Errorf("decompressing nodes of %s/%s: %w", wf.Namespace, wf.Name, err))
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		return false, permanent(fmt.Errorf("decompressing nodes of %s/%s: %w", wf.Namespace, wf.Name, err))
	}
	var nodes wfv1.Nodes
	if err := json.Unmarshal(data, &nodes); err != nil {
		return false, permanent(fmt.Errorf("decoding nodes of %s/%s: %w", wf.Namespace, wf.Name, err))
	}
	wf.Status.Nodes = nodes
	wf.Status.CompressedNodes = ""
	return true, nil
}

// dehydrate compresses status.nodes back into status.compressedNodes.
func dehydrate(wf *wfv1.Workflow) error {
	data, err := json.Marshal(wf.Status.Nodes)
	if err != nil {
		return permanent(fmt.Errorf("encoding nodes of %s/%s: %w", wf.Namespace, wf.Name, err))
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		return fmt.Errorf("compressing nodes: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("compressing nodes: %w", err)
	}
	wf.Status.CompressedNodes = base64.StdEncoding.EncodeToString(buf.Bytes())
	wf.Status.Nodes = nil
	return nil
}

// resume clears spec.suspend and marks active suspend nodes Succeeded (ResumeWorkflow); with a
// node field selector only the matching suspend nodes are marked.
func resume(wf *wfv1.Workflow, selector string, now time.Time) (bool, error) {
	if selector != "" {
		return true, setSuspendedNodes(wf, selector, wfv1.NodeSucceeded, "", now)
	}
	changed := false
	if wf.Spec.Suspend != nil && *wf.Spec.Suspend {
		wf.Spec.Suspend = nil
		changed = true
	}
	for id, node := range wf.Status.Nodes {
		if !node.IsActiveSuspendNode() {
			continue
		}
		if err := outputsFromDefaults(node.Outputs); err != nil {
			return false, err
		}
		node.Phase = wfv1.NodeSucceeded
		node.FinishedAt = metav1.Time{Time: now.UTC()}
		wf.Status.Nodes[id] = node
		changed = true
	}
	return changed, nil
}

// outputsFromDefaults gives supplied output parameters their defaults, as resuming does.
func outputsFromDefaults(o *wfv1.Outputs) error {
	if o == nil {
		return nil
	}
	for i, p := range o.Parameters {
		if p.ValueFrom != nil && p.ValueFrom.Supplied != nil {
			if p.ValueFrom.Default == nil {
				return permanent(fmt.Errorf("raw output parameter '%s' has not been set and does not have a default value", p.Name))
			}
			o.Parameters[i].Value = p.ValueFrom.Default
			o.Parameters[i].ValueFrom = nil
		}
	}
	return nil
}

// setSuspendedNodes sets the phase (and message) of the active suspend nodes the selector
// matches (updateSuspendedNode); none matching is an error.
func setSuspendedNodes(wf *wfv1.Workflow, selector string, phase wfv1.NodePhase, message string, now time.Time) error {
	sel, err := fields.ParseSelector(selector)
	if err != nil {
		return permanent(fmt.Errorf("node field selector %q: %w", selector, err))
	}
	updated := false
	for id, node := range wf.Status.Nodes {
		if !node.IsActiveSuspendNode() || !sel.Matches(nodeFields(node)) {
			continue
		}
		node.Phase = phase
		if phase.Fulfilled(node.TaskResultSynced) {
			node.FinishedAt = metav1.Time{Time: now.UTC()}
		}
		if message != "" {
			node.Message = message
		}
		wf.Status.Nodes[id] = node
		updated = true
	}
	if !updated {
		return permanent(fmt.Errorf("no suspend nodes of %s/%s match node field selector %s", wf.Namespace, wf.Name, selector))
	}
	return nil
}

func nodeFields(n wfv1.NodeStatus) fields.Set {
	s := fields.Set{
		"displayName":  n.DisplayName,
		"templateName": nodeTemplate(n),
		"phase":        string(n.Phase),
		"name":         n.Name,
		"id":           n.ID,
	}
	if n.TemplateRef != nil {
		s["templateRef.name"] = n.TemplateRef.Name
		s["templateRef.template"] = n.TemplateRef.Template
	}
	if n.Inputs != nil {
		for _, p := range n.Inputs.Parameters {
			s["inputs.parameters."+p.Name+".value"] = p.Value.String()
		}
	}
	return s
}

func nodeTemplate(n wfv1.NodeStatus) string {
	if n.TemplateRef != nil {
		return n.TemplateRef.Template
	}
	return n.TemplateName
}

// formulateRetry turns a Failed or Error workflow into its retried form in place, as
// `argo retry` does (FormulateRetryWorkflow): completion labels and status cleared, each failed
// execution node without a succeeded descendant removed with its subtree, the nodes on its path
// from the root reset to Running, the exit handler's nodes removed. It returns the pods of the
// removed nodes, which must be deleted before the update.
func formulateRetry(wf *wfv1.Workflow, a config.ArgoArgs, now time.Time) ([]string, error) {
	reset := map[string]bool{}
	switch wf.Status.Phase {
	case wfv1.WorkflowFailed, wfv1.WorkflowError:
	case wfv1.WorkflowSucceeded:
		if !a.RestartSuccessful || a.NodeFieldSelector == "" {
			return nil, permanent(fmt.Errorf("to retry succeeded workflow %s/%s, set --restart-successful and --node-field-selector", wf.Namespace, wf.Name))
		}
	default:
		return nil, permanent(fmt.Errorf("cannot retry workflow %s/%s in phase %q", wf.Namespace, wf.Name, wf.Status.Phase))
	}
	if a.RestartSuccessful && a.NodeFieldSelector != "" {
		sel, err := fields.ParseSelector(a.NodeFieldSelector)
		if err != nil {
			return nil, permanent(fmt.Errorf("node field selector %q: %w", a.NodeFieldSelector, err))
		}
		for id, n := range wf.Status.Nodes {
			if sel.Matches(nodeFields(n)) {
				reset[id] = true
			}
		}
	}
	old := wf.Status.Nodes
	onExit := wf.Name + ".onExit"

	// The nodes to restart: selected ones, and failed execution nodes (through their retry
	// parent) with no succeeded descendant.
	for id, n := range old {
		if !n.FailedOrError() || !isExecutionNode(n.Type) {
			continue
		}
		if n.NodeFlag != nil && n.NodeFlag.Retried {
			if p := old.FindByChild(id); p != nil {
				n = *p
			}
		}
		if !descendantSucceeded(old, n, reset, map[string]bool{}) {
			reset[id] = true
		}
	}

	g, err := newNodeGraph(wf)
	if err != nil {
		return nil, permanent(fmt.Errorf("retrying %s/%s: %w", wf.Namespace, wf.Name, err))
	}
	toReset, toDelete := map[string]bool{}, map[string]bool{}
	for _, id := range g.breadthFirst(wf.Name) {
		if !reset[id] || toDelete[id] {
			continue
		}
		r, d, err := g.resetPath(id)
		if err != nil {
			return nil, permanent(fmt.Errorf("retrying %s/%s: %w", wf.Namespace, wf.Name, err))
		}
		for k := range r {
			toReset[k] = true
		}
		for k := range d {
			toDelete[k] = true
		}
	}

	nodes := wfv1.Nodes{}
	for id := range toReset {
		if !toDelete[id] {
			n := old[id]
			nodes[id] = resetNode(*n.DeepCopy(), now)
		}
	}
	var pods []string
	seen := map[string]bool{}
	addPod := func(n wfv1.NodeStatus) {
		if name := podName(wf, n); !seen[name] {
			seen[name] = true
			pods = append(pods, name)
		}
	}
	for id := range toDelete {
		if n := old[id]; n.Type == wfv1.NodeTypePod {
			addPod(n)
		}
	}
	for id, n := range old {
		drop := toDelete[id] || strings.HasPrefix(n.Name, onExit)
		if _, ok := nodes[id]; !ok && !drop {
			nodes[id] = *n.DeepCopy()
		}
		if n.Name == onExit {
			queue := []wfv1.NodeStatus{n}
			for len(queue) > 0 {
				cur := queue[0]
				queue = queue[1:]
				addPod(cur)
				for _, ch := range cur.Children {
					child, ok := old[ch]
					if !ok {
						return nil, permanent(fmt.Errorf("retrying %s/%s: node %s has unknown child %s", wf.Namespace, wf.Name, cur.ID, ch))
					}
					queue = append(queue, child)
				}
			}
		}
	}
	for id, n := range nodes {
		o := old[id]
		n.Children = slices.DeleteFunc(slices.Clone(o.Children), func(c string) bool { return toDelete[c] })
		n.OutboundNodes = slices.DeleteFunc(slices.Clone(o.OutboundNodes), func(c string) bool { return toDelete[c] })
		if n.Children == nil {
			n.Children = []string{}
		}
		if n.OutboundNodes == nil {
			n.OutboundNodes = []string{}
		}
		nodes[id] = n
	}

	delete(wf.Labels, labelCompleted)
	delete(wf.Labels, labelArchiveStatus)
	if wf.Labels == nil {
		wf.Labels = map[string]string{}
	}
	wf.Labels[labelPhase] = string(wfv1.NodeRunning)
	wf.Status.Conditions.UpsertCondition(wfv1.Condition{Status: metav1.ConditionFalse, Type: wfv1.ConditionTypeCompleted})
	wf.Status.Phase = wfv1.WorkflowRunning
	wf.Status.Nodes = nodes
	wf.Status.Message = ""
	wf.Status.StartedAt = metav1.Time{Time: now.UTC()}
	wf.Status.FinishedAt = metav1.Time{}
	if wf.Status.StoredWorkflowSpec != nil {
		wf.Status.StoredWorkflowSpec.Shutdown = ""
	}
	wf.Spec.Shutdown = ""
	wf.Status.PersistentVolumeClaims = nil
	if wf.Spec.ActiveDeadlineSeconds != nil && *wf.Spec.ActiveDeadlineSeconds == 0 {
		wf.Spec.ActiveDeadlineSeconds = nil
	}
	overrideParameters(wf, a.Parameters)
	return pods, nil
}

func resetNode(n wfv1.NodeStatus, now time.Time) wfv1.NodeStatus {
	if n.Type == wfv1.NodeTypeSuspend && n.Outputs != nil {
		for i, p := range n.Outputs.Parameters {
			n.Outputs.Parameters[i] = wfv1.Parameter{Name: p.Name, ValueFrom: &wfv1.ValueFrom{Supplied: &wfv1.SuppliedValueFrom{}}}
		}
	}
	if n.Phase != wfv1.NodeSkipped {
		n.Phase = wfv1.NodeRunning
	}
	n.Message = ""
	n.StartedAt = metav1.Time{Time: now.UTC()}
	n.FinishedAt = metav1.Time{}
	return n
}

func isExecutionNode(t wfv1.NodeType) bool {
	return t == wfv1.NodeTypeContainer || t == wfv1.NodeTypePod || t == wfv1.NodeTypeHTTP || t == wfv1.NodeTypePlugin
}

func isGroupNode(t wfv1.NodeType) bool {
	return t == wfv1.NodeTypeDAG || t == wfv1.NodeTypeTaskGroup || t == wfv1.NodeTypeStepGroup || t == wfv1.NodeTypeSteps
}

func descendantSucceeded(nodes wfv1.Nodes, n wfv1.NodeStatus, reset, seen map[string]bool) bool {
	for _, ch := range n.Children {
		if seen[ch] {
			continue
		}
		seen[ch] = true
		c, ok := nodes[ch]
		if !ok {
			continue
		}
		if (!reset[ch] && c.Phase == wfv1.NodeSucceeded) || descendantSucceeded(nodes, c, reset, seen) {
			return true
		}
	}
	return false
}

// nodeGraph is the workflow's node tree: each node's parent is the node listing it as a child.
type nodeGraph struct {
	nodes  wfv1.Nodes
	parent map[string]string
}

func newNodeGraph(wf *wfv1.Workflow) (*nodeGraph, error) {
	g := &nodeGraph{nodes: wf.Status.Nodes, parent: map[string]string{}}
	for id, n := range wf.Status.Nodes {
		for _, ch := range n.Children {
			if _, ok := wf.Status.Nodes[ch]; !ok {
				return nil, fmt.Errorf("node %s has unknown child %s", id, ch)
			}
			g.parent[ch] = id
		}
	}
	for id, n := range wf.Status.Nodes {
		if _, ok := g.parent[id]; !ok && n.Name != wf.Name && !strings.HasPrefix(n.Name, wf.Name+".onExit") {
			return nil, fmt.Errorf("node %s has no parent", id)
		}
	}
	return g, nil
}

// breadthFirst lists node ids from the root (the node named after the workflow) down; exit
// handler nodes are not reached.
func (g *nodeGraph) breadthFirst(root string) []string {
	var queue []string
	for id, n := range g.nodes {
		if n.Name == root {
			queue = append(queue, id)
			break
		}
	}
	var out []string
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		out = append(out, id)
		queue = append(queue, g.nodes[id].Children...)
	}
	return out
}

func (g *nodeGraph) subtree(id string) map[string]bool {
	out := map[string]bool{}
	queue := []string{id}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, ch := range g.nodes[cur].Children {
			if !out[ch] {
				out[ch] = true
				queue = append(queue, ch)
			}
		}
	}
	return out
}

func (g *nodeGraph) parentOf(id string) (string, bool) {
	p, ok := g.parent[id]
	return p, ok
}

// resetPath is what restarting node start needs: the node and its subtree are deleted; going
// up to the root, group nodes and their boundaries, failed retry nodes, and the pod a container
// belongs to are reset (a container's pod is deleted and run again).
func (g *nodeGraph) resetPath(start string) (reset, del map[string]bool, err error) {
	del = g.subtree(start)
	del[start] = true
	reset = map[string]bool{}
	if _, hasParent := g.parentOf(start); !hasParent {
		return reset, del, nil
	}
	cur, ok := start, true
	for ok {
		n := g.nodes[cur]
		switch {
		case isGroupNode(n.Type):
			reset[cur] = true
			cur, ok, err = g.resetBoundaries(cur, reset)
			if err != nil {
				return nil, nil, err
			}
			continue
		case n.Type == wfv1.NodeTypeRetry && n.FailedOrError():
			reset[cur] = true
		case n.Type == wfv1.NodeTypeContainer:
			pod, found := cur, false
			for {
				if g.nodes[pod].Type == wfv1.NodeTypePod {
					found = true
					break
				}
				if pod, ok = g.parentOf(pod); !ok {
					break
				}
			}
			if !found {
				return nil, nil, fmt.Errorf("container node %s has no pod node above it", cur)
			}
			reset[pod] = true
			del[pod] = true
			for k := range g.subtree(pod) {
				del[k] = true
			}
			cur = pod
			continue
		}
		cur, ok = g.parentOf(cur)
	}
	return reset, del, nil
}

// resetBoundaries resets, from a group node up, the retry/step-group/task-group parents and
// every node up to the boundary the node belongs to, then continues above the boundary.
func (g *nodeGraph) resetBoundaries(id string, reset map[string]bool) (string, bool, error) {
	cur := id
	for {
		p, hasParent := g.parentOf(cur)
		if hasParent && g.nodes[p].Type == wfv1.NodeTypeRetry {
			reset[p] = true
			cur = p
			p, hasParent = g.parentOf(cur)
		}
		if hasParent && (g.nodes[p].Type == wfv1.NodeTypeStepGroup || g.nodes[p].Type == wfv1.NodeTypeTaskGroup) {
			reset[p] = true
		}
		boundary := g.nodes[cur].BoundaryID
		if boundary == "" {
			return p, hasParent, nil
		}
		for {
			if cur == boundary {
				reset[cur] = true
				break
			}
			var ok bool
			if cur, ok = g.parentOf(cur); !ok {
				return "", false, errors.New("boundary " + boundary + " is not above node " + id)
			}
		}
	}
}

// podName is the name of the pod that ran node n (GeneratePodName, pod name format v2 unless
// the workflow says v1).
func podName(wf *wfv1.Workflow, n wfv1.NodeStatus) string {
	if wf.Annotations[annotationPodNameVersion] == "v1" {
		return n.ID
	}
	if wf.Name == n.Name {
		return wf.Name
	}
	prefix := wf.Name
	if t := nodeTemplate(n); t != "" {
		prefix += "-" + t
	}
	if max := 253 - 10 - 1; len(prefix) > max {
		prefix = prefix[:max]
	}
	h := fnv.New32a()
	h.Write([]byte(n.Name))
	return fmt.Sprintf("%s-%d", prefix, h.Sum32())
}
