package dispatch_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sirupsen/logrus"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/fc-eventing/fc-eventing/shared/bus"
	"github.com/fc-eventing/fc-eventing/shared/bus/memory"
	"github.com/fc-eventing/fc-eventing/shared/bus/smq"
	"github.com/fc-eventing/fc-eventing/shared/config"
	"github.com/fc-eventing/fc-eventing/shared/dispatch"
	"github.com/fc-eventing/fc-eventing/shared/event"
	"github.com/fc-eventing/fc-eventing/shared/sensor"
	memstate "github.com/fc-eventing/fc-eventing/shared/state/memory"
	"github.com/fc-eventing/fc-eventing/shared/trigger/argo"
)

// ciSensor submits a Workflow for every push of GitHub event source gh.
const ciSensor = `apiVersion: argoproj.io/v1alpha1
kind: Sensor
metadata:
  name: ci
  namespace: argo
spec:
  dependencies:
    - name: push
      eventSourceName: gh
      eventName: push
      filters:
        data:
          - path: body.ref
            type: string
            value: ["^refs/heads/main$"]
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
          parameters:
            - src: {dependencyName: push, dataKey: body.after}
              dest: spec.arguments.parameters.0.value
`

// releaseSensor deploys when an image was pushed and approved, in either
// order, and logs every approval.
const releaseSensor = `apiVersion: argoproj.io/v1alpha1
kind: Sensor
metadata:
  name: release
spec:
  dependencies:
    - name: image
      eventSourceName: registry
      eventName: pushed
    - name: approve
      eventSourceName: approvals
      eventName: release
  triggers:
    - template:
        name: deploy
        conditions: image && approve
        k8s:
          operation: create
          source:
            resource:
              apiVersion: argoproj.io/v1alpha1
              kind: Workflow
              metadata:
                generateName: deploy-
                namespace: deploy
              spec:
                arguments:
                  parameters:
                    - name: tag
          parameters:
            - src: {dependencyName: image, dataKey: tag}
              dest: spec.arguments.parameters.0.value
    - template:
        name: audit
        conditions: approve
        log: {}
`

