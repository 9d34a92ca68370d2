package argo_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"

	"github.com/fc-eventing/fc-eventing/shared/sensor"
	"github.com/fc-eventing/fc-eventing/shared/trigger/argo"
)

// TestKindsInstalledLater: a k8s trigger reaches a kind whose CRD was installed after the
// client had looked up its group version (once not served at all, once serving only another
// kind), and a kind the cluster does not serve is a permanent failure.
func TestKindsInstalledLater(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t)
	group := fmt.Sprintf("late%d.fc-eventing.io", time.Now().UnixNano())
	c := newClient(t)
	widget := func(kind, name string) sensor.Firing {
		return firing(ns, "late", sensor.TypeK8s, "create",
			obj(t, `{apiVersion: `+group+`/v1, kind: `+kind+`, metadata: {name: `+name+`}, spec: {size: 3}}`))
	}
	wantNoMatch := func(kind string) {
		t.Helper()
		_, err := c.Execute(ctx, widget(kind, "none"))
		var te *argo.Error
		if !errors.As(err, &te) || te.Transient || !strings.Contains(err.Error(), "the cluster serves no") {
			t.Fatalf("%s before its CRD: %v, want a permanent failure saying the cluster serves no such kind", kind, err)
		}
	}

	wantNoMatch("Widget") // the group version is not served yet
	installCRD(t, group, "widgets", "Widget", "Namespaced")
	out, err := c.Execute(ctx, widget("Widget", "w1"))
	if err != nil {
		t.Fatalf("Widget after its CRD: %v", err)
	}
	if out.Resource.Resource != "widgets" || out.Namespace != ns {
		t.Fatalf("outcome %+v", out)
	}

	wantNoMatch("Gadget") // the group version is served, without this kind
	installCRD(t, group, "gadgets", "Gadget", "Cluster")
	out, err = c.Execute(ctx, widget("Gadget", ns+"-g1"))
	if err != nil {
		t.Fatalf("Gadget after its CRD: %v", err)
	}
	if out.Resource.Resource != "gadgets" || out.Namespace != "" || out.Object.GetNamespace() != "" {
		t.Fatalf("cluster-scoped outcome %+v", out)
	}
	// The first kind still resolves from the refreshed document.
	if _, err := c.Execute(ctx, widget("Widget", "w2")); err != nil {
		t.Fatalf("Widget again: %v", err)
	}
}

// installCRD installs a CRD of group/v1 that keeps any fields and waits until it is served.
func installCRD(t *testing.T, group, plural, kind, scope string) {
	t.Helper()
	ctx := context.Background()
	manifest := `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: ` + plural + `.` + group + `}
spec:
  group: ` + group + `
  scope: ` + scope + `
  names: {plural: ` + plural + `, kind: ` + kind + `}
  versions:
    - name: v1
      served: true
      storage: true
      schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
`
	if err := cluster.Apply(ctx, []byte(manifest)); err != nil {
		t.Fatal(err)
	}
	gvr := schema.GroupVersionResource{Group: group, Version: "v1", Resource: plural}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := admin(t).Resource(gvr).List(ctx, metav1.ListOptions{Limit: 1})
		if err == nil {
			return
		}
		if !apierrors.IsNotFound(err) || time.Now().After(deadline) {
			t.Fatalf("waiting for %s to be served: %v", gvr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestWarm: Warm succeeds for an identity that may only read discovery, and the first firing
// after it goes over the connection Warm opened; without Warm it opens its own.
func TestWarm(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t)
	bare, err := cluster.ServiceAccountConfig(ctx, ns, "no-rbac")
	if err != nil {
		t.Fatal(err)
	}
	if err := newClient(t, func(c *argo.Config) { c.REST = bare }).Warm(ctx); err != nil {
		t.Fatalf("warming as an identity without RBAC: %v", err)
	}

	firstReused := func(warm bool) bool {
		// A Proxy function keeps client-go from sharing the transport with other clients.
		rc := rest.CopyConfig(cluster.AdminConfig())
		rc.Proxy = func(*http.Request) (*url.URL, error) { return nil, nil }
		c := newClient(t, func(cfg *argo.Config) { cfg.REST = rc })
		if warm {
			if err := c.Warm(ctx); err != nil {
				t.Fatal(err)
			}
		}
		var reused atomic.Bool
		tctx := httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
			GotConn: func(i httptrace.GotConnInfo) { reused.Store(i.Reused) },
		})
		name := fmt.Sprintf("warm-%v", warm)
		if _, err := c.Execute(tctx, firing(ns, name, sensor.TypeArgoWorkflow, "submit", obj(t, helloWorkflow(name)))); err != nil {
			t.Fatal(err)
		}
		return reused.Load()
	}
	if !firstReused(true) {
		t.Error("the first firing after Warm opened a new connection")
	}
	if firstReused(false) {
		t.Error("without Warm the first firing found an open connection: the check proves nothing")
	}
}
