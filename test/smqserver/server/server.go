package server

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// Version is the API version the server speaks.
const Version = "2015-06-06"

// Config is what a Server is started with.
type Config struct {
	AccessKeyID     string
	AccessKeySecret string
	// AccountID and Region name queues in subscription endpoints
	// (acs:mns:REGION:ACCOUNT:queues/NAME). Defaults 123 and cn-hangzhou.
	AccountID string
	Region    string
	// MaxClockSkew refuses requests whose Date is further off (default 15m).
	MaxClockSkew time.Duration
	// SecurityToken, when set, must accompany every request in the
	// security-token header, as with STS credentials.
	SecurityToken string
}

// Faults makes the server misbehave on purpose.
type Faults struct {
	// FailBefore is the share (0-1) of requests answered 500 InternalError
	// without being processed.
	FailBefore float64
	// FailAfter is the share of requests processed and then answered 500, as
	// when the service's answer is lost.
	FailAfter float64
	// Delay is added to a DelayShare of requests.
	Delay      time.Duration
	DelayShare float64
}

// Server is an in-memory SMQ service. Its zero value is not usable; call New.
type Server struct {
	cfg Config

	mu     sync.Mutex
	queues map[string]*queue
	topics map[string]*topic
	faults Faults
	stats  Stats
	seq    uint64
}

// Stats counts what the server did; tests read it to see faults happen.
type Stats struct {
	Requests      int
	InjectedFails int
}

// New returns a server with no queues or topics.
func New(cfg Config) *Server {
	if cfg.AccountID == "" {
		cfg.AccountID = "123"
	}
	if cfg.Region == "" {
		cfg.Region = "cn-hangzhou"
	}
	if cfg.MaxClockSkew <= 0 {
		cfg.MaxClockSkew = 15 * time.Minute
	}
	return &Server{cfg: cfg, queues: map[string]*queue{}, topics: map[string]*topic{}}
}

// SetFaults changes fault injection; the zero Faults turns it off.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Endpoint returns the SDK endpoint for a server listening on addr
// (host:port): http://HOST:PORT/ACCOUNT.mns.REGION.local.test. The SDK
// requires the endpoint to split on "." into exactly five parts, so a
// loopback IP is written as localhost.
func (s *Server) Endpoint(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err == nil {
		if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
			addr = net.JoinHostPort("localhost", port)
		}
	}
	return fmt.Sprintf("http://%s/%s.mns.%s.local.test", addr, s.cfg.AccountID, s.cfg.Region)
}

// Running is a Server listening on a local port.
type Running struct {
	*Server
	// Endpoint is what to give the SDK.
	Endpoint string
	Addr     string
	srv      *http.Server
	ln       net.Listener
}

// Start serves s on addr ("127.0.0.1:0" picks a port) until Close.
func Start(s *Server, addr string) (*Running, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", addr, err)
	}
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	a := ln.Addr().String()
	return &Running{Server: s, Endpoint: s.Endpoint(a), Addr: a, srv: hs, ln: ln}, nil
}

// Close stops listening and ends open connections.
func (r *Running) Close() error { return r.srv.Close() }

// apiError is an SMQ error answer.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func errf(status int, code, format string, args ...any) *apiError {
	return &apiError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

