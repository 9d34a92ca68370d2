package server

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

type topic struct {
	name    string
	maxSize int
	created time.Time
	subs    map[string]*subscription
}

type subscription struct {
	name     string
	endpoint string
	queue    string
	tag      string
	strategy string
	format   string
	created  time.Time
}

type topicAttrsDoc struct {
	XMLName            xml.Name `xml:"Topic"`
	Xmlns              string   `xml:"xmlns,attr,omitempty"`
	TopicName          string   `xml:"TopicName,omitempty"`
	MaximumMessageSize *int     `xml:"MaximumMessageSize"`
	CreateTime         *int64   `xml:"CreateTime"`
	LastModifyTime     *int64   `xml:"LastModifyTime"`
	LoggingEnabled     *bool    `xml:"LoggingEnabled"`
}

type subscribeDoc struct {
	XMLName             xml.Name `xml:"Subscription"`
	Xmlns               string   `xml:"xmlns,attr,omitempty"`
	SubscriptionName    string   `xml:"SubscriptionName,omitempty"`
	TopicOwner          string   `xml:"TopicOwner,omitempty"`
	TopicName           string   `xml:"TopicName,omitempty"`
	Endpoint            string   `xml:"Endpoint,omitempty"`
	FilterTag           string   `xml:"FilterTag,omitempty"`
	NotifyStrategy      string   `xml:"NotifyStrategy,omitempty"`
	NotifyContentFormat string   `xml:"NotifyContentFormat,omitempty"`
	CreateTime          int64    `xml:"CreateTime,omitempty"`
	LastModifyTime      int64    `xml:"LastModifyTime,omitempty"`
}

type publishDoc struct {
	XMLName     xml.Name `xml:"Message"`
	MessageBody string   `xml:"MessageBody"`
	MessageTag  string   `xml:"MessageTag"`
}

// notificationDoc is what a queue subscriber with NotifyContentFormat XML
// receives as the message body.
type notificationDoc struct {
	XMLName          xml.Name `xml:"Notification"`
	Xmlns            string   `xml:"xmlns,attr"`
	TopicOwner       string   `xml:"TopicOwner"`
	TopicName        string   `xml:"TopicName"`
	Subscriber       string   `xml:"Subscriber"`
	SubscriptionName string   `xml:"SubscriptionName"`
	MessageID        string   `xml:"MessageId"`
	MessageMD5       string   `xml:"MessageMD5"`
	MessageTag       string   `xml:"MessageTag,omitempty"`
	Message          string   `xml:"Message"`
	PublishTime      int64    `xml:"PublishTime"`
}

func (s *Server) routeTopic(r *http.Request, parts []string, q url.Values, body []byte) (int, any, map[string]string, error) {
	switch {
	case len(parts) == 2:
		switch r.Method {
		case http.MethodPut:
			return s.putTopic(r, parts[1], q, body)
		case http.MethodGet:
			return s.getTopic(parts[1])
		case http.MethodDelete:
			s.mu.Lock()
			delete(s.topics, parts[1])
			s.mu.Unlock()
			return http.StatusNoContent, nil, nil, nil
		}
	case len(parts) == 3 && parts[2] == "messages" && r.Method == http.MethodPost:
		return s.publish(parts[1], body)
	case len(parts) == 4 && parts[2] == "subscriptions":
		switch r.Method {
		case http.MethodPut:
			return s.subscribe(r, parts[1], parts[3], q, body)
		case http.MethodGet:
			return s.getSubscription(parts[1], parts[3])
		case http.MethodDelete:
			s.mu.Lock()
			if t := s.topics[parts[1]]; t != nil {
				delete(t.subs, parts[3])
			}
			s.mu.Unlock()
			return http.StatusNoContent, nil, nil, nil
		}
	}
	return 0, nil, nil, errf(400, "InvalidRequestURL", "%s /%s is not an SMQ operation", r.Method, strings.Join(parts, "/"))
}

