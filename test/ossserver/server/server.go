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
	"hash/crc64"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Config is what a Server is started with.
type Config struct {
	AccessKeyID     string
	AccessKeySecret string
	// Buckets are created at start.
	Buckets []string
	// MaxClockSkew refuses requests whose Date is further off (default 15m).
	MaxClockSkew time.Duration
}

// Server is an in-memory OSS. Use New.
type Server struct {
	cfg Config

	mu       sync.Mutex
	buckets  map[string]map[string]*object
	failRate float64
	requests int
}

type object struct {
	data     []byte
	etag     string
	crc      uint64
	ctype    string
	meta     http.Header
	modified time.Time
}

// New returns a server holding the configured buckets, empty.
func New(cfg Config) *Server {
	if cfg.MaxClockSkew <= 0 {
		cfg.MaxClockSkew = 15 * time.Minute
	}
	s := &Server{cfg: cfg, buckets: map[string]map[string]*object{}}
	for _, b := range cfg.Buckets {
		s.buckets[b] = map[string]*object{}
	}
	return s
}

// SetFailRate makes a share (0-1) of requests fail with 500 InternalError.
func (s *Server) SetFailRate(r float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failRate = r
}

// Requests counts the requests served.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// Object returns a stored object's bytes, for tests.
func (s *Server) Object(bucket, key string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.buckets[bucket][key]
	if o == nil {
		return nil, false
	}
	return append([]byte(nil), o.data...), true
}

// PutObject stores an object directly, without a signed request.
func (s *Server) PutObject(bucket, key, contentType string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.buckets[bucket] == nil {
		s.buckets[bucket] = map[string]*object{}
	}
	s.buckets[bucket][key] = newObject(data, contentType, nil)
}

// Running is a Server listening on a local port.
type Running struct {
	*Server
	// Endpoint is what to give the SDK (http://127.0.0.1:PORT).
	Endpoint string
	srv      *http.Server
}

// Start serves s on addr ("127.0.0.1:0" picks a port) until Close.
func Start(s *Server, addr string) (*Running, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", addr, err)
	}
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	return &Running{Server: s, Endpoint: "http://" + ln.Addr().String(), srv: hs}, nil
}

// Close stops listening and ends open connections.
func (r *Running) Close() error { return r.srv.Close() }

type errorDoc struct {
	XMLName      xml.Name `xml:"Error"`
	Code         string   `xml:"Code"`
	Message      string   `xml:"Message"`
	RequestID    string   `xml:"RequestId"`
	HostID       string   `xml:"HostId"`
	StringToSign string   `xml:"StringToSign,omitempty"`
	BucketName   string   `xml:"BucketName,omitempty"`
	Key          string   `xml:"Key,omitempty"`
}

type apiError struct {
	status int
	doc    errorDoc
}

func (e *apiError) Error() string { return e.doc.Code + ": " + e.doc.Message }

func errf(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, doc: errorDoc{Code: code, Message: fmt.Sprintf(format, args...)}}
}

// signedSubresources are the query parameters that take part in the V1
// canonicalized resource.
var signedSubresources = map[string]bool{
	"acl": true, "uploads": true, "location": true, "cors": true, "logging": true, "website": true,
	"referer": true, "lifecycle": true, "delete": true, "append": true, "tagging": true, "objectMeta": true,
	"uploadId": true, "partNumber": true, "security-token": true, "position": true, "img": true,
	"style": true, "styleName": true, "replication": true, "replicationProgress": true,
	"replicationLocation": true, "cname": true, "bucketInfo": true, "comp": true, "qos": true,
	"live": true, "status": true, "vod": true, "startTime": true, "endTime": true, "symlink": true,
	"x-oss-process": true, "response-content-type": true, "x-oss-traffic-limit": true,
	"response-content-language": true, "response-expires": true, "response-cache-control": true,
	"response-content-disposition": true, "response-content-encoding": true, "udf": true,
	"udfName": true, "udfImage": true, "udfId": true, "udfImageDesc": true, "udfApplication": true,
	"udfApplicationLog": true, "restore": true, "callback": true, "callback-var": true, "qosInfo": true,
	"policy": true, "stat": true, "encryption": true, "versions": true, "versioning": true,
	"versionId": true, "requestPayment": true, "x-oss-request-payer": true, "sequential": true,
	"inventory": true, "inventoryId": true, "continuation-token": true, "asyncFetch": true,
	"worm": true, "wormId": true, "wormExtend": true, "withHashContext": true,
	"x-oss-enable-md5": true, "x-oss-enable-sha1": true, "x-oss-enable-sha256": true,
	"x-oss-hash-ctx": true, "x-oss-md5-ctx": true, "transferAcceleration": true,
	"regionList": true, "cloudboxes": true, "x-oss-ac-source-ip": true, "x-oss-ac-subnet-mask": true,
	"x-oss-ac-vpc-id": true, "x-oss-ac-forward-allow": true, "metaQuery": true,
	"resourceGroup": true, "rtc": true,
}

