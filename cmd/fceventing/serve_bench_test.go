package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"

	"github.com/fc-eventing/fc-eventing/test/kube"
)

// BenchmarkServeLatency measures, against a real kube-apiserver, how long
// a signed GitHub delivery takes from being sent to serve until its
// Workflow is persisted (seen by a watch), next to the raw create latency
// of the same Workflow with client-go in the same run. Reported: p50 and
// p99 in milliseconds.
func BenchmarkServeLatency(b *testing.B) {
	ctx := context.Background()
	cl, err := kube.Start(ctx, kube.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(cl.Stop)
	if err := cl.EnsureNamespace(ctx, "argo"); err != nil {
		b.Fatal(err)
	}
	dc, err := dynamic.NewForConfig(cl.AdminConfig())
	if err != nil {
		b.Fatal(err)
	}
	gvr := schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "workflows"}

	b.Run("raw-create", func(b *testing.B) {
		var lat []time.Duration
		i := 0
		for b.Loop() {
			i++
			wf := &unstructured.Unstructured{Object: map[string]any{
				"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
				"metadata": map[string]any{"name": fmt.Sprintf("raw-%d-%d", b.N, i), "namespace": "argo"},
				"spec":     map[string]any{"entrypoint": "build", "templates": []any{map[string]any{"name": "build", "container": map[string]any{"image": "golang:1.26"}}}},
			}}
			t0 := time.Now()
			if _, err := dc.Resource(gvr).Namespace("argo").Create(ctx, wf, metav1.CreateOptions{}); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
		}
		reportPercentiles(b, lat)
	})

	b.Run("webhook-to-workflow", func(b *testing.B) {
		dir := serveConfig(b)
		kc := filepath.Join(b.TempDir(), "kubeconfig")
		if err := os.WriteFile(kc, []byte(fmt.Sprintf("apiVersion: v1\nkind: Config\nclusters:\n- name: t\n  cluster: {server: %q, certificate-authority-data: %s}\n"+
			"users:\n- name: a\n  user: {token: %q}\ncontexts:\n- name: t\n  context: {cluster: t, user: a}\ncurrent-context: t\n",
			cl.URL, base64.StdEncoding.EncodeToString(cl.CAData), cl.AdminToken)), 0o600); err != nil {
			b.Fatal(err)
		}
		r := startServe(b, noEnv, "--config", dir, "--bus", "memory", "--kubeconfig", kc)
		w, err := dc.Resource(gvr).Namespace("argo").Watch(ctx, metav1.ListOptions{})
		if err != nil {
			b.Fatal(err)
		}
		defer w.Stop()
		var lat []time.Duration
		i := 0
		for b.Loop() {
			i++
			delivery := fmt.Sprintf("bench-%d-%d", b.N, i)
			name := ciName(delivery)
			t0 := time.Now()
			if status, body := send(b, githubPush(b, r.url+"/github/push", serveSecret, delivery)); status != http.StatusOK {
				b.Fatalf("delivery answered %d %s", status, body)
			}
			for seen := false; !seen; {
				select {
				case ev := <-w.ResultChan():
					if ev.Type == watch.Added {
						if o, ok := ev.Object.(*unstructured.Unstructured); ok && o.GetName() == name {
							seen = true
						}
					}
				case <-time.After(30 * time.Second):
					b.Fatalf("workflow %s not seen", name)
				}
			}
			lat = append(lat, time.Since(t0))
		}
		reportPercentiles(b, lat)
		if code := r.shutdown(b); code != exitOK {
			b.Fatalf("serve exited with %d", code)
		}
	})
}

func reportPercentiles(b *testing.B, lat []time.Duration) {
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	at := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}
