package sensorenv_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/fc-eventing/fc-eventing/shared/bus"
	"github.com/fc-eventing/fc-eventing/shared/config"
	"github.com/fc-eventing/fc-eventing/shared/dispatch"
	"github.com/fc-eventing/fc-eventing/shared/dispatch/sensorenv"
	"github.com/fc-eventing/fc-eventing/shared/sensor"
	"github.com/fc-eventing/fc-eventing/shared/trigger/argo"
	"github.com/fc-eventing/fc-eventing/test/kube"
)

var cluster *kube.Server

func TestMain(m *testing.M) { os.Exit(kube.Run(m, &cluster)) }

// The namespace and ServiceAccount of infra/k8s.
const (
	namespace      = "fc-eventing"
	serviceAccount = "fc-eventing-sensor"
)

var workflows = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "workflows"}

// sensorEnv applies infra/k8s as a user would and returns the environment
// the sensor function gets in FC: the API server, the ServiceAccount's
// token and the cluster CA, and Kubernetes conditions state.
func sensorEnv(t *testing.T) func(string) string {
	t.Helper()
	ctx := context.Background()
	for _, f := range []string{"namespace.yaml", "serviceaccount.yaml", "role.yaml", "clusterrole.yaml"} {
		if err := cluster.ApplyFile(ctx, filepath.Join("..", "..", "..", "infra", "k8s", f)); err != nil {
			t.Fatal(err)
		}
	}
	token, err := cluster.ServiceAccountToken(ctx, namespace, serviceAccount)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		sensorenv.EnvAPIServer:      cluster.URL,
		sensorenv.EnvToken:          token,
		sensorenv.EnvCAData:         base64.StdEncoding.EncodeToString(cluster.CAData),
		sensorenv.EnvState:          "kubernetes",
		sensorenv.EnvStateNamespace: namespace,
	}
	return func(k string) string { return env[k] }
}

// stateRole grants what FCE_STATE=kubernetes needs in the state namespace
// (shared/state/kubernetes: get, create and update on configmaps).
// infra/k8s/role.yaml grants configmaps get only, for ConfigMap trigger
// sources; without this rule the first multi-dependency event is refused
// with "configmaps is forbidden ... cannot create".
const stateRole = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: fc-eventing-sensor-state
  namespace: fc-eventing
rules:
  - apiGroups: [""]
    resources: [configmaps]
    verbs: [get, create, update]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: fc-eventing-sensor-state
  namespace: fc-eventing
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: fc-eventing-sensor-state
subjects:
  - kind: ServiceAccount
    name: fc-eventing-sensor
    namespace: fc-eventing
`

func grantState(t *testing.T) {
	t.Helper()
	if err := cluster.Apply(context.Background(), []byte(stateRole)); err != nil {
		t.Fatal(err)
	}
}

// instance builds the sensor function's parts from getenv, as main does.
func instance(t *testing.T, getenv func(string) string, sensors ...string) func(context.Context, []byte) (dispatch.PushAnswer, error) {
	t.Helper()
	rc, err := sensorenv.RESTConfig(getenv)
	if err != nil {
		t.Fatal(err)
	}
	client, err := argo.New(argo.Config{REST: rc})
	if err != nil {
		t.Fatal(err)
	}
	st, closeState, err := sensorenv.State(context.Background(), getenv, rc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeState)
	var parsed []*config.Sensor
	for i, y := range sensors {
		s, err := config.ParseSensor("sensor-"+string(rune('a'+i))+".yaml", []byte(y))
		if err != nil {
			t.Fatal(err)
		}
		parsed = append(parsed, s)
	}
	d, err := dispatch.New(parsed, client, dispatch.Options{State: st})
	if err != nil {
		t.Fatal(err)
	}
	push, err := sensorenv.Push(getenv)
	if err != nil {
		t.Fatal(err)
	}
	return d.PushFunction(push)
}

// batch is an SMQ queue trigger batch carrying events.
func batch(t testing.TB, events ...string) []byte {
	t.Helper()
	var out []map[string]any
	for i, e := range events {
		out = append(out, map[string]any{
			"id": "b-" + string(rune('0'+i)), "source": "acs:mns", "type": "mns:Queue:SendMessage",
			"subject": "acs:mns:cn-hangzhou:1:queues/fceventing-events",
			"data":    map[string]any{"requestId": "R", "messageId": "M" + string(rune('0'+i)), "messageBody": e},
		})
	}
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func cloudEvent(id, source, subject, body string) string {
	return `{"specversion":"1.0","id":"` + id + `","source":"` + source + `","subject":"` + subject +
		`","type":"webhook","datacontenttype":"application/json","data":{"headers":{},"body":` + body + `}}`
}

