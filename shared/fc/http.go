package fc

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// HTTPRequest is the event FC 3.0 hands a function in a built-in runtime
// behind an HTTP trigger (payload format version "v1").
type HTTPRequest struct {
	Version string `json:"version"`
	// RawPath is the URL-encoded request path.
	RawPath string `json:"rawPath"`
	// Body is the request body; base64 when IsBase64Encoded.
	Body            string `json:"body"`
	IsBase64Encoded bool   `json:"isBase64Encoded"`
	// Headers has capitalised names; repeated values are joined by commas.
	Headers map[string]string `json:"headers"`
	// QueryParameters holds the query; repeated values joined by commas.
	QueryParameters map[string]string  `json:"queryParameters"`
	RequestContext  HTTPRequestContext `json:"requestContext"`
}

// HTTPRequestContext describes where an HTTP trigger request came from.
type HTTPRequestContext struct {
	AccountID    string   `json:"accountId"`
	DomainName   string   `json:"domainName"`
	DomainPrefix string   `json:"domainPrefix"`
	HTTP         HTTPInfo `json:"http"`
	RequestID    string   `json:"requestId"`
	// Time is RFC 3339; TimeEpoch is milliseconds, as FC writes them.
	Time      string `json:"time"`
	TimeEpoch string `json:"timeEpoch"`
}

// HTTPInfo is the request line and client of an HTTP trigger request.
type HTTPInfo struct {
	Method string `json:"method"`
	// Path is the decoded request path.
	Path      string `json:"path"`
	Protocol  string `json:"protocol"`
	SourceIP  string `json:"sourceIp"`
	UserAgent string `json:"userAgent"`
}

// HTTPResponse is what a function behind an HTTP trigger answers; FC turns it
// into the HTTP response.
type HTTPResponse struct {
	StatusCode      int               `json:"statusCode"`
	Headers         map[string]string `json:"headers,omitempty"`
	Body            string            `json:"body"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
}

// Method is the request method, GET when FC left it out.
func (r *HTTPRequest) Method() string {
	if r.RequestContext.HTTP.Method == "" {
		return http.MethodGet
	}
	return strings.ToUpper(r.RequestContext.HTTP.Method)
}

// Path is the decoded request path: requestContext.http.path, or rawPath
// decoded when that is missing.
func (r *HTTPRequest) Path() string {
	if r.RequestContext.HTTP.Path != "" {
		return r.RequestContext.HTTP.Path
	}
	if p, err := url.PathUnescape(r.RawPath); err == nil {
		return p
	}
	return r.RawPath
}

// Header returns the headers with canonical names. A comma-joined value stays
// one value: splitting it would break headers whose values hold commas.
func (r *HTTPRequest) Header() http.Header {
	h := make(http.Header, len(r.Headers))
	for k, v := range r.Headers {
		h[http.CanonicalHeaderKey(k)] = []string{v}
	}
	return h
}

// Query returns the query parameters; a comma-joined value is split into its
// values.
func (r *HTTPRequest) Query() url.Values {
	q := make(url.Values, len(r.QueryParameters))
	for k, v := range r.QueryParameters {
		q[k] = strings.Split(v, ",")
	}
	return q
}

// BodySize is the length of the decoded body, known without decoding it, so
// a size cap can be checked first.
func (r *HTTPRequest) BodySize() int64 {
	if !r.IsBase64Encoded {
		return int64(len(r.Body))
	}
	n := int64(len(r.Body)) / 4 * 3
	switch {
	case strings.HasSuffix(r.Body, "=="):
		n -= 2
	case strings.HasSuffix(r.Body, "="):
		n--
	}
	return n
}

// ErrBadBody marks a body announced as base64 that does not decode.
var ErrBadBody = errors.New("request body is not valid base64")

// Payload returns the decoded body.
func (r *HTTPRequest) Payload() ([]byte, error) {
	if !r.IsBase64Encoded {
		return []byte(r.Body), nil
	}
	b, err := base64.StdEncoding.DecodeString(r.Body)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadBody, err)
	}
	return b, nil
}
