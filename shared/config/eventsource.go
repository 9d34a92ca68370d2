package config

import "encoding/json"

// EventSourceAPIVersion and EventSourceKind identify an EventSource document.
const (
	EventSourceAPIVersion = "argoproj.io/v1alpha1"
	EventSourceKind       = "EventSource"
)

// DefaultMaxPayloadSize is the largest webhook body accepted when
// webhook.maxPayloadSize is not set: 25 MiB, what GitHub sends at most.
const DefaultMaxPayloadSize int64 = 25 << 20

// EventSource is an argoproj.io/v1alpha1 EventSource. Keys and fields are
// Argo Events v1.9's where they exist (github, gitlab, bitbucket,
// bitbucketserver, webhook, mns); gitee, codeup, oss and eventbridge are
// fc-eventing's own. Each named event inside it is one (source, subject)
// pair of the events it produces.
type EventSource struct {
	APIVersion string          `json:"apiVersion"`
	Kind       string          `json:"kind"`
	Metadata   ObjectMeta      `json:"metadata"`
	Spec       EventSourceSpec `json:"spec"`

	// Warnings lists fields that were accepted but have no effect here
	// (Argo Events pod and hook-registration settings), one line each.
	Warnings []string `json:"-"`

	// secrets holds resolved secret values by environment variable name.
	secrets map[string]string
}

// Secret is the value a secret reference resolved to at load, "" when the
// reference is nil or was optional and unset.
func (es *EventSource) Secret(ref *SecretKeySelector) string {
	if ref == nil || es == nil {
		return ""
	}
	return es.secrets[SecretEnv(ref.Name, ref.Key)]
}

// EventSourceSpec holds the events of an EventSource by kind, each map keyed
// by event name.
type EventSourceSpec struct {
	// EventBusName, Template, Service and Replicas configure Argo Events'
	// pods; they are accepted and ignored.
	EventBusName string          `json:"eventBusName,omitempty"`
	Template     json.RawMessage `json:"template,omitempty"`
	Service      json.RawMessage `json:"service,omitempty"`
	Replicas     *int32          `json:"replicas,omitempty"`

	Github          map[string]GithubEventSource          `json:"github,omitempty"`
	Gitlab          map[string]GitlabEventSource          `json:"gitlab,omitempty"`
	Gitee           map[string]GiteeEventSource           `json:"gitee,omitempty"`
	Codeup          map[string]CodeupEventSource          `json:"codeup,omitempty"`
	Bitbucket       map[string]BitbucketEventSource       `json:"bitbucket,omitempty"`
	BitbucketServer map[string]BitbucketServerEventSource `json:"bitbucketserver,omitempty"`
	Webhook         map[string]WebhookEventSource         `json:"webhook,omitempty"`
	MNS             map[string]MNSEventSource             `json:"mns,omitempty"`
	OSS             map[string]OSSEventSource             `json:"oss,omitempty"`
	EventBridge     map[string]EventBridgeEventSource     `json:"eventbridge,omitempty"`
}

// EventSourceFilter is Argo Events' event-source filter: an expr-lang
// boolean expression over the event data's top-level keys ("-" read as
// "_"); events for which it is false are dropped.
type EventSourceFilter struct {
	Expression string `json:"expression,omitempty"`
}

// WebhookContext is where and how a webhook event is received.
type WebhookContext struct {
	// Endpoint is the request path; "/<eventsource>/<event>" when empty.
	Endpoint string `json:"endpoint,omitempty"`
	// Method is the accepted HTTP method; POST when empty.
	Method string `json:"method,omitempty"`
	// Port, URL, ServerCertSecret and ServerKeySecret configure Argo
	// Events' pod and hook registration; accepted and ignored.
	Port             string             `json:"port,omitempty"`
	URL              string             `json:"url,omitempty"`
	ServerCertSecret *SecretKeySelector `json:"serverCertSecret,omitempty"`
	ServerKeySecret  *SecretKeySelector `json:"serverKeySecret,omitempty"`
	// Metadata is copied into the event data as "metadata".
	Metadata map[string]string `json:"metadata,omitempty"`
	// AuthSecret is the bearer token the generic webhook requires.
	AuthSecret *SecretKeySelector `json:"authSecret,omitempty"`
	// MaxPayloadSize caps the body in bytes; DefaultMaxPayloadSize when nil.
	MaxPayloadSize *int64 `json:"maxPayloadSize,omitempty"`
}

// PayloadLimit is the body cap in bytes.
func (w *WebhookContext) PayloadLimit() int64 {
	if w == nil || w.MaxPayloadSize == nil {
		return DefaultMaxPayloadSize
	}
	return *w.MaxPayloadSize
}