func parse(t testing.TB, docs ...string) []*config.Sensor {
	t.Helper()
	var out []*config.Sensor
	for i, y := range docs {
		s, err := config.ParseSensor(fmt.Sprintf("sensor-%d.yaml", i), []byte(y))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

func ev(id, source, subject, data string) event.Event {
	return event.Event{
		ID: id, Source: source, Subject: subject, Type: "webhook",
		Time: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC), DataContentType: "application/json",
		Data: json.RawMessage(data),
	}
}

func push(id, ref, after string) event.Event {
	return ev(id, "gh", "push", fmt.Sprintf(`{"headers":{},"body":{"ref":%q,"after":%q}}`, ref, after))
}

// files lists the files under dir, relative, sorted.
func files(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if !info.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func readObject(t testing.TB, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

type fixture struct {
	d     *dispatch.Dispatcher
	dry   *dispatch.DryRun
	out   string
	state *memstate.State
	logs  *bytes.Buffer
}

func newFixture(t testing.TB, exec func(*dispatch.DryRun) dispatch.Executor, docs ...string) *fixture {
	t.Helper()
	f := &fixture{out: t.TempDir(), state: memstate.New(), logs: &bytes.Buffer{}}
	dry, err := dispatch.NewDryRun(f.out)
	if err != nil {
		t.Fatal(err)
	}
	f.dry = dry
	var x dispatch.Executor = dry
	if exec != nil {
		x = exec(dry)
	}
	logger := logrus.New()
	logger.SetFormatter(&logrus.JSONFormatter{})
	logger.SetOutput(&syncWriter{w: f.logs})
	d, err := dispatch.New(parse(t, docs...), x, dispatch.Options{
		State: f.state,
		Log:   func(context.Context) *logrus.Entry { return logrus.NewEntry(logger) },
	})
	if err != nil {
		t.Fatal(err)
	}
	f.d = d
	return f
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

// lines decodes the JSON log lines.
func (f *fixture) lines(t testing.TB) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(f.logs.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

func TestRouting(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil, ciSensor, releaseSensor)
	ctx := context.Background()

	tests := []struct {
		name    string
		event   event.Event
		sensors []string
		matched []string
		files   []string
	}{
		{name: "unrouted source", event: ev("x-1", "gitlab", "push", `{}`)},
		{name: "unrouted subject", event: ev("x-2", "gh", "pull_request", `{}`)},
		{name: "filtered out", event: push("p-1", "refs/heads/dev", "abc"), sensors: []string{"argo/ci"}},
		{
			name: "fires", event: push("p-2", "refs/heads/main", "0123abc"), sensors: []string{"argo/ci"}, matched: []string{"ci/push"},
			files: []string{"argo/" + sensor.ObjectName("build-", "ci", "build", []string{"push"}, []string{"p-2"}) + ".json"},
		},
		{name: "log trigger", event: ev("a-1", "approvals", "release", `{"user":"ann"}`), sensors: []string{"/release"}, matched: []string{"release/approve"}},
	}
	var want []string
	for _, tc := range tests {
		rep, err := f.d.Dispatch(ctx, tc.event)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if diff := cmp.Diff(tc.sensors, rep.Sensors); diff != "" {
			t.Errorf("%s: sensors (-want +got):\n%s", tc.name, diff)
		}
		if diff := cmp.Diff(tc.matched, rep.Matched); diff != "" {
			t.Errorf("%s: matched (-want +got):\n%s", tc.name, diff)
		}
		want = append(want, tc.files...)
	}
	sort.Strings(want)
	if diff := cmp.Diff(want, files(t, f.out)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	name := sensor.ObjectName("build-", "ci", "build", []string{"push"}, []string{"p-2"})
	obj := readObject(t, filepath.Join(f.out, "argo", name+".json"))
	md := obj["metadata"].(map[string]any)
	if md["name"] != name || md["namespace"] != "argo" {
		t.Errorf("metadata = %v", md)
	}
	labels := md["labels"].(map[string]any)
	if labels[sensor.LabelSensor] != "ci" || labels[sensor.LabelTrigger] != "build" {
		t.Errorf("labels = %v", labels)
	}
	params := obj["spec"].(map[string]any)["arguments"].(map[string]any)["parameters"].([]any)
	if v := params[0].(map[string]any)["value"]; v != "0123abc" {
		t.Errorf("revision parameter = %v", v)
	}
}

func TestMultiDependency(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	image := ev("img-1", "registry", "pushed", `{"tag":"v1.2.3"}`)
	approve := ev("ok-1", "approvals", "release", `{"user":"ann"}`)
	name := sensor.ObjectName("deploy-", "release", "deploy", []string{"approve", "image"}, []string{"ok-1", "img-1"})
	for _, order := range [][]event.Event{{image, approve}, {approve, image}} {
		t.Run(order[0].ID+"-first", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, nil, releaseSensor)
			rep, err := f.d.Dispatch(ctx, order[0])
			if err != nil {
				t.Fatal(err)
			}
			for _, fr := range rep.Firings {
				if fr.Trigger == "deploy" {
					t.Fatalf("deploy fired after one dependency: %+v", rep.Firings)
				}
			}
			if got := files(t, f.out); len(got) != 0 {
				t.Fatalf("files after the first event: %v", got)
			}
			rep, err = f.d.Dispatch(ctx, order[1])
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{"deploy/" + name + ".json"}, files(t, f.out)); diff != "" {
				t.Fatalf("files (-want +got):\n%s", diff)
			}
			var fired []string
			for _, fr := range rep.Firings {
				fired = append(fired, fr.Trigger+"="+fr.Name)
			}
			wantFired := []string{"deploy=" + name}
			if order[1].ID == "ok-1" {
				wantFired = []string{"deploy=" + name, "audit="}
			}
			if diff := cmp.Diff(wantFired, fired); diff != "" {
				t.Errorf("firings (-want +got):\n%s", diff)
			}
			if st := f.state.Get(sensor.Key{Sensor: "release", Trigger: "deploy"}); len(st) != 0 {
				t.Errorf("state after firing: %v", st)
			}
		})
	}
}

// TestRedelivery hands the same delivery to the dispatcher twice, and
// through a memory bus that redelivers: one object.
func TestRedelivery(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil, ciSensor)
	ctx := context.Background()
	e := push("p-1", "refs/heads/main", "abc")
	for i := 1; i <= 3; i++ {
		if err := f.d.Handle(ctx, bus.Message{Event: e, Delivery: i}); err != nil {
			t.Fatal(err)
		}
	}
	if got := files(t, f.out); len(got) != 1 {
		t.Fatalf("files = %v, want one", got)
	}
	var existed []bool
	for _, l := range f.lines(t) {
		if l["msg"] != "event dispatched" {
			continue
		}
		fs := l[dispatch.FieldFirings].([]any)
		existed = append(existed, fs[0].(map[string]any)["existed"] == true)
	}
	if diff := cmp.Diff([]bool{false, true, true}, existed); diff != "" {
		t.Errorf("existed per delivery (-want +got):\n%s", diff)
	}
}

// flaky fails the first n executions of every firing with a transient
// error, then delegates.
type flaky struct {
	next  dispatch.Executor
	n     int
	mu    sync.Mutex
	tries map[string]int
	calls atomic.Int64
}

func (x *flaky) Execute(ctx context.Context, f sensor.Firing) (argo.Outcome, error) {
	x.calls.Add(1)
	key := f.Sensor + "/" + f.Trigger + "/" + strings.Join(f.EventIDs, ",")
	x.mu.Lock()
	x.tries[key]++
	try := x.tries[key]
	x.mu.Unlock()
	if try <= x.n {
		return argo.Outcome{}, &argo.Error{Trigger: f.Trigger, Transient: true, Err: errors.New("the server is currently unable to handle the request")}
	}
	return x.next.Execute(ctx, f)
}

// failing fails every execution permanently.
type failing struct{}

func (failing) Execute(_ context.Context, f sensor.Firing) (argo.Outcome, error) {
	return argo.Outcome{}, &argo.Error{Trigger: f.Trigger, Err: errors.New(`workflows.argoproj.io is forbidden: User "fc" cannot create resource`)}
}

// consume runs d on b until cond holds or the test times out.
func consume(t *testing.T, b *memory.Bus, h bus.Handler, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Consume(ctx, h) }()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			cancel()
			<-done
			t.Fatal("timed out waiting for the bus")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestErrorNotAcked: a transient failure leaves the message on the bus; the
// redelivery creates the object once, and a multi-dependency trigger whose
// firing failed fires again from the redelivered event alone.
func TestErrorNotAcked(t *testing.T) {
	t.Parallel()
	var fl *flaky
	f := newFixture(t, func(d *dispatch.DryRun) dispatch.Executor {
		fl = &flaky{next: d, n: 2, tries: map[string]int{}}
		return fl
	}, ciSensor, releaseSensor)
	b := memory.New(memory.Options{RetryDelay: time.Millisecond})
	ctx := context.Background()
	for _, e := range []event.Event{
		push("p-1", "refs/heads/main", "abc"),
		ev("img-1", "registry", "pushed", `{"tag":"v1.2.3"}`),
		ev("ok-1", "approvals", "release", `{"user":"ann"}`),
	} {
		if err := b.Publish(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	consume(t, b, f.d.Handle, func() bool { return b.Len() == 0 })
	ci := sensor.ObjectName("build-", "ci", "build", []string{"push"}, []string{"p-1"})
	deploy := sensor.ObjectName("deploy-", "release", "deploy", []string{"approve", "image"}, []string{"ok-1", "img-1"})
	want := []string{"argo/" + ci + ".json", "deploy/" + deploy + ".json"}
	if diff := cmp.Diff(want, files(t, f.out)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if n := b.DeadLetters().Len(); n != 0 {
		t.Errorf("%d dead letters", n)
	}
	var warned, refusals int
	for _, l := range f.lines(t) {
		switch l["msg"] {
		case "event not dispatched, will be redelivered":
			warned++
		case "trigger not carried out":
			refusals++
		}
	}
	// p-1 and ok-1 (deploy and audit fail together) failed twice each.
	if warned != 4 || refusals < 4 {
		t.Errorf("%d not-dispatched lines and %d refusals, want 4 and at least 4:\n%s", warned, refusals, f.logs)
	}
}

// TestPermanentDeadLetters: a failure no retry can cure moves the event to
// the dead-letter destination at once, with the reason.
func TestPermanentDeadLetters(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(*dispatch.DryRun) dispatch.Executor { return failing{} }, ciSensor)
	b := memory.New(memory.Options{RetryDelay: time.Millisecond})
	ctx := context.Background()
	if err := b.Publish(ctx, push("p-1", "refs/heads/main", "abc")); err != nil {
		t.Fatal(err)
	}
	dl := b.DeadLetters()
	consume(t, b, f.d.Handle, func() bool { return dl.Len() == 1 })
	var got bus.Message
	dctx, cancel := context.WithCancel(ctx)
	_ = dl.Consume(dctx, func(_ context.Context, m bus.Message) error { got = m; cancel(); return nil })
	if r := bus.DeadLetterReason(got.Event); !strings.Contains(r, "forbidden") || got.Event.Extensions[bus.ExtDeliveries] != "1" {
		t.Errorf("dead letter reason %q after %s deliveries", r, got.Event.Extensions[bus.ExtDeliveries])
	}
}

// TestTriggerErrorDeadLetters: a trigger whose parameter has no value
// cannot be resolved: permanent.
func TestTriggerErrorDeadLetters(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil, ciSensor)
	e := push("p-1", "refs/heads/main", "abc")
	e.Data = json.RawMessage(`{"body":{"ref":"refs/heads/main"}}`)
	err := f.d.Handle(context.Background(), bus.Message{Event: e, Delivery: 1})
	if !errors.Is(err, bus.ErrPermanent) {
		t.Fatalf("error = %v, want permanent", err)
	}
	if got := files(t, f.out); len(got) != 0 {
		t.Errorf("files = %v", got)
	}
}

// TestFilterErrorAcked: a dependency whose filter fails does not match
// (fail closed); the event is acknowledged and the refusal logged.
func TestFilterErrorAcked(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil, ciSensor)
	e := ev("p-1", "gh", "push", `{"body":{"ref":42}}`)
	if err := f.d.Handle(context.Background(), bus.Message{Event: e, Delivery: 1}); err != nil {
		t.Fatal(err)
	}
	lines := f.lines(t)
	if len(lines) == 0 {
		t.Fatal("no log line")
	}
	last := lines[len(lines)-1]
	if last["msg"] != "event dispatched" || last[dispatch.FieldEventID] != "p-1" {
		t.Errorf("last line = %v", last)
	}
}

// TestLogLine checks the fields of the line per event.
func TestLogLine(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil, ciSensor)
	if err := f.d.Handle(context.Background(), bus.Message{Event: push("p-9", "refs/heads/main", "abc"), Delivery: 2}); err != nil {
		t.Fatal(err)
	}
	lines := f.lines(t)
	if len(lines) != 1 {
		t.Fatalf("%d lines, want 1:\n%s", len(lines), f.logs)
	}
	l := lines[0]
	name := sensor.ObjectName("build-", "ci", "build", []string{"push"}, []string{"p-9"})
	for k, want := range map[string]any{
		dispatch.FieldEventID: "p-9", dispatch.FieldEventSource: "gh", dispatch.FieldEvent: "push",
		dispatch.FieldDelivery: 2.0, "level": "info",
	} {
		if l[k] != want {
			t.Errorf("%s = %v, want %v", k, l[k], want)
		}
	}
	if diff := cmp.Diff([]any{"ci/push"}, l[dispatch.FieldMatched]); diff != "" {
		t.Errorf("matched (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]any{"argo/" + name}, l[dispatch.FieldObjects]); diff != "" {
		t.Errorf("workflows (-want +got):\n%s", diff)
	}
	if _, ok := l[dispatch.FieldDurationMs].(float64); !ok {
		t.Errorf("no duration: %v", l)
	}
	fs := l[dispatch.FieldFirings].([]any)
	fr := fs[0].(map[string]any)
	if fr["name"] != name || fr["operation"] != "submit" || fr["trigger"] != "build" {
		t.Errorf("firing = %v", fr)
	}
}

func TestLoad(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, data string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("ci.yaml", ciSensor)
	write("nested/release.yml", releaseSensor)
	write("es.yaml", "apiVersion: argoproj.io/v1alpha1\nkind: EventSource\nmetadata: {name: gh}\nspec: {}\n")
	write("README.txt", "not config")
	dry, err := dispatch.NewDryRun(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	d, err := dispatch.Load(dir, dry, dispatch.Options{State: memstate.New()})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"argo/ci", "/release"}, d.Sensors()); diff != "" {
		t.Errorf("sensors (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"approvals/release", "gh/push", "registry/pushed"}, d.Routes()); diff != "" {
		t.Errorf("routes (-want +got):\n%s", diff)
	}

	write("again.yaml", ciSensor)
	_, err = dispatch.Load(dir, dry, dispatch.Options{State: memstate.New()})
	if !errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), "also defined in") {
		t.Errorf("duplicate sensor: %v", err)
	}
	if err := os.Remove(filepath.Join(dir, "again.yaml")); err != nil {
		t.Fatal(err)
	}

	write("bad.yaml", strings.Replace(ciSensor, "operation: submit", "operation: explode", 1))
	_, err = dispatch.Load(dir, dry, dispatch.Options{State: memstate.New()})
	var fe *config.FieldError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "bad.yaml") || !strings.Contains(fe.Path, "spec.triggers[0]") {
		t.Errorf("invalid sensor: %v", err)
	}
}

