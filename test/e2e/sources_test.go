package e2e

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	ali_mns "github.com/aliyun/aliyun-mns-go-sdk"

	"github.com/fc-eventing/fc-eventing/shared/fc"
	"github.com/fc-eventing/fc-eventing/test/fcruntime"
)

// The SMQ queue trigger's batch, as EventBridge event streaming hands it to
// a function (source acs:mns, type mns:Queue:SendMessage).
type triggerEvent struct {
	ID              string      `json:"id"`
	Source          string      `json:"source"`
	SpecVersion     string      `json:"specversion"`
	Type            string      `json:"type"`
	DataContentType string      `json:"datacontenttype"`
	Subject         string      `json:"subject"`
	Time            string      `json:"time"`
	AccountID       string      `json:"aliyunaccountid"`
	EventBusName    string      `json:"aliyuneventbusname"`
	RegionID        string      `json:"aliyunregionid"`
	Data            triggerData `json:"data"`
}

type triggerData struct {
	RequestID    string `json:"requestId"`
	MessageID    string `json:"messageId"`
	MessageBody  string `json:"messageBody"`
	DequeueCount int64  `json:"dequeueCount,omitempty"`
}

func queueTriggerEvents(queue string, msgs []ali_mns.MessageReceiveResponse) []triggerEvent {
	out := make([]triggerEvent, len(msgs))
	for i, m := range msgs {
		out[i] = triggerEvent{
			ID: fmt.Sprintf("%s-%d", m.MessageId, m.DequeueCount), Source: "acs:mns", SpecVersion: "1.0",
			Type: "mns:Queue:SendMessage", DataContentType: "application/json; charset=utf-8",
			Subject:   "acs:mns:cn-hangzhou:123:queues/" + queue,
			Time:      time.UnixMilli(m.EnqueueTime).UTC().Format(time.RFC3339Nano),
			AccountID: "123", EventBusName: "fc-eventing", RegionID: "cn-hangzhou",
			Data: triggerData{
				RequestID: m.RequestId, MessageID: m.MessageId, MessageBody: m.MessageBody, DequeueCount: m.DequeueCount,
			},
		}
	}
	return out
}

// queueTriggerBatch is the payload of one sensor invocation.
func queueTriggerBatch(queue string, msgs []ali_mns.MessageReceiveResponse) ([]byte, error) {
	b, err := json.Marshal(queueTriggerEvents(queue, msgs))
	if err != nil {
		return nil, fmt.Errorf("encoding trigger batch: %w", err)
	}
	return b, nil
}

// httpTrigger is the FC HTTP trigger event of a POST to path.
func httpTrigger(path, body string, headers map[string]string) ([]byte, error) {
	req := fc.HTTPRequest{
		Version: "v1", RawPath: path, Body: body, Headers: headers,
		RequestContext: fc.HTTPRequestContext{
			AccountID: "123", RequestID: newID(), Time: time.Now().UTC().Format(time.RFC3339),
			TimeEpoch: strconv.FormatInt(time.Now().UnixMilli(), 10),
			HTTP:      fc.HTTPInfo{Method: "POST", Path: path, Protocol: "HTTP/1.1", SourceIP: "140.82.115.1"},
		},
	}
	b, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encoding HTTP trigger event: %w", err)
	}
	return b, nil
}

