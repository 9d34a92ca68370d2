package argo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"

	"github.com/fc-eventing/fc-eventing/shared/config"
	"github.com/fc-eventing/fc-eventing/shared/sensor"
)

// FieldManager is the field manager of server-side apply patches.
const FieldManager = "fc-eventing"

// JSONPatchKey is the top-level key of a k8s trigger object that holds the RFC 6902 operations
// when patchStrategy is json: the rest of the object only names the target (apiVersion, kind,
// metadata.name, metadata.namespace). A JSON patch is a list, not an object, so it cannot be the
// trigger's resource itself.
const JSONPatchKey = "patch"

// PatchType maps a k8s trigger's patchStrategy to the request's content type. Argo Events takes
// the content type itself; the short names merge, json, strategic and apply are accepted too.
// Empty means merge, as in Argo Events.
func PatchType(strategy string) (types.PatchType, error) {
	switch strings.ToLower(strategy) {
	case "", "merge", string(types.MergePatchType):
		return types.MergePatchType, nil
	case "json", string(types.JSONPatchType):
		return types.JSONPatchType, nil
	case "strategic", "strategic-merge", string(types.StrategicMergePatchType):
		return types.StrategicMergePatchType, nil
	case "apply", "server-side-apply", string(types.ApplyPatchType):
		return types.ApplyPatchType, nil
	}
	return "", fmt.Errorf("patchStrategy %q is not merge, json, strategic or apply", strategy)
}

// k8s carries out a k8s trigger on any resource through the dynamic client.
func (c *Client) k8s(ctx context.Context, f sensor.Firing, obj *unstructured.Unstructured, out Outcome) (Outcome, error) {
	var spec config.StandardK8STrigger
	if f.Spec != nil && f.Spec.Template != nil && f.Spec.Template.K8s != nil {
		spec = *f.Spec.Template.K8s
	}
	op := config.KubernetesResourceOperation(f.Operation)
	if op == "" {
		op = config.K8sCreate
	}
	ri, mapping, err := c.resourceFor(ctx, obj, f.Namespace)
	if err != nil {
		return out, err
	}
	out.Resource = mapping.Resource
	out.Namespace = obj.GetNamespace()
	out.Name = obj.GetName()

	if spec.LiveObject && op == config.K8sUpdate {
		// liveObject (update only, as in Argo Events): the object is read from the cluster and
		// the trigger's parameters are applied to it, instead of to the resource in the sensor.
		live, err := ri.Get(ctx, obj.GetName(), metav1.GetOptions{})
		if err != nil {
			return out, fmt.Errorf("reading live %s %s: %w", mapping.GroupVersionKind.Kind, describe(obj), err)
		}
		resolved, err := resolve(f, live.Object)
		if err != nil {
			return out, permanent(fmt.Errorf("applying parameters to the live object: %w", err))
		}
		obj = &unstructured.Unstructured{Object: resolved}
	}

	switch op {
	case config.K8sCreate:
		return c.create(ctx, ri, obj, out)

	case config.K8sUpdate:
		existing, err := ri.Get(ctx, obj.GetName(), metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return c.create(ctx, ri, obj, out)
		}
		if err != nil {
			return out, fmt.Errorf("reading %s %s to update it: %w", mapping.GroupVersionKind.Kind, describe(obj), err)
		}
		// As Argo Events: the trigger's fields override the existing object's.
		merged := mergeOverride(existing.Object, obj.Object)
		u := &unstructured.Unstructured{Object: merged}
		u.SetResourceVersion(existing.GetResourceVersion())
		got, err := ri.Update(ctx, u, metav1.UpdateOptions{})
		if err != nil {
			return out, fmt.Errorf("updating %s %s: %w", mapping.GroupVersionKind.Kind, describe(obj), err)
		}
		out.Object = got
		return out, nil

	case config.K8sPatch:
		pt, err := PatchType(spec.PatchStrategy)
		if err != nil {
			return out, permanent(err)
		}
		var body []byte
		opts := metav1.PatchOptions{}
		switch pt {
		case types.JSONPatchType:
			ops, ok := obj.Object[JSONPatchKey]
			if !ok {
				return out, permanent(fmt.Errorf("patchStrategy json needs the operations under the object's %q key", JSONPatchKey))
			}
			body, err = json.Marshal(ops)
		case types.ApplyPatchType:
			force := true
			opts.FieldManager, opts.Force = FieldManager, &force
			body, err = json.Marshal(obj.Object)
		default:
			body, err = json.Marshal(obj.Object)
		}
		if err != nil {
			return out, permanent(fmt.Errorf("encoding patch: %w", err))
		}
		got, err := ri.Patch(ctx, obj.GetName(), pt, body, opts)
		if apierrors.IsNotFound(err) && pt != types.JSONPatchType {
			// As Argo Events: patching what is not there creates it.
			return c.create(ctx, ri, obj, out)
		}
		if err != nil {
			return out, fmt.Errorf("patching %s %s (%s): %w", mapping.GroupVersionKind.Kind, describe(obj), pt, err)
		}
		out.Object = got
		return out, nil

	case config.K8sDelete:
		err := ri.Delete(ctx, obj.GetName(), metav1.DeleteOptions{})
		if apierrors.IsNotFound(err) {
			// Already gone: what a redelivered delete finds.
			out.Existed = false
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("deleting %s %s: %w", mapping.GroupVersionKind.Kind, describe(obj), err)
		}
		return out, nil
	}
	return out, permanent(fmt.Errorf("k8s operation %q is not create, update, patch or delete", op))
}

