package smq

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	ali_mns "github.com/aliyun/aliyun-mns-go-sdk"
	gerrors "github.com/gogap/errors"

	"github.com/fc-eventing/fc-eventing/shared/bus"
	"github.com/fc-eventing/fc-eventing/shared/bus/ossref"
	"github.com/fc-eventing/fc-eventing/shared/event"
)

// Config says which SMQ endpoint, queues and topic a Bus uses.
type Config struct {
	// Endpoint is the account endpoint, http(s)://ACCOUNT.mns.REGION.aliyuncs.com.
	Endpoint        string
	AccessKeyID     string
	AccessKeySecret string
	SecurityToken   string
	// Queue is consumed from, and published to unless Topic is set.
	Queue string
	// Topic, when set, is published to instead of Queue.
	Topic string
	// DeadLetterQueue receives messages that failed MaxDeliveries times.
	// Empty: such messages are retried without end, never dropped.
	DeadLetterQueue string
	// MaxDeliveries (default bus.DefaultMaxDeliveries).
	MaxDeliveries int
	// Priority of published messages, 1 (highest) to 16 (default 8).
	Priority int
	// WaitSeconds is the long-poll wait of a receive, 1-30 (default 20).
	WaitSeconds int
	// RetryDelay is how long a failed message stays invisible (default 1s;
	// SMQ counts whole seconds), doubled for each further failure.
	RetryDelay time.Duration
	// MaxMessageSize is the largest body sent as is (default 65536); larger
	// events go to Blobs.
	MaxMessageSize int
	// Blobs stores events over MaxMessageSize and resolves references.
	Blobs ossref.Blobs
	// Concurrency is how many handlers run at once (default 1, at most 16).
	Concurrency int
	// PublishAttempts bounds tries of one send on transient errors (default 4).
	PublishAttempts int
	// Client overrides the SMQ client built from the fields above.
	Client ali_mns.MNSClient
}

func (c Config) withDefaults() Config {
	if c.MaxDeliveries <= 0 {
		c.MaxDeliveries = bus.DefaultMaxDeliveries
	}
	if c.Priority == 0 {
		c.Priority = 8
	}
	if c.WaitSeconds <= 0 {
		// Never 0: the SDK sends no request at all for a wait of 0.
		c.WaitSeconds = 20
	}
	if c.WaitSeconds > 30 {
		c.WaitSeconds = 30
	}
	if c.RetryDelay <= 0 {
		c.RetryDelay = time.Second
	}
	if c.MaxMessageSize <= 0 {
		c.MaxMessageSize = 65536
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 1
	}
	if c.Concurrency > 16 {
		c.Concurrency = 16
	}
	if c.PublishAttempts <= 0 {
		c.PublishAttempts = 4
	}
	return c
}

// Bus publishes to and consumes from SMQ.
type Bus struct {
	cfg    Config
	client ali_mns.MNSClient
}

// The SDK's queue and topic values keep request counters without
// synchronisation, so every operation uses a value of its own.

func (b *Bus) queue() ali_mns.AliMNSQueue { return ali_mns.NewMNSQueue(b.cfg.Queue, b.client) }
func (b *Bus) dlq() ali_mns.AliMNSQueue   { return ali_mns.NewMNSQueue(b.cfg.DeadLetterQueue, b.client) }
func (b *Bus) topic() ali_mns.AliMNSTopic { return ali_mns.NewMNSTopic(b.cfg.Topic, b.client) }

var (
	_ bus.BatchPublisher = (*Bus)(nil)
	_ bus.Consumer       = (*Bus)(nil)
)