// callWebhook invokes the webhook function and turns a non-2xx answer into
// an *errStatus.
func (p *pipeline) callWebhook(ctx context.Context, path, body string, headers map[string]string) error {
	payload, err := httpTrigger(path, body, headers)
	if err != nil {
		return err
	}
	r, err := p.webhook.Do(ctx, fcruntime.Request{Payload: payload})
	if err != nil {
		return err
	}
	p.stats.WebhookNanos.Add(int64(r.Duration))
	p.stats.WebhookCalls.Add(1)
	var resp fc.HTTPResponse
	if err := json.Unmarshal(r.Payload, &resp); err != nil {
		return fmt.Errorf("decoding webhook answer %q: %w", r.Payload, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &errStatus{Status: resp.StatusCode, Body: resp.Body}
	}
	return nil
}

// githubPush is a push delivery's body.
func githubPush(repo, after, ref string) string {
	b, _ := json.Marshal(map[string]any{
		"ref": ref, "before": "0000000000000000000000000000000000000000", "after": after,
		"repository":  map[string]any{"full_name": repo, "clone_url": "https://github.com/" + repo + ".git"},
		"pusher":      map[string]any{"name": "octocat"},
		"head_commit": map[string]any{"id": after, "message": "build " + after},
		"commits":     []any{map[string]any{"id": after}},
		"deleted":     false,
	})
	return string(b)
}

// signGitHub is X-Hub-Signature-256 of body.
func signGitHub(secret, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(body))
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// github sends a signed push delivery as GitHub does.
func (p *pipeline) github(ctx context.Context, delivery, body string) error {
	return p.githubSigned(ctx, delivery, body, signGitHub(githubSecret, body))
}

func (p *pipeline) githubSigned(ctx context.Context, delivery, body, signature string) error {
	return p.callWebhook(ctx, "/github/push", body, map[string]string{
		"Content-Type": "application/json", "User-Agent": "GitHub-Hookshot/5f3c1b2",
		"X-Github-Event": "push", "X-Github-Delivery": delivery, "X-Github-Hook-Id": "4815162342",
		"X-Hub-Signature-256": signature,
	})
}

func gitlabPush(project, sha string) string {
	b, _ := json.Marshal(map[string]any{
		"object_kind": "push", "event_name": "push", "ref": "refs/heads/main", "checkout_sha": sha,
		"after": sha, "project_id": 15, "total_commits_count": 1,
		"project": map[string]any{"id": 15, "path_with_namespace": project},
	})
	return string(b)
}

// gitlab sends a push hook as GitLab does.
func (p *pipeline) gitlab(ctx context.Context, uuid, body, token string) error {
	return p.callWebhook(ctx, "/gitlab/push", body, map[string]string{
		"Content-Type": "application/json", "User-Agent": "GitLab/17.6.0",
		"X-Gitlab-Event": "Push Hook", "X-Gitlab-Event-Uuid": uuid, "Idempotency-Key": uuid,
		"X-Gitlab-Token": token,
	})
}

// ossNotification is what OSS sends the function for one object created.
func ossNotification(requestID, key string) []byte {
	b, _ := json.Marshal(map[string]any{"events": []any{map[string]any{
		"eventName": "ObjectCreated:PutObject", "eventSource": "acs:oss", "eventVersion": "1.0",
		"eventTime": time.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
		"oss": map[string]any{
			"bucket":           map[string]any{"arn": "acs:oss:cn-hangzhou:123:uploads", "name": "uploads", "ownerIdentity": "123"},
			"object":           map[string]any{"deltaSize": 2048, "eTag": "7D73E1052AF595535DE90994F4C3E6D5", "key": key, "size": 2048},
			"ossSchemaVersion": "1.0", "ruleId": "fce-e2e",
		},
		"region":            "cn-hangzhou",
		"requestParameters": map[string]any{"sourceIPAddress": "10.0.0.1"},
		"responseElements":  map[string]any{"requestId": requestID},
		"userIdentity":      map[string]any{"principalId": "123"},
	}}})
	return b
}

// ossUpload invokes oss-source as the OSS trigger does.
func (p *pipeline) ossUpload(ctx context.Context, requestID, key string) error {
	_, err := p.ossSource.Invoke(ctx, ossNotification(requestID, key))
	return err
}

// smqMessage sends body to the mns EventSource's queue, then plays the
// event stream of mns-source's queue trigger until it went through.
func (p *pipeline) smqMessage(ctx context.Context, body string) (messageID string, err error) {
	id, err := p.sendSource(ctx, body)
	if err != nil {
		return "", err
	}
	return id, p.drainSource(ctx, 1)
}

// sendSource sends body to the mns EventSource's queue and returns the
// message id, which becomes the event id.
func (p *pipeline) sendSource(ctx context.Context, body string) (string, error) {
	resp, err := p.sourceQueueOf().SendMessage(ali_mns.MessageSendRequest{
		MessageBody: base64.StdEncoding.EncodeToString([]byte(body)), Priority: 8,
	})
	if err != nil {
		return "", fmt.Errorf("sending to %s: %w", p.sourceQueue, err)
	}
	return resp.MessageId, nil
}

// drainSource is the event stream of mns-source's SMQ queue trigger: it
// receives from the source queue and hands each message to mns-source,
// deleting it once the function succeeded (otherwise it comes back after
// the visibility timeout), until n messages went through.
func (p *pipeline) drainSource(ctx context.Context, n int) error {
	done := map[string]bool{}
	for len(done) < n {
		msgs, err := receive(ctx, p.sourceQueueOf(), 10, time.Second)
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("%d of %d source messages went through: %w", len(done), n, err)
			}
			continue
		}
		var ok []ali_mns.MessageReceiveResponse
		for _, e := range queueTriggerEvents(p.sourceQueue, msgs) {
			b, err := json.Marshal(e)
			if err != nil {
				return err
			}
			if _, err := p.mnsSource.Invoke(ctx, b); err != nil {
				continue
			}
			for _, m := range msgs {
				if m.MessageId == e.Data.MessageID {
					ok = append(ok, m)
				}
			}
			done[e.Data.MessageID] = true
		}
		if err := del(ctx, p.sourceQueueOf(), ok); err != nil {
			return err
		}
	}
	return nil
}

