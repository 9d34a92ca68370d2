package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"

	ali_mns "github.com/aliyun/aliyun-mns-go-sdk"

	"github.com/fc-eventing/fc-eventing/shared/event"
	"github.com/fc-eventing/fc-eventing/test/fcruntime"
)

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// percentile of sorted samples (nearest rank).
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func sorted(d []time.Duration) []time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s
}

func build(tb testing.TB, pkg string) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bin, err := fcruntime.Build(ctx, pkg)
	if err != nil {
		tb.Fatal(err)
	}
	return bin
}

// coldPayload is a real first invocation of each function: what its
// trigger hands it for one event.
func (p *pipeline) coldPayload(tb testing.TB, function string, i int) []byte {
	tb.Helper()
	id := fmt.Sprintf("cold-%s-%d", p.id, i)
	switch function {
	case "webhook":
		body := githubPush("octo/app", id, "refs/heads/main")
		b, err := httpTrigger("/github/push", body, map[string]string{
			"Content-Type": "application/json", "X-Github-Event": "push", "X-Github-Delivery": id,
			"X-Hub-Signature-256": signGitHub(githubSecret, body),
		})
		if err != nil {
			tb.Fatal(err)
		}
		return b
	case "oss-source":
		return ossNotification("REQ"+id, "incoming/cold.bin")
	case "mns-source":
		b, _ := json.Marshal(queueTriggerEvents(p.sourceQueue, []ali_mns.MessageReceiveResponse{{
			MessageId: id, MessageBody: `{"repo":"cold","ref":"main"}`, DequeueCount: 1, EnqueueTime: time.Now().UnixMilli(),
		}})[0])
		return b
	case "eventbridge-source":
		return ecsEvent(id, "i-cold")
	case "sensor":
		e := event.Event{
			ID: id, Source: "github", Subject: "push", Type: "github", Time: time.Now().UTC(),
			DataContentType: "application/json",
			Data:            json.RawMessage(`{"headers":{"X-Github-Event":["push"]},"body":` + githubPush("octo/app", id, "refs/heads/main") + `}`),
		}
		body, err := json.Marshal(e)
		if err != nil {
			tb.Fatal(err)
		}
		b, err := queueTriggerBatch(p.queue, []ali_mns.MessageReceiveResponse{{
			MessageId: id, MessageBody: string(body), DequeueCount: 1, EnqueueTime: time.Now().UnixMilli(),
		}})
		if err != nil {
			tb.Fatal(err)
		}
		return b
	}
	tb.Fatalf("no payload for %s", function)
	return nil
}

// BenchmarkColdStart: process start to first answered invocation under the
// FC runtime API, for each function on a real first event (the webhook
// publishing to SMQ, the sensor creating a Workflow), interleaved with the
// hello-world function built with the same SDK, so both are measured in the
// same run on the same machine load. x-hello is the ratio of the medians.
func BenchmarkColdStart(b *testing.B) {
	p := newPipeline(b, options{Sensors: []string{"github"}})
	hello := fcruntime.Options{Binary: build(b, helloPkg)}
	for _, function := range functionNames {
		b.Run(function, func(b *testing.B) {
			opts := fcruntime.Options{
				Binary: build(b, functionPkg(function)), Env: p.env(function), Timeout: 20 * time.Second,
				Credentials: &fcruntime.Credentials{AccessKeyID: accessKeyID, AccessKeySecret: accessKeySecret, SecurityToken: securityToken},
			}
			var before *fcruntime.Options
			if dir := os.Getenv(baselineEnv); dir != "" {
				o := opts
				o.Binary = buildIn(b, dir, functionPkg(function))
				before = &o
			}
			var fn, base, fnInit, baseInit, prev []time.Duration
			i := 0
			for b.Loop() {
				i++
				h, hi := coldStart(b, hello, []byte(`{"name":"cold"}`))
				f, fi := coldStart(b, opts, p.coldPayload(b, function, i))
				base, fn = append(base, h), append(fn, f)
				baseInit, fnInit = append(baseInit, hi), append(fnInit, fi)
				if before != nil {
					i++
					pf, _ := coldStart(b, *before, p.coldPayload(b, function, i))
					prev = append(prev, pf)
				}
			}
			fm, hm := percentile(sorted(fn), 0.5), percentile(sorted(base), 0.5)
			if before != nil {
				pm := percentile(sorted(prev), 0.5)
				b.ReportMetric(ms(pm), "before-ms")
				b.ReportMetric(float64(pm)/float64(hm), "before-x-hello")
			}
			b.ReportMetric(ms(fm), "cold-ms")
			b.ReportMetric(ms(hm), "hello-ms")
			b.ReportMetric(float64(fm)/float64(hm), "x-hello")
			// init: process start to the runtime's first poll (the main's
			// setup, before any event).
			b.ReportMetric(ms(percentile(sorted(fnInit), 0.5)), "init-ms")
			b.ReportMetric(ms(percentile(sorted(baseInit), 0.5)), "hello-init-ms")
		})
	}
}