// New returns a Bus; it does not contact SMQ.
func New(cfg Config) (*Bus, error) {
	cfg = cfg.withDefaults()
	if cfg.Queue == "" && cfg.Topic == "" {
		return nil, fmt.Errorf("configuring SMQ bus: a queue or a topic is required")
	}
	if cfg.Priority < 1 || cfg.Priority > 16 {
		return nil, fmt.Errorf("configuring SMQ bus: priority %d is not between 1 and 16", cfg.Priority)
	}
	client := cfg.Client
	if client == nil {
		if cfg.Endpoint == "" {
			return nil, fmt.Errorf("configuring SMQ bus: endpoint is required")
		}
		// The SDK panics on an endpoint it cannot split into account and
		// region; check first so a bad configuration is an error.
		if n := len(strings.Split(cfg.Endpoint, ".")); n != 5 {
			return nil, fmt.Errorf("configuring SMQ bus: endpoint %q must look like http(s)://ACCOUNT.mns.REGION.aliyuncs.com", cfg.Endpoint)
		}
		// The SDK panics on missing credentials too.
		if cfg.AccessKeyID == "" || cfg.AccessKeySecret == "" {
			return nil, fmt.Errorf("configuring SMQ bus: access key id and secret are required")
		}
		client = ali_mns.NewAliMNSClientWithConfig(ali_mns.AliMNSClientConfig{
			EndPoint: cfg.Endpoint, AccessKeyId: cfg.AccessKeyID, AccessKeySecret: cfg.AccessKeySecret,
			Token: cfg.SecurityToken, TimeoutSecond: int64(cfg.WaitSeconds) + 10,
		})
	}
	return &Bus{cfg: cfg, client: client}, nil
}

// Setup creates the queue, the dead-letter queue and the topic with a
// queue subscription in SIMPLIFIED format, leaving existing ones as they
// are. visibility is the queues' VisibilityTimeout (1s at least).
func (b *Bus) Setup(visibility time.Duration) error {
	vt := int32(max(1, math.Ceil(visibility.Seconds())))
	qm := ali_mns.NewMNSQueueManager(b.client)
	for _, name := range []string{b.cfg.Queue, b.cfg.DeadLetterQueue} {
		if name == "" {
			continue
		}
		err := qm.CreateQueue(name, 0, 65536, 345600, vt, 0, 2)
		if err != nil && !ali_mns.ERR_MNS_QUEUE_ALREADY_EXIST_AND_HAVE_SAME_ATTR.IsEqual(err) &&
			!ali_mns.ERR_MNS_QUEUE_ALREADY_EXIST.IsEqual(err) {
			return fmt.Errorf("creating queue %s: %w", name, err)
		}
	}
	if b.cfg.Topic == "" {
		return nil
	}
	err := ali_mns.NewMNSTopicManager(b.client).CreateSimpleTopic(b.cfg.Topic)
	if err != nil && !ali_mns.ERR_MNS_TOPIC_ALREADY_EXIST_AND_HAVE_SAME_ATTR.IsEqual(err) &&
		!ali_mns.ERR_MNS_TOPIC_ALREADY_EXIST.IsEqual(err) {
		return fmt.Errorf("creating topic %s: %w", b.cfg.Topic, err)
	}
	if b.cfg.Queue == "" {
		return nil
	}
	topic := b.topic()
	err = topic.Subscribe(b.cfg.Queue, ali_mns.MessageSubsribeRequest{
		Endpoint: topic.GenerateQueueEndpoint(b.cfg.Queue), NotifyContentFormat: ali_mns.SIMPLIFIED,
	})
	if err != nil && !ali_mns.ERR_MNS_SUBSCRIPTION_ALREADY_EXIST_AND_HAVE_SAME_ATTR.IsEqual(err) &&
		!ali_mns.ERR_MNS_SUBSCRIPTION_ALREADY_EXIST.IsEqual(err) {
		return fmt.Errorf("subscribing queue %s to topic %s: %w", b.cfg.Queue, b.cfg.Topic, err)
	}
	return nil
}

// DeadLetters returns a Bus consuming the dead-letter queue; it has no
// dead-letter queue of its own, so its failed messages are retried.
func (b *Bus) DeadLetters() (*Bus, error) {
	if b.cfg.DeadLetterQueue == "" {
		return nil, fmt.Errorf("SMQ bus on %s has no dead-letter queue", b.cfg.Queue)
	}
	c := b.cfg
	c.Queue, c.Topic, c.DeadLetterQueue, c.Client = b.cfg.DeadLetterQueue, "", "", b.client
	return New(c)
}

// transient reports whether an SDK error may go away on retry.
func transient(err error) bool {
	for _, t := range []gerrors.ErrCodeTemplate{
		ali_mns.ERR_MNS_INTERNAL_ERROR, ali_mns.ERR_SEND_REQUEST_FAILED, ali_mns.ERR_MNS_QPS_LIMIT_EXCEEDED,
		ali_mns.ERR_UNMARSHAL_ERROR_RESPONSE_FAILED, ali_mns.ERR_UNMARSHAL_RESPONSE_FAILED,
		ali_mns.ERR_READ_RESPONSE_BODY_FAILED,
	} {
		if t.IsEqual(err) {
			return true
		}
	}
	return false
}

