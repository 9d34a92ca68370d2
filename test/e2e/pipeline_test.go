package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	ali_mns "github.com/aliyun/aliyun-mns-go-sdk"

	"github.com/fc-eventing/fc-eventing/test/fcruntime"
	smqserver "github.com/fc-eventing/fc-eventing/test/smqserver/server"
)

// options describe a pipeline: which Sensors it loads and how its sensor
// function reaches the cluster.
type options struct {
	// Sensors are the templates of testdata/config/sensors to load (file
	// names without .yaml); default: every single-dependency one.
	Sensors []string
	// SensorInstances is how many sensor processes share the work; default 1.
	SensorInstances int
	// SMQ is the bus server; default the one TestMain started.
	SMQ *smqserver.Running
	// Visibility is the bus queue's visibility timeout in seconds: how soon
	// a batch the sensor failed comes back. Default 2.
	Visibility int
	// KubeURL and KubeCA point the sensor at another API server address
	// (a proxy); default the test cluster.
	KubeURL string
	KubeCA  []byte
	// Timeout is each function's invocation timeout; default 20s.
	Timeout time.Duration
	// Output receives every function's log lines; default: the test log
	// gets the tail of a function's output when the test fails.
	Output io.Writer
}

var singleSensors = []string{"github", "gitlab", "oss", "smq", "bridge"}

// pipeline is one deployment of the five functions with its own bus queue,
// dead-letter queue, source queue and Sensors (named <template>-<id>), so
// that tests do not see each other's events or Workflows.
type pipeline struct {
	tb   testing.TB
	opts options
	id   string
	smq  *smqserver.Running
	// mns talks to the bus server; srcMNS to the test's clean SMQ server,
	// which holds the queue the mns EventSource reads: the upstream queue is
	// the user's, not the bus, and faults injected into the bus do not make
	// it store a message twice.
	mns, srcMNS ali_mns.MNSClient
	// queue is the bus queue; dlq its dead-letter queue; sourceQueue the
	// SMQ queue the mns EventSource reads.
	queue, dlq, sourceQueue string
	config                  string

	webhook, ossSource, mnsSource, bridgeSource *fcruntime.Function
	sensors                                     []*fcruntime.Function

	// next picks the sensor instance of the next batch.
	next  atomic.Uint64
	stats pumpStats
}

// pumpStats count what the event stream stand-in did.
type pumpStats struct {
	Batches, Failed, Messages, Redelivered atomic.Int64
	// SensorNanos sums the sensor's answered invocations (Response.Duration).
	SensorNanos, SensorCalls atomic.Int64
	// WebhookNanos sums the webhook's answered invocations.
	WebhookNanos, WebhookCalls atomic.Int64
}

func newID() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// newPipeline writes the configuration, creates the queues and starts the
// functions; everything stops when the test ends.
func newPipeline(tb testing.TB, opts options) *pipeline {
	tb.Helper()
	if opts.Sensors == nil {
		opts.Sensors = singleSensors
	}
	if opts.SensorInstances <= 0 {
		opts.SensorInstances = 1
	}
	if opts.SMQ == nil {
		opts.SMQ = smq
	}
	if opts.Visibility <= 0 {
		opts.Visibility = 2
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 20 * time.Second
	}
	id := newID()
	p := &pipeline{
		tb: tb, opts: opts, id: id, smq: opts.SMQ,
		queue: "bus-" + id, dlq: "dlq-" + id, sourceQueue: "builds-" + id,
	}
	for _, q := range []string{p.queue, p.dlq} {
		if err := p.smq.CreateQueue(q, smqserver.QueueOptions{VisibilityTimeout: opts.Visibility}); err != nil {
			tb.Fatal(err)
		}
	}
	if err := smq.CreateQueue(p.sourceQueue, smqserver.QueueOptions{VisibilityTimeout: opts.Visibility}); err != nil {
		tb.Fatal(err)
	}
	p.mns = mnsClient(p.smq.Endpoint)
	p.srcMNS = mnsClient(smq.Endpoint)
	p.config = p.writeConfig()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p.webhook = p.start(ctx, "webhook", "")
	p.ossSource = p.start(ctx, "oss-source", "")
	p.mnsSource = p.start(ctx, "mns-source", "")
	p.bridgeSource = p.start(ctx, "eventbridge-source", "")
	for i := range opts.SensorInstances {
		p.sensors = append(p.sensors, p.start(ctx, "sensor", fmt.Sprintf("sensor-%d", i)))
	}
	return p
}