// StringToSign builds the V1 string to sign of a request whose
// canonicalized resource is resource.
func StringToSign(method string, h http.Header, resource string) string {
	var oss []string
	for k, vs := range h {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "x-oss-") && len(vs) > 0 {
			oss = append(oss, lk+":"+vs[0])
		}
	}
	sort.Strings(oss)
	var b strings.Builder
	b.WriteString(method + "\n" + h.Get("Content-MD5") + "\n" + h.Get("Content-Type") + "\n" + h.Get("Date") + "\n")
	for _, o := range oss {
		b.WriteString(o + "\n")
	}
	b.WriteString(resource)
	return b.String()
}

// Sign returns base64(HMAC-SHA1(secret, stringToSign)).
func Sign(stringToSign, secret string) string {
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// address splits a request into bucket and key.
func (s *Server) address(r *http.Request) (bucket, key string) {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if label, _, ok := strings.Cut(host, "."); ok && net.ParseIP(host) == nil {
		s.mu.Lock()
		_, exists := s.buckets[label]
		s.mu.Unlock()
		if exists {
			return label, strings.TrimPrefix(r.URL.Path, "/")
		}
	}
	bucket, key, _ = strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	return bucket, key
}

func canonicalResource(bucket, key string, q url.Values) string {
	res := "/"
	if bucket != "" {
		res = "/" + bucket + "/" + key
	}
	var subs []string
	for k := range q {
		if signedSubresources[k] {
			subs = append(subs, k)
		}
	}
	if len(subs) == 0 {
		return res
	}
	sort.Strings(subs)
	parts := make([]string, 0, len(subs))
	for _, k := range subs {
		if v := q.Get(k); v != "" {
			parts = append(parts, k+"="+v)
		} else {
			parts = append(parts, k)
		}
	}
	return res + "?" + strings.Join(parts, "&")
}

func (s *Server) authenticate(r *http.Request, bucket, key string) *apiError {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return errf(403, "AccessDenied", "anonymous access is forbidden for this operation")
	}
	cred, ok := strings.CutPrefix(auth, "OSS ")
	if !ok {
		return errf(400, "InvalidArgument", "only signature version 1 (Authorization: OSS AccessKeyId:Signature) is supported")
	}
	id, sig, ok := strings.Cut(cred, ":")
	if !ok {
		return errf(400, "InvalidArgument", "authorization header is malformed")
	}
	if id != s.cfg.AccessKeyID {
		return errf(403, "InvalidAccessKeyId", "the OSS access key id you provided does not exist in our records")
	}
	date := r.Header.Get("Date")
	t, err := http.ParseTime(date)
	if err != nil {
		return errf(403, "AccessDenied", "invalid Date header %q", date)
	}
	if d := time.Since(t); d > s.cfg.MaxClockSkew || d < -s.cfg.MaxClockSkew {
		return errf(403, "RequestTimeTooSkewed", "the difference between the request time and the current time is too large")
	}
	sts := StringToSign(r.Method, r.Header, canonicalResource(bucket, key, r.URL.Query()))
	if subtle.ConstantTimeCompare([]byte(sig), []byte(Sign(sts, s.cfg.AccessKeySecret))) != 1 {
		e := errf(403, "SignatureDoesNotMatch", "the request signature we calculated does not match the signature you provided")
		e.doc.StringToSign = sts
		return e
	}
	return nil
}