// retry runs op until it succeeds, fails permanently, attempts run out or
// ctx ends.
func retry(ctx context.Context, attempts int, op func() error) error {
	var err error
	backoff := 50 * time.Millisecond
	for i := 0; i < attempts; i++ {
		if i > 0 {
			select {
			case <-ctx.Done():
				return errors.Join(err, ctx.Err())
			case <-time.After(backoff):
			}
			backoff *= 2
		}
		if err = op(); err == nil || !transient(err) {
			return err
		}
	}
	return fmt.Errorf("%w: %w", bus.ErrUnavailable, err)
}

// Publish sends e to the topic or queue; it returns nil once SMQ stored it.
func (b *Bus) Publish(ctx context.Context, e event.Event) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("publishing event %s: %w", e.ID, err)
	}
	if err := e.Validate(); err != nil {
		return fmt.Errorf("publishing event %s: %w", e.ID, err)
	}
	body, err := b.encode(ctx, e)
	if err != nil {
		return err
	}
	if b.cfg.Topic != "" {
		err = retry(ctx, b.cfg.PublishAttempts, func() error {
			_, err := b.topic().PublishMessage(ali_mns.MessagePublishRequest{MessageBody: body})
			return err
		})
		if err != nil {
			return fmt.Errorf("publishing event %s to topic %s: %w", e.ID, b.cfg.Topic, err)
		}
		return nil
	}
	if err := b.send(ctx, b.queue, body); err != nil {
		return fmt.Errorf("publishing event %s to queue %s: %w", e.ID, b.cfg.Queue, err)
	}
	return nil
}

// Warm makes one read-only request, for the attributes of the topic or
// queue events are published to, so that when the first event is
// published the client holds an open connection to the endpoint and has
// run its request path once. The error is only for logging: a publish
// reports its own.
func (b *Bus) Warm() error {
	if b.cfg.Topic != "" {
		if _, err := ali_mns.NewMNSTopicManager(b.client).GetTopicAttributes(b.cfg.Topic); err != nil {
			return fmt.Errorf("reading attributes of topic %s: %w", b.cfg.Topic, err)
		}
		return nil
	}
	if _, err := ali_mns.NewMNSQueueManager(b.client).GetQueueAttributes(b.cfg.Queue); err != nil {
		return fmt.Errorf("reading attributes of queue %s: %w", b.cfg.Queue, err)
	}
	return nil
}

// PublishBatch sends events to the queue with BatchSendMessage, 16 at a
// time, retrying the entries SMQ refused for transient reasons. With a topic
// configured the events are published one by one.
func (b *Bus) PublishBatch(ctx context.Context, events []event.Event) error {
	if b.cfg.Topic != "" {
		for _, e := range events {
			if err := b.Publish(ctx, e); err != nil {
				return err
			}
		}
		return nil
	}
	bodies := make([]string, 0, len(events))
	for _, e := range events {
		if err := e.Validate(); err != nil {
			return fmt.Errorf("publishing event %s: %w", e.ID, err)
		}
		body, err := b.encode(ctx, e)
		if err != nil {
			return err
		}
		bodies = append(bodies, body)
	}
	for start := 0; start < len(bodies); start += 16 {
		chunk := bodies[start:min(start+16, len(bodies))]
		if err := b.sendBatch(ctx, chunk); err != nil {
			return fmt.Errorf("publishing events %s..%s to queue %s: %w",
				events[start].ID, events[start+len(chunk)-1].ID, b.cfg.Queue, err)
		}
	}
	return nil
}

