package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
)

func init() {
	register(command{
		name:    "emit",
		summary: "send a sample delivery (GitHub, GitLab, webhook, OSS, SMQ, EventBridge) to a running serve",
		run:     runEmit,
	})
}

// emitKind is one kind of sample delivery: its events and how each is
// built and signed.
type emitKind struct {
	events   []string
	fallback string // the event when none is named
	build    func(o emitOptions, event string) (*http.Request, error)
}

// emitOptions are the flags of emit.
type emitOptions struct {
	to       string
	secret   string
	delivery string
	ref      string
	repo     string
	key      string
	bucket   string
	data     string
	topic    string
	now      time.Time
}

var emitKinds = map[string]emitKind{
	"github":      {events: []string{"push", "ping", "pull_request"}, fallback: "push", build: githubDelivery},
	"gitlab":      {events: []string{"push"}, fallback: "push", build: gitlabDelivery},
	"gitee":       {events: []string{"push"}, fallback: "push", build: giteeDelivery},
	"codeup":      {events: []string{"push"}, fallback: "push", build: codeupDelivery},
	"bitbucket":   {events: []string{"push"}, fallback: "push", build: bitbucketDelivery},
	"webhook":     {events: []string{"post"}, fallback: "post", build: webhookDelivery},
	"oss":         {events: []string{"put", "delete"}, fallback: "put", build: ossDelivery},
	"mns":         {events: []string{"topic"}, fallback: "topic", build: mnsDelivery},
	"eventbridge": {events: []string{"ecs-running"}, fallback: "ecs-running", build: eventbridgeDelivery},
}

func emitUsage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintln(w, "usage: fceventing emit KIND [EVENT] --to URL [--secret S] [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "kinds and events (the first is the default):")
	for _, n := range kindNames() {
		fmt.Fprintf(w, "  %-12s %s\n", n, strings.Join(emitKinds[n].events, ", "))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "github and bitbucket sign with HMAC-SHA256 (X-Hub-Signature-256, X-Hub-Signature), gitee")
	fmt.Fprintln(w, "signs its timestamp (X-Gitee-Token), gitlab and codeup send the token, webhook sends")
	fmt.Fprintln(w, "Authorization: Bearer; oss, mns and eventbridge send the payload FC hands oss-source,")
	fmt.Fprintln(w, "mns-source and eventbridge-source: POST them to /fc/oss-source, /fc/mns-source, /fc/eventbridge-source.")
	fmt.Fprintln(w)
	fs.PrintDefaults()
}