// baselineEnv names a directory holding another checkout of the module
// (`git archive REV | tar -x -C DIR`): BenchmarkColdStart then also starts
// each function built from there, interleaved with the others, and reports
// its median as before-ms, so a change is measured against what it changes
// under the same machine load.
const baselineEnv = "FCE_BENCH_BASELINE"

// buildIn builds pkg in the module at dir as fcruntime.Build builds for
// deployment.
func buildIn(tb testing.TB, dir, pkg string) string {
	tb.Helper()
	out := filepath.Join(tb.TempDir(), path.Base(pkg), "main")
	args := append([]string{"build"}, fcruntime.BuildFlags...)
	cmd := exec.Command("go", append(args, "-o", out, pkg)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("building %s in %s: %v: %s", pkg, dir, err, msg)
	}
	return out
}

// coldStart starts a fresh process, invokes it once and returns its cold
// start (process start to that answer) and its init time (process start to
// its first poll of the runtime API).
func coldStart(b *testing.B, opts fcruntime.Options, payload []byte) (cold, init time.Duration) {
	b.Helper()
	ctx := context.Background()
	f, err := fcruntime.Start(ctx, opts)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close(ctx)
	if _, err := f.Invoke(ctx, payload); err != nil {
		b.Fatal(err)
	}
	p := f.Process()
	return p.ColdStart, p.Polling
}

// workflowWatch records when each Workflow of a Sensor appears in the API
// server's watch stream, by its event parameter.
type workflowWatch struct {
	mu   sync.Mutex
	seen map[string]time.Time
	w    watch.Interface
	done chan struct{}
}

