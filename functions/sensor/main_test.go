package main_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/fc-eventing/fc-eventing/shared/sensor"
	"github.com/fc-eventing/fc-eventing/test/fcruntime"
	"github.com/fc-eventing/fc-eventing/test/kube"
)

var cluster *kube.Server

func TestMain(m *testing.M) {
	code := kube.Run(m, &cluster)
	if err := fcruntime.CleanupBuilds(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}

const (
	namespace = "fc-eventing"
	account   = "fc-eventing-sensor"
)

var workflows = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "workflows"}

const ciSensor = `apiVersion: argoproj.io/v1alpha1
kind: Sensor
metadata:
  name: ci
  namespace: fc-eventing
spec:
  dependencies:
    - name: push
      eventSourceName: github
      eventName: push
  triggers:
    - template:
        name: build
        argoWorkflow:
          operation: submit
          source:
            resource:
              apiVersion: argoproj.io/v1alpha1
              kind: Workflow
              metadata:
                generateName: build-
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

// start runs the sensor function, built as for deployment, under the FC
// runtime API with the environment s.yaml gives it, as the infra/k8s
// ServiceAccount.
func start(t *testing.T) (*fcruntime.Function, *bytes.Buffer) {
	t.Helper()
	ctx := context.Background()
	for _, f := range []string{"namespace.yaml", "serviceaccount.yaml", "role.yaml", "clusterrole.yaml"} {
		if err := cluster.ApplyFile(ctx, filepath.Join("..", "..", "infra", "k8s", f)); err != nil {
			t.Fatal(err)
		}
	}
	token, err := cluster.ServiceAccountToken(ctx, namespace, account)
	if err != nil {
		t.Fatal(err)
	}
	cfg := t.TempDir()
	if err := os.WriteFile(filepath.Join(cfg, "ci.yaml"), []byte(ciSensor), 0o644); err != nil {
		t.Fatal(err)
	}
	bctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	bin, err := fcruntime.Build(bctx, "./functions/sensor")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	fn, err := fcruntime.Start(ctx, fcruntime.Options{
		Binary: bin, Name: "sensor", MemoryMB: 256, Timeout: 60 * time.Second, AutoRestart: true,
		Output: &syncWriter{w: &out},
		Env: []string{
			"FCE_CONFIG_DIR=" + cfg,
			"FCE_BUS=smq",
			"FCE_KUBE_API_SERVER=" + cluster.URL,
			"FCE_KUBE_TOKEN=" + token,
			"FCE_KUBE_CA_DATA=" + base64.StdEncoding.EncodeToString(cluster.CAData),
			"FCE_STATE=kubernetes",
			"FCE_STATE_NAMESPACE=" + namespace,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fn.Close(context.Background()) })
	return fn, &out
}

type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// batch is an SMQ queue trigger batch of n GitHub pushes, ids prefix-0...
func batch(t testing.TB, prefix string, n int) []byte {
	t.Helper()
	var out []map[string]any
	for i := range n {
		ev := fmt.Sprintf(`{"specversion":"1.0","id":"%s-%d","source":"github","subject":"push","type":"github",`+
			`"datacontenttype":"application/json","data":{"headers":{},"body":{"after":"rev-%d"}}}`, prefix, i, i)
		out = append(out, map[string]any{
			"id": fmt.Sprintf("b-%d", i), "source": "acs:mns", "type": "mns:Queue:SendMessage",
			"subject": "acs:mns:cn-hangzhou:1234567890123456:queues/fceventing-events",
			"data":    map[string]any{"requestId": "R", "messageId": fmt.Sprintf("M%d", i), "messageBody": ev},
		})
	}
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// list returns the names of the sensor's Workflows with that id prefix.
func list(t *testing.T, prefix string, n int) (names []string, byRevision map[string]int) {
	t.Helper()
	dc, err := dynamic.NewForConfig(cluster.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	l, err := dc.Resource(workflows).Namespace(namespace).List(context.Background(),
		metav1.ListOptions{LabelSelector: sensor.LabelSensor + "=ci"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for i := range n {
		want[sensor.ObjectName("build-", "ci", "build", []string{"push"}, []string{fmt.Sprintf("%s-%d", prefix, i)})] = true
	}
	byRevision = map[string]int{}
	for _, o := range l.Items {
		if !want[o.GetName()] {
			continue
		}
		names = append(names, o.GetName())
		params, _ := o.Object["spec"].(map[string]any)["arguments"].(map[string]any)["parameters"].([]any)
		byRevision[params[0].(map[string]any)["value"].(string)]++
	}
	sort.Strings(names)
	return names, byRevision
}

// TestSensorFunction: the real binary handles a batch, answers with the
// message count, and a redelivered batch creates nothing twice.
func TestSensorFunction(t *testing.T) {
	fn, out := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	payload := batch(t, "fn", 5)
	for try := 1; try <= 2; try++ {
		ans, err := fn.Invoke(ctx, payload)
		if err != nil {
			t.Fatalf("try %d: %v\n%s", try, err, out)
		}
		if !strings.Contains(string(ans), `"messages":5`) {
			t.Errorf("try %d answered %s", try, ans)
		}
	}
	names, revs := list(t, "fn", 5)
	if len(names) != 5 {
		t.Fatalf("%d workflows, want 5: %v", len(names), names)
	}
	for i := range 5 {
		if revs[fmt.Sprintf("rev-%d", i)] != 1 {
			t.Errorf("rev-%d: %d workflows", i, revs[fmt.Sprintf("rev-%d", i)])
		}
	}
	// One log line per event, with the workflow name.
	var lines int
	for _, l := range strings.Split(out.String(), "\n") {
		if strings.Contains(l, `"msg":"event dispatched"`) && strings.Contains(l, `"workflows":["fc-eventing/build-`) &&
			strings.Contains(l, `"requestId"`) {
			lines++
		}
	}
	if lines != 10 {
		t.Errorf("%d dispatch lines, want 10:\n%s", lines, out)
	}
}