func kindNames() []string {
	names := make([]string, 0, len(emitKinds))
	for n := range emitKinds {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func runEmit(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("fceventing emit", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var o emitOptions
	fs.StringVar(&o.to, "to", "", "`url` to send the delivery to (required), e.g. http://127.0.0.1:12000/github/push")
	fs.StringVar(&o.secret, "secret", "", "webhook `secret` (GitHub HMAC key, GitLab token, bearer token)")
	fs.StringVar(&o.delivery, "delivery", "", "delivery `id` (default: a new UUID; repeat one to test redelivery)")
	fs.StringVar(&o.ref, "ref", "refs/heads/main", "git `ref` of a push")
	fs.StringVar(&o.repo, "repo", "example/app", "`owner/name` of the repository")
	fs.StringVar(&o.bucket, "bucket", "example-ingest", "OSS `bucket`")
	fs.StringVar(&o.key, "key", "incoming/orders.csv", "OSS object `key`")
	fs.StringVar(&o.data, "data", "", "JSON `body` of a generic webhook or SMQ message (default: a small sample)")
	fs.StringVar(&o.topic, "topic", "orders", "SMQ `topic` of an mns message")
	fs.Usage = func() { emitUsage(e.stderr, fs) }
	// The kind and event come first; flags follow.
	var pos []string
	for len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		pos, args = append(pos, args[0]), args[1:]
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	pos = append(pos, fs.Args()...)
	if len(pos) == 0 || len(pos) > 2 {
		fs.Usage()
		return exitInvalid
	}
	kind, ok := emitKinds[pos[0]]
	if !ok {
		return invalid(e, fmt.Errorf("unknown kind %q (want one of: %s)", pos[0], strings.Join(kindNames(), ", ")))
	}
	event := kind.fallback
	if len(pos) == 2 {
		event = pos[1]
	}
	known := false
	for _, ev := range kind.events {
		known = known || ev == event
	}
	if !known {
		return invalid(e, fmt.Errorf("unknown %s event %q (want %s)", pos[0], event, strings.Join(kind.events, ", ")))
	}
	if o.to == "" {
		return invalid(e, errors.New("--to is required"))
	}
	if u, err := url.Parse(o.to); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return invalid(e, fmt.Errorf("--to: %q is not an http(s) URL", o.to))
	}
	if o.delivery == "" {
		o.delivery = uuid.NewString()
	}
	o.now = time.Now().UTC()
	req, err := kind.build(o, event)
	if err != nil {
		return invalid(e, err)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		fmt.Fprintf(e.stderr, "fceventing: sending %s %s: %v\n", pos[0], event, err)
		return exitFailure
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	fmt.Fprintf(e.stdout, "%s %s delivery %s -> %s\n%s\n", pos[0], event, o.delivery, resp.Status, bytes.TrimSpace(body))
	if resp.StatusCode/100 != 2 {
		return exitFailure
	}
	return exitOK
}

func jsonRequest(to string, body []byte) (*http.Request, error) {
	req, err := http.NewRequest(http.MethodPost, to, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("building request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	return req, nil
}

// githubDelivery is a delivery as GitHub sends it: X-GitHub-Event,
// X-GitHub-Delivery and, with a secret, X-Hub-Signature-256 (HMAC-SHA256
// of the exact body).
func githubDelivery(o emitOptions, event string) (*http.Request, error) {
	owner, name, _ := strings.Cut(o.repo, "/")
	repo := map[string]any{
		"id": 1296269, "name": name, "full_name": o.repo, "private": false,
		"owner":          map[string]any{"login": owner, "name": owner},
		"html_url":       "https://github.com/" + o.repo,
		"clone_url":      "https://github.com/" + o.repo + ".git",
		"default_branch": "main",
	}
	sender := map[string]any{"login": "octocat", "id": 583231, "type": "User"}
	var payload map[string]any
	switch event {
	case "push":
		after := sha1Hex(o.delivery)
		commit := map[string]any{
			"id": after, "message": "Update the README", "timestamp": o.now.Format(time.RFC3339),
			"author": map[string]any{"name": "Mona Lisa Octocat", "email": "octocat@github.com", "username": "octocat"},
			"url":    "https://github.com/" + o.repo + "/commit/" + after,
			"added":  []string{}, "removed": []string{}, "modified": []string{"README.md"},
		}
		payload = map[string]any{
			"ref": o.ref, "before": sha1Hex("before-" + o.delivery), "after": after,
			"created": false, "deleted": false, "forced": false,
			"compare":     "https://github.com/" + o.repo + "/compare/" + after[:12],
			"commits":     []any{commit},
			"head_commit": commit,
			"repository":  repo,
			"pusher":      map[string]any{"name": "octocat", "email": "octocat@github.com"},
			"sender":      sender,
		}
	case "ping":
		payload = map[string]any{"zen": "Keep it logically awesome.", "hook_id": 1, "repository": repo, "sender": sender}
	case "pull_request":
		payload = map[string]any{
			"action": "opened", "number": 1,
			"pull_request": map[string]any{
				"number": 1, "state": "open", "title": "Update the README",
				"head": map[string]any{"ref": "feature", "sha": sha1Hex(o.delivery)},
				"base": map[string]any{"ref": "main"},
			},
			"repository": repo, "sender": sender,
		}
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("encoding GitHub %s payload: %w", event, err)
	}
	req, err := jsonRequest(o.to, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "GitHub-Hookshot/fceventing-emit")
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", o.delivery)
	req.Header.Set("X-GitHub-Hook-ID", "1")
	if o.secret != "" {
		mac := hmac.New(sha256.New, []byte(o.secret))
		mac.Write(body)
		req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	}
	return req, nil
}

// gitlabDelivery is a push as GitLab sends it: X-Gitlab-Event, the event
// UUID and, with a secret, X-Gitlab-Token.
func gitlabDelivery(o emitOptions, _ string) (*http.Request, error) {
	after := sha1Hex(o.delivery)
	payload := map[string]any{
		"object_kind": "push", "event_name": "push", "ref": o.ref,
		"before": sha1Hex("before-" + o.delivery), "after": after, "checkout_sha": after,
		"user_name": "Administrator", "user_username": "root",
		"project": map[string]any{
			"id": 15, "name": o.repo[strings.Index(o.repo, "/")+1:], "path_with_namespace": o.repo,
			"git_http_url": "https://gitlab.example.com/" + o.repo + ".git", "default_branch": "main",
		},
		"commits": []any{map[string]any{
			"id": after, "message": "Update the README", "timestamp": o.now.Format(time.RFC3339),
			"author": map[string]any{"name": "Administrator", "email": "admin@example.com"},
		}},
		"total_commits_count": 1,
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("encoding GitLab push payload: %w", err)
	}
	req, err := jsonRequest(o.to, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "GitLab/17.0.0")
	req.Header.Set("X-Gitlab-Event", "Push Hook")
	req.Header.Set("X-Gitlab-Event-UUID", o.delivery)
	req.Header.Set("Idempotency-Key", o.delivery)
	if o.secret != "" {
		req.Header.Set("X-Gitlab-Token", o.secret)
	}
	return req, nil
}

// pushBody is a small push payload in the common git-hosting shape.
func pushBody(o emitOptions) map[string]any {
	after := sha1Hex(o.delivery)
	return map[string]any{
		"ref": o.ref, "before": sha1Hex("before-" + o.delivery), "after": after,
		"repository":          map[string]any{"full_name": o.repo, "name": o.repo[strings.Index(o.repo, "/")+1:]},
		"commits":             []any{map[string]any{"id": after, "message": "Update the README", "timestamp": o.now.Format(time.RFC3339)}},
		"head_commit":         map[string]any{"id": after, "message": "Update the README"},
		"total_commits_count": 1,
	}
}

// giteeDelivery is a push as Gitee sends it in signature mode: the
// timestamp in X-Gitee-Timestamp and its HMAC in X-Gitee-Token.
func giteeDelivery(o emitOptions, _ string) (*http.Request, error) {
	body, err := json.Marshal(pushBody(o))
	if err != nil {
		return nil, fmt.Errorf("encoding Gitee push payload: %w", err)
	}
	req, err := jsonRequest(o.to, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "git-oschina-hook")
	req.Header.Set("X-Gitee-Event", "Push Hook")
	if o.secret != "" {
		ts := o.now.UnixMilli()
		mac := hmac.New(sha256.New, []byte(o.secret))
		fmt.Fprintf(mac, "%d\n%s", ts, o.secret)
		req.Header.Set("X-Gitee-Timestamp", fmt.Sprint(ts))
		req.Header.Set("X-Gitee-Token", base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	}
	return req, nil
}

// codeupDelivery is a push as Codeup sends it, with the token in
// X-Codeup-Token.
func codeupDelivery(o emitOptions, _ string) (*http.Request, error) {
	body, err := json.Marshal(pushBody(o))
	if err != nil {
		return nil, fmt.Errorf("encoding Codeup push payload: %w", err)
	}
	req, err := jsonRequest(o.to, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("X-Codeup-Event", "Push Hook")
	if o.secret != "" {
		req.Header.Set("X-Codeup-Token", o.secret)
	}
	return req, nil
}

// bitbucketDelivery is a repo:push as Bitbucket Cloud sends it, signed in
// X-Hub-Signature with the request id in X-Request-UUID.
func bitbucketDelivery(o emitOptions, _ string) (*http.Request, error) {
	after := sha1Hex(o.delivery)
	body, err := json.Marshal(map[string]any{
		"actor":      map[string]any{"display_name": "Mona", "type": "user"},
		"repository": map[string]any{"full_name": o.repo, "type": "repository"},
		"push": map[string]any{"changes": []any{map[string]any{
			"new": map[string]any{"type": "branch", "name": strings.TrimPrefix(o.ref, "refs/heads/"), "target": map[string]any{"hash": after, "message": "Update the README"}},
		}}},
	})
	if err != nil {
		return nil, fmt.Errorf("encoding Bitbucket push payload: %w", err)
	}
	req, err := jsonRequest(o.to, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "Bitbucket-Webhooks/2.0")
	req.Header.Set("X-Event-Key", "repo:push")
	req.Header.Set("X-Request-UUID", o.delivery)
	req.Header.Set("X-Hook-UUID", "{fceventing-emit}")
	if o.secret != "" {
		mac := hmac.New(sha256.New, []byte(o.secret))
		mac.Write(body)
		req.Header.Set("X-Hub-Signature", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	}
	return req, nil
}

// webhookDelivery is a generic JSON POST with an Idempotency-Key and, with
// a secret, a bearer token.
func webhookDelivery(o emitOptions, _ string) (*http.Request, error) {
	body := []byte(o.data)
	if o.data == "" {
		body = []byte(`{"repository":"payments","tag":"v1.8.2","approved":true,"user":"ann"}`)
	}
	if !json.Valid(body) {
		return nil, errors.New("--data is not valid JSON")
	}
	req, err := jsonRequest(o.to, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Idempotency-Key", o.delivery)
	if o.secret != "" {
		req.Header.Set("Authorization", "Bearer "+o.secret)
	}
	return req, nil
}

// ossDelivery is the payload the OSS trigger hands oss-source: one
// notification record.
func ossDelivery(o emitOptions, event string) (*http.Request, error) {
	name, size, etag := "ObjectCreated:PutObject", 48213, strings.ToUpper(sha1Hex(o.key)[:32])
	if event == "delete" {
		name, size, etag = "ObjectRemoved:DeleteObject", 0, ""
	}
	// The request id names the upstream delivery: it makes the event id.
	reqID := strings.ToUpper(strings.ReplaceAll(o.delivery, "-", ""))
	if len(reqID) > 24 {
		reqID = reqID[:24]
	}
	rec := map[string]any{
		"eventName": name, "eventSource": "acs:oss", "eventVersion": "1.0",
		"eventTime": o.now.Format("2006-01-02T15:04:05.000Z"), "region": "cn-hangzhou",
		"oss": map[string]any{
			"bucket":           map[string]any{"name": o.bucket, "arn": "acs:oss:cn-hangzhou:1234567890123456:" + o.bucket, "ownerIdentity": "1234567890123456"},
			"object":           map[string]any{"key": o.key, "size": size, "eTag": etag, "deltaSize": size},
			"ossSchemaVersion": "1.0", "ruleId": "fceventing-emit",
		},
		"requestParameters": map[string]any{"sourceIPAddress": "203.0.113.17"},
		"responseElements":  map[string]any{"requestId": reqID},
		"userIdentity":      map[string]any{"principalId": "203456789012345678"},
	}
	body, err := json.Marshal(map[string]any{"events": []any{rec}})
	if err != nil {
		return nil, fmt.Errorf("encoding OSS notification: %w", err)
	}
	return jsonRequest(o.to, body)
}

// mnsDelivery is the payload an SMQ topic subscription in JSON format
// hands mns-source: the message and its metadata.
func mnsDelivery(o emitOptions, _ string) (*http.Request, error) {
	msg := o.data
	if msg == "" {
		msg = `{"orderId":"A-1001","amount":42.5}`
	}
	if !json.Valid([]byte(msg)) {
		return nil, errors.New("--data is not valid JSON")
	}
	id := strings.ToUpper(strings.ReplaceAll(o.delivery, "-", ""))
	sum := sha256.Sum256([]byte(msg))
	body, err := json.Marshal(map[string]any{
		"TopicOwner": "1234567890123456", "Subscriber": "1234567890123456",
		"TopicName": o.topic, "SubscriptionName": "fc-eventing-" + o.topic,
		"Message": msg, "MessageId": id, "MessageMD5": strings.ToUpper(hex.EncodeToString(sum[:16])),
		"PublishTime": o.now.UnixMilli(),
	})
	if err != nil {
		return nil, fmt.Errorf("encoding SMQ message: %w", err)
	}
	return jsonRequest(o.to, body)
}

// eventbridgeDelivery is the CloudEvent an EventBridge rule hands
// eventbridge-source: an ECS instance that reached Running.
func eventbridgeDelivery(o emitOptions, _ string) (*http.Request, error) {
	body, err := json.Marshal(map[string]any{
		"specversion": "1.0", "id": o.delivery, "source": "acs.ecs", "type": "ecs:Instance:StateChange",
		"subject": "acs.ecs:cn-hangzhou:1234567890123456:215672", "time": o.now.Format(time.RFC3339Nano),
		"datacontenttype": "application/json;charset=utf-8", "aliyunaccountid": "1234567890123456",
		"aliyuneventbusname": "default", "aliyunregionid": "cn-hangzhou",
		"data": map[string]any{"instanceId": "i-" + sha1Hex(o.delivery)[:20], "state": "Running"},
	})
	if err != nil {
		return nil, fmt.Errorf("encoding EventBridge event: %w", err)
	}
	return jsonRequest(o.to, body)
}

// sha1Hex is a 40-hex-digit commit-like id derived from s.
func sha1Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:20])
}