func TestDryRunSources(t *testing.T) {
	t.Parallel()
	src := filepath.Join(t.TempDir(), "wf.yaml")
	if err := os.WriteFile(src, []byte("apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  generateName: from-file-\nspec:\n  entrypoint: x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fileSensor := strings.Replace(ciSensor, `          source:
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
          parameters:
            - src: {dependencyName: push, dataKey: body.after}
              dest: spec.arguments.parameters.0.value
`, "          source:\n            file:\n              path: "+src+"\n", 1)
	urlSensor := strings.Replace(strings.Replace(strings.Replace(fileSensor, "file:", "url:", 1), src, "http://127.0.0.1:1/wf.yaml", 1),
		"name: ci", "name: ci-url", 1)
	f := newFixture(t, nil, fileSensor, urlSensor)
	_, err := f.d.Dispatch(context.Background(), push("p-1", "refs/heads/main", "abc"))
	if !errors.Is(err, bus.ErrPermanent) || !strings.Contains(err.Error(), "file sources only") {
		t.Errorf("url source: %v", err)
	}
	name := sensor.ObjectName("from-file-", "ci", "build", []string{"push"}, []string{"p-1"})
	obj := readObject(t, filepath.Join(f.out, "argo", name+".json"))
	if obj["metadata"].(map[string]any)["labels"].(map[string]any)[sensor.LabelSensor] != "ci" {
		t.Errorf("object = %v", obj)
	}
}

// canceled fails as the trigger client does when its context ends: an
// error it does not count as transient.
type canceled struct{}

func (canceled) Execute(ctx context.Context, f sensor.Firing) (argo.Outcome, error) {
	<-ctx.Done()
	return argo.Outcome{}, &argo.Error{Trigger: f.Trigger, Err: ctx.Err()}
}

// TestCanceledIsNotPermanent: a firing cut short by the end of the context
// (shutdown) leaves the message for redelivery instead of dead-lettering it.
func TestCanceledIsNotPermanent(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(*dispatch.DryRun) dispatch.Executor { return canceled{} }, ciSensor)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	err := f.d.Handle(ctx, bus.Message{Event: push("p-1", "refs/heads/main", "abc"), Delivery: 1})
	if err == nil || errors.Is(err, bus.ErrPermanent) {
		t.Fatalf("error = %v, want a transient one", err)
	}
}

// TestPushFunction: an SMQ trigger batch through the sensor function's
// handler; a permanent failure goes to the dead-letter queue and the batch
// succeeds, a transient one fails the batch.
func TestPushFunction(t *testing.T) {
	t.Parallel()
	body := func(id, data string) string {
		b, _ := json.Marshal(ev(id, "gh", "push", data))
		return string(b)
	}
	payload, _ := json.Marshal([]map[string]any{
		{"id": "1", "source": "acs:mns", "type": "mns:Queue:SendMessage", "data": map[string]any{"messageId": "M1",
			"messageBody": body("p-1", `{"body":{"ref":"refs/heads/main","after":"abc"}}`)}},
		{"id": "2", "source": "acs:mns", "type": "mns:Queue:SendMessage", "data": map[string]any{"messageId": "M2",
			"messageBody": body("p-2", `{"body":{"ref":"refs/heads/main"}}`)}}, // no "after": the trigger cannot resolve
	})
	f := newFixture(t, nil, ciSensor)
	dlq := memory.New(memory.Options{})
	fn := f.d.PushFunction(&smq.Push{DeadLetter: dlq})
	ans, err := fn(context.Background(), payload)
	if err != nil || ans.Messages != 2 {
		t.Fatalf("answer %+v, %v", ans, err)
	}
	if dlq.Len() != 1 {
		t.Errorf("%d dead letters, want 1", dlq.Len())
	}
	if got := files(t, f.out); len(got) != 1 {
		t.Errorf("files = %v", got)
	}

	var fl *flaky
	f = newFixture(t, func(d *dispatch.DryRun) dispatch.Executor {
		fl = &flaky{next: d, n: 1, tries: map[string]int{}}
		return fl
	}, ciSensor)
	fn = f.d.PushFunction(&smq.Push{DeadLetter: memory.New(memory.Options{})})
	if _, err := fn(context.Background(), payload); err == nil || errors.Is(err, bus.ErrPermanent) {
		t.Fatalf("transient failure: %v", err)
	}
	if _, err := fn(context.Background(), payload); err != nil {
		t.Fatalf("retried batch: %v", err)
	}
	if got := files(t, f.out); len(got) != 1 {
		t.Errorf("files after the retry = %v", got)
	}
}

// refused answers every execution as the API server answers an identity it
// does not (yet) authorize.
type refused struct{ calls atomic.Int64 }

func (r *refused) Execute(_ context.Context, f sensor.Firing) (argo.Outcome, error) {
	r.calls.Add(1)
	err := apierrors.NewForbidden(schema.GroupResource{Group: "argoproj.io", Resource: "workflows"}, "",
		errors.New(`User "system:serviceaccount:fc-eventing:fc-eventing-sensor" cannot create resource "workflows"`))
	return argo.Outcome{}, &argo.Error{Trigger: f.Trigger, Err: err}
}

// TestForbiddenRedelivered: a 403 from the cluster is redelivered up to the
// bus's delivery limit before it is dead-lettered, because authorization
// may still be loading or being fixed.
func TestForbiddenRedelivered(t *testing.T) {
	t.Parallel()
	x := &refused{}
	f := newFixture(t, func(*dispatch.DryRun) dispatch.Executor { return x }, ciSensor)
	err := f.d.Handle(context.Background(), bus.Message{Event: push("p-1", "refs/heads/main", "abc"), Delivery: 1})
	if err == nil || errors.Is(err, bus.ErrPermanent) || !strings.Contains(err.Error(), "forbidden") {
		t.Fatalf("error = %v, want a forbidden error the bus redelivers", err)
	}
	b := memory.New(memory.Options{RetryDelay: time.Millisecond, MaxDeliveries: 3})
	if err := b.Publish(context.Background(), push("p-2", "refs/heads/main", "def")); err != nil {
		t.Fatal(err)
	}
	dl := b.DeadLetters()
	consume(t, b, f.d.Handle, func() bool { return dl.Len() == 1 })
	var got bus.Message
	dctx, cancel := context.WithCancel(context.Background())
	_ = dl.Consume(dctx, func(_ context.Context, m bus.Message) error { got = m; cancel(); return nil })
	if r := bus.DeadLetterReason(got.Event); !strings.Contains(r, "forbidden") || got.Event.Extensions[bus.ExtDeliveries] != "3" {
		t.Errorf("dead letter reason %q after %s deliveries, want forbidden after 3", r, got.Event.Extensions[bus.ExtDeliveries])
	}
	if n := x.calls.Load(); n != 4 {
		t.Errorf("%d executions, want 4 (1 direct + 3 deliveries)", n)
	}
}