// resourceFor maps the object's apiVersion/kind to its resource, defaulting the namespace of a
// namespaced object to the sensor's.
func (c *Client) resourceFor(ctx context.Context, obj *unstructured.Unstructured, defaultNS string) (dynamic.ResourceInterface, *meta.RESTMapping, error) {
	gvk := obj.GroupVersionKind()
	if gvk.Kind == "" || gvk.Version == "" {
		return nil, nil, permanent(errors.New("the trigger's object has no apiVersion or kind"))
	}
	// The mapper looks again itself when a CRD was installed after its cache was filled.
	m, err := c.mapper.RESTMapping(ctx, gvk)
	if err != nil {
		if meta.IsNoMatchError(err) {
			return nil, nil, permanent(fmt.Errorf("the cluster serves no %s: %w", gvk, err))
		}
		return nil, nil, fmt.Errorf("looking up the resource of %s: %w", gvk, err)
	}
	if m.Scope.Name() != meta.RESTScopeNameNamespace {
		obj.SetNamespace("")
		return c.dyn.Resource(m.Resource), m, nil
	}
	if obj.GetNamespace() == "" {
		ns := defaultNS
		if ns == "" {
			ns = "default"
		}
		obj.SetNamespace(ns)
	}
	return c.dyn.Resource(m.Resource).Namespace(obj.GetNamespace()), m, nil
}

// create creates obj; AlreadyExists is success, reporting the object that is there.
func (c *Client) create(ctx context.Context, ri dynamic.ResourceInterface, obj *unstructured.Unstructured, out Outcome) (Outcome, error) {
	out.Namespace = obj.GetNamespace()
	got, err := ri.Create(ctx, obj, metav1.CreateOptions{})
	if err == nil {
		out.Name = got.GetName()
		out.Object = got
		return out, nil
	}
	if !apierrors.IsAlreadyExists(err) || obj.GetName() == "" {
		return out, fmt.Errorf("creating %s %s: %w", obj.GetKind(), describe(obj), err)
	}
	existing, gerr := ri.Get(ctx, obj.GetName(), metav1.GetOptions{})
	if gerr != nil {
		return out, fmt.Errorf("creating %s %s: already exists, and reading it: %w", obj.GetKind(), describe(obj), gerr)
	}
	out.Name = existing.GetName()
	out.Object = existing
	out.Existed = true
	return out, nil
}

func describe(obj *unstructured.Unstructured) string {
	name := obj.GetName()
	if name == "" {
		name = obj.GetGenerateName() + "*"
	}
	if ns := obj.GetNamespace(); ns != "" {
		return ns + "/" + name
	}
	return name
}

// mergeOverride returns dst with src merged in: maps merged key by key, any other src value
// replacing dst's.
func mergeOverride(dst, src map[string]any) map[string]any {
	out := make(map[string]any, len(dst))
	for k, v := range dst {
		out[k] = v
	}
	for k, v := range src {
		sm, sok := v.(map[string]any)
		dm, dok := out[k].(map[string]any)
		if sok && dok {
			out[k] = mergeOverride(dm, sm)
			continue
		}
		out[k] = v
	}
	return out
}
