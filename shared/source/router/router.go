package router

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/fc-eventing/fc-eventing/shared/bus"
	"github.com/fc-eventing/fc-eventing/shared/config"
	"github.com/fc-eventing/fc-eventing/shared/fc"
	"github.com/fc-eventing/fc-eventing/shared/source"
	"github.com/fc-eventing/fc-eventing/shared/source/bitbucket"
	"github.com/fc-eventing/fc-eventing/shared/source/bitbucketserver"
	"github.com/fc-eventing/fc-eventing/shared/source/codeup"
	"github.com/fc-eventing/fc-eventing/shared/source/gitee"
	"github.com/fc-eventing/fc-eventing/shared/source/github"
	"github.com/fc-eventing/fc-eventing/shared/source/gitlab"
	"github.com/fc-eventing/fc-eventing/shared/source/webhook"
)

// Route is one served event.
type Route struct {
	Method, Path             string
	EventSource, Event, Kind string
	// Limit is the body cap in bytes.
	Limit int64
	hook  source.Hook
}

// Router dispatches webhook deliveries to the hooks of their events.
type Router struct {
	routes map[string]map[string]*Route
	pub    bus.Publisher
	// Now is the clock for event times; time.Now by default.
	Now func() time.Time
	// Log gives the logger for a request; nil logs nothing. Functions set it
	// to fc.Logger.
	Log func(ctx context.Context) *logrus.Entry
}

// New builds the routes of every webhook-kind event in sources. Two events
// at the same method and path are an error naming both.
func New(sources []*config.EventSource, pub bus.Publisher) (*Router, error) {
	if pub == nil {
		return nil, errors.New("building webhook router: no publisher")
	}
	rt := &Router{routes: map[string]map[string]*Route{}, pub: pub, Now: time.Now}
	for _, es := range sources {
		if err := rt.addAll(es); err != nil {
			return nil, fmt.Errorf("building webhook routes of event source %q: %w", es.Metadata.Name, err)
		}
	}
	return rt, nil
}

func (rt *Router) addAll(es *config.EventSource) error {
	s := &es.Spec
	for _, add := range []func() error{
		func() error { return addGit(rt, es, github.Kind, s.Github, github.New) },
		func() error { return addGit(rt, es, gitlab.Kind, s.Gitlab, gitlab.New) },
		func() error { return addGit(rt, es, gitee.Kind, s.Gitee, gitee.New) },
		func() error { return addGit(rt, es, codeup.Kind, s.Codeup, codeup.New) },
		func() error { return addGit(rt, es, bitbucket.Kind, s.Bitbucket, bitbucket.New) },
		func() error { return addGit(rt, es, bitbucketserver.Kind, s.BitbucketServer, bitbucketserver.New) },
	} {
		if err := add(); err != nil {
			return err
		}
	}
	for _, name := range source.Names(s.Webhook) {
		h, err := webhook.New(es, name)
		w := s.Webhook[name].WebhookContext
		if err := rt.add(es, webhook.Kind, name, &w, h, err); err != nil {
			return err
		}
	}
	return nil
}

// addGit adds the routes of one git provider kind's events, in name order.
func addGit[E source.GitEvent, H source.Hook](rt *Router, es *config.EventSource, kind string, events map[string]E,
	newHook func(*config.EventSource, string) (H, error)) error {
	for _, name := range source.Names(events) {
		h, err := newHook(es, name)
		if err := rt.add(es, kind, name, events[name].Git().Webhook, h, err); err != nil {
			return err
		}
	}
	return nil
}

func (rt *Router) add(es *config.EventSource, kind, name string, w *config.WebhookContext, h source.Hook, err error) error {
	if err != nil {
		return err
	}
	path, method := config.WebhookRoute(es.Metadata.Name, name, w)
	r := &Route{Method: method, Path: path, EventSource: es.Metadata.Name, Event: name, Kind: kind, Limit: w.PayloadLimit(), hook: h}
	byMethod := rt.routes[path]
	if byMethod == nil {
		byMethod = map[string]*Route{}
		rt.routes[path] = byMethod
	}
	if prev, ok := byMethod[method]; ok {
		return fmt.Errorf("%s %s is served by both %s/%s and %s/%s", method, path, prev.EventSource, prev.Event, r.EventSource, r.Event)
	}
	byMethod[method] = r
	return nil
}

// Routes lists the served events, by path then method.
func (rt *Router) Routes() []Route {
	var out []Route
	for _, byMethod := range rt.routes {
		for _, r := range byMethod {
			out = append(out, *r)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Path != out[j].Path {
			return out[i].Path < out[j].Path
		}
		return out[i].Method < out[j].Method
	})
	return out
}

// Match finds the route of a request: source.ErrNotFound for an unknown
// path, source.ErrMethodNotAllowed for a known path and another method.
func (rt *Router) Match(method, path string) (*Route, error) {
	byMethod, ok := rt.routes[path]
	if !ok {
		return nil, fmt.Errorf("%w: %s", source.ErrNotFound, path)
	}
	r, ok := byMethod[strings.ToUpper(method)]
	if !ok {
		return nil, fmt.Errorf("%w: %s %s (allowed: %s)", source.ErrMethodNotAllowed, method, path, strings.Join(allowed(byMethod), ", "))
	}
	return r, nil
}

// Reply is the outcome of one delivery: the status to answer and the body.
type Reply struct {
	Status int `json:"-"`
	// Events are the ids of the published events.
	Events []string `json:"events,omitempty"`
	// Ignored says why (part of) the delivery produced no event.
	Ignored []string `json:"ignored,omitempty"`
	Error   string   `json:"error,omitempty"`
}