// sendBatch sends bodies until every one is stored; only the entries SMQ
// did not store are sent again.
func (b *Bus) sendBatch(ctx context.Context, bodies []string) error {
	pending := bodies
	return retry(ctx, b.cfg.PublishAttempts, func() error {
		reqs := make([]ali_mns.MessageSendRequest, len(pending))
		for i, body := range pending {
			reqs[i] = ali_mns.MessageSendRequest{MessageBody: body, Priority: int64(b.cfg.Priority)}
		}
		resp, err := b.queue().BatchSendMessage(reqs...)
		if err == nil {
			pending = nil
			return nil
		}
		if !ali_mns.ERR_MNS_BATCH_OP_FAIL.IsEqual(err) || len(resp.Messages) != len(pending) {
			return err
		}
		var again []string
		var failure string
		permanent := false
		for i, m := range resp.Messages {
			if m.ErrorCode == "" {
				continue
			}
			again = append(again, pending[i])
			failure = m.ErrorCode + ": " + m.ErrorMessage
			if m.ErrorCode != "InternalError" && m.ErrorCode != "QpsLimitExceeded" {
				permanent = true
			}
		}
		pending = again
		if permanent {
			return fmt.Errorf("%d of the batch refused: %s", len(again), failure)
		}
		// Report the batch failure as transient so that retry sends the rest.
		return ali_mns.ERR_MNS_INTERNAL_ERROR.New(gerrors.Params{"resp": ali_mns.ErrorResponse{Code: "InternalError", Message: failure}, "resource": b.cfg.Queue})
	})
}

func (b *Bus) send(ctx context.Context, q func() ali_mns.AliMNSQueue, body string) error {
	return retry(ctx, b.cfg.PublishAttempts, func() error {
		_, err := q().SendMessage(ali_mns.MessageSendRequest{MessageBody: body, Priority: int64(b.cfg.Priority)})
		return err
	})
}

// encode returns the message body for e: its JSON, or the JSON of a
// reference event when the JSON is over the size limit.
func (b *Bus) encode(ctx context.Context, e event.Event) (string, error) {
	data, err := json.Marshal(e)
	if err != nil {
		return "", fmt.Errorf("encoding event %s: %w", e.ID, err)
	}
	if len(data) <= b.cfg.MaxMessageSize {
		return string(data), nil
	}
	if b.cfg.Blobs == nil {
		return "", fmt.Errorf("event %s is %d bytes, over the %d-byte message limit, and no large-payload store is configured",
			e.ID, len(data), b.cfg.MaxMessageSize)
	}
	ref, err := ossref.Offload(ctx, b.cfg.Blobs, e, data)
	if err != nil {
		return "", err
	}
	data, err = json.Marshal(ref)
	if err != nil {
		return "", fmt.Errorf("encoding reference to event %s: %w", e.ID, err)
	}
	if len(data) > b.cfg.MaxMessageSize {
		return "", fmt.Errorf("reference to event %s is %d bytes, over the message limit", e.ID, len(data))
	}
	return string(data), nil
}

// Consume receives from the queue and hands messages to h until ctx is
// done. It returns nil when ctx ends; deliveries whose handler is still
// running are left to their visibility timeout.
func (b *Bus) Consume(ctx context.Context, h bus.Handler) error {
	if b.cfg.Queue == "" {
		return fmt.Errorf("SMQ bus publishes to topic %s and has no queue to consume", b.cfg.Topic)
	}
	var attrs ali_mns.QueueAttribute
	err := retry(ctx, 8, func() error {
		var err error
		attrs, err = ali_mns.NewMNSQueueManager(b.client).GetQueueAttributes(b.cfg.Queue)
		return err
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("reading attributes of queue %s: %w", b.cfg.Queue, err)
	}
	visibility := time.Duration(max(attrs.VisibilityTimeout, 1)) * time.Second

	slots := make(chan struct{}, b.cfg.Concurrency)
	for range b.cfg.Concurrency {
		slots <- struct{}{}
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		// Take one free slot (waiting), then every other free one.
		select {
		case <-ctx.Done():
			return nil
		case <-slots:
		}
		n := 1
	more:
		for n < 16 {
			select {
			case <-slots:
				n++
			default:
				break more
			}
		}
		msgs, err := b.receive(ctx, int32(n))
		if err != nil {
			for range n {
				slots <- struct{}{}
			}
			if ctx.Err() != nil {
				return nil
			}
			if !transient(err) {
				return fmt.Errorf("receiving from queue %s: %w", b.cfg.Queue, err)
			}
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(200 * time.Millisecond):
			}
			continue
		}
		for range n - len(msgs) {
			slots <- struct{}{}
		}
		for _, m := range msgs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { slots <- struct{}{} }()
				b.process(ctx, h, m, visibility)
			}()
		}
	}
}