// WebhookEventSource is the generic HTTP webhook: data {"header", "body",
// "metadata"}.
type WebhookEventSource struct {
	WebhookContext `json:",inline"`
	Filter         *EventSourceFilter `json:"filter,omitempty"`
	// AllowUnauthenticated (fc-eventing) accepts requests without
	// authSecret; without it a missing authSecret is a load error.
	AllowUnauthenticated bool `json:"allowUnauthenticated,omitempty"`
}

// GitWebhook is what the events of every git provider (github, gitlab,
// gitee, codeup, bitbucket, bitbucketserver) have in common, under the
// names each kind gives it; the kinds' Git methods return it.
type GitWebhook struct {
	Webhook *WebhookContext
	// Events is the allow-list of event types; empty allows all.
	Events []string
	// Secret verifies deliveries; SecretField is its key in the kind
	// ("webhookSecret" or "secretToken").
	Secret               *SecretKeySelector
	SecretField          string
	Metadata             map[string]string
	Filter               *EventSourceFilter
	AllowUnauthenticated bool
}

// OwnedRepositories names repositories of one owner (hook registration).
type OwnedRepositories struct {
	Owner string   `json:"owner,omitempty"`
	Names []string `json:"names,omitempty"`
}

// GithubEventSource receives GitHub webhook deliveries.
type GithubEventSource struct {
	Webhook *WebhookContext `json:"webhook,omitempty"`
	// Events is the allow-list of X-GitHub-Event values; "*" or empty
	// allows all.
	Events []string `json:"events,omitempty"`
	// WebhookSecret verifies X-Hub-Signature-256.
	WebhookSecret *SecretKeySelector `json:"webhookSecret,omitempty"`
	Metadata      map[string]string  `json:"metadata,omitempty"`
	Filter        *EventSourceFilter `json:"filter,omitempty"`
	// AllowUnauthenticated (fc-eventing) accepts unsigned deliveries.
	AllowUnauthenticated bool `json:"allowUnauthenticated,omitempty"`

	// Hook registration (Argo Events registers hooks from its pod);
	// accepted and ignored: register the webhook in GitHub instead.
	ID                 int64               `json:"id,omitempty"`
	Owner              string              `json:"owner,omitempty"`
	Repository         string              `json:"repository,omitempty"`
	APIToken           *SecretKeySelector  `json:"apiToken,omitempty"`
	Insecure           bool                `json:"insecure,omitempty"`
	Active             bool                `json:"active,omitempty"`
	ContentType        string              `json:"contentType,omitempty"`
	GithubBaseURL      string              `json:"githubBaseURL,omitempty"`
	GithubUploadURL    string              `json:"githubUploadURL,omitempty"`
	DeleteHookOnFinish bool                `json:"deleteHookOnFinish,omitempty"`
	Repositories       []OwnedRepositories `json:"repositories,omitempty"`
	Organizations      []string            `json:"organizations,omitempty"`
	GithubApp          json.RawMessage     `json:"githubApp,omitempty"`
	PayloadEnrichment  json.RawMessage     `json:"payloadEnrichment,omitempty"`
}

// Git is the part of the event every git provider has.
func (e GithubEventSource) Git() GitWebhook {
	return GitWebhook{Webhook: e.Webhook, Events: e.Events, Secret: e.WebhookSecret, SecretField: "webhookSecret",
		Metadata: e.Metadata, Filter: e.Filter, AllowUnauthenticated: e.AllowUnauthenticated}
}

// GitlabEventSource receives GitLab webhook deliveries.
type GitlabEventSource struct {
	Webhook *WebhookContext `json:"webhook,omitempty"`
	// Events allow-lists by GitLab hook option (PushEvents,
	// MergeRequestsEvents, ...); empty allows all.
	Events []string `json:"events,omitempty"`
	// SecretToken is compared with X-Gitlab-Token.
	SecretToken          *SecretKeySelector `json:"secretToken,omitempty"`
	Metadata             map[string]string  `json:"metadata,omitempty"`
	Filter               *EventSourceFilter `json:"filter,omitempty"`
	AllowUnauthenticated bool               `json:"allowUnauthenticated,omitempty"`

	// Hook registration; accepted and ignored.
	ProjectID             string             `json:"projectID,omitempty"`
	Projects              []string           `json:"projects,omitempty"`
	Groups                []string           `json:"groups,omitempty"`
	AccessToken           *SecretKeySelector `json:"accessToken,omitempty"`
	EnableSSLVerification bool               `json:"enableSSLVerification,omitempty"`
	GitlabBaseURL         string             `json:"gitlabBaseURL,omitempty"`
	DeleteHookOnFinish    bool               `json:"deleteHookOnFinish,omitempty"`
}