// ServeHTTP answers one OSS API request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := newRequestID()
	w.Header().Set("x-oss-request-id", reqID)
	w.Header().Set("Server", "AliyunOSS")
	w.Header().Set("Date", time.Now().UTC().Format(http.TimeFormat))
	bucket, key := s.address(r)

	s.mu.Lock()
	s.requests++
	fail := s.failRate > 0 && mrand.Float64() < s.failRate
	s.mu.Unlock()

	var err *apiError
	switch {
	case bucket == "":
		err = errf(400, "InvalidRequest", "operations on the service are not supported")
	default:
		err = s.authenticate(r, bucket, key)
	}
	if err == nil && fail {
		err = errf(500, "InternalError", "injected fault")
	}
	if err == nil {
		err = s.handle(w, r, bucket, key)
	}
	if err != nil {
		err.doc.RequestID = reqID
		err.doc.HostID = r.Host
		if err.doc.BucketName == "" && (err.doc.Code == "NoSuchBucket" || err.doc.Code == "NoSuchKey") {
			err.doc.BucketName = bucket
		}
		out, _ := xml.Marshal(err.doc)
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(err.status)
		if r.Method != http.MethodHead {
			_, _ = io.WriteString(w, xml.Header)
			_, _ = w.Write(out)
		}
	}
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request, bucket, key string) *apiError {
	if key == "" {
		switch r.Method {
		case http.MethodPut:
			s.mu.Lock()
			if s.buckets[bucket] == nil {
				s.buckets[bucket] = map[string]*object{}
			}
			s.mu.Unlock()
			w.Header().Set("Location", "/"+bucket)
			w.WriteHeader(http.StatusOK)
			return nil
		case http.MethodDelete:
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.buckets[bucket] == nil {
				return errf(404, "NoSuchBucket", "the specified bucket does not exist")
			}
			if len(s.buckets[bucket]) > 0 {
				return errf(409, "BucketNotEmpty", "the bucket you tried to delete is not empty")
			}
			delete(s.buckets, bucket)
			w.WriteHeader(http.StatusNoContent)
			return nil
		}
		return errf(405, "MethodNotAllowed", "%s on a bucket is not supported", r.Method)
	}
	switch r.Method {
	case http.MethodPut:
		return s.put(w, r, bucket, key)
	case http.MethodGet, http.MethodHead:
		return s.get(w, r, bucket, key)
	case http.MethodDelete:
		s.mu.Lock()
		defer s.mu.Unlock()
		objs := s.buckets[bucket]
		if objs == nil {
			return errf(404, "NoSuchBucket", "the specified bucket does not exist")
		}
		delete(objs, key)
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	return errf(405, "MethodNotAllowed", "%s on an object is not supported", r.Method)
}

func newObject(data []byte, ctype string, meta http.Header) *object {
	sum := md5.Sum(data)
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	return &object{
		data: data, etag: `"` + strings.ToUpper(hex.EncodeToString(sum[:])) + `"`,
		crc: crc64.Checksum(data, crc64.MakeTable(crc64.ECMA)), ctype: ctype, meta: meta,
		modified: time.Now().UTC().Truncate(time.Second),
	}
}

func (s *Server) put(w http.ResponseWriter, r *http.Request, bucket, key string) *apiError {
	if r.URL.Query().Has("acl") || r.URL.Query().Has("append") || r.URL.Query().Has("partNumber") {
		return errf(501, "NotImplemented", "this sub-resource is not supported")
	}
	if r.Header.Get("x-oss-copy-source") != "" {
		return errf(501, "NotImplemented", "CopyObject is not supported")
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, 5<<30))
	if err != nil {
		return errf(400, "IncompleteBody", "reading the body: %v", err)
	}
	if want := r.Header.Get("Content-MD5"); want != "" {
		sum := md5.Sum(data)
		if want != base64.StdEncoding.EncodeToString(sum[:]) {
			return errf(400, "InvalidDigest", "the Content-MD5 you specified is not valid")
		}
	}
	meta := http.Header{}
	for k, vs := range r.Header {
		if strings.HasPrefix(strings.ToLower(k), "x-oss-meta-") {
			meta[k] = vs
		}
	}
	o := newObject(data, r.Header.Get("Content-Type"), meta)
	s.mu.Lock()
	objs := s.buckets[bucket]
	if objs == nil {
		s.mu.Unlock()
		return errf(404, "NoSuchBucket", "the specified bucket does not exist")
	}
	if r.Header.Get("x-oss-forbid-overwrite") == "true" && objs[key] != nil {
		s.mu.Unlock()
		return errf(409, "FileAlreadyExists", "the object already exists")
	}
	objs[key] = o
	s.mu.Unlock()
	w.Header().Set("ETag", o.etag)
	w.Header().Set("x-oss-hash-crc64ecma", strconv.FormatUint(o.crc, 10))
	w.Header().Set("Content-MD5", base64.StdEncoding.EncodeToString(md5Bytes(data)))
	w.WriteHeader(http.StatusOK)
	return nil
}