// writeConfig renders testdata/config for this pipeline into a directory
// the functions read as FCE_CONFIG_DIR.
func (p *pipeline) writeConfig() string {
	dir := p.tb.TempDir()
	r := strings.NewReplacer("{{.ID}}", p.id, "{{.Namespace}}", namespace, "{{.SourceQueue}}", p.sourceQueue)
	src := filepath.Join("testdata", "config")
	var files []string
	entries, err := os.ReadDir(filepath.Join(src, "eventsources"))
	if err != nil {
		p.tb.Fatal(err)
	}
	for _, e := range entries {
		files = append(files, filepath.Join("eventsources", e.Name()))
	}
	for _, s := range p.opts.Sensors {
		files = append(files, filepath.Join("sensors", s+".yaml"))
	}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			p.tb.Fatal(err)
		}
		out := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			p.tb.Fatal(err)
		}
		if err := os.WriteFile(out, []byte(r.Replace(string(b))), 0o600); err != nil {
			p.tb.Fatal(err)
		}
	}
	return dir
}

// env is what the deployment gives every function (docs/deploy.md's table).
func (p *pipeline) env(function string) []string {
	env := []string{
		"FCE_CONFIG_DIR=" + p.config,
		"FCE_LOG_LEVEL=info",
		"FCE_BUS=smq",
		"FCE_SMQ_ENDPOINT=" + p.smq.Endpoint,
		"FCE_SMQ_QUEUE=" + p.queue,
		"FCE_OSS_ENDPOINT=" + oss.Endpoint,
		"FCE_OSS_BUCKET=" + payloadBucket,
		"FCE_OSS_PREFIX=payloads/" + p.id + "/",
		"GITHUB_SECRET=" + githubSecret,
		"GITLAB_TOKEN=" + gitlabToken,
	}
	if function == "sensor" {
		url, ca := cluster.URL, cluster.CAData
		if p.opts.KubeURL != "" {
			url, ca = p.opts.KubeURL, p.opts.KubeCA
		}
		env = append(env,
			"FCE_SMQ_DLQ="+p.dlq,
			"FCE_MAX_DELIVERIES=5",
			"FCE_KUBE_API_SERVER="+url,
			"FCE_KUBE_TOKEN="+sensorToken,
			"FCE_KUBE_CA_DATA="+string(ca),
			"FCE_STATE=kubernetes",
			"FCE_STATE_NAMESPACE="+namespace,
		)
	}
	return env
}