// Git is the part of the event every git provider has.
func (e GitlabEventSource) Git() GitWebhook {
	return GitWebhook{Webhook: e.Webhook, Events: e.Events, Secret: e.SecretToken, SecretField: "secretToken",
		Metadata: e.Metadata, Filter: e.Filter, AllowUnauthenticated: e.AllowUnauthenticated}
}

// Gitee token modes.
const (
	GiteeSignature = "signature"
	GiteePassword  = "password"
)

// GiteeEventSource (fc-eventing) receives Gitee webhook deliveries.
type GiteeEventSource struct {
	Webhook *WebhookContext `json:"webhook,omitempty"`
	// Events allow-lists X-Gitee-Event values ("Push Hook", ...); empty
	// allows all.
	Events []string `json:"events,omitempty"`
	// WebhookSecret is the signing key (tokenMode signature, the default)
	// or the password (tokenMode password).
	WebhookSecret        *SecretKeySelector `json:"webhookSecret,omitempty"`
	TokenMode            string             `json:"tokenMode,omitempty"`
	Metadata             map[string]string  `json:"metadata,omitempty"`
	Filter               *EventSourceFilter `json:"filter,omitempty"`
	AllowUnauthenticated bool               `json:"allowUnauthenticated,omitempty"`
}

// Git is the part of the event every git provider has.
func (e GiteeEventSource) Git() GitWebhook {
	return GitWebhook{Webhook: e.Webhook, Events: e.Events, Secret: e.WebhookSecret, SecretField: "webhookSecret",
		Metadata: e.Metadata, Filter: e.Filter, AllowUnauthenticated: e.AllowUnauthenticated}
}

// CodeupEventSource (fc-eventing) receives Alibaba Cloud Codeup webhook
// deliveries (GitLab-shaped bodies, X-Codeup-Token).
type CodeupEventSource struct {
	Webhook *WebhookContext `json:"webhook,omitempty"`
	// Events allow-lists X-Codeup-Event values ("Push Hook", ...); empty
	// allows all.
	Events               []string           `json:"events,omitempty"`
	SecretToken          *SecretKeySelector `json:"secretToken,omitempty"`
	Metadata             map[string]string  `json:"metadata,omitempty"`
	Filter               *EventSourceFilter `json:"filter,omitempty"`
	AllowUnauthenticated bool               `json:"allowUnauthenticated,omitempty"`
}

// Git is the part of the event every git provider has.
func (e CodeupEventSource) Git() GitWebhook {
	return GitWebhook{Webhook: e.Webhook, Events: e.Events, Secret: e.SecretToken, SecretField: "secretToken",
		Metadata: e.Metadata, Filter: e.Filter, AllowUnauthenticated: e.AllowUnauthenticated}
}

// BitbucketRepository names a Bitbucket Cloud repository.
type BitbucketRepository struct {
	Owner          string `json:"owner"`
	RepositorySlug string `json:"repositorySlug"`
}

// BitbucketEventSource receives Bitbucket Cloud webhook deliveries.
type BitbucketEventSource struct {
	Webhook *WebhookContext `json:"webhook,omitempty"`
	// Events allow-lists X-Event-Key values ("repo:push", ...); empty
	// allows all.
	Events []string `json:"events,omitempty"`
	// WebhookSecret (fc-eventing) verifies X-Hub-Signature.
	WebhookSecret        *SecretKeySelector `json:"webhookSecret,omitempty"`
	Metadata             map[string]string  `json:"metadata,omitempty"`
	Filter               *EventSourceFilter `json:"filter,omitempty"`
	AllowUnauthenticated bool               `json:"allowUnauthenticated,omitempty"`

	// Hook registration; accepted and ignored.
	Auth               json.RawMessage       `json:"auth,omitempty"`
	Owner              string                `json:"owner,omitempty"`
	ProjectKey         string                `json:"projectKey,omitempty"`
	RepositorySlug     string                `json:"repositorySlug,omitempty"`
	Repositories       []BitbucketRepository `json:"repositories,omitempty"`
	DeleteHookOnFinish bool                  `json:"deleteHookOnFinish,omitempty"`
}

// Git is the part of the event every git provider has.
func (e BitbucketEventSource) Git() GitWebhook {
	return GitWebhook{Webhook: e.Webhook, Events: e.Events, Secret: e.WebhookSecret, SecretField: "webhookSecret",
		Metadata: e.Metadata, Filter: e.Filter, AllowUnauthenticated: e.AllowUnauthenticated}
}