// names lists the Workflows of a sensor in the namespace.
func names(t *testing.T, sensorName string) []string {
	t.Helper()
	dc, err := dynamic.NewForConfig(cluster.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	l, err := dc.Resource(workflows).Namespace(namespace).List(context.Background(),
		metav1.ListOptions{LabelSelector: sensor.LabelSensor + "=" + sensorName})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range l.Items {
		out = append(out, o.GetName())
	}
	sort.Strings(out)
	return out
}

const buildSensor = `apiVersion: argoproj.io/v1alpha1
kind: Sensor
metadata:
  name: build
  namespace: fc-eventing
spec:
  dependencies:
    - name: push
      eventSourceName: github
      eventName: push
  triggers:
    - template:
        name: ci
        argoWorkflow:
          operation: submit
          source:
            resource:
              apiVersion: argoproj.io/v1alpha1
              kind: Workflow
              metadata:
                generateName: ci-
              spec:
                entrypoint: main
                arguments:
                  parameters:
                    - name: revision
                templates:
                  - name: main
                    container: {image: alpine, command: ["true"]}
          parameters:
            - src: {dependencyName: push, dataKey: body.after}
              dest: spec.arguments.parameters.0.value
`

// TestSensorPath: an SMQ trigger batch through the sensor function's parts
// as the infra/k8s ServiceAccount: every Workflow exists with its
// parameters, and the batch delivered again creates nothing twice.
func TestSensorPath(t *testing.T) {
	getenv := sensorEnv(t)
	fn := instance(t, getenv, buildSensor)
	ctx := context.Background()
	payload := batch(t,
		cloudEvent("gh-1", "github", "push", `{"after":"aaa"}`),
		cloudEvent("gh-2", "github", "push", `{"after":"bbb"}`),
		cloudEvent("other", "gitlab", "push", `{}`),
	)
	for try := 1; try <= 2; try++ {
		ans, err := fn(ctx, payload)
		if err != nil {
			t.Fatalf("try %d: %v", try, err)
		}
		if ans.Messages != 3 {
			t.Errorf("try %d: %d messages, want 3", try, ans.Messages)
		}
	}
	want := []string{
		sensor.ObjectName("ci-", "build", "ci", []string{"push"}, []string{"gh-1"}),
		sensor.ObjectName("ci-", "build", "ci", []string{"push"}, []string{"gh-2"}),
	}
	sort.Strings(want)
	if diff := cmp.Diff(want, names(t, "build")); diff != "" {
		t.Fatalf("workflows (-want +got):\n%s", diff)
	}
	dc, _ := dynamic.NewForConfig(cluster.AdminConfig())
	wf, err := dc.Resource(workflows).Namespace(namespace).Get(ctx,
		sensor.ObjectName("ci-", "build", "ci", []string{"push"}, []string{"gh-1"}), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	params, _, _ := unstructuredSlice(wf.Object, "spec", "arguments", "parameters")
	if len(params) != 1 || params[0].(map[string]any)["value"] != "aaa" {
		t.Errorf("parameters = %v", params)
	}
	if wf.GetLabels()[sensor.LabelTrigger] != "ci" {
		t.Errorf("labels = %v", wf.GetLabels())
	}
}

func unstructuredSlice(obj map[string]any, path ...string) ([]any, bool, error) {
	var cur any = obj
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false, nil
		}
		cur = m[p]
	}
	s, ok := cur.([]any)
	return s, ok, nil
}

// TestSensorForbidden: a Workflow in a namespace the ServiceAccount may
// not write to fails the batch with the forbidden error, not marked
// permanent: the trigger delivers the batch again (RBAC may still be
// loading or being fixed) until its retries end in its dead-letter queue.
func TestSensorForbidden(t *testing.T) {
	getenv := sensorEnv(t)
	if err := cluster.EnsureNamespace(context.Background(), "elsewhere"); err != nil {
		t.Fatal(err)
	}
	fn := instance(t, getenv, strings.Replace(buildSensor, "namespace: fc-eventing", "namespace: elsewhere", 1))
	_, err := fn(context.Background(), batch(t, cloudEvent("gh-9", "github", "push", `{"after":"ccc"}`)))
	if err == nil || errors.Is(err, bus.ErrPermanent) || !strings.Contains(err.Error(), "forbidden") {
		t.Fatalf("error = %v, want a forbidden error that is redelivered", err)
	}
}

const pairSensor = `apiVersion: argoproj.io/v1alpha1
kind: Sensor
metadata:
  name: pair
  namespace: fc-eventing
spec:
  dependencies:
    - name: code
      eventSourceName: github
      eventName: release
    - name: data
      eventSourceName: uploads
      eventName: created
  triggers:
    - template:
        name: process
        conditions: code && data
        k8s:
          operation: create
          source:
            resource:
              apiVersion: argoproj.io/v1alpha1
              kind: Workflow
              metadata:
                generateName: process-
              spec:
                entrypoint: main
                templates:
                  - name: main
                    container: {image: alpine, command: ["true"]}
`

// TestTwoInstances: the two dependencies of a trigger arrive at two sensor
// instances sharing the Kubernetes conditions state; the trigger fires
// once, and a redelivery of the completing batch creates nothing more.
func TestTwoInstances(t *testing.T) {
	getenv := sensorEnv(t)
	grantState(t)
	one := instance(t, getenv, pairSensor)
	two := instance(t, getenv, pairSensor)
	ctx := context.Background()
	if _, err := one(ctx, batch(t, cloudEvent("rel-1", "github", "release", `{}`))); err != nil {
		t.Fatal(err)
	}
	if got := names(t, "pair"); len(got) != 0 {
		t.Fatalf("fired after one dependency: %v", got)
	}
	second := batch(t, cloudEvent("up-1", "uploads", "created", `{}`))
	if _, err := two(ctx, second); err != nil {
		t.Fatal(err)
	}
	want := []string{sensor.ObjectName("process-", "pair", "process", []string{"code", "data"}, []string{"rel-1", "up-1"})}
	if diff := cmp.Diff(want, names(t, "pair")); diff != "" {
		t.Fatalf("workflows (-want +got):\n%s", diff)
	}
	// The completing batch again: its event alone does not complete the
	// conditions any more, and nothing new is created.
	if _, err := two(ctx, second); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, names(t, "pair")); diff != "" {
		t.Errorf("workflows after redelivery (-want +got):\n%s", diff)
	}
}
