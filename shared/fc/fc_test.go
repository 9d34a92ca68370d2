package fc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	fcsdk "github.com/aliyun/fc-runtime-go-sdk/fc"
	"github.com/aliyun/fc-runtime-go-sdk/fccontext"
	"github.com/google/go-cmp/cmp"
	"github.com/sirupsen/logrus"
)

type input struct {
	Name string `json:"name"`
}

type output struct {
	Greeting string `json:"greeting"`
}

func TestHandler(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	tests := map[string]struct {
		run     func(ctx context.Context, payload []byte) ([]byte, error)
		payload string
		want    string
		wantErr error
	}{
		"json in and out": {
			run: Handler(func(_ context.Context, in input) (output, error) {
				return output{Greeting: "hello " + in.Name}, nil
			}),
			payload: `{"name":"fc"}`,
			want:    `{"greeting":"hello fc"}`,
		},
		"raw bytes kept even when not json": {
			run: Handler(func(_ context.Context, in []byte) ([]byte, error) {
				return append([]byte("got:"), in...), nil
			}),
			payload: `plain text`,
			want:    `got:plain text`,
		},
		"raw message untouched": {
			run: Handler(func(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
				return in, nil
			}),
			payload: `{"b":1,  "a":2}`,
			want:    `{"b":1,  "a":2}`,
		},
		"handler error returned": {
			run: Handler(func(_ context.Context, in input) (output, error) {
				return output{}, boom
			}),
			payload: `{}`,
			wantErr: boom,
		},
		"bad json": {
			run: Handler(func(_ context.Context, in input) (output, error) {
				t.Error("handler called with undecodable payload")
				return output{}, nil
			}),
			payload: `{"name":`,
			wantErr: errAny,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := tc.run(context.Background(), []byte(tc.payload))
			switch {
			case tc.wantErr == errAny:
				if err == nil {
					t.Fatal("want an error, got none")
				}
				return
			case tc.wantErr != nil:
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("error = %v, want %v", err, tc.wantErr)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, string(got)); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
		})
	}
}

var errAny = errors.New("any error")

func TestHandlerDeadlineAndLogger(t *testing.T) {
	t.Parallel()
	deadline := time.Now().Add(10 * time.Second)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	ctx = fccontext.NewContext(ctx, &fccontext.FcContext{RequestID: "req-1"})

	var gotDeadline time.Time
	var gotID any
	h := Handler(func(ctx context.Context, _ json.RawMessage) (string, error) {
		gotDeadline, _ = ctx.Deadline()
		gotID = Logger(ctx).Data[FieldRequestID]
		return "ok", nil
	})
	if _, err := h(ctx, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if want := deadline.Add(-DeadlineMargin); !gotDeadline.Equal(want) {
		t.Errorf("deadline = %v, want %v", gotDeadline, want)
	}
	if gotID != "req-1" {
		t.Errorf("logger request id = %v, want req-1", gotID)
	}
}

func TestDeadlineMarginShortInvocation(t *testing.T) {
	t.Parallel()
	deadline := time.Now().Add(400 * time.Millisecond)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	c, cancel2 := withMargin(ctx)
	defer cancel2()
	d, _ := c.Deadline()
	if !d.Before(deadline) || time.Until(d) <= 0 {
		t.Errorf("deadline %v should fall between now and %v", d, deadline)
	}
}

func TestLoggerJSON(t *testing.T) {
	var buf bytes.Buffer
	l := logrus.New()
	l.SetOutput(&buf)
	l.SetFormatter(&logrus.JSONFormatter{})
	ctx := WithLogger(context.Background(), logrus.NewEntry(l).WithField(FieldRequestID, "r-9"))
	Logger(WithRequestID(ctx, "ignored")).WithField(FieldEventID, "e-1").Info("published")
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("log line is not JSON: %q", buf.String())
	}
	if rec[FieldRequestID] != "r-9" || rec[FieldEventID] != "e-1" || rec["msg"] != "published" {
		t.Errorf("log record = %v", rec)
	}
	if got := RequestID(WithRequestID(context.Background(), "local-1")); got != "local-1" {
		t.Errorf("RequestID = %q", got)
	}
}

func TestHTTPRequest(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("testdata/http-trigger.json")
	if err != nil {
		t.Fatal(err)
	}
	var r HTTPRequest
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	if r.Method() != http.MethodPost || r.Path() != "/github/push hook" {
		t.Errorf("method, path = %q, %q", r.Method(), r.Path())
	}
	wantHeader := http.Header{
		"Content-Type":   {"application/json"},
		"X-Github-Event": {"ping"},
		"Accept":         {"text/html,application/json"},
	}
	if diff := cmp.Diff(wantHeader, r.Header()); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(url.Values{"a": {"1", "2"}, "b": {"x"}}, r.Query()); diff != "" {
		t.Errorf("query (-want +got):\n%s", diff)
	}
	body, err := r.Payload()
	if err != nil {
		t.Fatal(err)
	}
	if string(body) != `{"zen":"Keep it logically awesome."}` {
		t.Errorf("body = %q", body)
	}
	if r.BodySize() != int64(len(body)) {
		t.Errorf("BodySize = %d, want %d", r.BodySize(), len(body))
	}
	if r.RequestContext.RequestID != "1-64f6cd87-0123456789abcdef" || r.RequestContext.TimeEpoch != "1693896071895" {
		t.Errorf("request context = %+v", r.RequestContext)
	}

	r.RequestContext.HTTP.Path = ""
	if r.Path() != "/github/push hook" {
		t.Errorf("path from rawPath = %q", r.Path())
	}
	r.Body = "not base64!"
	if _, err := r.Payload(); !errors.Is(err, ErrBadBody) {
		t.Errorf("Payload error = %v, want ErrBadBody", err)
	}
	for _, n := range []int{0, 1, 2, 3, 4, 5, 100} {
		plain := strings.Repeat("x", n)
		enc := HTTPRequest{Body: b64(plain), IsBase64Encoded: true}
		if enc.BodySize() != int64(n) {
			t.Errorf("BodySize of %d bytes = %d", n, enc.BodySize())
		}
	}
}

func TestHTTPResponseJSON(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(HTTPResponse{StatusCode: 401, Body: "bad signature"})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"statusCode":401,"body":"bad signature","isBase64Encoded":false}`
	if string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
}

// TestSDKRoundTrip runs a handler through the SDK's own invocation code, as
// Start does: the answer must reach FC as the handler's JSON, not re-encoded.
func TestSDKRoundTrip(t *testing.T) {
	t.Parallel()
	h := Handler(func(_ context.Context, in HTTPRequest) (HTTPResponse, error) {
		return HTTPResponse{StatusCode: 202, Body: in.Path()}, nil
	})
	out, err := fcsdk.NewHandler(sdkHandler(h)).Invoke(context.Background(), []byte(`{"rawPath":"/a","requestContext":{"http":{"path":"/a"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"statusCode":202,"body":"/a","isBase64Encoded":false}`; string(out) != want {
		t.Errorf("SDK answer = %s, want %s", out, want)
	}
	raw := Handler(func(_ context.Context, in []byte) (json.RawMessage, error) { return json.RawMessage(`{"n":1}`), nil })
	out, err = fcsdk.NewHandler(sdkHandler(raw)).Invoke(context.Background(), []byte("not json"))
	if err != nil || string(out) != `{"n":1}` {
		t.Errorf("SDK answer = %s, %v", out, err)
	}
}
