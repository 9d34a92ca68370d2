package server_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/fc-eventing/fc-eventing/test/ossserver/server"
)

func start(t *testing.T) *server.Running {
	t.Helper()
	r, err := server.Start(server.New(server.Config{AccessKeyID: "id", AccessKeySecret: "secret", Buckets: []string{"events"}}), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

func bucket(t *testing.T, r *server.Running, secret string, opts ...oss.ClientOption) *oss.Bucket {
	t.Helper()
	c, err := oss.New(r.Endpoint, "id", secret, opts...)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Bucket("events")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func serviceCode(err error) string {
	var se oss.ServiceError
	if errors.As(err, &se) {
		return se.Code
	}
	return ""
}

func TestObjectRoundTrip(t *testing.T) {
	t.Parallel()
	r := start(t)
	b := bucket(t, r, "secret")
	for name, key := range map[string]string{
		"plain":   "a.json",
		"nested":  "prefix/2026/12/03/event.json",
		"escaped": "dir with space/ünï+cøde?&=.json",
	} {
		t.Run(name, func(t *testing.T) {
			data := bytes.Repeat([]byte(name), 5000)
			if err := b.PutObject(key, bytes.NewReader(data), oss.ContentType("application/json"), oss.Meta("event-id", "e1")); err != nil {
				t.Fatalf("PutObject: %v", err)
			}
			rc, err := b.GetObject(key)
			if err != nil {
				t.Fatalf("GetObject: %v", err)
			}
			got, err := io.ReadAll(rc)
			rc.Close()
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("GetObject returned %d bytes (%v), want %d", len(got), err, len(data))
			}
			h, err := b.GetObjectDetailedMeta(key)
			if err != nil {
				t.Fatalf("HeadObject: %v", err)
			}
			if h.Get("X-Oss-Meta-Event-Id") != "e1" || h.Get("Content-Type") != "application/json" || !strings.HasPrefix(h.Get("ETag"), `"`) {
				t.Errorf("HeadObject headers = %v", h)
			}
			if err := b.DeleteObject(key); err != nil {
				t.Fatalf("DeleteObject: %v", err)
			}
			if _, err := b.GetObject(key); serviceCode(err) != "NoSuchKey" {
				t.Errorf("GetObject after delete = %v, want NoSuchKey", err)
			}
		})
	}
}

func TestRefusals(t *testing.T) {
	t.Parallel()
	r := start(t)
	if err := bucket(t, r, "wrong").PutObject("k", strings.NewReader("x")); serviceCode(err) != "SignatureDoesNotMatch" {
		t.Errorf("wrong secret = %v, want SignatureDoesNotMatch", err)
	}
	c, _ := oss.New(r.Endpoint, "id", "secret")
	nb, _ := c.Bucket("missing")
	if err := nb.PutObject("k", strings.NewReader("x")); serviceCode(err) != "NoSuchBucket" {
		t.Errorf("missing bucket = %v, want NoSuchBucket", err)
	}
	resp, err := http.Get(r.Endpoint + "/events/k")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("anonymous GET = %d, want 403", resp.StatusCode)
	}
	r.SetFailRate(1)
	if err := bucket(t, r, "secret").PutObject("k", strings.NewReader("x")); serviceCode(err) != "InternalError" {
		t.Errorf("injected fault = %v, want InternalError", err)
	}
}

func TestConditionalRangeAndToken(t *testing.T) {
	t.Parallel()
	r := start(t)
	b := bucket(t, r, "secret", oss.SecurityToken("sts-token"))
	if err := b.PutObject("r", strings.NewReader("0123456789")); err != nil {
		t.Fatal(err)
	}
	rc, err := b.GetObject("r", oss.Range(2, 4))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if string(got) != "234" {
		t.Errorf("range read %q, want 234", got)
	}
	h, err := b.GetObjectMeta("r")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.GetObject("r", oss.IfMatch(`"NOPE"`)); serviceCode(err) != "PreconditionFailed" {
		t.Errorf("If-Match mismatch = %v, want PreconditionFailed", err)
	}
	if _, err := b.GetObject("r", oss.IfMatch(h.Get("ETag"))); err != nil {
		t.Errorf("If-Match on the current ETag: %v", err)
	}
}