type errorDoc struct {
	XMLName   xml.Name `xml:"Error"`
	Xmlns     string   `xml:"xmlns,attr"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	RequestID string   `xml:"RequestId"`
	HostID    string   `xml:"HostId"`
}

const xmlns = "http://mns.aliyuncs.com/doc/v1/"

// ServeHTTP answers one SMQ API request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := newID()
	w.Header().Set("x-mns-request-id", reqID)
	w.Header().Set("x-mns-version", Version)

	s.mu.Lock()
	s.stats.Requests++
	f := s.faults
	failBefore := f.FailBefore > 0 && mrand.Float64() < f.FailBefore
	failAfter := !failBefore && f.FailAfter > 0 && mrand.Float64() < f.FailAfter
	delay := f.Delay > 0 && mrand.Float64() < f.DelayShare
	if failBefore || failAfter {
		s.stats.InjectedFails++
	}
	s.mu.Unlock()
	if delay {
		time.Sleep(f.Delay)
	}

	body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	if err != nil {
		s.writeError(w, r, reqID, errf(400, "InvalidArgument", "reading body: %v", err))
		return
	}
	resource, err := s.authenticate(r, body)
	if err != nil {
		s.writeError(w, r, reqID, err)
		return
	}
	if failBefore {
		s.writeError(w, r, reqID, errf(500, "InternalError", "injected fault"))
		return
	}
	status, doc, extra, err := s.route(r, resource, body)
	if err == nil && failAfter {
		err = errf(500, "InternalError", "injected fault after processing")
	}
	if err != nil {
		if ae, ok := err.(*apiError); ok && ae.Code == "" && doc != nil {
			// Batch partial failure: the document itself is the answer.
			s.writeXML(w, ae.Status, doc)
			return
		}
		s.writeError(w, r, reqID, err)
		return
	}
	for k, v := range extra {
		w.Header().Set(k, v)
	}
	if doc == nil {
		w.WriteHeader(status)
		return
	}
	s.writeXML(w, status, doc)
}

func (s *Server) writeXML(w http.ResponseWriter, status int, doc any) {
	out, err := xml.Marshal(doc)
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	w.Header().Set("Content-Type", "text/xml;charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, xml.Header)
	_, _ = w.Write(out)
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, reqID string, err error) {
	ae, ok := err.(*apiError)
	if !ok {
		ae = errf(500, "InternalError", "%v", err)
	}
	s.writeXML(w, ae.Status, errorDoc{
		Xmlns: xmlns, Code: ae.Code, Message: ae.Message, RequestID: reqID,
		HostID: "http://" + r.Host,
	})
}

// authenticate checks the headers and signature and returns the canonical
// resource (path without the endpoint prefix, plus query).
func (s *Server) authenticate(r *http.Request, body []byte) (string, error) {
	path := r.URL.EscapedPath()
	// The SDK's endpoint quirk: strip a host-like first segment.
	if rest, ok := strings.CutPrefix(path, "/"); ok {
		first, after, _ := strings.Cut(rest, "/")
		if strings.Contains(first, ".") {
			path = "/" + after
		}
	}
	resource := path
	if r.URL.RawQuery != "" {
		resource += "?" + r.URL.RawQuery
	}

	if r.Header.Get("x-mns-version") == "" {
		return "", errf(400, "MissingVersionHeader", "x-mns-version is missing")
	}
	date := r.Header.Get("Date")
	if date == "" {
		return "", errf(400, "MissingDateHeader", "Date is missing")
	}
	t, err := http.ParseTime(date)
	if err != nil {
		return "", errf(400, "InvalidDateHeader", "Date %q is not an HTTP date", date)
	}
	if d := time.Since(t); d > s.cfg.MaxClockSkew || d < -s.cfg.MaxClockSkew {
		return "", errf(403, "TimeExpired", "the request time %s is too far from the server time", date)
	}
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return "", errf(403, "MissingAuthorizationHeader", "Authorization is missing")
	}
	cred, ok := strings.CutPrefix(auth, "MNS ")
	if !ok {
		return "", errf(403, "InvalidAuthorizationHeader", "Authorization must be MNS AccessKeyId:Signature")
	}
	id, sig, ok := strings.Cut(cred, ":")
	if !ok {
		return "", errf(403, "InvalidAuthorizationHeader", "Authorization must be MNS AccessKeyId:Signature")
	}
	if id != s.cfg.AccessKeyID {
		return "", errf(403, "InvalidAccessKeyId", "the access key id %q does not exist", id)
	}
	want := Sign(r.Method, r.Header, resource, s.cfg.AccessKeySecret)
	if subtle.ConstantTimeCompare([]byte(sig), []byte(want)) != 1 {
		return "", errf(403, "SignatureDoesNotMatch", "the request signature does not match")
	}
	if s.cfg.SecurityToken != "" && subtle.ConstantTimeCompare([]byte(r.Header.Get("security-token")), []byte(s.cfg.SecurityToken)) != 1 {
		return "", errf(403, "AccessDenied", "the security token is missing or does not match")
	}
	if md := r.Header.Get("Content-MD5"); md != "" && !contentMD5Matches(md, body) {
		return "", errf(400, "InvalidDegist", "Content-MD5 does not match the body")
	}
	return resource, nil
}

// contentMD5Matches accepts the RFC 1864 form (base64 of the digest) and the
// form the Go SDK sends (base64 of the lower-case hex digest).
func contentMD5Matches(header string, body []byte) bool {
	sum := md5.Sum(body)
	hexForm := base64.StdEncoding.EncodeToString([]byte(hex.EncodeToString(sum[:])))
	rawForm := base64.StdEncoding.EncodeToString(sum[:])
	return header == hexForm || header == rawForm
}

// Sign computes the SMQ signature of a request: base64(HMAC-SHA1(secret,
// METHOD\nContent-MD5\nContent-Type\nDate\n[x-mns-*:v\n...]resource)).
func Sign(method string, h http.Header, resource, secret string) string {
	var mns []string
	for k, vs := range h {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "x-mns-") && len(vs) > 0 {
			mns = append(mns, lk+":"+strings.TrimSpace(vs[0]))
		}
	}
	sort.Strings(mns)
	var b bytes.Buffer
	b.WriteString(method + "\n")
	b.WriteString(h.Get("Content-MD5") + "\n")
	b.WriteString(h.Get("Content-Type") + "\n")
	b.WriteString(h.Get("Date") + "\n")
	for _, m := range mns {
		b.WriteString(m + "\n")
	}
	b.WriteString(resource)
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write(b.Bytes())
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return strings.ToUpper(hex.EncodeToString(b[:]))
}

func bodyMD5(body string) string {
	sum := md5.Sum([]byte(body))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}
