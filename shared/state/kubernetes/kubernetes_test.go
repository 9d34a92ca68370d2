package kubernetes_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8s "k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	"github.com/fc-eventing/fc-eventing/shared/event"
	"github.com/fc-eventing/fc-eventing/shared/sensor"
	"github.com/fc-eventing/fc-eventing/shared/state/kubernetes"
	"github.com/fc-eventing/fc-eventing/shared/state/memory"
	"github.com/fc-eventing/fc-eventing/shared/state/statetest"
	"github.com/fc-eventing/fc-eventing/test/kube"
)

var cluster *kube.Server

func TestMain(m *testing.M) { os.Exit(kube.Run(m, &cluster)) }

const stateNamespace = "fce-state"

// functionIdentity is a ServiceAccount that may only get, create and update
// ConfigMaps in ns: what the state needs, and no more.
func functionIdentity(t *testing.T, ns, name string, verbs ...string) *rest.Config {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg, err := cluster.ServiceAccountConfig(ctx, ns, name)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := k8s.NewForConfig(cluster.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	role := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: verbs}},
	}
	if _, err := admin.RbacV1().Roles(ns).Create(ctx, role, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	rb := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: name},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: name, Namespace: ns}},
	}
	if _, err := admin.RbacV1().RoleBindings(ns).Create(ctx, rb, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	// RBAC takes effect asynchronously; wait until the grant is visible.
	cs, err := k8s.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(verbs) > 0 {
		for {
			_, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, "fce-probe", metav1.GetOptions{})
			if err == nil || apierrors.IsNotFound(err) {
				break
			}
			if ctx.Err() != nil {
				t.Fatalf("waiting for RBAC: %v", err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return cfg
}

func newState(t *testing.T, cfg *rest.Config) *kubernetes.State {
	t.Helper()
	s, err := kubernetes.New(cfg, kubernetes.Options{Namespace: stateNamespace})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestBehaviour(t *testing.T) {
	cfg := functionIdentity(t, stateNamespace, "sensor", "get", "create", "update")
	statetest.Run(t, func(t *testing.T) sensor.State { return newState(t, cfg) })
}

func TestObject(t *testing.T) {
	cfg := functionIdentity(t, stateNamespace, "sensor", "get", "create", "update")
	s := newState(t, cfg)
	ctx := context.Background()
	key := sensor.Key{Namespace: "argo-events", Sensor: "github-and-oss", Trigger: "build"}
	entry := sensor.Entry{
		Event: event.Event{ID: "d-1", Source: "github", Subject: "push", Type: "github", Time: time.Unix(1, 0).UTC(),
			DataContentType: "application/json", Data: json.RawMessage(`{"ref":"main"}`)},
		At: time.Unix(2, 0).UTC(),
	}
	err := s.Update(ctx, key, func(map[string]sensor.Entry) (map[string]sensor.Entry, error) {
		return map[string]sensor.Entry{"push": entry}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	admin, err := k8s.NewForConfig(cluster.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	name := kubernetes.ObjectName(key)
	if !strings.HasPrefix(name, "fce-state-github-and-oss-build-") {
		t.Errorf("object name %q", name)
	}
	cm, err := admin.CoreV1().ConfigMaps(stateNamespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cm.Labels[sensor.LabelSensor] != "github-and-oss" || cm.Labels[sensor.LabelTrigger] != "build" ||
		cm.Labels[kubernetes.LabelManagedBy] != kubernetes.ManagedBy {
		t.Errorf("labels %v", cm.Labels)
	}
	var stored map[string]struct {
		Event map[string]any `json:"event"`
		At    time.Time      `json:"at"`
	}
	if err := json.Unmarshal([]byte(cm.Data[kubernetes.DataKey]), &stored); err != nil {
		t.Fatalf("data %q: %v", cm.Data, err)
	}
	if ev := stored["push"].Event; ev["specversion"] != "1.0" || ev["id"] != "d-1" || !stored["push"].At.Equal(entry.At) {
		t.Errorf("stored entry %v", stored["push"])
	}

	// Firing empties the object; it stays, so no delete permission is needed.
	err = s.Update(ctx, key, func(map[string]sensor.Entry) (map[string]sensor.Entry, error) { return nil, nil })
	if err != nil {
		t.Fatal(err)
	}
	cm, err = admin.CoreV1().ConfigMaps(stateNamespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cm.Data) != 0 || len(cm.BinaryData) != 0 {
		t.Errorf("data after firing: %v", cm.Data)
	}
}

// State stored under binaryData (base64 in the API) is read back; the write
// that follows moves it to data and leaves the ConfigMap's other keys alone.
func TestBinaryData(t *testing.T) {
	cfg := functionIdentity(t, stateNamespace, "sensor", "get", "create", "update")
	s := newState(t, cfg)
	ctx := context.Background()
	key := sensor.Key{Namespace: "binary", Sensor: "s", Trigger: "t"}
	admin, err := k8s.NewForConfig(cluster.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	stored := `{"push":{"event":{"specversion":"1.0","id":"b-1","source":"s","type":"t"},"at":"1970-01-01T00:00:05Z"}}`
	keyJSON := `{"namespace":"binary","sensor":"s","trigger":"t"}`
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: kubernetes.ObjectName(key), Annotations: map[string]string{kubernetes.KeyAnnotation: keyJSON}},
		Data:       map[string]string{"note": "kept"},
		BinaryData: map[string][]byte{kubernetes.DataKey: []byte(stored), "blob": {0xff, 0x00}},
	}
	if _, err := admin.CoreV1().ConfigMaps(stateNamespace).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var seen map[string]sensor.Entry
	err = s.Update(ctx, key, func(e map[string]sensor.Entry) (map[string]sensor.Entry, error) {
		seen = maps.Clone(e)
		e["upload"] = sensor.Entry{Event: event.Event{ID: "b-2", Source: "s", Type: "t"}, At: time.Unix(6, 0).UTC()}
		return e, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := seen["push"]; got.Event.ID != "b-1" || !got.At.Equal(time.Unix(5, 0)) || len(seen) != 1 {
		t.Fatalf("entries read from binaryData: %+v", seen)
	}
	got, err := admin.CoreV1().ConfigMaps(stateNamespace).Get(ctx, cm.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got.BinaryData[kubernetes.DataKey]; ok {
		t.Errorf("binaryData still holds %s", kubernetes.DataKey)
	}
	if got.Data["note"] != "kept" || !bytes.Equal(got.BinaryData["blob"], []byte{0xff, 0x00}) {
		t.Errorf("other keys changed: data %v, binaryData %v", got.Data, got.BinaryData)
	}
	var entries map[string]json.RawMessage
	if err := json.Unmarshal([]byte(got.Data[kubernetes.DataKey]), &entries); err != nil || len(entries) != 2 {
		t.Errorf("data %s = %q (%v), want both entries", kubernetes.DataKey, got.Data[kubernetes.DataKey], err)
	}
}

// A write that lands between Update's read and its write makes the API
// server refuse the stale resourceVersion; Update reruns fn on the new state.
func TestConflictRetried(t *testing.T) {
	cfg := functionIdentity(t, stateNamespace, "sensor", "get", "create", "update")
	s, other := newState(t, cfg), newState(t, cfg)
	ctx := context.Background()
	key := sensor.Key{Namespace: "conflict", Sensor: "s", Trigger: "t"}
	add := func(dep string) func(map[string]sensor.Entry) (map[string]sensor.Entry, error) {
		return func(e map[string]sensor.Entry) (map[string]sensor.Entry, error) {
			if e == nil {
				e = map[string]sensor.Entry{}
			}
			e[dep] = sensor.Entry{Event: event.Event{ID: dep, Source: "s", Type: "t"}, At: time.Unix(0, 0).UTC()}
			return e, nil
		}
	}
	for _, create := range []bool{true, false} {
		var calls atomic.Int32
		if !create {
			if err := s.Update(ctx, key, add("first")); err != nil {
				t.Fatal(err)
			}
		}
		dep := "mine"
		if !create {
			dep = "mine-again"
		}
		err := s.Update(ctx, key, func(e map[string]sensor.Entry) (map[string]sensor.Entry, error) {
			if calls.Add(1) == 1 {
				if err := other.Update(ctx, key, add("theirs-"+dep)); err != nil {
					t.Error(err)
				}
			}
			return add(dep)(e)
		})
		if err != nil {
			t.Fatal(err)
		}
		if calls.Load() != 2 {
			t.Errorf("create=%v: fn ran %d times, want 2 (once more after the conflict)", create, calls.Load())
		}
		var got map[string]sensor.Entry
		if err := s.Update(ctx, key, func(e map[string]sensor.Entry) (map[string]sensor.Entry, error) { got = e; return e, nil }); err != nil {
			t.Fatal(err)
		}
		if _, ok := got["theirs-"+dep]; !ok {
			t.Errorf("create=%v: the interleaved write was lost: %v", create, got)
		}
		if _, ok := got[dep]; !ok {
			t.Errorf("create=%v: the retried write is missing: %v", create, got)
		}
	}
}

func TestForbidden(t *testing.T) {
	cfg := functionIdentity(t, stateNamespace, "no-state", "get")
	s := newState(t, cfg)
	err := s.Update(context.Background(), sensor.Key{Namespace: "n", Sensor: "s", Trigger: "t"},
		func(map[string]sensor.Entry) (map[string]sensor.Entry, error) {
			return map[string]sensor.Entry{"a": {Event: event.Event{ID: "1", Source: "s", Type: "t"}}}, nil
		})
	if !apierrors.IsForbidden(errors.Unwrap(err)) && !strings.Contains(err.Error(), "forbidden") {
		t.Fatalf("Update without create permission = %v", err)
	}
}

func TestOptions(t *testing.T) {
	for name, opts := range map[string]kubernetes.Options{
		"no namespace":  {},
		"bad namespace": {Namespace: "Not_A_Namespace"},
	} {
		if _, err := kubernetes.New(cluster.AdminConfig(), opts); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
}

// The function's identity as infra/k8s defines it (every file its
// kustomization lists) can keep conditions state in its namespace.
func TestInfraRBAC(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := filepath.Join("..", "..", "..", "infra", "k8s")
	b, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var kust struct {
		Resources []string `json:"resources"`
	}
	if err := yaml.Unmarshal(b, &kust); err != nil {
		t.Fatal(err)
	}
	for _, r := range kust.Resources {
		if err := cluster.ApplyFile(ctx, filepath.Join(dir, r)); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := cluster.ServiceAccountConfig(ctx, "fc-eventing", "fc-eventing-sensor")
	if err != nil {
		t.Fatal(err)
	}
	s, err := kubernetes.New(cfg, kubernetes.Options{Namespace: "fc-eventing"})
	if err != nil {
		t.Fatal(err)
	}
	key := sensor.Key{Namespace: "fc-eventing", Sensor: "github-and-oss", Trigger: "build"}
	put := func(dep string) error {
		return s.Update(ctx, key, func(e map[string]sensor.Entry) (map[string]sensor.Entry, error) {
			if dep == "" {
				return nil, nil
			}
			e[dep] = sensor.Entry{Event: event.Event{ID: dep, Source: "s", Type: "t"}, At: time.Unix(0, 0).UTC()}
			return e, nil
		})
	}
	// Create, update, and empty (firing) the state object.
	for _, dep := range []string{"push", "upload", ""} {
		var err error
		// RBAC objects just applied take a moment to be enforced.
		for range 50 {
			if err = put(dep); err == nil || !strings.Contains(err.Error(), "forbidden") {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err != nil {
			t.Fatalf("as fc-eventing/fc-eventing-sensor with the RBAC of infra/k8s: %v", err)
		}
	}
}

// BenchmarkUpdate: one state update (quorum read, fn, resourceVersion-checked
// write) on the real API server, next to the in-memory State as the baseline.
func BenchmarkUpdate(b *testing.B) {
	ctx := context.Background()
	k8sState, err := kubernetes.New(cluster.AdminConfig(), kubernetes.Options{Namespace: stateNamespace})
	if err != nil {
		b.Fatal(err)
	}
	if err := cluster.EnsureNamespace(ctx, stateNamespace); err != nil {
		b.Fatal(err)
	}
	for name, s := range map[string]sensor.State{"memory": memory.New(), "kubernetes": k8sState} {
		b.Run(name, func(b *testing.B) {
			k := sensor.Key{Namespace: "bench", Sensor: "s", Trigger: "t"}
			i := 0
			for b.Loop() {
				i++
				dep := []string{"push", "upload"}[i%2]
				err := s.Update(ctx, k, func(e map[string]sensor.Entry) (map[string]sensor.Entry, error) {
					if e == nil {
						e = map[string]sensor.Entry{}
					}
					e[dep] = sensor.Entry{Event: event.Event{ID: dep, Source: "s", Type: "t"}, At: time.Unix(0, 0).UTC()}
					return e, nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