// BitbucketServerRepository names a Bitbucket Server repository.
type BitbucketServerRepository struct {
	ProjectKey     string `json:"projectKey"`
	RepositorySlug string `json:"repositorySlug"`
}

// BitbucketServerEventSource receives Bitbucket Server / Data Center webhook
// deliveries.
type BitbucketServerEventSource struct {
	Webhook *WebhookContext `json:"webhook,omitempty"`
	// Events allow-lists X-Event-Key values ("repo:refs_changed", ...);
	// empty allows all.
	Events []string `json:"events,omitempty"`
	// WebhookSecret verifies X-Hub-Signature.
	WebhookSecret        *SecretKeySelector `json:"webhookSecret,omitempty"`
	Metadata             map[string]string  `json:"metadata,omitempty"`
	Filter               *EventSourceFilter `json:"filter,omitempty"`
	AllowUnauthenticated bool               `json:"allowUnauthenticated,omitempty"`

	// Hook registration and polling; accepted and ignored.
	ProjectKey                    string                      `json:"projectKey,omitempty"`
	RepositorySlug                string                      `json:"repositorySlug,omitempty"`
	Projects                      []string                    `json:"projects,omitempty"`
	Repositories                  []BitbucketServerRepository `json:"repositories,omitempty"`
	SkipBranchRefsChangedOnOpenPR bool                        `json:"skipBranchRefsChangedOnOpenPR,omitempty"`
	AccessToken                   *SecretKeySelector          `json:"accessToken,omitempty"`
	BitbucketServerBaseURL        string                      `json:"bitbucketserverBaseURL,omitempty"`
	DeleteHookOnFinish            bool                        `json:"deleteHookOnFinish,omitempty"`
	TLS                           json.RawMessage             `json:"tls,omitempty"`
	CheckInterval                 string                      `json:"checkInterval,omitempty"`
}

// Git is the part of the event every git provider has.
func (e BitbucketServerEventSource) Git() GitWebhook {
	return GitWebhook{Webhook: e.Webhook, Events: e.Events, Secret: e.WebhookSecret, SecretField: "webhookSecret",
		Metadata: e.Metadata, Filter: e.Filter, AllowUnauthenticated: e.AllowUnauthenticated}
}

// MNSEventSource receives SMQ (formerly MNS) messages pushed to the
// mns-source function by a topic subscription or a queue trigger.
type MNSEventSource struct {
	// Queue and Topic select messages by queue or topic name; both empty
	// accepts every message that reaches the function.
	Queue string `json:"queue,omitempty"`
	Topic string `json:"topic,omitempty"`
	// JSONBody parses the message body as JSON into data.body.
	JSONBody bool               `json:"jsonBody,omitempty"`
	Metadata map[string]string  `json:"metadata,omitempty"`
	Filter   *EventSourceFilter `json:"filter,omitempty"`

	// Polling settings of Argo Events' pod; accepted and ignored (messages
	// are pushed to the function).
	AccessKey       *SecretKeySelector `json:"accessKey,omitempty"`
	SecretKey       *SecretKeySelector `json:"secretKey,omitempty"`
	WaitTimeSeconds int64              `json:"waitTimeSeconds,omitempty"`
	Endpoint        string             `json:"endpoint,omitempty"`
}

// OSSEventSource (fc-eventing) selects OSS event notifications.
type OSSEventSource struct {
	// Bucket is the bucket name; empty matches any.
	Bucket string `json:"bucket,omitempty"`
	// Events are event-name patterns such as "ObjectCreated:*", with or
	// without the "oss:" prefix; empty matches any.
	Events []string `json:"events,omitempty"`
	// Prefix and Suffix constrain the object key.
	Prefix   string             `json:"prefix,omitempty"`
	Suffix   string             `json:"suffix,omitempty"`
	Metadata map[string]string  `json:"metadata,omitempty"`
	Filter   *EventSourceFilter `json:"filter,omitempty"`
}

// EventBridgeEventSource (fc-eventing) selects EventBridge events.
type EventBridgeEventSource struct {
	// Source and Type are patterns ("*" matches any run of characters) on
	// the CloudEvent's source and type; empty matches any.
	Source   string             `json:"source,omitempty"`
	Type     string             `json:"type,omitempty"`
	Metadata map[string]string  `json:"metadata,omitempty"`
	Filter   *EventSourceFilter `json:"filter,omitempty"`
}
