package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	ali_mns "github.com/aliyun/aliyun-mns-go-sdk"
	"github.com/google/go-cmp/cmp"

	smqbus "github.com/fc-eventing/fc-eventing/shared/bus/smq"
	"github.com/fc-eventing/fc-eventing/test/fcruntime"
	smqserver "github.com/fc-eventing/fc-eventing/test/smqserver/server"
)

// TestSources: an event from each origin goes through its source function,
// the SMQ bus and the sensor, and the Workflow its Sensor describes exists
// with the parameters taken from the event.
func TestSources(t *testing.T) {
	p := newPipeline(t, options{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p.pump(ctx)

	tests := map[string]struct {
		send     func() (string, error)
		sensor   string
		trigger  string
		params   map[string]string
		eventKey string
	}{
		"github push": {
			send: func() (string, error) {
				id := "a1b2c3d4-" + p.id
				return id, p.github(ctx, id, githubPush("octo/app", "9f1c0ffee", "refs/heads/main"))
			},
			sensor: "github", trigger: "build",
			params: map[string]string{"repo": "octo/app", "revision": "9f1c0ffee"},
		},
		"gitlab push": {
			send: func() (string, error) {
				id := "5e1f0a44-" + p.id
				return id, p.gitlab(ctx, id, gitlabPush("group/service", "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"), gitlabToken)
			},
			sensor: "gitlab", trigger: "build",
			params: map[string]string{"project": "group/service", "revision": "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"},
		},
		"oss notification": {
			send: func() (string, error) {
				return "62A2E2EFD0DE" + p.id + ":incoming/cat.jpg:ObjectCreated:PutObject",
					p.ossUpload(ctx, "62A2E2EFD0DE"+p.id, "incoming/cat.jpg")
			},
			sensor: "oss", trigger: "process",
			params: map[string]string{"bucket": "uploads", "key": "incoming/cat.jpg"},
		},
		"smq message": {
			send: func() (string, error) {
				return p.smqMessage(ctx, `{"repo":"demo","ref":"main"}`)
			},
			sensor: "smq", trigger: "build",
			params: map[string]string{"repo": "demo", "ref": "main"},
		},
		"eventbridge event": {
			send: func() (string, error) {
				id := "45ef4dee-7c35-447a-bd93-" + p.id
				return id, p.bridge(ctx, id, "i-bp1ecr5go2go1")
			},
			sensor: "bridge", trigger: "inventory",
			params: map[string]string{"instance": "i-bp1ecr5go2go1", "state": "Running"},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			id, err := tt.send()
			if err != nil {
				t.Fatalf("sending: %v", err)
			}
			wfs := p.waitWorkflows(ctx, tt.sensor, 1, 0)
			if len(wfs) != 1 {
				t.Fatalf("%d workflows: %+v", len(wfs), wfs)
			}
			w := wfs[0]
			want := map[string]string{"event": id}
			for k, v := range tt.params {
				want[k] = v
			}
			if diff := cmp.Diff(want, w.Params); diff != "" {
				t.Errorf("workflow %s parameters (-want +got):\n%s", w.Name, diff)
			}
			if w.Trigger != tt.trigger {
				t.Errorf("workflow %s: trigger label %q, want %q", w.Name, w.Trigger, tt.trigger)
			}
		})
	}
}

// TestLargePayload: a push over SMQ's 64 KiB travels by reference through
// OSS and the Workflow still gets its parameters.
func TestLargePayload(t *testing.T) {
	p := newPipeline(t, options{Sensors: []string{"github"}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p.pump(ctx)
	var push map[string]any
	if err := json.Unmarshal([]byte(githubPush("octo/monorepo", "b16b00b5", "refs/heads/main")), &push); err != nil {
		t.Fatal(err)
	}
	var commits []any
	for i := range 800 {
		commits = append(commits, map[string]any{"id": fmt.Sprintf("%040d", i), "message": strings.Repeat("x", 100)})
	}
	push["commits"] = commits
	body, _ := json.Marshal(push)
	if len(body) < 64<<10 {
		t.Fatalf("body of %d bytes is not over 64 KiB", len(body))
	}
	before := oss.Requests()
	if err := p.github(ctx, "big-"+p.id, string(body)); err != nil {
		t.Fatal(err)
	}
	wfs := p.waitWorkflows(ctx, "github", 1, 0)
	if got := wfs[0].Params; got["repo"] != "octo/monorepo" || got["revision"] != "b16b00b5" || got["event"] != "big-"+p.id {
		t.Errorf("workflow parameters %v", got)
	}
	if oss.Requests()-before < 2 {
		t.Errorf("%d OSS requests: the payload was not stored and fetched", oss.Requests()-before)
	}
}

// TestTwoDependencies: a Sensor waiting for a GitHub push and an OSS upload
// fires once when both arrived, though each went to a different sensor
// instance and the two instances race on the shared conditions state in
// the cluster.
func TestTwoDependencies(t *testing.T) {
	p := newPipeline(t, options{Sensors: []string{"both"}, SensorInstances: 2})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	// takeBoth sends one push and one upload and returns their bus messages.
	takeBoth := func(round int) (push, upload []ali_mns.MessageReceiveResponse) {
		t.Helper()
		if err := p.github(ctx, fmt.Sprintf("both-%s-%d", p.id, round), githubPush("octo/app", fmt.Sprintf("rev%d", round), "refs/heads/main")); err != nil {
			t.Fatal(err)
		}
		if err := p.ossUpload(ctx, fmt.Sprintf("REQ%s%d", p.id, round), fmt.Sprintf("incoming/%d.tar", round)); err != nil {
			t.Fatal(err)
		}
		for len(push)+len(upload) < 2 {
			msgs, err := receive(ctx, p.busQueue(), 10, time.Second)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range msgs {
				e, err := smqbus.DecodeBody(m.MessageBody)
				if err != nil {
					t.Fatal(err)
				}
				if e.Source == "github" {
					push = append(push, m)
				} else {
					upload = append(upload, m)
				}
			}
		}
		return push, upload
	}

	// The push alone fires nothing; the upload, on the other instance, fires.
	push, upload := takeBoth(0)
	if err := p.deliver(ctx, 0, push); err != nil {
		t.Fatal(err)
	}
	if wfs, err := p.workflowsOf(ctx, "both"); err != nil || len(wfs) != 0 {
		t.Fatalf("after the push alone: %v, %v", wfs, err)
	}
	if err := p.deliver(ctx, 1, upload); err != nil {
		t.Fatal(err)
	}
	if wfs := p.waitWorkflows(ctx, "both", 1, 0); wfs[0].Params["revision"] != "rev0" || wfs[0].Params["key"] != "incoming/0.tar" {
		t.Errorf("workflow %+v", wfs[0])
	}
	if err := del(ctx, p.busQueue(), append(push, upload...)); err != nil {
		t.Fatal(err)
	}

	// Both arrive at once, one on each instance.
	const rounds = 5
	for r := 1; r < rounds; r++ {
		push, upload := takeBoth(r)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, msgs := range [][]ali_mns.MessageReceiveResponse{push, upload} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = p.deliver(ctx, i, msgs)
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("round %d: %v", r, err)
		}
		if err := del(ctx, p.busQueue(), append(push, upload...)); err != nil {
			t.Fatal(err)
		}
	}
	wfs := p.waitWorkflows(ctx, "both", rounds, time.Second)
	if len(wfs) != rounds {
		t.Fatalf("%d workflows for %d rounds: %+v", len(wfs), rounds, wfs)
	}
	for r := range rounds {
		rev := fmt.Sprintf("rev%d", r)
		if n := countBy(wfs, "revision")[rev]; n != 1 {
			t.Errorf("%d workflows for push %s", n, rev)
		}
	}
	for _, w := range wfs {
		if strings.TrimPrefix(w.Params["revision"], "rev") != strings.TrimSuffix(strings.TrimPrefix(w.Params["key"], "incoming/"), ".tar") {
			t.Errorf("workflow %s joins push %s with upload %s", w.Name, w.Params["revision"], w.Params["key"])
		}
	}
}

// TestRedelivery: GitHub redelivering a delivery, and the event stream
// handing the sensor the same batch twice, still make one Workflow each.
func TestRedelivery(t *testing.T) {
	p := newPipeline(t, options{Sensors: []string{"github"}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	// The same delivery twice: two bus messages carrying one event id.
	body := githubPush("octo/app", "re1", "refs/heads/main")
	for range 2 {
		if err := p.github(ctx, "redeliver-"+p.id, body); err != nil {
			t.Fatal(err)
		}
	}
	var msgs []ali_mns.MessageReceiveResponse
	for len(msgs) < 2 {
		got, err := receive(ctx, p.busQueue(), 10, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, got...)
	}
	// One batch each, as two trigger invocations.
	for _, m := range msgs {
		if err := p.deliver(ctx, 0, []ali_mns.MessageReceiveResponse{m}); err != nil {
			t.Fatal(err)
		}
	}
	// The same batch again, as after an answer the trigger did not get.
	if err := p.deliver(ctx, 0, msgs); err != nil {
		t.Fatal(err)
	}
	if err := del(ctx, p.busQueue(), msgs); err != nil {
		t.Fatal(err)
	}
	wfs := p.waitWorkflows(ctx, "github", 1, time.Second)
	if len(wfs) != 1 || wfs[0].Params["event"] != "redeliver-"+p.id {
		t.Fatalf("workflows: %+v", wfs)
	}
}

// TestSensorCrash: the sensor is killed after creating some Workflows of a
// batch and while creating the next; the batch, not acknowledged, comes
// back after the visibility timeout to the new instance, and every Workflow
// of it exists exactly once.
func TestSensorCrash(t *testing.T) {
	const batch, holdAt = 10, 4
	proxy := newHoldingProxy(t, holdAt)
	p := newPipeline(t, options{Sensors: []string{"github"}, KubeURL: proxy.URL, KubeCA: proxy.CA})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	for i := range batch {
		if err := p.github(ctx, fmt.Sprintf("crash-%s-%d", p.id, i), githubPush("octo/app", fmt.Sprintf("c%d", i), "refs/heads/main")); err != nil {
			t.Fatal(err)
		}
	}
	var msgs []ali_mns.MessageReceiveResponse
	for len(msgs) < batch {
		got, err := receive(ctx, p.busQueue(), batch-len(msgs), time.Second)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, got...)
	}
	first := p.sensors[0].Process()
	done := make(chan error, 1)
	go func() { done <- p.deliver(ctx, 0, msgs) }()
	select {
	case <-proxy.held:
	case err := <-done:
		t.Fatalf("the batch finished before the crash: %v", err)
	case <-ctx.Done():
		t.Fatal("the sensor never reached the held create")
	}
	if wfs, err := p.workflowsOf(ctx, "github"); err != nil || len(wfs) != holdAt-1 {
		t.Fatalf("before the crash: %d workflows (%v), want %d", len(wfs), err, holdAt-1)
	}
	if err := p.sensors[0].Kill(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, fcruntime.ErrKilled) {
		t.Fatalf("the batch in flight: %v, want ErrKilled", err)
	}
	// The create that was on the wire reaches the API server anyway.
	proxy.Release()

	// The event stream leaves the batch unacknowledged; it comes back.
	p.pump(ctx)
	wfs := p.waitWorkflows(ctx, "github", batch, 1500*time.Millisecond)
	if len(wfs) != batch {
		t.Fatalf("%d workflows, want %d: %+v", len(wfs), batch, wfs)
	}
	for rev, n := range countBy(wfs, "revision") {
		if n != 1 {
			t.Errorf("%d workflows for push %s", n, rev)
		}
	}
	second := p.sensors[0].Process()
	if second.Generation != first.Generation+1 || second.PID == first.PID {
		t.Errorf("sensor process after the crash: %+v (before: %+v)", second, first)
	}
	if r := p.stats.Redelivered.Load(); r != batch {
		t.Errorf("%d messages redelivered, want the whole batch of %d", r, batch)
	}
}

// TestNoDuplicates: events from every origin through an SMQ server that
// fails 10% of requests (half before doing anything, half after doing it
// and losing the answer, so messages are sent and delivered twice) make
// exactly one Workflow each.
func TestNoDuplicates(t *testing.T) {
	faulty, err := smqserver.Start(smqserver.New(smqserver.Config{AccessKeyID: accessKeyID, AccessKeySecret: accessKeySecret}), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer faulty.Close()
	p := newPipeline(t, options{SMQ: faulty, SensorInstances: 2})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	faulty.SetFaults(smqserver.Faults{FailBefore: 0.05, FailAfter: 0.05})

	want := sendMix(ctx, t, p, 60)
	p.pump(ctx)
	for sensor, ids := range want {
		wfs := p.waitWorkflows(ctx, sensor, len(ids), 0)
		got := countBy(wfs, "event")
		for _, id := range ids {
			if got[id] != 1 {
				t.Errorf("sensor %s: %d workflows for event %s", sensor, got[id], id)
			}
		}
	}
	time.Sleep(1500 * time.Millisecond)
	total := 0
	for sensor, ids := range want {
		wfs, err := p.workflowsOf(ctx, sensor)
		if err != nil {
			t.Fatal(err)
		}
		if len(wfs) != len(ids) {
			t.Errorf("sensor %s: %d workflows, want %d", sensor, len(wfs), len(ids))
		}
		total += len(wfs)
	}
	st := faulty.Stats()
	t.Logf("%d events, %d workflows; SMQ: %d requests, %d failed on purpose; %d batches (%d failed), %d messages delivered, %d redelivered",
		countIDs(want), total, st.Requests, st.InjectedFails, p.stats.Batches.Load(), p.stats.Failed.Load(),
		p.stats.Messages.Load(), p.stats.Redelivered.Load())
	if st.InjectedFails == 0 {
		t.Error("no fault was injected")
	}
	if n := faulty.QueueLen(p.dlq); n != 0 {
		t.Errorf("%d messages dead-lettered", n)
	}
}

// TestForgedSignature: deliveries with a wrong signature or token are
// refused with 401 and put nothing on the bus.
func TestForgedSignature(t *testing.T) {
	p := newPipeline(t, options{Sensors: []string{"github", "gitlab"}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	body := githubPush("octo/app", "f00", "refs/heads/main")
	tests := map[string]func() error{
		"github, other secret": func() error {
			return p.githubSigned(ctx, "forged-1", body, signGitHub("not-the-secret", body))
		},
		"github, body changed": func() error {
			return p.githubSigned(ctx, "forged-2", body, signGitHub(githubSecret, body+" "))
		},
		"github, no signature": func() error { return p.githubSigned(ctx, "forged-3", body, "") },
		"gitlab, wrong token": func() error {
			return p.gitlab(ctx, "forged-4", gitlabPush("group/service", "f00"), "guess")
		},
	}
	for name, send := range tests {
		t.Run(name, func(t *testing.T) {
			if err := send(); !isStatus(err, 401) {
				t.Errorf("answer: %v, want 401", err)
			}
		})
	}
	if n := p.smq.QueueLen(p.queue); n != 0 {
		t.Fatalf("%d messages on the bus after forged deliveries", n)
	}
	// The same delivery, signed, is taken.
	if err := p.github(ctx, "signed-"+p.id, body); err != nil {
		t.Fatal(err)
	}
	if n := p.smq.QueueLen(p.queue); n != 1 {
		t.Fatalf("%d messages on the bus after a signed delivery", n)
	}
}
