package gitee

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/fc-eventing/fc-eventing/shared/config"
	"github.com/fc-eventing/fc-eventing/shared/source"
)

// Kind is the event type of Gitee events.
const Kind = "gitee"

// Gitee delivery headers.
const (
	HeaderToken     = "X-Gitee-Token"
	HeaderTimestamp = "X-Gitee-Timestamp"
	HeaderEvent     = "X-Gitee-Event"
)

// MaxSkew is how far X-Gitee-Timestamp may be from the arrival time.
const MaxSkew = time.Hour

// Hook receives the deliveries of one configured Gitee event.
type Hook struct {
	source.Git
	password bool
}

var _ source.Hook = (*Hook)(nil)

// New builds the hook of event name of es.
func New(es *config.EventSource, name string) (*Hook, error) {
	g, err := source.NewGit(es, Kind, name, es.Spec.Gitee)
	if err != nil {
		return nil, err
	}
	return &Hook{Git: g, password: es.Spec.Gitee[name].TokenMode == config.GiteePassword}, nil
}

// Sign is the signature Gitee sends for timestamp (milliseconds) and secret.
func Sign(secret string, timestamp int64) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "%d\n%s", timestamp, secret)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func (h *Hook) verify(r source.Request) error {
	token := r.Header.Get(HeaderToken)
	if h.password {
		return source.VerifyToken(h.Secret, token, HeaderToken)
	}
	if token == "" {
		return fmt.Errorf("%w: no %s header", source.ErrBadSignature, HeaderToken)
	}
	ts, err := strconv.ParseInt(r.Header.Get(HeaderTimestamp), 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %s is not a millisecond timestamp", source.ErrBadSignature, HeaderTimestamp)
	}
	if skew := r.Received.Sub(time.UnixMilli(ts)).Abs(); skew > MaxSkew {
		return fmt.Errorf("%w: %s is %s away from now", source.ErrBadSignature, HeaderTimestamp, skew.Round(time.Second))
	}
	want := []byte(Sign(h.Secret, ts))
	if subtle.ConstantTimeCompare(want, []byte(token)) == 1 {
		return nil
	}
	if unescaped, err := url.QueryUnescape(token); err == nil && subtle.ConstantTimeCompare(want, []byte(unescaped)) == 1 {
		return nil
	}
	return fmt.Errorf("%w: %s does not match", source.ErrBadSignature, HeaderToken)
}

// Handle verifies and decodes one delivery.
func (h *Hook) Handle(_ context.Context, r source.Request) (source.Outcome, error) {
	if h.Secret != "" {
		if err := h.verify(r); err != nil {
			return source.Outcome{}, fmt.Errorf("verifying Gitee delivery: %w", err)
		}
	}
	kind := r.Header.Get(HeaderEvent)
	if kind == "" {
		return source.Outcome{}, fmt.Errorf("%w: no %s header", source.ErrBadRequest, HeaderEvent)
	}
	if !h.Allow.Allows(kind) {
		return source.Outcome{Notes: []string{fmt.Sprintf("Gitee event %q is not in events of %s/%s", kind, h.Meta.EventSource, h.Meta.Event)}}, nil
	}
	body, err := source.JSONObject(r.Body)
	if err != nil {
		return source.Outcome{}, fmt.Errorf("decoding Gitee %s payload: %w", kind, err)
	}
	delete(body, "password")
	b, err := json.Marshal(body)
	if err != nil {
		return source.Outcome{}, fmt.Errorf("encoding Gitee %s payload: %w", kind, err)
	}
	headers := source.CloneHeader(r.Header)
	if h.password {
		headers.Del(HeaderToken)
	}
	e, err := h.Meta.New(source.BodyID(r.Body), r.Received, source.GitData{Headers: headers, Body: b, Metadata: h.Metadata})
	if err != nil {
		return source.Outcome{}, err
	}
	var o source.Outcome
	h.Filter.Keep(&o, e)
	return o, nil
}