func (s *Server) putTopic(r *http.Request, name string, q url.Values, body []byte) (int, any, map[string]string, error) {
	if !nameRE.MatchString(name) {
		return 0, nil, nil, errf(400, "TopicNameInvalid", "topic name %q is invalid", name)
	}
	var d topicAttrsDoc
	if len(body) > 0 {
		if err := xml.Unmarshal(body, &d); err != nil {
			return 0, nil, nil, errf(400, "MalformedXML", "topic attributes: %v", err)
		}
	}
	size := 65536
	if d.MaximumMessageSize != nil && *d.MaximumMessageSize != 0 {
		if *d.MaximumMessageSize < 1024 || *d.MaximumMessageSize > 65536 {
			return 0, nil, nil, errf(400, "InvalidArgument", "MaximumMessageSize must be between 1024 and 65536")
		}
		size = *d.MaximumMessageSize
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.topics[name]
	if q.Get("metaoverride") == "true" {
		if t == nil {
			return 0, nil, nil, errf(404, "TopicNotExist", "the topic name you provided is not exist")
		}
		t.maxSize = size
		return http.StatusNoContent, nil, nil, nil
	}
	if t != nil {
		if t.maxSize == size {
			return http.StatusNoContent, nil, nil, nil
		}
		return 0, nil, nil, errf(409, "TopicAlreadyExist", "the topic %s already exists with other attributes", name)
	}
	s.topics[name] = &topic{name: name, maxSize: size, created: time.Now(), subs: map[string]*subscription{}}
	loc := fmt.Sprintf("http://%s.mns.%s.local.test/topics/%s", s.cfg.AccountID, s.cfg.Region, name)
	return http.StatusCreated, nil, map[string]string{"Location": loc}, nil
}

func (s *Server) getTopic(name string) (int, any, map[string]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.topics[name]
	if t == nil {
		return 0, nil, nil, errf(404, "TopicNotExist", "the topic name you provided is not exist")
	}
	ct := t.created.Unix()
	f := false
	return http.StatusOK, topicAttrsDoc{Xmlns: xmlns, TopicName: name, MaximumMessageSize: &t.maxSize,
		CreateTime: &ct, LastModifyTime: &ct, LoggingEnabled: &f}, nil, nil
}

func (s *Server) subscribe(r *http.Request, topicName, name string, q url.Values, body []byte) (int, any, map[string]string, error) {
	var d subscribeDoc
	if err := xml.Unmarshal(body, &d); err != nil {
		return 0, nil, nil, errf(400, "MalformedXML", "subscription: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.topics[topicName]
	if t == nil {
		return 0, nil, nil, errf(404, "TopicNotExist", "the topic name you provided is not exist")
	}
	if q.Get("metaoverride") == "true" {
		sub := t.subs[name]
		if sub == nil {
			return 0, nil, nil, errf(404, "SubscriptionNotExist", "the subscription does not exist")
		}
		if d.NotifyStrategy != "" {
			sub.strategy = d.NotifyStrategy
		}
		return http.StatusNoContent, nil, nil, nil
	}
	prefix := fmt.Sprintf("acs:mns:%s:%s:queues/", s.cfg.Region, s.cfg.AccountID)
	queueName, ok := strings.CutPrefix(d.Endpoint, prefix)
	if !ok || !nameRE.MatchString(queueName) {
		return 0, nil, nil, errf(400, "EndpointInvalid", "endpoint %q is not a queue of this account (%sNAME)", d.Endpoint, prefix)
	}
	format := d.NotifyContentFormat
	if format == "" {
		format = "XML"
	}
	if format != "XML" && format != "JSON" && format != "SIMPLIFIED" {
		return 0, nil, nil, errf(400, "InvalidArgument", "NotifyContentFormat %q is not XML, JSON or SIMPLIFIED", format)
	}
	strategy := d.NotifyStrategy
	if strategy == "" {
		strategy = "BACKOFF_RETRY"
	}
	sub := &subscription{name: name, endpoint: d.Endpoint, queue: queueName, tag: d.FilterTag,
		strategy: strategy, format: format, created: time.Now()}
	if old := t.subs[name]; old != nil {
		if old.endpoint == sub.endpoint && old.tag == sub.tag && old.format == sub.format {
			return http.StatusNoContent, nil, nil, nil
		}
		return 0, nil, nil, errf(409, "SubscriptionAlreadyExist", "the subscription %s already exists with other attributes", name)
	}
	t.subs[name] = sub
	return http.StatusCreated, nil, nil, nil
}

func (s *Server) getSubscription(topicName, name string) (int, any, map[string]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.topics[topicName]
	if t == nil {
		return 0, nil, nil, errf(404, "TopicNotExist", "the topic name you provided is not exist")
	}
	sub := t.subs[name]
	if sub == nil {
		return 0, nil, nil, errf(404, "SubscriptionNotExist", "the subscription does not exist")
	}
	return http.StatusOK, subscribeDoc{Xmlns: xmlns, SubscriptionName: name, TopicOwner: s.cfg.AccountID,
		TopicName: topicName, Endpoint: sub.endpoint, FilterTag: sub.tag, NotifyStrategy: sub.strategy,
		NotifyContentFormat: sub.format, CreateTime: sub.created.Unix(), LastModifyTime: sub.created.Unix()}, nil, nil
}

// publish delivers a topic message to every queue subscription whose
// FilterTag matches, in the subscription's content format.
func (s *Server) publish(topicName string, body []byte) (int, any, map[string]string, error) {
	var d publishDoc
	if err := xml.Unmarshal(body, &d); err != nil {
		return 0, nil, nil, errf(400, "MalformedXML", "message: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.topics[topicName]
	if t == nil {
		return 0, nil, nil, errf(404, "TopicNotExist", "the topic name you provided is not exist")
	}
	if len(d.MessageBody) == 0 {
		return 0, nil, nil, errf(400, "InvalidArgument", "MessageBody is empty")
	}
	if len(d.MessageBody) > t.maxSize {
		return 0, nil, nil, errf(400, "MessageTooLarge", "the message is %d bytes, over the topic's MaximumMessageSize %d", len(d.MessageBody), t.maxSize)
	}
	id := newID()
	now := time.Now()
	for _, sub := range t.subs {
		if sub.tag != "" && sub.tag != d.MessageTag {
			continue
		}
		qu := s.queues[sub.queue]
		if qu == nil {
			continue
		}
		var payload string
		switch sub.format {
		case "SIMPLIFIED":
			payload = d.MessageBody
		case "JSON":
			b, _ := json.Marshal(map[string]any{
				"TopicOwner": s.cfg.AccountID, "TopicName": topicName, "Subscriber": s.cfg.AccountID,
				"SubscriptionName": sub.name, "MessageId": id, "MessageMD5": bodyMD5(d.MessageBody),
				"MessageTag": d.MessageTag, "Message": d.MessageBody, "PublishTime": now.UnixMilli(),
			})
			payload = string(b)
		default:
			b, _ := xml.Marshal(notificationDoc{Xmlns: xmlns, TopicOwner: s.cfg.AccountID, TopicName: topicName,
				Subscriber: s.cfg.AccountID, SubscriptionName: sub.name, MessageID: id, MessageMD5: bodyMD5(d.MessageBody),
				MessageTag: d.MessageTag, Message: d.MessageBody, PublishTime: now.UnixMilli()})
			payload = xml.Header + string(b)
		}
		prio := 8
		qa := qu.attrs
		qa.MaximumMessageSize = 1 << 30 // the topic's limit already applied
		saved := qu.attrs
		qu.attrs = qa
		_, _ = s.enqueueLocked(qu, sendDoc{MessageBody: payload, Priority: &prio})
		qu.attrs = saved
	}
	return http.StatusCreated, sentDoc{Xmlns: xmlns, MessageID: id, MessageBodyMD5: bodyMD5(d.MessageBody)}, nil, nil
}