func md5Bytes(b []byte) []byte {
	s := md5.Sum(b)
	return s[:]
}

func (s *Server) get(w http.ResponseWriter, r *http.Request, bucket, key string) *apiError {
	s.mu.Lock()
	objs := s.buckets[bucket]
	if objs == nil {
		s.mu.Unlock()
		return errf(404, "NoSuchBucket", "the specified bucket does not exist")
	}
	o := objs[key]
	s.mu.Unlock()
	if o == nil {
		e := errf(404, "NoSuchKey", "the specified key does not exist")
		e.doc.Key = key
		return e
	}
	if m := r.Header.Get("If-Match"); m != "" && m != o.etag && m != "*" {
		return errf(412, "PreconditionFailed", "at least one of the pre-conditions you specified did not hold")
	}
	if m := r.Header.Get("If-None-Match"); m != "" && (m == o.etag || m == "*") {
		w.Header().Set("ETag", o.etag)
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	h := w.Header()
	h.Set("ETag", o.etag)
	h.Set("Last-Modified", o.modified.Format(http.TimeFormat))
	h.Set("Content-Type", o.ctype)
	h.Set("x-oss-object-type", "Normal")
	h.Set("x-oss-storage-class", "Standard")
	h.Set("Accept-Ranges", "bytes")
	if ct := r.URL.Query().Get("response-content-type"); ct != "" {
		h.Set("Content-Type", ct)
	}
	for k, vs := range o.meta {
		h[k] = vs
	}
	body := o.data
	status := http.StatusOK
	if rg := r.Header.Get("Range"); rg != "" {
		start, end, ok := parseRange(rg, len(o.data))
		if ok {
			body = o.data[start : end+1]
			status = http.StatusPartialContent
			h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, end, len(o.data)))
		}
	}
	if status == http.StatusOK {
		h.Set("x-oss-hash-crc64ecma", strconv.FormatUint(o.crc, 10))
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if r.Method == http.MethodGet {
		_, _ = io.Copy(w, bytes.NewReader(body))
	}
	return nil
}

// parseRange understands one range, bytes=a-b, bytes=a- or bytes=-n; OSS
// ignores an invalid range and returns the whole object.
func parseRange(h string, size int) (int, int, bool) {
	spec, ok := strings.CutPrefix(h, "bytes=")
	if !ok || strings.Contains(spec, ",") || size == 0 {
		return 0, 0, false
	}
	a, b, ok := strings.Cut(spec, "-")
	if !ok {
		return 0, 0, false
	}
	switch {
	case a == "":
		n, err := strconv.Atoi(b)
		if err != nil || n <= 0 {
			return 0, 0, false
		}
		return max(size-n, 0), size - 1, true
	default:
		start, err := strconv.Atoi(a)
		if err != nil || start >= size {
			return 0, 0, false
		}
		end := size - 1
		if b != "" {
			if end, err = strconv.Atoi(b); err != nil || end < start {
				return 0, 0, false
			}
			end = min(end, size-1)
		}
		return start, end, true
	}
}

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return strings.ToUpper(hex.EncodeToString(b[:]))
}