// start runs a function binary under the runtime API. Like FC, the runtime
// starts a new instance when one dies.
func (p *pipeline) start(ctx context.Context, function, name string) *fcruntime.Function {
	p.tb.Helper()
	bin, err := fcruntime.Build(ctx, functionPkg(function))
	if err != nil {
		p.tb.Fatal(err)
	}
	if name == "" {
		name = function
	}
	f, err := fcruntime.Start(ctx, fcruntime.Options{
		Binary:      bin,
		Name:        name,
		Env:         p.env(function),
		Timeout:     p.opts.Timeout,
		AutoRestart: true,
		Credentials: &fcruntime.Credentials{AccessKeyID: accessKeyID, AccessKeySecret: accessKeySecret, SecurityToken: securityToken},
		Output:      p.opts.Output,
	})
	if err != nil {
		p.tb.Fatalf("starting %s: %v", name, err)
	}
	p.tb.Cleanup(func() {
		if p.tb.Failed() && p.opts.Output == nil {
			p.tb.Logf("%s output (tail):\n%s", name, f.Output())
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = f.Close(ctx)
	})
	return f
}

// functions lists the pipeline's functions by name.
func (p *pipeline) functions() map[string]*fcruntime.Function {
	m := map[string]*fcruntime.Function{
		"webhook": p.webhook, "oss-source": p.ossSource, "mns-source": p.mnsSource, "eventbridge-source": p.bridgeSource,
	}
	for i, s := range p.sensors {
		m[fmt.Sprintf("sensor-%d", i)] = s
	}
	return m
}

// sensorName is the name a Sensor template has in this pipeline.
func (p *pipeline) sensorName(template string) string { return template + "-" + p.id }

func mnsClient(endpoint string) ali_mns.MNSClient {
	return ali_mns.NewAliMNSClientWithConfig(ali_mns.AliMNSClientConfig{
		EndPoint: endpoint, AccessKeyId: accessKeyID, AccessKeySecret: accessKeySecret,
		Token: securityToken, TimeoutSecond: 10,
	})
}

// busQueue is the bus queue; sourceQueueOf the mns EventSource's queue.
func (p *pipeline) busQueue() ali_mns.AliMNSQueue {
	// The SDK's client-side limit would throttle the soak run; the server
	// is local.
	return ali_mns.NewMNSQueue(p.queue, p.mns, 100000)
}

func (p *pipeline) sourceQueueOf() ali_mns.AliMNSQueue {
	return ali_mns.NewMNSQueue(p.sourceQueue, p.srcMNS, 100000)
}

// receive long-polls the bus queue for up to n messages, as the event
// stream behind the sensor's trigger does; nothing there is no error.
func receive(ctx context.Context, q ali_mns.AliMNSQueue, n int, wait time.Duration) ([]ali_mns.MessageReceiveResponse, error) {
	respc := make(chan ali_mns.BatchMessageReceiveResponse, 1)
	errc := make(chan error, 1)
	go q.BatchReceiveMessage(respc, errc, int32(n), int64(max(wait/time.Second, 1)))
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case r := <-respc:
		return r.Messages, nil
	case err := <-errc:
		if ali_mns.ERR_MNS_MESSAGE_NOT_EXIST.IsEqual(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("receiving from %s: %w", q.Name(), err)
	}
}

// del deletes received messages, retrying what the server failed. A stale
// receipt handle (the message came back and was received again) is no error:
// whoever holds the new handle settles it.
func del(ctx context.Context, q ali_mns.AliMNSQueue, msgs []ali_mns.MessageReceiveResponse) error {
	if len(msgs) == 0 {
		return nil
	}
	handles := make([]string, len(msgs))
	for i, m := range msgs {
		handles[i] = m.ReceiptHandle
	}
	var err error
	for range 20 {
		var resp ali_mns.BatchMessageDeleteErrorResponse
		if resp, err = q.BatchDeleteMessage(handles...); err == nil || staleHandle(err) {
			return nil
		}
		if ali_mns.ERR_MNS_BATCH_OP_FAIL.IsEqual(err) && len(resp.FailedMessages) > 0 {
			// Some were deleted: try again with those that failed, unless stale.
			handles = handles[:0]
			for _, f := range resp.FailedMessages {
				if f.ErrorCode != "ReceiptHandleError" && f.ErrorCode != "MessageNotExist" {
					handles = append(handles, f.ReceiptHandle)
				}
			}
			if len(handles) == 0 {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return fmt.Errorf("deleting from %s: %w", q.Name(), err)
}

// staleHandle reports SMQ's answer for receipt handles that no longer
// name a message (received again since, or already deleted).
func staleHandle(err error) bool {
	s := err.Error()
	return strings.Contains(s, "ReceiptHandleError") || strings.Contains(s, "MessageNotExist")
}

// deliver hands received bus messages to sensor instance i in the SMQ queue
// trigger's batch shape and returns its answer.
func (p *pipeline) deliver(ctx context.Context, i int, msgs []ali_mns.MessageReceiveResponse) error {
	payload, err := queueTriggerBatch(p.queue, msgs)
	if err != nil {
		return err
	}
	resp, err := p.sensors[i].Do(ctx, fcruntime.Request{Payload: payload})
	if err != nil {
		return err
	}
	p.stats.SensorNanos.Add(int64(resp.Duration))
	p.stats.SensorCalls.Add(1)
	return nil
}

// pump is the EventBridge event stream behind the sensor's SMQ queue
// trigger: it receives batches of up to 10 from the bus queue, hands each
// to a sensor instance (round robin), deletes the batch when the sensor
// answered success and otherwise leaves it to come back after the
// visibility timeout. It stops when ctx ends; stop waits for it.
func (p *pipeline) pump(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for range len(p.sensors) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				msgs, err := receive(ctx, p.busQueue(), 10, time.Second)
				if err != nil || len(msgs) == 0 {
					if err != nil && ctx.Err() == nil {
						time.Sleep(20 * time.Millisecond)
					}
					continue
				}
				p.stats.Batches.Add(1)
				p.stats.Messages.Add(int64(len(msgs)))
				for _, m := range msgs {
					if m.DequeueCount > 1 {
						p.stats.Redelivered.Add(1)
					}
				}
				i := int(p.next.Add(1)-1) % len(p.sensors)
				if err := p.deliver(ctx, i, msgs); err != nil {
					p.stats.Failed.Add(1)
					continue
				}
				_ = del(context.WithoutCancel(ctx), p.busQueue(), msgs)
			}
		}()
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			wg.Wait()
		})
	}
	p.tb.Cleanup(stop)
	return stop
}

// errStatus is a source function's non-2xx answer.
type errStatus struct {
	Status int
	Body   string
}

func (e *errStatus) Error() string { return fmt.Sprintf("answered %d: %s", e.Status, e.Body) }

func isStatus(err error, status int) bool {
	var e *errStatus
	return errors.As(err, &e) && e.Status == status
}
