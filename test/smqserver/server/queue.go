package server

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

type queue struct {
	name    string
	attrs   queueAttrs
	created time.Time
	changed time.Time
	msgs    map[string]*message // by message id
	// wake is closed and replaced when a message may have become receivable.
	wake chan struct{}
}

type queueAttrs struct {
	DelaySeconds           int
	MaximumMessageSize     int
	MessageRetentionPeriod int
	VisibilityTimeout      int
	PollingWaitSeconds     int
	LoggingEnabled         bool
}

type message struct {
	id           string
	body         string
	priority     int
	seq          uint64
	enqueued     time.Time
	visibleAt    time.Time
	firstDequeue time.Time
	dequeueCount int
	// handle is the receipt handle of the current receive; "" before any.
	handle string
}

var nameRE = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-]{0,255}$`)

// queueAttrsDoc is the <Queue> document of create, set and get.
type queueAttrsDoc struct {
	XMLName                xml.Name `xml:"Queue"`
	Xmlns                  string   `xml:"xmlns,attr,omitempty"`
	QueueName              string   `xml:"QueueName,omitempty"`
	DelaySeconds           *int     `xml:"DelaySeconds"`
	MaximumMessageSize     *int     `xml:"MaximumMessageSize"`
	MessageRetentionPeriod *int     `xml:"MessageRetentionPeriod"`
	VisibilityTimeout      *int     `xml:"VisibilityTimeout"`
	PollingWaitSeconds     *int     `xml:"PollingWaitSeconds"`
	ActiveMessages         *int     `xml:"ActiveMessages"`
	InactiveMessages       *int     `xml:"InactiveMessages"`
	DelayMessages          *int     `xml:"DelayMessages"`
	CreateTime             *int64   `xml:"CreateTime"`
	LastModifyTime         *int64   `xml:"LastModifyTime"`
	LoggingEnabled         *bool    `xml:"LoggingEnabled"`
}

type sendDoc struct {
	XMLName      xml.Name `xml:"Message"`
	MessageBody  string   `xml:"MessageBody"`
	DelaySeconds *int     `xml:"DelaySeconds"`
	Priority     *int     `xml:"Priority"`
}

type batchSendDoc struct {
	XMLName  xml.Name  `xml:"Messages"`
	Messages []sendDoc `xml:"Message"`
}

type sentDoc struct {
	XMLName        xml.Name `xml:"Message"`
	Xmlns          string   `xml:"xmlns,attr,omitempty"`
	ErrorCode      string   `xml:"ErrorCode,omitempty"`
	ErrorMessage   string   `xml:"ErrorMessage,omitempty"`
	MessageID      string   `xml:"MessageId,omitempty"`
	MessageBodyMD5 string   `xml:"MessageBodyMD5,omitempty"`
}

type batchSentDoc struct {
	XMLName  xml.Name  `xml:"Messages"`
	Xmlns    string    `xml:"xmlns,attr"`
	Messages []sentDoc `xml:"Message"`
}

type receivedDoc struct {
	XMLName          xml.Name `xml:"Message"`
	Xmlns            string   `xml:"xmlns,attr,omitempty"`
	MessageID        string   `xml:"MessageId"`
	ReceiptHandle    string   `xml:"ReceiptHandle,omitempty"`
	MessageBodyMD5   string   `xml:"MessageBodyMD5"`
	MessageBody      string   `xml:"MessageBody"`
	EnqueueTime      int64    `xml:"EnqueueTime"`
	NextVisibleTime  int64    `xml:"NextVisibleTime,omitempty"`
	FirstDequeueTime int64    `xml:"FirstDequeueTime"`
	DequeueCount     int      `xml:"DequeueCount"`
	Priority         int      `xml:"Priority"`
}

type batchReceivedDoc struct {
	XMLName  xml.Name      `xml:"Messages"`
	Xmlns    string        `xml:"xmlns,attr"`
	Messages []receivedDoc `xml:"Message"`
}

type handlesDoc struct {
	XMLName        xml.Name `xml:"ReceiptHandles"`
	ReceiptHandles []string `xml:"ReceiptHandle"`
}

type deleteErrorDoc struct {
	XMLName       xml.Name `xml:"Error"`
	ErrorCode     string   `xml:"ErrorCode"`
	ErrorMessage  string   `xml:"ErrorMessage"`
	ReceiptHandle string   `xml:"ReceiptHandle"`
}

type deleteErrorsDoc struct {
	XMLName xml.Name         `xml:"Errors"`
	Xmlns   string           `xml:"xmlns,attr"`
	Errors  []deleteErrorDoc `xml:"Error"`
}

type visibilityDoc struct {
	XMLName         xml.Name `xml:"ChangeVisibility"`
	Xmlns           string   `xml:"xmlns,attr"`
	ReceiptHandle   string   `xml:"ReceiptHandle"`
	NextVisibleTime int64    `xml:"NextVisibleTime"`
}

type queueURLDoc struct {
	QueueURL string `xml:"QueueURL"`
}

type queuesDoc struct {
	XMLName    xml.Name      `xml:"Queues"`
	Xmlns      string        `xml:"xmlns,attr"`
	Queues     []queueURLDoc `xml:"Queue"`
	NextMarker string        `xml:"NextMarker,omitempty"`
}

// route dispatches an authenticated request.
func (s *Server) route(r *http.Request, resource string, body []byte) (int, any, map[string]string, error) {
	path, rawQuery, _ := strings.Cut(resource, "?")
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return 0, nil, nil, errf(400, "InvalidQueryString", "query: %v", err)
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	for i, p := range parts {
		if u, err := url.PathUnescape(p); err == nil {
			parts[i] = u
		}
	}
	switch {
	case len(parts) == 1 && parts[0] == "queues" && r.Method == http.MethodGet:
		return s.listQueues(r)
	case len(parts) == 2 && parts[0] == "queues":
		switch r.Method {
		case http.MethodPut:
			return s.putQueue(r, parts[1], q, body)
		case http.MethodGet:
			return s.getQueue(parts[1])
		case http.MethodDelete:
			return s.deleteQueue(parts[1])
		}
	case len(parts) == 3 && parts[0] == "queues" && parts[2] == "messages":
		switch r.Method {
		case http.MethodPost:
			return s.send(parts[1], body)
		case http.MethodGet:
			return s.receive(r, parts[1], q)
		case http.MethodDelete:
			return s.deleteMessages(parts[1], q, body)
		case http.MethodPut:
			return s.changeVisibility(parts[1], q)
		}
	case parts[0] == "topics":
		return s.routeTopic(r, parts, q, body)
	}
	return 0, nil, nil, errf(400, "InvalidRequestURL", "%s %s is not an SMQ operation", r.Method, path)
}

func (s *Server) queueURL(r *http.Request, name string) string {
	return fmt.Sprintf("http://%s.mns.%s.local.test/queues/%s", s.cfg.AccountID, s.cfg.Region, name)
}

func (s *Server) putQueue(r *http.Request, name string, q url.Values, body []byte) (int, any, map[string]string, error) {
	if !nameRE.MatchString(name) {
		return 0, nil, nil, errf(400, "InvalidQueueName", "queue name %q is invalid", name)
	}
	var doc queueAttrsDoc
	if len(body) > 0 {
		if err := xml.Unmarshal(body, &doc); err != nil {
			return 0, nil, nil, errf(400, "MalformedXML", "queue attributes: %v", err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	existing := s.queues[name]
	override := q.Get("metaoverride") == "true"
	if override {
		if existing == nil {
			return 0, nil, nil, errf(404, "QueueNotExist", "the queue name you provided is not exist")
		}
		a, err := applyAttrs(existing.attrs, doc)
		if err != nil {
			return 0, nil, nil, err
		}
		existing.attrs = a
		existing.changed = time.Now()
		existing.signal()
		return http.StatusNoContent, nil, nil, nil
	}
	a, err := applyAttrs(defaultAttrs(), doc)
	if err != nil {
		return 0, nil, nil, err
	}
	if existing != nil {
		if existing.attrs == a {
			return http.StatusNoContent, nil, nil, nil
		}
		return 0, nil, nil, errf(409, "QueueAlreadyExist", "the queue %s already exists with other attributes", name)
	}
	now := time.Now()
	s.queues[name] = &queue{name: name, attrs: a, created: now, changed: now, msgs: map[string]*message{}, wake: make(chan struct{})}
	return http.StatusCreated, nil, map[string]string{"Location": s.queueURL(r, name)}, nil
}

func defaultAttrs() queueAttrs {
	return queueAttrs{MaximumMessageSize: 65536, MessageRetentionPeriod: 345600, VisibilityTimeout: 30}
}

func applyAttrs(a queueAttrs, d queueAttrsDoc) (queueAttrs, error) {
	check := func(name string, v *int, lo, hi int, dst *int) error {
		if v == nil {
			return nil
		}
		if *v == 0 && lo > 0 {
			// The SDK sends zero for attributes it leaves unset.
			return nil
		}
		if *v < lo || *v > hi {
			return errf(400, "InvalidArgument", "%s must be between %d and %d", name, lo, hi)
		}
		*dst = *v
		return nil
	}
	for _, c := range []struct {
		name   string
		v      *int
		lo, hi int
		dst    *int
	}{
		{"DelaySeconds", d.DelaySeconds, 0, 604800, &a.DelaySeconds},
		{"MaximumMessageSize", d.MaximumMessageSize, 1024, 65536, &a.MaximumMessageSize},
		{"MessageRetentionPeriod", d.MessageRetentionPeriod, 60, 1296000, &a.MessageRetentionPeriod},
		{"VisibilityTimeout", d.VisibilityTimeout, 1, 43200, &a.VisibilityTimeout},
		{"PollingWaitSeconds", d.PollingWaitSeconds, 0, 30, &a.PollingWaitSeconds},
	} {
		if err := check(c.name, c.v, c.lo, c.hi, c.dst); err != nil {
			return a, err
		}
	}
	if d.LoggingEnabled != nil {
		a.LoggingEnabled = *d.LoggingEnabled
	}
	return a, nil
}

func (s *Server) getQueue(name string) (int, any, map[string]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	qu, err := s.queueLocked(name)
	if err != nil {
		return 0, nil, nil, err
	}
	now := time.Now()
	qu.expireLocked(now)
	var active, inactive, delayed int
	for _, m := range qu.msgs {
		switch {
		case m.dequeueCount == 0 && m.visibleAt.After(now):
			delayed++
		case m.visibleAt.After(now):
			inactive++
		default:
			active++
		}
	}
	a := qu.attrs
	ct, mt := qu.created.Unix(), qu.changed.Unix()
	return http.StatusOK, queueAttrsDoc{
		Xmlns: xmlns, QueueName: name,
		DelaySeconds: &a.DelaySeconds, MaximumMessageSize: &a.MaximumMessageSize,
		MessageRetentionPeriod: &a.MessageRetentionPeriod, VisibilityTimeout: &a.VisibilityTimeout,
		PollingWaitSeconds: &a.PollingWaitSeconds, ActiveMessages: &active, InactiveMessages: &inactive,
		DelayMessages: &delayed, CreateTime: &ct, LastModifyTime: &mt, LoggingEnabled: &a.LoggingEnabled,
	}, nil, nil
}

func (s *Server) deleteQueue(name string) (int, any, map[string]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if qu := s.queues[name]; qu != nil {
		qu.signal()
		delete(s.queues, name)
	}
	return http.StatusNoContent, nil, nil, nil
}

func (s *Server) listQueues(r *http.Request) (int, any, map[string]string, error) {
	prefix := r.Header.Get("x-mns-prefix")
	marker := r.Header.Get("x-mns-marker")
	n := 1000
	if v := r.Header.Get("x-mns-ret-number"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 || n > 1000 {
			return 0, nil, nil, errf(400, "InvalidArgument", "x-mns-ret-number must be 1-1000")
		}
	}
	s.mu.Lock()
	var names []string
	for name := range s.queues {
		if strings.HasPrefix(name, prefix) && name > marker {
			names = append(names, name)
		}
	}
	s.mu.Unlock()
	sort.Strings(names)
	doc := queuesDoc{Xmlns: xmlns}
	for i, name := range names {
		if i == n {
			doc.NextMarker = names[i-1]
			break
		}
		doc.Queues = append(doc.Queues, queueURLDoc{QueueURL: s.queueURL(r, name)})
	}
	return http.StatusOK, doc, nil, nil
}

func (s *Server) queueLocked(name string) (*queue, error) {
	qu := s.queues[name]
	if qu == nil {
		return nil, errf(404, "QueueNotExist", "the queue name you provided is not exist")
	}
	return qu, nil
}

func (qu *queue) signal() {
	close(qu.wake)
	qu.wake = make(chan struct{})
}

// expireLocked drops messages past the retention period.
func (qu *queue) expireLocked(now time.Time) {
	keep := time.Duration(qu.attrs.MessageRetentionPeriod) * time.Second
	for id, m := range qu.msgs {
		if now.Sub(m.enqueued) > keep {
			delete(qu.msgs, id)
		}
	}
}

// enqueueLocked validates and stores one message.
func (s *Server) enqueueLocked(qu *queue, d sendDoc) (*message, *apiError) {
	if len(d.MessageBody) == 0 {
		return nil, errf(400, "InvalidArgument", "MessageBody is empty")
	}
	if len(d.MessageBody) > qu.attrs.MaximumMessageSize {
		return nil, errf(400, "MessageTooLarge", "the message is %d bytes, over the queue's MaximumMessageSize %d",
			len(d.MessageBody), qu.attrs.MaximumMessageSize)
	}
	prio := 8
	if d.Priority != nil {
		prio = *d.Priority
	}
	if prio < 1 || prio > 16 {
		return nil, errf(400, "InvalidArgument", "Priority must be between 1 and 16, got %d", prio)
	}
	delay := qu.attrs.DelaySeconds
	if d.DelaySeconds != nil {
		delay = *d.DelaySeconds
	}
	if delay < 0 || delay > 604800 {
		return nil, errf(400, "InvalidArgument", "DelaySeconds must be between 0 and 604800")
	}
	now := time.Now()
	s.seq++
	m := &message{
		id: newID(), body: d.MessageBody, priority: prio, seq: s.seq,
		enqueued: now, visibleAt: now.Add(time.Duration(delay) * time.Second),
	}
	qu.msgs[m.id] = m
	qu.signal()
	return m, nil
}

func (s *Server) send(name string, body []byte) (int, any, map[string]string, error) {
	trimmed := strings.TrimSpace(string(body))
	if strings.Contains(trimmed[:min(len(trimmed), 200)], "<Messages") {
		return s.batchSend(name, body)
	}
	var d sendDoc
	if err := xml.Unmarshal(body, &d); err != nil {
		return 0, nil, nil, errf(400, "MalformedXML", "message: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	qu, err := s.queueLocked(name)
	if err != nil {
		return 0, nil, nil, err
	}
	m, aerr := s.enqueueLocked(qu, d)
	if aerr != nil {
		return 0, nil, nil, aerr
	}
	return http.StatusCreated, sentDoc{Xmlns: xmlns, MessageID: m.id, MessageBodyMD5: bodyMD5(m.body)}, nil, nil
}

func (s *Server) batchSend(name string, body []byte) (int, any, map[string]string, error) {
	var d batchSendDoc
	if err := xml.Unmarshal(body, &d); err != nil {
		return 0, nil, nil, errf(400, "MalformedXML", "messages: %v", err)
	}
	if len(d.Messages) == 0 || len(d.Messages) > 16 {
		return 0, nil, nil, errf(400, "InvalidArgument", "a batch holds 1 to 16 messages, got %d", len(d.Messages))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	qu, err := s.queueLocked(name)
	if err != nil {
		return 0, nil, nil, err
	}
	out := batchSentDoc{Xmlns: xmlns}
	failed := false
	for _, md := range d.Messages {
		m, aerr := s.enqueueLocked(qu, md)
		if aerr != nil {
			failed = true
			out.Messages = append(out.Messages, sentDoc{ErrorCode: aerr.Code, ErrorMessage: aerr.Message})
			continue
		}
		out.Messages = append(out.Messages, sentDoc{MessageID: m.id, MessageBodyMD5: bodyMD5(m.body)})
	}
	if failed {
		// Partial failure: 500 with the per-message results.
		return 0, out, nil, &apiError{Status: 500}
	}
	return http.StatusCreated, out, nil, nil
}

// receive answers ReceiveMessage, BatchReceiveMessage and the peeks.
func (s *Server) receive(r *http.Request, name string, q url.Values) (int, any, map[string]string, error) {
	batch := q.Has("numOfMessages")
	n := 1
	if batch {
		var err error
		if n, err = strconv.Atoi(q.Get("numOfMessages")); err != nil || n < 1 || n > 16 {
			return 0, nil, nil, errf(400, "InvalidArgument", "numOfMessages must be between 1 and 16")
		}
	}
	peek := q.Get("peekonly") == "true"

	s.mu.Lock()
	qu, err := s.queueLocked(name)
	if err != nil {
		s.mu.Unlock()
		return 0, nil, nil, err
	}
	wait := qu.attrs.PollingWaitSeconds
	s.mu.Unlock()
	if q.Has("waitseconds") {
		if wait, err = strconv.Atoi(q.Get("waitseconds")); err != nil || wait < 0 || wait > 30 {
			return 0, nil, nil, errf(400, "InvalidArgument", "waitseconds must be between 0 and 30")
		}
	}
	if peek {
		wait = 0
	}
	deadline := time.Now().Add(time.Duration(wait) * time.Second)

	for {
		s.mu.Lock()
		qu, err := s.queueLocked(name)
		if err != nil {
			s.mu.Unlock()
			return 0, nil, nil, err
		}
		now := time.Now()
		qu.expireLocked(now)
		got, next := qu.takeLocked(now, n, peek)
		if len(got) > 0 {
			docs := make([]receivedDoc, 0, len(got))
			for _, m := range got {
				docs = append(docs, receivedDoc{
					MessageID: m.id, ReceiptHandle: m.handle, MessageBodyMD5: bodyMD5(m.body),
					MessageBody: m.body, EnqueueTime: millis(m.enqueued), NextVisibleTime: millis(m.visibleAt),
					FirstDequeueTime: millis(m.firstDequeue), DequeueCount: m.dequeueCount, Priority: m.priority,
				})
				if peek {
					docs[len(docs)-1].ReceiptHandle = ""
					docs[len(docs)-1].NextVisibleTime = 0
				}
			}
			s.mu.Unlock()
			if !batch {
				d := docs[0]
				d.Xmlns = xmlns
				return http.StatusOK, d, nil, nil
			}
			for i := range docs {
				docs[i].Xmlns = ""
			}
			return http.StatusOK, batchReceivedDoc{Xmlns: xmlns, Messages: docs}, nil, nil
		}
		wake := qu.wake
		s.mu.Unlock()

		remaining := time.Until(deadline)
		if remaining <= 0 {
			return 0, nil, nil, errf(404, "MessageNotExist", "message not exist")
		}
		if !next.IsZero() && time.Until(next) < remaining {
			remaining = time.Until(next) + time.Millisecond
		}
		timer := time.NewTimer(remaining)
		select {
		case <-wake:
		case <-timer.C:
		case <-r.Context().Done():
			timer.Stop()
			return 0, nil, nil, errf(500, "InternalError", "request cancelled")
		}
		timer.Stop()
	}
}

// takeLocked picks up to n visible messages, highest priority (lowest
// number) first, then oldest; unless peeking, it makes them invisible with
// a new receipt handle. next is when the soonest invisible message becomes
// visible.
func (qu *queue) takeLocked(now time.Time, n int, peek bool) (got []*message, next time.Time) {
	var visible []*message
	for _, m := range qu.msgs {
		if !m.visibleAt.After(now) {
			visible = append(visible, m)
		} else if next.IsZero() || m.visibleAt.Before(next) {
			next = m.visibleAt
		}
	}
	sort.Slice(visible, func(i, j int) bool {
		if visible[i].priority != visible[j].priority {
			return visible[i].priority < visible[j].priority
		}
		return visible[i].seq < visible[j].seq
	})
	if len(visible) > n {
		visible = visible[:n]
	}
	if peek {
		return visible, next
	}
	for _, m := range visible {
		m.dequeueCount++
		if m.firstDequeue.IsZero() {
			m.firstDequeue = now
		}
		m.visibleAt = now.Add(time.Duration(qu.attrs.VisibilityTimeout) * time.Second)
		m.handle = newHandle(m.id)
	}
	return visible, next
}

// newHandle makes a receipt handle: the message id and a fresh nonce.
func newHandle(id string) string {
	return id + "-" + newID()[:16]
}

// byHandle finds the message a receipt handle was issued for; a handle
// that is not the message's current one is stale.
func (qu *queue) byHandle(h string, now time.Time) (*message, *apiError) {
	id, _, ok := strings.Cut(h, "-")
	if !ok || len(id) != 32 {
		return nil, errf(400, "ReceiptHandleError", "the receipt handle %q is not valid", h)
	}
	m := qu.msgs[id]
	if m == nil || m.handle != h || !m.visibleAt.After(now) {
		return nil, errf(404, "MessageNotExist", "the message of receipt handle %q does not exist or the handle is outdated", h)
	}
	return m, nil
}

func (s *Server) deleteMessages(name string, q url.Values, body []byte) (int, any, map[string]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	qu, err := s.queueLocked(name)
	if err != nil {
		return 0, nil, nil, err
	}
	now := time.Now()
	if h := q.Get("ReceiptHandle"); h != "" || len(body) == 0 {
		if h == "" {
			return 0, nil, nil, errf(400, "MissingReceiptHandle", "ReceiptHandle is missing")
		}
		m, aerr := qu.byHandle(h, now)
		if aerr != nil {
			return 0, nil, nil, aerr
		}
		delete(qu.msgs, m.id)
		return http.StatusNoContent, nil, nil, nil
	}
	var d handlesDoc
	if err := xml.Unmarshal(body, &d); err != nil {
		return 0, nil, nil, errf(400, "MalformedXML", "receipt handles: %v", err)
	}
	if len(d.ReceiptHandles) == 0 || len(d.ReceiptHandles) > 16 {
		return 0, nil, nil, errf(400, "InvalidArgument", "a batch holds 1 to 16 receipt handles")
	}
	out := deleteErrorsDoc{Xmlns: xmlns}
	for _, h := range d.ReceiptHandles {
		m, aerr := qu.byHandle(h, now)
		if aerr != nil {
			out.Errors = append(out.Errors, deleteErrorDoc{ErrorCode: aerr.Code, ErrorMessage: aerr.Message, ReceiptHandle: h})
			continue
		}
		delete(qu.msgs, m.id)
	}
	if len(out.Errors) > 0 {
		return 0, out, nil, &apiError{Status: 404}
	}
	return http.StatusNoContent, nil, nil, nil
}

func (s *Server) changeVisibility(name string, q url.Values) (int, any, map[string]string, error) {
	h := q.Get("ReceiptHandle")
	if h == "" {
		return 0, nil, nil, errf(400, "MissingReceiptHandle", "ReceiptHandle is missing")
	}
	vs := q.Get("VisibilityTimeout")
	if vs == "" {
		return 0, nil, nil, errf(400, "MissingVisibilityTimeout", "VisibilityTimeout is missing")
	}
	v, err := strconv.Atoi(vs)
	if err != nil || v < 1 || v > 43200 {
		return 0, nil, nil, errf(400, "InvalidArgument", "VisibilityTimeout must be between 1 and 43200")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	qu, err := s.queueLocked(name)
	if err != nil {
		return 0, nil, nil, err
	}
	now := time.Now()
	m, aerr := qu.byHandle(h, now)
	if aerr != nil {
		return 0, nil, nil, aerr
	}
	m.visibleAt = now.Add(time.Duration(v) * time.Second)
	m.handle = newHandle(m.id)
	qu.signal()
	return http.StatusOK, visibilityDoc{Xmlns: xmlns, ReceiptHandle: m.handle, NextVisibleTime: millis(m.visibleAt)}, nil, nil
}

// QueueOptions are attributes for CreateQueue; zero values take the
// service defaults.
type QueueOptions struct {
	VisibilityTimeout  int
	MaximumMessageSize int
	PollingWaitSeconds int
	DelaySeconds       int
}

// CreateQueue creates a queue directly, without a signed request.
func (s *Server) CreateQueue(name string, o QueueOptions) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("queue name %q is invalid", name)
	}
	a, err := applyAttrs(defaultAttrs(), queueAttrsDoc{
		VisibilityTimeout: &o.VisibilityTimeout, MaximumMessageSize: &o.MaximumMessageSize,
		PollingWaitSeconds: &o.PollingWaitSeconds, DelaySeconds: &o.DelaySeconds,
	})
	if err != nil {
		return fmt.Errorf("creating queue %s: %w", name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.queues[name] == nil {
		now := time.Now()
		s.queues[name] = &queue{name: name, attrs: a, created: now, changed: now, msgs: map[string]*message{}, wake: make(chan struct{})}
	}
	return nil
}

// QueueLen reports how many messages a queue holds (visible or not).
func (s *Server) QueueLen(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if qu := s.queues[name]; qu != nil {
		return len(qu.msgs)
	}
	return 0
}
