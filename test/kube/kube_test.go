package kube_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/fc-eventing/fc-eventing/test/kube"
)

var cluster *kube.Server

func TestMain(m *testing.M) { os.Exit(kube.Run(m, &cluster)) }

func TestServerVersionMatchesPin(t *testing.T) {
	kv, _, err := kube.Versions()
	if err != nil {
		t.Fatal(err)
	}
	if cluster.Version != kv {
		t.Fatalf("apiserver reports %q, tools/go.mod pins %q", cluster.Version, kv)
	}
	t.Logf("started in: etcd %v, kube-apiserver %v, CRDs %v", cluster.StartTimes["etcd"], cluster.StartTimes["kube-apiserver"], cluster.StartTimes["crds"])
	if !strings.HasPrefix(cluster.URL, "https://127.0.0.1:") {
		t.Fatalf("URL %q is not a TLS loopback address", cluster.URL)
	}
}

func TestArgoCRDsServed(t *testing.T) {
	dc, err := dynamic.NewForConfig(cluster.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{"workflows", "workflowtemplates", "cronworkflows", "clusterworkflowtemplates"} {
		gvr := schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: r}
		if _, err := dc.Resource(gvr).List(context.Background(), metav1.ListOptions{}); err != nil {
			t.Errorf("listing %s: %v", r, err)
		}
	}
}

func TestServiceAccountTokenIsAuthorizedByRBAC(t *testing.T) {
	ctx := context.Background()
	cfg, err := cluster.ServiceAccountConfig(ctx, "kube-helper", "reader")
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = cs.CoreV1().ConfigMaps("kube-helper").List(ctx, metav1.ListOptions{})
	if !apierrors.IsForbidden(err) {
		t.Fatalf("unbound service account listing configmaps: got %v, want forbidden", err)
	}
	if !strings.Contains(err.Error(), "system:serviceaccount:kube-helper:reader") {
		t.Fatalf("forbidden error does not name the service account: %v", err)
	}
	err = cluster.Apply(ctx, []byte(`
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: cm-reader, namespace: kube-helper}
rules: [{apiGroups: [""], resources: [configmaps], verbs: [list]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: cm-reader, namespace: kube-helper}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: cm-reader}
subjects: [{kind: ServiceAccount, name: reader, namespace: kube-helper}]
`))
	if err != nil {
		t.Fatal(err)
	}
	// The RBAC authorizer sees the new binding through its informers: give it a moment.
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err = cs.CoreV1().ConfigMaps("kube-helper").List(ctx, metav1.ListOptions{})
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("bound service account listing configmaps: %v", err)
	}
}

func TestAdminCanWrite(t *testing.T) {
	cs, err := kubernetes.NewForConfig(cluster.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := cluster.EnsureNamespace(ctx, "kube-helper-admin"); err != nil {
		t.Fatal(err)
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "x"}, Data: map[string]string{"k": "v"}}
	if _, err := cs.CoreV1().ConfigMaps("kube-helper-admin").Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestMissingBinariesSayHowToBuild(t *testing.T) {
	_, _, err := kube.Binaries(t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "make test-servers") {
		t.Fatalf("got %v, want an error telling to run make test-servers", err)
	}
}