// TestSensorCrash: the process is killed in the middle of a batch; FC
// retries the batch on a new instance; every Workflow exists exactly once.
func TestSensorCrash(t *testing.T) {
	fn, out := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const n = 60
	payload := batch(t, "crash", n)
	first := make(chan error, 1)
	go func() { _, err := fn.Invoke(ctx, payload); first <- err }()
	// Kill once some, but not all, Workflows exist.
	deadline := time.Now().Add(time.Minute)
	for {
		names, _ := list(t, "crash", n)
		if len(names) > 0 && len(names) < n {
			if err := fn.Kill(); err != nil {
				t.Fatal(err)
			}
			break
		}
		if len(names) == n || time.Now().After(deadline) {
			t.Fatalf("could not kill mid-batch: %d of %d workflows\n%s", len(names), n, out)
		}
		time.Sleep(2 * time.Millisecond)
	}
	if err := <-first; err == nil {
		t.Fatal("killed invocation succeeded")
	}
	killedAt, _ := list(t, "crash", n)
	// The retry goes to the restarted instance.
	if _, err := fn.Invoke(ctx, payload); err != nil {
		t.Fatalf("retry: %v\n%s", err, out)
	}
	names, revs := list(t, "crash", n)
	if len(names) != n {
		t.Fatalf("%d workflows after the retry, want %d", len(names), n)
	}
	for rev, c := range revs {
		if c != 1 {
			t.Errorf("%s: %d workflows", rev, c)
		}
	}
	t.Logf("killed with %d of %d workflows created; all %d exist once after the retry", len(killedAt), n, n)
}

// BenchmarkColdStart measures process start to first answered invocation
// of the sensor function (loading its Sensors, building the cluster client
// and the Kubernetes state; an empty batch needs no request) beside the
// hello-world function built with the same SDK, in the same run.
func BenchmarkColdStart(b *testing.B) {
	ctx := context.Background()
	cfg := b.TempDir()
	if err := os.WriteFile(filepath.Join(cfg, "ci.yaml"), []byte(ciSensor), 0o644); err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name, pkg string
		payload   string
		env       []string
	}{
		{"hello", "./test/fcruntime/hello", `{"name":"x"}`, nil},
		{"sensor", "./functions/sensor", `[]`, []string{
			"FCE_CONFIG_DIR=" + cfg, "FCE_KUBE_API_SERVER=" + cluster.URL, "FCE_KUBE_TOKEN=t",
			"FCE_KUBE_CA_DATA=" + base64.StdEncoding.EncodeToString(cluster.CAData),
			"FCE_STATE=kubernetes", "FCE_STATE_NAMESPACE=" + namespace,
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			bin, err := fcruntime.Build(ctx, tc.pkg)
			if err != nil {
				b.Fatal(err)
			}
			var total time.Duration
			var samples []time.Duration
			for b.Loop() {
				s, err := fcruntime.MeasureColdStarts(ctx, fcruntime.Options{Binary: bin, Env: tc.env}, []byte(tc.payload), 1)
				if err != nil {
					b.Fatal(err)
				}
				samples = append(samples, s...)
				total += s[0]
			}
			sort.Slice(samples, func(i, j int) bool { return samples[i] < samples[j] })
			b.ReportMetric(float64(samples[len(samples)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(total.Microseconds())/1000/float64(len(samples)), "mean-ms")
		})
	}
}

// TestSensorMemory: peak resident memory of the sensor function under load
// (500 events in batches of 10, each creating a Workflow) stays within the
// 128 MiB budget.
func TestSensorMemory(t *testing.T) {
	fn, out := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for i := range 50 {
		if _, err := fn.Invoke(ctx, batch(t, fmt.Sprintf("mem%d", i), 10)); err != nil {
			t.Fatalf("batch %d: %v\n%s", i, err, out)
		}
	}
	rss := fn.Process().PeakRSS
	t.Logf("sensor peak RSS after 500 events: %.1f MiB", float64(rss)/(1<<20))
	if rss == 0 || rss > 128<<20 {
		t.Errorf("peak RSS %d bytes, budget 128 MiB", rss)
	}
}
