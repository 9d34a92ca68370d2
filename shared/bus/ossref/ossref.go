package ossref

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/fc-eventing/fc-eventing/shared/bus"
	"github.com/fc-eventing/fc-eventing/shared/event"
)

// Extension attributes of a reference event.
const (
	// ExtDataRef is the CloudEvents dataref extension: where the event is.
	ExtDataRef = "dataref"
	// ExtSize is the stored object's length in bytes.
	ExtSize = "fcedatasize"
	// ExtSHA256 is the stored object's hex SHA-256.
	ExtSHA256 = "fcedatasha256"
)

// ErrReference marks a reference that cannot be resolved to the event it
// names (missing object, wrong digest, not an oss:// URL).
var ErrReference = errors.New("unresolvable event reference")

// Blobs stores and fetches objects by reference URL.
type Blobs interface {
	// Put stores data under key and returns its reference URL.
	Put(ctx context.Context, key string, data []byte) (ref string, err error)
	// Get returns the object a reference URL names.
	Get(ctx context.Context, ref string) ([]byte, error)
}

// Config says where large events are stored.
type Config struct {
	// Endpoint is the OSS endpoint (https://oss-cn-hangzhou-internal.aliyuncs.com).
	Endpoint string
	Bucket   string
	// Prefix is prepended to object keys (e.g. "fceventing/large/").
	Prefix          string
	AccessKeyID     string
	AccessKeySecret string
	SecurityToken   string
}

// Store keeps objects in one OSS bucket.
type Store struct {
	bucket *oss.Bucket
	name   string
	prefix string
}

var _ Blobs = (*Store)(nil)

// New returns a Store for cfg.
func New(cfg Config) (*Store, error) {
	if cfg.Endpoint == "" || cfg.Bucket == "" {
		return nil, fmt.Errorf("configuring large-payload store: endpoint and bucket are required")
	}
	var opts []oss.ClientOption
	if cfg.SecurityToken != "" {
		opts = append(opts, oss.SecurityToken(cfg.SecurityToken))
	}
	opts = append(opts, oss.Timeout(10, 60))
	c, err := oss.New(cfg.Endpoint, cfg.AccessKeyID, cfg.AccessKeySecret, opts...)
	if err != nil {
		return nil, fmt.Errorf("creating OSS client for %s: %w", cfg.Endpoint, err)
	}
	b, err := c.Bucket(cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("opening bucket %s: %w", cfg.Bucket, err)
	}
	return &Store{bucket: b, name: cfg.Bucket, prefix: cfg.Prefix}, nil
}

// Put stores data under Prefix+key.
func (s *Store) Put(ctx context.Context, key string, data []byte) (string, error) {
	full := s.prefix + key
	err := s.bucket.PutObject(full, bytes.NewReader(data), oss.WithContext(ctx),
		oss.ContentType("application/cloudevents+json"))
	if err != nil {
		return "", fmt.Errorf("storing oss://%s/%s: %w", s.name, full, err)
	}
	return "oss://" + s.name + "/" + full, nil
}

// Get fetches an oss:// reference of this store's bucket.
func (s *Store) Get(ctx context.Context, ref string) ([]byte, error) {
	bucket, key, err := ParseRef(ref)
	if err != nil {
		return nil, err
	}
	if bucket != s.name {
		return nil, fmt.Errorf("%w: %s is not in bucket %s", ErrReference, ref, s.name)
	}
	rc, err := s.bucket.GetObject(key, oss.WithContext(ctx))
	if err != nil {
		var se oss.ServiceError
		if errors.As(err, &se) && se.Code == "NoSuchKey" {
			return nil, fmt.Errorf("%w: fetching %s: %w", ErrReference, ref, err)
		}
		return nil, fmt.Errorf("fetching %s: %w", ref, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", ref, err)
	}
	return data, nil
}

// ParseRef splits oss://bucket/key.
func ParseRef(ref string) (bucket, key string, err error) {
	rest, ok := strings.CutPrefix(ref, "oss://")
	if !ok {
		return "", "", fmt.Errorf("%w: %q is not an oss:// URL", ErrReference, ref)
	}
	bucket, key, ok = strings.Cut(rest, "/")
	if !ok || bucket == "" || key == "" {
		return "", "", fmt.Errorf("%w: %q lacks bucket or key", ErrReference, ref)
	}
	return bucket, key, nil
}

// IsReference reports whether e stands for an event stored elsewhere.
func IsReference(e event.Event) bool {
	return e.Extensions[ExtDataRef] != ""
}

// Offload stores encoded (the full JSON of e) and returns the reference
// event to put on the bus instead: e's context without data, with dataref,
// size and digest.
func Offload(ctx context.Context, b Blobs, e event.Event, encoded []byte) (event.Event, error) {
	sum := sha256.Sum256(encoded)
	digest := hex.EncodeToString(sum[:])
	ref, err := b.Put(ctx, digest+".json", encoded)
	if err != nil {
		return event.Event{}, fmt.Errorf("offloading event %s (%d bytes): %w", e.ID, len(encoded), err)
	}
	r := event.Event{ID: e.ID, Source: e.Source, Subject: e.Subject, Type: e.Type, Time: e.Time,
		Extensions: map[string]string{ExtDataRef: ref, ExtSize: strconv.Itoa(len(encoded)), ExtSHA256: digest}}
	return r, nil
}

// Resolve returns the event a reference event stands for, checking size,
// digest and id; any other event is returned unchanged.
func Resolve(ctx context.Context, b Blobs, e event.Event) (event.Event, error) {
	ref := e.Extensions[ExtDataRef]
	if ref == "" {
		return e, nil
	}
	if b == nil {
		return event.Event{}, fmt.Errorf("%w: event %s refers to %s but no store is configured", ErrReference, e.ID, ref)
	}
	data, err := b.Get(ctx, ref)
	if err != nil {
		return event.Event{}, fmt.Errorf("resolving event %s: %w", e.ID, err)
	}
	if want := e.Extensions[ExtSize]; want != "" && want != strconv.Itoa(len(data)) {
		return event.Event{}, fmt.Errorf("%w: %s is %d bytes, the reference says %s", ErrReference, ref, len(data), want)
	}
	sum := sha256.Sum256(data)
	if want := e.Extensions[ExtSHA256]; want != "" && want != hex.EncodeToString(sum[:]) {
		return event.Event{}, fmt.Errorf("%w: %s does not match its digest", ErrReference, ref)
	}
	var full event.Event
	if err := json.Unmarshal(data, &full); err != nil {
		return event.Event{}, fmt.Errorf("%w: decoding %s: %w", ErrReference, ref, err)
	}
	if full.ID != e.ID {
		return event.Event{}, fmt.Errorf("%w: %s holds event %s, not %s", ErrReference, ref, full.ID, e.ID)
	}
	return full, nil
}

// Resolving wraps h so that it sees the event a reference event stands for
// (see Resolve); a reference that cannot be resolved fails the delivery.
func Resolving(b Blobs, h bus.Handler) bus.Handler {
	return func(ctx context.Context, m bus.Message) error {
		e, err := Resolve(ctx, b, m.Event)
		if err != nil {
			return err
		}
		m.Event = e
		return h(ctx, m)
	}
}