// Body is the JSON answer.
func (r Reply) Body() []byte {
	b, _ := json.Marshal(r)
	return b
}

// Dispatch handles a request already matched to route and read: the kind's
// hook verifies and decodes it, every event is published, and the reply
// says 200 only once the bus accepted them all.
func (rt *Router) Dispatch(ctx context.Context, route *Route, req source.Request) Reply {
	out, err := route.hook.Handle(ctx, req)
	if err == nil {
		err = source.Publish(ctx, rt.pub, out.Events)
	}
	reply := Reply{Status: source.Status(err), Ignored: out.Notes}
	if err == nil {
		for _, e := range out.Events {
			reply.Events = append(reply.Events, e.ID)
		}
	} else {
		reply.Error = publicError(err)
	}
	rt.log(ctx, route, reply, err)
	return reply
}

// publicError is the error text a caller sees: the reason for 4xx, a
// generic one for 5xx (bus details stay in the log).
func publicError(err error) string {
	switch s := source.Status(err); {
	case s == http.StatusServiceUnavailable:
		return source.ErrUnavailable.Error() + "; retry later"
	case s >= 500:
		return "internal error"
	}
	return err.Error()
}

func (rt *Router) log(ctx context.Context, route *Route, reply Reply, err error) {
	if rt.Log == nil {
		return
	}
	l := rt.Log(ctx).WithField(fc.FieldStatus, reply.Status)
	if route != nil {
		l = l.WithFields(logrus.Fields{fc.FieldEventSource: route.EventSource, fc.FieldEvent: route.Event})
	}
	if len(reply.Events) > 0 {
		l = l.WithField(fc.FieldEventID, strings.Join(reply.Events, ","))
	}
	switch {
	case err != nil && reply.Status >= 500:
		l.WithField(fc.FieldReason, err.Error()).Error("webhook delivery refused")
	case err != nil:
		l.WithField(fc.FieldReason, err.Error()).Warn("webhook delivery refused")
	case len(reply.Ignored) > 0:
		l.WithField(fc.FieldReason, strings.Join(reply.Ignored, "; ")).Info("webhook delivery accepted")
	default:
		l.Info("webhook delivery accepted")
	}
}

func (rt *Router) refuse(ctx context.Context, route *Route, err error) Reply {
	reply := Reply{Status: source.Status(err), Error: publicError(err)}
	rt.log(ctx, route, reply, err)
	return reply
}

// ServeFC handles an FC 3.0 HTTP trigger event. It always answers with a
// status; the error result is for the FC runtime and stays nil.
func (rt *Router) ServeFC(ctx context.Context, req fc.HTTPRequest) (fc.HTTPResponse, error) {
	reply := rt.serveFC(ctx, &req)
	headers := map[string]string{"Content-Type": "application/json"}
	if reply.Status == http.StatusMethodNotAllowed {
		headers["Allow"] = strings.Join(allowed(rt.routes[req.Path()]), ", ")
	}
	return fc.HTTPResponse{StatusCode: reply.Status, Headers: headers, Body: string(reply.Body())}, nil
}

func (rt *Router) serveFC(ctx context.Context, req *fc.HTTPRequest) Reply {
	route, err := rt.Match(req.Method(), req.Path())
	if err != nil {
		return rt.refuse(ctx, nil, err)
	}
	if n := req.BodySize(); n > route.Limit {
		return rt.refuse(ctx, route, fmt.Errorf("%w: %d bytes, limit %d", source.ErrTooLarge, n, route.Limit))
	}
	body, err := req.Payload()
	if err != nil {
		return rt.refuse(ctx, route, fmt.Errorf("%w: %v", source.ErrBadRequest, err))
	}
	return rt.Dispatch(ctx, route, source.Request{
		Method: req.Method(), Path: req.Path(), Header: req.Header(), Query: req.Query(), Body: body, Received: rt.Now(),
	})
}

// ServeHTTP handles a plain HTTP request the same way.
func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	reply := rt.serveHTTP(ctx, w, r)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(reply.Status)
	_, _ = w.Write(reply.Body())
}

func (rt *Router) serveHTTP(ctx context.Context, w http.ResponseWriter, r *http.Request) Reply {
	route, err := rt.Match(r.Method, r.URL.Path)
	if err != nil {
		if errors.Is(err, source.ErrMethodNotAllowed) {
			w.Header().Set("Allow", strings.Join(allowed(rt.routes[r.URL.Path]), ", "))
		}
		return rt.refuse(ctx, nil, err)
	}
	if r.ContentLength > route.Limit {
		return rt.refuse(ctx, route, fmt.Errorf("%w: %d bytes, limit %d", source.ErrTooLarge, r.ContentLength, route.Limit))
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, route.Limit+1))
	if err != nil {
		return rt.refuse(ctx, route, fmt.Errorf("%w: reading body: %v", source.ErrBadRequest, err))
	}
	if int64(len(body)) > route.Limit {
		return rt.refuse(ctx, route, fmt.Errorf("%w: over %d bytes", source.ErrTooLarge, route.Limit))
	}
	return rt.Dispatch(ctx, route, source.Request{
		Method: r.Method, Path: r.URL.Path, Header: r.Header, Query: r.URL.Query(), Body: body, Received: rt.Now(),
	})
}

func allowed(byMethod map[string]*Route) []string {
	var m []string
	for k := range byMethod {
		m = append(m, k)
	}
	sort.Strings(m)
	return m
}
