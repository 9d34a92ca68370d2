package nats

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fc-eventing/fc-eventing/shared/sensor"
)

// DefaultBucket is the key-value bucket used when Options.Bucket is empty.
const DefaultBucket = "fce-sensor-state"

const (
	firstBackoff    = 2 * time.Millisecond
	maxBackoff      = 100 * time.Millisecond
	defaultAttempts = 32
)

// ErrConflict: Update kept losing the race for the key to other writers for
// MaxAttempts attempts. It is transient; the caller may retry.
var ErrConflict = errors.New("conditions state: too many conflicting writers")

// Options configure a State.
type Options struct {
	// Bucket is the key-value bucket, created when missing; default DefaultBucket.
	Bucket string
	// Replicas for a bucket this creates; default 1.
	Replicas int
	// MaxAttempts bounds how often Update rereads after a conflict; default 32.
	MaxAttempts int
}

// State is a sensor.State in a JetStream key-value bucket. It is safe for
// concurrent use.
type State struct {
	kv          jetstream.KeyValue
	conn        *natsgo.Conn // owned, when made by Connect
	maxAttempts int
}

var _ sensor.State = (*State)(nil)

// Connect connects to the NATS server at url (FCE_NATS_URL) and opens the
// bucket. Close releases the connection.
func Connect(ctx context.Context, url string, opts Options, natsOpts ...natsgo.Option) (*State, error) {
	nc, err := natsgo.Connect(url, append([]natsgo.Option{natsgo.Name("fc-eventing sensor state")}, natsOpts...)...)
	if err != nil {
		return nil, fmt.Errorf("conditions state in NATS: connecting to %s: %w", url, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("conditions state in NATS: %w", err)
	}
	s, err := New(ctx, js, opts)
	if err != nil {
		nc.Close()
		return nil, err
	}
	s.conn = nc
	return s, nil
}

// New opens (or creates) the bucket on an existing JetStream context.
func New(ctx context.Context, js jetstream.JetStream, opts Options) (*State, error) {
	if opts.Bucket == "" {
		opts.Bucket = DefaultBucket
	}
	if opts.Replicas <= 0 {
		opts.Replicas = 1
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = defaultAttempts
	}
	kv, err := js.KeyValue(ctx, opts.Bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket:      opts.Bucket,
			Description: "fc-eventing sensor conditions state",
			History:     1,
			Storage:     jetstream.FileStorage,
			Replicas:    opts.Replicas,
		})
		if errors.Is(err, jetstream.ErrBucketExists) {
			kv, err = js.KeyValue(ctx, opts.Bucket) // created meanwhile by another instance
		}
	}
	if err != nil {
		return nil, fmt.Errorf("conditions state in NATS: opening bucket %s: %w", opts.Bucket, err)
	}
	return &State{kv: kv, maxAttempts: opts.MaxAttempts}, nil
}

// Close closes the connection Connect made; a State from New leaves its
// connection to the caller.
func (s *State) Close() {
	if s.conn != nil {
		s.conn.Close()
	}
}

// Update implements sensor.State: read with revision, fn, revision-checked
// write; on a conflict read again and rerun fn.
func (s *State) Update(ctx context.Context, key sensor.Key, fn func(map[string]sensor.Entry) (map[string]sensor.Entry, error)) error {
	k := Key(key)
	where := fmt.Sprintf("conditions state %s in bucket %s key %s", key, s.kv.Bucket(), k)
	backoff := firstBackoff
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		var (
			rev uint64 // 0: no value stored
			raw []byte
		)
		e, err := s.kv.Get(ctx, k)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
		case err != nil:
			return fmt.Errorf("reading %s: %w", where, err)
		default:
			rev, raw = e.Revision(), e.Value()
		}
		entries := map[string]sensor.Entry{}
		if len(raw) > 0 {
			if err := json.Unmarshal(raw, &entries); err != nil {
				return fmt.Errorf("decoding %s (revision %d): %w", where, rev, err)
			}
		}
		storedEmpty := len(entries) == 0
		next, err := fn(entries)
		if err != nil {
			return err
		}
		switch {
		case storedEmpty && len(next) == 0:
			return nil // nothing stored, nothing to store
		case len(next) == 0:
			err = s.kv.Delete(ctx, k, jetstream.LastRevision(rev))
		default:
			var b []byte
			if b, err = json.Marshal(next); err != nil {
				return fmt.Errorf("encoding %s: %w", where, err)
			}
			if rev == 0 {
				_, err = s.kv.Create(ctx, k, b)
			} else {
				_, err = s.kv.Update(ctx, k, b, rev)
			}
		}
		if err == nil {
			return nil
		}
		if !isConflict(err) {
			return fmt.Errorf("writing %s: %w", where, err)
		}
		if attempt >= s.maxAttempts {
			return fmt.Errorf("writing %s: %w (%d attempts)", where, ErrConflict, attempt)
		}
		wait := time.Duration(rand.Int64N(int64(backoff))) + time.Millisecond
		backoff = min(2*backoff, maxBackoff)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return fmt.Errorf("%s: %w", where, ctx.Err())
		}
	}
}

// isConflict reports a write refused because the key changed since it was
// read (wrong last sequence, code 10071, or 10164 on replicated streams).
func isConflict(err error) bool {
	if errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
		return true
	}
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) &&
		(apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
			apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}

// Key is the bucket key of a sensor trigger's state.
func Key(k sensor.Key) string {
	return escape(k.Namespace) + "." + escape(k.Sensor) + "." + escape(k.Trigger)
}

func escape(s string) string {
	if s == "" {
		return "="
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "=%02X", c)
	}
	return b.String()
}