// ecsEvent is an EventBridge event as a rule hands it to the function.
func ecsEvent(id, instance string) []byte {
	b, _ := json.Marshal(map[string]any{
		"id": id, "source": "acs.ecs", "specversion": "1.0", "type": "ecs:Instance:StateChange",
		"subject": "acs.ecs:cn-hangzhou:123:" + instance, "time": time.Now().UTC().Format(time.RFC3339Nano),
		"datacontenttype": "application/json;charset=utf-8", "aliyunaccountid": "123",
		"aliyuneventbusname": "default", "aliyunregionid": "cn-hangzhou",
		"data": map[string]any{"instanceId": instance, "state": "Running"},
	})
	return b
}

// bridge invokes eventbridge-source as an EventBridge rule does.
func (p *pipeline) bridge(ctx context.Context, id, instance string) error {
	_, err := p.bridgeSource.Invoke(ctx, ecsEvent(id, instance))
	return err
}

// retrying calls send until it succeeds, as the upstream services retry a
// delivery their target failed (FC's asynchronous invocations, EventBridge,
// GitHub's redelivery); only a refusal other than 503 stops it.
func retrying(ctx context.Context, send func() error) error {
	for {
		err := send()
		if err == nil {
			return nil
		}
		var st *errStatus
		if errors.As(err, &st) && st.Status != http.StatusServiceUnavailable {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last failure: %v)", ctx.Err(), err)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// sendMix sends n events spread over every origin (a third GitHub pushes,
// the rest evenly GitLab, OSS, SMQ and EventBridge), each origin from its
// own goroutine, retrying failures; it returns the event ids each Sensor
// template must make exactly one Workflow for.
func sendMix(ctx context.Context, tb testing.TB, p *pipeline, n int) map[string][]string {
	tb.Helper()
	counts := map[string]int{"github": n - 4*(n/6), "gitlab": n / 6, "oss": n / 6, "smq": n / 6, "bridge": n / 6}
	want := map[string][]string{}
	var mu sync.Mutex
	add := func(sensor, id string) {
		mu.Lock()
		defer mu.Unlock()
		want[sensor] = append(want[sensor], id)
	}
	senders := map[string]func(i int) error{
		"github": func(i int) error {
			id := fmt.Sprintf("gh-%s-%d", p.id, i)
			add("github", id)
			body := githubPush("octo/app", fmt.Sprintf("%s-%d", p.id, i), "refs/heads/main")
			return retrying(ctx, func() error { return p.github(ctx, id, body) })
		},
		"gitlab": func(i int) error {
			id := fmt.Sprintf("gl-%s-%d", p.id, i)
			add("gitlab", id)
			body := gitlabPush("group/service", fmt.Sprintf("%s-%d", p.id, i))
			return retrying(ctx, func() error { return p.gitlab(ctx, id, body, gitlabToken) })
		},
		"oss": func(i int) error {
			req, key := fmt.Sprintf("REQ%s%06d", p.id, i), fmt.Sprintf("incoming/%d.bin", i)
			add("oss", req+":"+key+":ObjectCreated:PutObject")
			return retrying(ctx, func() error { return p.ossUpload(ctx, req, key) })
		},
		"smq": func(i int) error {
			id, err := p.sendSource(ctx, fmt.Sprintf(`{"repo":"svc-%d","ref":"main"}`, i))
			if err != nil {
				return err
			}
			add("smq", id)
			return nil
		},
		"bridge": func(i int) error {
			id := fmt.Sprintf("eb-%s-%d", p.id, i)
			add("bridge", id)
			return retrying(ctx, func() error { return p.bridge(ctx, id, fmt.Sprintf("i-%s%d", p.id, i)) })
		},
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(senders)+1)
	for origin, send := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range counts[origin] {
				if err := send(i); err != nil {
					errs <- fmt.Errorf("%s event %d: %w", origin, i, err)
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := p.drainSource(ctx, counts["smq"]); err != nil {
			errs <- err
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		tb.Fatal(err)
	}
	return want
}

func countIDs(m map[string][]string) int {
	n := 0
	for _, ids := range m {
		n += len(ids)
	}
	return n
}