// receive long-polls for up to n messages; an empty queue is no error.
func (b *Bus) receive(ctx context.Context, n int32) ([]ali_mns.MessageReceiveResponse, error) {
	respc := make(chan ali_mns.BatchMessageReceiveResponse, 1)
	errc := make(chan error, 1)
	go b.queue().BatchReceiveMessage(respc, errc, n, int64(b.cfg.WaitSeconds))
	select {
	case <-ctx.Done():
		// The poll goes on in the background; whatever it receives becomes
		// visible again after the visibility timeout.
		return nil, ctx.Err()
	case r := <-respc:
		return r.Messages, nil
	case err := <-errc:
		if ali_mns.ERR_MNS_MESSAGE_NOT_EXIST.IsEqual(err) {
			return nil, nil
		}
		return nil, err
	}
}

// process runs one received message through the handler and settles it.
func (b *Bus) process(ctx context.Context, h bus.Handler, m ali_mns.MessageReceiveResponse, visibility time.Duration) {
	delivery := int(m.DequeueCount)
	handle := m.ReceiptHandle
	raw, err := DecodeBody(m.MessageBody)
	if err != nil {
		b.deadLetterOrRetry(ctx, handle, undecodable(m.MessageId, m.MessageBody), fmt.Sprintf("undecodable message: %v", err), delivery)
		return
	}
	if b.cfg.DeadLetterQueue != "" && delivery > b.cfg.MaxDeliveries {
		b.deadLetterOrRetry(ctx, handle, raw, fmt.Sprintf("not acknowledged after %d deliveries", delivery-1), delivery-1)
		return
	}

	done := bus.Go(ctx, ossref.Resolving(b.cfg.Blobs, h), bus.Message{Event: raw, Delivery: delivery})
	extend := time.NewTicker(max(visibility/2, 500*time.Millisecond))
	defer extend.Stop()
	for {
		select {
		case err := <-done:
			b.settle(ctx, handle, raw, delivery, err)
			return
		case <-extend.C:
			// Keep the message invisible while the handler works.
			if nh, err := b.changeVisibility(handle, visibility); err == nil {
				handle = nh
			}
		case <-ctx.Done():
			select {
			case err := <-done:
				if err == nil {
					b.delete(handle)
				}
			default:
			}
			return
		}
	}
}

func (b *Bus) settle(ctx context.Context, handle string, e event.Event, delivery int, err error) {
	if err == nil {
		b.delete(handle)
		return
	}
	if b.cfg.DeadLetterQueue != "" && (errors.Is(err, bus.ErrPermanent) || delivery >= b.cfg.MaxDeliveries) {
		b.deadLetterOrRetry(ctx, handle, e, bus.Reason(err), delivery)
		return
	}
	_, _ = b.changeVisibility(handle, bus.RetryDelay(b.cfg.RetryDelay, delivery))
}

// deadLetterOrRetry sends e to the dead-letter queue and deletes the
// original; if the dead-letter send fails the original is retried later.
func (b *Bus) deadLetterOrRetry(ctx context.Context, handle string, e event.Event, reason string, delivery int) {
	if b.cfg.DeadLetterQueue == "" {
		_, _ = b.changeVisibility(handle, bus.RetryDelay(b.cfg.RetryDelay, delivery))
		return
	}
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	body, err := b.encode(dctx, bus.DeadLetter(e, reason, delivery))
	if err == nil {
		err = b.send(dctx, b.dlq, body)
	}
	if err != nil {
		_, _ = b.changeVisibility(handle, b.cfg.RetryDelay)
		return
	}
	b.delete(handle)
}

// delete removes a handled message. A stale handle means the message was
// already delivered again; that delivery will settle it.
func (b *Bus) delete(handle string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = retry(ctx, 5, func() error { return b.queue().DeleteMessage(handle) })
}

func (b *Bus) changeVisibility(handle string, d time.Duration) (string, error) {
	secs := int64(max(1, math.Ceil(d.Seconds())))
	var resp ali_mns.MessageVisibilityChangeResponse
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := retry(ctx, 3, func() error {
		var err error
		resp, err = b.queue().ChangeMessageVisibility(handle, secs)
		return err
	})
	if err != nil {
		return handle, err
	}
	return resp.ReceiptHandle, nil
}

// undecodable wraps a message body that is not an event so that it can be
// kept in the dead-letter queue.
func undecodable(id, body string) event.Event {
	data, _ := json.Marshal(body)
	return event.Event{ID: "smq-" + id, Source: "fceventing/smq", Type: "fceventing.undecodable", Data: data}
}
