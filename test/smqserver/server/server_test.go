package server_test

import (
	"encoding/xml"
	"strings"
	"sync"
	"testing"
	"time"

	ali_mns "github.com/aliyun/aliyun-mns-go-sdk"

	"github.com/fc-eventing/fc-eventing/test/smqserver/server"
)

const (
	keyID  = "test-id"
	secret = "test-secret"
)

func start(t *testing.T) *server.Running {
	t.Helper()
	r, err := server.Start(server.New(server.Config{AccessKeyID: keyID, AccessKeySecret: secret}), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

func client(r *server.Running, sec string) ali_mns.MNSClient {
	return ali_mns.NewAliMNSClientWithConfig(ali_mns.AliMNSClientConfig{
		EndPoint: r.Endpoint, AccessKeyId: keyID, AccessKeySecret: sec, TimeoutSecond: 35,
	})
}

func mustCreate(t *testing.T, c ali_mns.MNSClient, name string, visibility int32) ali_mns.AliMNSQueue {
	t.Helper()
	m := ali_mns.NewMNSQueueManager(c)
	if err := m.CreateQueue(name, 0, 65536, 345600, visibility, 0, 2); err != nil {
		t.Fatalf("CreateQueue: %v", err)
	}
	return ali_mns.NewMNSQueue(name, c)
}

func receive(q ali_mns.AliMNSQueue, n int32, wait int64) (ali_mns.BatchMessageReceiveResponse, error) {
	resp := make(chan ali_mns.BatchMessageReceiveResponse, 1)
	errc := make(chan error, 1)
	if wait > 0 {
		q.BatchReceiveMessage(resp, errc, n, wait)
	} else {
		// The SDK sends nothing for a waitseconds of 0; leave it out so the
		// queue's PollingWaitSeconds applies.
		q.BatchReceiveMessage(resp, errc, n)
	}
	select {
	case r := <-resp:
		return r, nil
	case err := <-errc:
		return ali_mns.BatchMessageReceiveResponse{}, err
	}
}

func TestQueueLifecycle(t *testing.T) {
	t.Parallel()
	r := start(t)
	c := client(r, secret)
	q := mustCreate(t, c, "life", 1)

	sent, err := q.SendMessage(ali_mns.MessageSendRequest{MessageBody: `{"a":"<&>"}`, Priority: 8})
	if err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	if sent.MessageId == "" || sent.MessageBodyMD5 == "" {
		t.Fatalf("SendMessage answer %+v lacks id or md5", sent)
	}
	got, err := receive(q, 16, 1)
	if err != nil {
		t.Fatalf("BatchReceiveMessage: %v", err)
	}
	if len(got.Messages) != 1 || got.Messages[0].MessageBody != `{"a":"<&>"}` || got.Messages[0].DequeueCount != 1 {
		t.Fatalf("received %+v", got.Messages)
	}
	first := got.Messages[0].ReceiptHandle

	// Not deleted: it comes back after the visibility timeout with a new handle.
	got, err = receive(q, 16, 5)
	if err != nil {
		t.Fatalf("second receive: %v", err)
	}
	m := got.Messages[0]
	if m.DequeueCount != 2 || m.ReceiptHandle == first {
		t.Fatalf("redelivery DequeueCount=%d handle changed=%v", m.DequeueCount, m.ReceiptHandle != first)
	}
	if err := q.DeleteMessage(first); !ali_mns.ERR_MNS_MESSAGE_NOT_EXIST.IsEqual(err) {
		t.Errorf("delete with a stale handle = %v, want MessageNotExist", err)
	}
	vis, err := q.ChangeMessageVisibility(m.ReceiptHandle, 10)
	if err != nil {
		t.Fatalf("ChangeMessageVisibility: %v", err)
	}
	if vis.ReceiptHandle == m.ReceiptHandle {
		t.Error("ChangeMessageVisibility kept the receipt handle")
	}
	if err := q.DeleteMessage(m.ReceiptHandle); err == nil {
		t.Error("delete with the handle replaced by ChangeMessageVisibility succeeded")
	}
	if err := q.DeleteMessage(vis.ReceiptHandle); err != nil {
		t.Fatalf("DeleteMessage: %v", err)
	}
	if _, err := receive(q, 16, 1); !ali_mns.ERR_MNS_MESSAGE_NOT_EXIST.IsEqual(err) {
		t.Errorf("receive on empty queue = %v, want MessageNotExist", err)
	}
	attrs, err := ali_mns.NewMNSQueueManager(c).GetQueueAttributes("life")
	if err != nil || attrs.VisibilityTimeout != 1 || attrs.QueueName != "life" {
		t.Errorf("GetQueueAttributes = %+v, %v", attrs, err)
	}
}

func TestLongPollWokenBySend(t *testing.T) {
	t.Parallel()
	r := start(t)
	c := client(r, secret)
	q := mustCreate(t, c, "poll", 30)
	var wg sync.WaitGroup
	wg.Add(1)
	var took time.Duration
	var rerr error
	go func() {
		defer wg.Done()
		start := time.Now()
		// A queue value of its own: the SDK's request counter is not safe
		// for concurrent use.
		_, rerr = receive(ali_mns.NewMNSQueue("poll", c), 4, 20)
		took = time.Since(start)
	}()
	time.Sleep(300 * time.Millisecond)
	if _, err := q.SendMessage(ali_mns.MessageSendRequest{MessageBody: "wake", Priority: 1}); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if rerr != nil {
		t.Fatalf("long poll: %v", rerr)
	}
	if took > 3*time.Second {
		t.Errorf("long poll returned after %s, want soon after the send", took)
	}
}

func TestBatchAndPriority(t *testing.T) {
	t.Parallel()
	r := start(t)
	c := client(r, secret)
	q := mustCreate(t, c, "batch", 30)
	resp, err := q.BatchSendMessage(
		ali_mns.MessageSendRequest{MessageBody: "low", Priority: 16},
		ali_mns.MessageSendRequest{MessageBody: "high", Priority: 1},
		ali_mns.MessageSendRequest{MessageBody: "mid", Priority: 8},
	)
	if err != nil || len(resp.Messages) != 3 {
		t.Fatalf("BatchSendMessage = %+v, %v", resp, err)
	}
	got, err := receive(q, 16, 1)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	var handles []string
	for _, m := range got.Messages {
		order = append(order, m.MessageBody)
		handles = append(handles, m.ReceiptHandle)
	}
	if strings.Join(order, ",") != "high,mid,low" {
		t.Errorf("priority order = %v", order)
	}
	del, err := q.BatchDeleteMessage(append(handles, handles[0][:32]+"-STALE")...)
	if err == nil || len(del.FailedMessages) != 1 {
		t.Errorf("batch delete with one stale handle = %+v, %v; want one failure", del, err)
	}
	if r.QueueLen("batch") != 0 {
		t.Errorf("queue holds %d messages after batch delete", r.QueueLen("batch"))
	}
	// Priority 0 (the SDK's zero value) is refused.
	if _, err := q.SendMessage(ali_mns.MessageSendRequest{MessageBody: "x"}); !ali_mns.ERR_MNS_INVALID_ARGUMENT.IsEqual(err) {
		t.Errorf("send without Priority = %v, want InvalidArgument", err)
	}
}

func TestRefusals(t *testing.T) {
	t.Parallel()
	r := start(t)
	c := client(r, secret)
	q := mustCreate(t, c, "small", 30)
	if err := ali_mns.NewMNSQueueManager(c).SetQueueAttributes("small", 0, 1024, 345600, 30, 0, 2); err != nil {
		t.Fatal(err)
	}
	_, err := q.SendMessage(ali_mns.MessageSendRequest{MessageBody: strings.Repeat("x", 2000), Priority: 8})
	if err == nil || !strings.Contains(err.Error(), "MessageTooLarge") {
		t.Errorf("oversize send = %v, want MessageTooLarge", err)
	}
	bad := ali_mns.NewMNSQueue("small", client(r, "wrong"))
	if _, err := bad.SendMessage(ali_mns.MessageSendRequest{MessageBody: "x", Priority: 8}); !ali_mns.ERR_MNS_SIGNATURE_DOES_NOT_MATCH.IsEqual(err) {
		t.Errorf("wrong secret = %v, want SignatureDoesNotMatch", err)
	}
	missing := ali_mns.NewMNSQueue("missing", c)
	if _, err := missing.SendMessage(ali_mns.MessageSendRequest{MessageBody: "x", Priority: 8}); !ali_mns.ERR_MNS_QUEUE_NOT_EXIST.IsEqual(err) {
		t.Errorf("send to missing queue = %v, want QueueNotExist", err)
	}
	r.SetFaults(server.Faults{FailBefore: 1})
	if _, err := q.SendMessage(ali_mns.MessageSendRequest{MessageBody: "x", Priority: 8}); !ali_mns.ERR_MNS_INTERNAL_ERROR.IsEqual(err) {
		t.Errorf("with faults = %v, want InternalError", err)
	}
	r.SetFaults(server.Faults{})
	if r.QueueLen("small") != 0 {
		t.Error("a refused send was stored")
	}
}

func TestTopicToQueue(t *testing.T) {
	t.Parallel()
	r := start(t)
	c := client(r, secret)
	plain := mustCreate(t, c, "plain", 30)
	wrapped := mustCreate(t, c, "wrapped", 30)
	if err := ali_mns.NewMNSTopicManager(c).CreateSimpleTopic("events"); err != nil {
		t.Fatal(err)
	}
	tp := ali_mns.NewMNSTopic("events", c)
	for name, format := range map[string]ali_mns.NotifyContentFormatType{"plain": ali_mns.SIMPLIFIED, "wrapped": ali_mns.XML} {
		err := tp.Subscribe("sub-"+name, ali_mns.MessageSubsribeRequest{
			Endpoint: tp.GenerateQueueEndpoint(name), NotifyContentFormat: format,
		})
		if err != nil {
			t.Fatalf("Subscribe %s: %v", name, err)
		}
	}
	if _, err := tp.PublishMessage(ali_mns.MessagePublishRequest{MessageBody: `{"k":1}`}); err != nil {
		t.Fatal(err)
	}
	got, err := receive(plain, 1, 1)
	if err != nil || got.Messages[0].MessageBody != `{"k":1}` {
		t.Fatalf("SIMPLIFIED subscriber got %+v, %v", got, err)
	}
	got, err = receive(wrapped, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	var n struct {
		Message   string `xml:"Message"`
		TopicName string `xml:"TopicName"`
	}
	if err := xml.Unmarshal([]byte(got.Messages[0].MessageBody), &n); err != nil || n.Message != `{"k":1}` || n.TopicName != "events" {
		t.Fatalf("XML subscriber got %q (%v)", got.Messages[0].MessageBody, err)
	}
}

func TestFaultKnobs(t *testing.T) {
	t.Parallel()
	r := start(t)
	c := client(r, secret)
	q := mustCreate(t, c, "faults", 30)

	r.SetFaults(server.Faults{FailAfter: 1})
	if _, err := q.SendMessage(ali_mns.MessageSendRequest{MessageBody: "lost answer", Priority: 8}); !ali_mns.ERR_MNS_INTERNAL_ERROR.IsEqual(err) {
		t.Errorf("FailAfter send = %v, want InternalError", err)
	}
	if r.QueueLen("faults") != 1 {
		t.Errorf("FailAfter: queue holds %d messages, want the processed one", r.QueueLen("faults"))
	}

	r.SetFaults(server.Faults{Delay: 300 * time.Millisecond, DelayShare: 1})
	start := time.Now()
	if _, err := q.SendMessage(ali_mns.MessageSendRequest{MessageBody: "slow", Priority: 8}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("delayed request took %s", d)
	}
	r.SetFaults(server.Faults{})
	if st := r.Stats(); st.InjectedFails != 1 || st.Requests < 3 {
		t.Errorf("stats = %+v", st)
	}
}

func TestDelayPollingAndQueueManagement(t *testing.T) {
	t.Parallel()
	r := start(t)
	c := client(r, secret)
	m := ali_mns.NewMNSQueueManager(c)
	if err := m.CreateQueue("delayed", 0, 65536, 345600, 30, 2, 2); err != nil {
		t.Fatal(err)
	}
	if err := m.CreateQueue("delayed", 0, 65536, 345600, 30, 2, 2); !ali_mns.ERR_MNS_QUEUE_ALREADY_EXIST_AND_HAVE_SAME_ATTR.IsEqual(err) {
		t.Errorf("re-create with the same attributes = %v", err)
	}
	if err := m.CreateQueue("delayed", 0, 65536, 345600, 60, 2, 2); !ali_mns.ERR_MNS_QUEUE_ALREADY_EXIST.IsEqual(err) {
		t.Errorf("re-create with other attributes = %v, want QueueAlreadyExist", err)
	}
	q := ali_mns.NewMNSQueue("delayed", c)
	if _, err := q.SendMessage(ali_mns.MessageSendRequest{MessageBody: "later", DelaySeconds: 1, Priority: 8}); err != nil {
		t.Fatal(err)
	}
	// Without waitseconds the queue's PollingWaitSeconds (2) applies, and
	// the delayed message becomes visible within it.
	start := time.Now()
	got, err := receive(q, 1, 0)
	if err != nil {
		t.Fatalf("receive: %v", err)
	}
	if d := time.Since(start); d < 800*time.Millisecond || got.Messages[0].MessageBody != "later" {
		t.Errorf("delayed message received after %s: %+v", d, got.Messages)
	}
	qs, err := m.ListQueue("", 10, "del")
	if err != nil || len(qs.Queues) != 1 || !strings.HasSuffix(qs.Queues[0].QueueURL, "/queues/delayed") {
		t.Errorf("ListQueue = %+v, %v", qs, err)
	}
	if err := m.DeleteQueue("delayed"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.GetQueueAttributes("delayed"); !ali_mns.ERR_MNS_QUEUE_NOT_EXIST.IsEqual(err) {
		t.Errorf("attributes of a deleted queue = %v", err)
	}
}

func TestSecurityToken(t *testing.T) {
	t.Parallel()
	r, err := server.Start(server.New(server.Config{AccessKeyID: keyID, AccessKeySecret: secret, SecurityToken: "sts"}), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for token, wantErr := range map[string]bool{"sts": false, "": true, "other": true} {
		c := ali_mns.NewAliMNSClientWithConfig(ali_mns.AliMNSClientConfig{
			EndPoint: r.Endpoint, AccessKeyId: keyID, AccessKeySecret: secret, Token: token})
		err := ali_mns.NewMNSQueueManager(c).CreateSimpleQueue("tok")
		if ali_mns.ERR_MNS_QUEUE_ALREADY_EXIST_AND_HAVE_SAME_ATTR.IsEqual(err) {
			err = nil
		}
		if (err != nil) != wantErr {
			t.Errorf("token %q: err = %v, wantErr %v", token, err, wantErr)
		}
	}
}