func (p *pipeline) watchWorkflows(tb testing.TB, ctx context.Context, template string) *workflowWatch {
	tb.Helper()
	// The admin configuration's client timeout would end the watch.
	cfg := cluster.AdminConfig()
	cfg.Timeout = 0
	dc, err := dynamic.NewForConfig(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	wc := dc.Resource(workflowsResource).Namespace(namespace)
	sel := metav1.ListOptions{LabelSelector: sensorLabel + "=" + p.sensorName(template)}
	list, err := wc.List(ctx, sel)
	if err != nil {
		tb.Fatal(err)
	}
	sel.ResourceVersion = list.GetResourceVersion()
	w, err := wc.Watch(ctx, sel)
	if err != nil {
		tb.Fatal(err)
	}
	ww := &workflowWatch{seen: map[string]time.Time{}, w: w, done: make(chan struct{})}
	go func() {
		defer close(ww.done)
		for ev := range w.ResultChan() {
			now := time.Now()
			u, ok := ev.Object.(*unstructured.Unstructured)
			if !ok || ev.Type != watch.Added {
				continue
			}
			id := toWorkflow(u).Params["event"]
			ww.mu.Lock()
			if _, dup := ww.seen[id]; !dup {
				ww.seen[id] = now
			}
			ww.mu.Unlock()
		}
	}()
	tb.Cleanup(func() { w.Stop(); <-ww.done })
	return ww
}

// waitAll waits until every id was seen and returns when each was.
func (ww *workflowWatch) waitAll(ctx context.Context, ids []string) (map[string]time.Time, error) {
	for {
		ww.mu.Lock()
		n := 0
		for _, id := range ids {
			if _, ok := ww.seen[id]; ok {
				n++
			}
		}
		if n == len(ids) {
			out := make(map[string]time.Time, n)
			for _, id := range ids {
				out[id] = ww.seen[id]
			}
			ww.mu.Unlock()
			return out, nil
		}
		ww.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%d of %d workflows seen: %w", n, len(ids), ctx.Err())
		case <-ww.done:
			return nil, fmt.Errorf("%d of %d workflows seen: the watch ended", n, len(ids))
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// BenchmarkLatency: 1,000 signed GitHub pushes, one in flight at a time,
// each timed from the webhook's 2xx answer (the delivery accepted) to its
// Workflow appearing in the API server's watch (persisted in etcd); after
// each, the same Workflow is created directly with client-go and timed, so
// the raw create latency is measured in the same run under the same load.
// The event stream stand-in hands each batch over as soon as it is
// received: EventBridge's batching window (up to 1 s in s.yaml) comes on
// top in a deployment. It also reports the mean billed durations of the
// webhook (per event) and of the sensor (per batch), and the batch size
// when events arrive one at a time.
func BenchmarkLatency(b *testing.B) {
	const events = 1000
	p := newPipeline(b, options{Sensors: []string{"github"}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	ww := p.watchWorkflows(b, ctx, "github")
	p.pump(ctx)
	wc := workflowClient(b)
	round := 0
	var e2e, raw []time.Duration
	for b.Loop() {
		round++
		for i := range events {
			id := fmt.Sprintf("lat-%s-%d-%d", p.id, round, i)
			if err := p.github(ctx, id, githubPush("octo/app", id, "refs/heads/main")); err != nil {
				b.Fatal(err)
			}
			accepted := time.Now()
			seen, err := ww.waitAll(ctx, []string{id})
			if err != nil {
				b.Fatal(err)
			}
			e2e = append(e2e, seen[id].Sub(accepted))

			// The raw create: the sensor's Workflow, created directly.
			list, err := wc.List(ctx, metav1.ListOptions{LabelSelector: sensorLabel + "=" + p.sensorName("github"), Limit: 1})
			if err != nil || len(list.Items) == 0 {
				b.Fatalf("no workflow to copy: %v", err)
			}
			proto := list.Items[0]
			obj := &unstructured.Unstructured{Object: map[string]any{
				"apiVersion": proto.GetAPIVersion(), "kind": proto.GetKind(),
				"metadata": map[string]any{
					"name": fmt.Sprintf("raw-%s-%d-%d", p.id, round, i), "namespace": namespace,
					"labels": map[string]any{"fce-e2e/raw": p.id},
				},
				"spec": proto.Object["spec"],
			}}
			start := time.Now()
			if _, err := wc.Create(ctx, obj, metav1.CreateOptions{}); err != nil {
				b.Fatal(err)
			}
			raw = append(raw, time.Since(start))
		}
	}
	es, rs := sorted(e2e), sorted(raw)
	b.ReportMetric(ms(percentile(es, 0.5)), "e2e-p50-ms")
	b.ReportMetric(ms(percentile(es, 0.99)), "e2e-p99-ms")
	b.ReportMetric(ms(percentile(rs, 0.5)), "create-p50-ms")
	b.ReportMetric(ms(percentile(rs, 0.99)), "create-p99-ms")
	if n := p.stats.WebhookCalls.Load(); n > 0 {
		b.ReportMetric(ms(time.Duration(p.stats.WebhookNanos.Load()/n)), "webhook-ms/event")
	}
	if n := p.stats.SensorCalls.Load(); n > 0 {
		b.ReportMetric(ms(time.Duration(p.stats.SensorNanos.Load()/n)), "sensor-ms/batch")
		b.ReportMetric(float64(p.stats.Messages.Load())/float64(p.stats.Batches.Load()), "events/batch")
	}
}

// BenchmarkThroughput: 1,000 GitHub pushes sent back to back through one
// sensor instance; reports events per second from the first delivery
// accepted to the last Workflow persisted, the sensor's mean billed
// duration per batch and the mean batch size under load.
func BenchmarkThroughput(b *testing.B) {
	const events = 1000
	p := newPipeline(b, options{Sensors: []string{"github"}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	ww := p.watchWorkflows(b, ctx, "github")
	p.pump(ctx)
	round := 0
	var elapsed time.Duration
	for b.Loop() {
		round++
		ids := make([]string, 0, events)
		start := time.Now()
		for i := range events {
			id := fmt.Sprintf("tp-%s-%d-%d", p.id, round, i)
			if err := p.github(ctx, id, githubPush("octo/app", id, "refs/heads/main")); err != nil {
				b.Fatal(err)
			}
			ids = append(ids, id)
		}
		if _, err := ww.waitAll(ctx, ids); err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
	}
	b.ReportMetric(float64(events*round)/elapsed.Seconds(), "events/s")
	if n := p.stats.SensorCalls.Load(); n > 0 {
		b.ReportMetric(ms(time.Duration(p.stats.SensorNanos.Load()/n)), "sensor-ms/batch")
		b.ReportMetric(float64(p.stats.Messages.Load())/float64(p.stats.Batches.Load()), "events/batch")
	}
}

// BenchmarkPeakMemory: the peak resident memory (VmHWM) of each function
// while 1,000 events from every origin go through the pipeline.
func BenchmarkPeakMemory(b *testing.B) {
	const events = 1000
	p := newPipeline(b, options{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	p.pump(ctx)
	for b.Loop() {
		want := sendMix(ctx, b, p, events)
		for sensor, ids := range want {
			if wfs := p.waitWorkflows(ctx, sensor, len(ids), 0); len(wfs) < len(ids) {
				b.Fatalf("sensor %s: %d workflows, want %d", sensor, len(wfs), len(ids))
			}
		}
	}
	for name, f := range p.functions() {
		b.ReportMetric(float64(f.Process().PeakRSS)/(1<<20), name+"-MiB")
	}
}
