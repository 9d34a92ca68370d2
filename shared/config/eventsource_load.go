package config

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"

	"github.com/expr-lang/expr"
	"sigs.k8s.io/yaml"
)

// argoEventSourceTypes are Argo Events v1.9 event-source keys fc-eventing
// does not serve, lower-cased, with their spelling.
var argoEventSourceTypes = map[string]string{
	"amqp": "amqp", "azureeventshub": "azureEventsHub", "azurequeuestorage": "azureQueueStorage",
	"azureservicebus": "azureServiceBus", "calendar": "calendar",
	"emitter": "emitter", "file": "file", "generic": "generic", "gerrit": "gerrit", "hdfs": "hdfs",
	"kafka": "kafka", "minio": "minio", "mqtt": "mqtt", "nats": "nats", "nsq": "nsq", "pubsub": "pubSub",
	"pulsar": "pulsar", "redis": "redis", "redisstream": "redisStream", "resource": "resource",
	"sftp": "sftp", "slack": "slack", "sns": "sns", "sqs": "sqs", "storagegrid": "storageGrid",
	"stripe": "stripe",
}

// eventSourceSpecKeys are the spec keys fc-eventing reads, lower-cased.
var eventSourceSpecKeys = map[string]bool{
	"eventbusname": true, "template": true, "service": true, "replicas": true,
	"github": true, "gitlab": true, "gitee": true, "codeup": true, "bitbucket": true,
	"bitbucketserver": true, "webhook": true, "mns": true, "oss": true, "eventbridge": true,
}

// LoadEventSource reads and validates an EventSource YAML (or JSON) file,
// resolving secret references from the environment.
func LoadEventSource(path string) (*EventSource, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading event source: %w", err)
	}
	return ParseEventSource(path, data)
}

// ParseEventSource decodes and validates an EventSource, resolving secret
// references from the environment; file names the source in errors. Every
// validation error is a *FieldError carrying file and path; a secret whose
// variable is unset is one, naming the variable.
func ParseEventSource(file string, data []byte) (*EventSource, error) {
	return ParseEventSourceEnv(file, data, os.LookupEnv)
}

// ParseEventSourceEnv is ParseEventSource with secrets looked up through
// lookup instead of the process environment.
func ParseEventSourceEnv(file string, data []byte, lookup func(string) (string, bool)) (*EventSource, error) {
	var es EventSource
	// A document without an unknown field anywhere decodes strictly in one
	// pass; any other is decoded leniently and its spec keys checked.
	if err := yaml.UnmarshalStrict(data, &es); err != nil {
		es = EventSource{}
		if err := decodeEventSourceLenient(file, data, &es); err != nil {
			return nil, err
		}
	}
	es.secrets = map[string]string{}
	if err := es.validate(lookup); err != nil {
		return nil, InFile(file, err)
	}
	return &es, nil
}

// decodeEventSourceLenient decodes data into es ignoring unknown fields,
// except at the top of spec, where a key is an event source type: one
// fc-eventing does not serve, or a misspelt one, is an error.
func decodeEventSourceLenient(file string, data []byte, es *EventSource) error {
	if err := yaml.Unmarshal(data, es); err != nil {
		return InFile(file, &FieldError{Msg: fmt.Sprintf("decoding YAML: %v", cleanYAMLError(err))})
	}
	var raw struct {
		Spec map[string]json.RawMessage `json:"spec"`
	}
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return InFile(file, &FieldError{Msg: fmt.Sprintf("decoding YAML: %v", cleanYAMLError(err))})
	}
	keys := make([]string, 0, len(raw.Spec))
	for k := range raw.Spec {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		lk := strings.ToLower(k)
		if eventSourceSpecKeys[lk] {
			continue
		}
		if name, ok := argoEventSourceTypes[lk]; ok {
			return InFile(file, Fieldf(Path("spec", k), "event source type %q is not supported by fc-eventing", name))
		}
		return InFile(file, Fieldf(Path("spec", k), "unknown field"))
	}
	return nil
}

// LoadEventSources reads every EventSource in dir and its subdirectories
// (*.yaml, *.yml, *.json; documents of other kinds, such as Sensors, are
// skipped). Two EventSources with the same name are an error.
func LoadEventSources(dir string) ([]*EventSource, error) {
	var out []*EventSource
	byName := map[string]string{}
	for path, err := range YAMLFiles(dir) {
		var es *EventSource
		if err == nil {
			es, err = loadEventSourceFile(path, byName)
		}
		if err != nil {
			return nil, fmt.Errorf("loading event sources from %s: %w", dir, err)
		}
		if es != nil {
			out = append(out, es)
		}
	}
	return out, nil
}

// loadEventSourceFile reads the EventSource in path and records its name in
// byName; nil when the file holds a document of another kind. A name
// already in byName is an error naming both files.
func loadEventSourceFile(path string, byName map[string]string) (*EventSource, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading event source: %w", err)
	}
	kind, err := DocumentKind(data)
	if err != nil {
		return nil, InFile(path, &FieldError{Msg: fmt.Sprintf("decoding YAML: %v", cleanYAMLError(err))})
	}
	if kind != EventSourceKind {
		return nil, nil
	}
	es, err := ParseEventSource(path, data)
	if err != nil {
		return nil, err
	}
	if prev, ok := byName[es.Metadata.Name]; ok {
		return nil, InFile(path, Fieldf("metadata.name", "event source %q is also defined in %s", es.Metadata.Name, prev))
	}
	byName[es.Metadata.Name] = path
	return es, nil
}

// WebhookRoute is the path and method a webhook event is served at: the
// configured ones, or "/<eventsource>/<event>" and POST.
func WebhookRoute(eventSource, event string, w *WebhookContext) (endpoint, method string) {
	endpoint, method = "/"+eventSource+"/"+event, http.MethodPost
	if w != nil {
		if w.Endpoint != "" {
			endpoint = w.Endpoint
		}
		if w.Method != "" {
			method = strings.ToUpper(w.Method)
		}
	}
	return endpoint, method
}

var httpMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
}

// validator walks an EventSource collecting warnings and resolving secrets.
type validator struct {
	es     *EventSource
	lookup func(string) (string, bool)
	names  map[string]string
	routes map[string]string
}

func (es *EventSource) validate(lookup func(string) (string, bool)) error {
	if es.APIVersion != EventSourceAPIVersion {
		return Fieldf("apiVersion", "must be %q, got %q", EventSourceAPIVersion, es.APIVersion)
	}
	if es.Kind != EventSourceKind {
		return Fieldf("kind", "must be %q, got %q", EventSourceKind, es.Kind)
	}
	if es.Metadata.Name == "" {
		return Fieldf("metadata.name", "is required")
	}
	v := &validator{es: es, lookup: lookup, names: map[string]string{}, routes: map[string]string{}}
	s := &es.Spec
	if len(s.Template) > 0 {
		v.warn("spec.template", "configures Argo Events' event-source pod")
	}
	if len(s.Service) > 0 {
		v.warn("spec.service", "configures Argo Events' event-source pod")
	}
	if s.Replicas != nil {
		v.warn("spec.replicas", "configures Argo Events' event-source pod")
	}
	n := len(s.Github) + len(s.Gitlab) + len(s.Gitee) + len(s.Codeup) + len(s.Bitbucket) +
		len(s.BitbucketServer) + len(s.Webhook) + len(s.MNS) + len(s.OSS) + len(s.EventBridge)
	if n == 0 {
		return Fieldf("spec", "defines no event")
	}
	if err := gitEvents(v, "github", s.Github, func(p string, e GithubEventSource) error {
		if e.APIToken != nil || len(e.GithubApp) > 0 {
			v.warn(p, "apiToken/githubApp register hooks from Argo Events' pod; register the webhook in GitHub instead")
		}
		return nil
	}); err != nil {
		return err
	}
	if err := gitEvents(v, "gitlab", s.Gitlab, func(p string, e GitlabEventSource) error {
		if e.AccessToken != nil {
			v.warn(Path(p, "accessToken"), "registers hooks from Argo Events' pod; register the webhook in GitLab instead")
		}
		return nil
	}); err != nil {
		return err
	}
	if err := gitEvents(v, "gitee", s.Gitee, func(p string, e GiteeEventSource) error {
		switch e.TokenMode {
		case "", GiteeSignature, GiteePassword:
			return nil
		}
		return Fieldf(Path(p, "tokenMode"), "must be %q or %q, got %q", GiteeSignature, GiteePassword, e.TokenMode)
	}); err != nil {
		return err
	}
	if err := gitEvents(v, "codeup", s.Codeup, nil); err != nil {
		return err
	}
	if err := gitEvents(v, "bitbucket", s.Bitbucket, func(p string, e BitbucketEventSource) error {
		if len(e.Auth) > 0 {
			v.warn(Path(p, "auth"), "registers hooks from Argo Events' pod; register the webhook in Bitbucket instead")
		}
		return nil
	}); err != nil {
		return err
	}
	if err := gitEvents(v, "bitbucketserver", s.BitbucketServer, func(p string, e BitbucketServerEventSource) error {
		if e.AccessToken != nil {
			v.warn(Path(p, "accessToken"), "registers hooks from Argo Events' pod; register the webhook in Bitbucket Server instead")
		}
		return nil
	}); err != nil {
		return err
	}
	for _, name := range sortedKeys(s.Webhook) {
		e := s.Webhook[name]
		p := Path("spec", "webhook", name)
		if err := v.event(p, name); err != nil {
			return err
		}
		if err := v.webhook(p, name, &e.WebhookContext, false); err != nil {
			return err
		}
		if err := v.auth(p, "authSecret", e.AuthSecret, e.AllowUnauthenticated); err != nil {
			return err
		}
		if err := v.filter(p, e.Filter); err != nil {
			return err
		}
	}
	for _, name := range sortedKeys(s.MNS) {
		e := s.MNS[name]
		p := Path("spec", "mns", name)
		if err := v.event(p, name); err != nil {
			return err
		}
		if e.Queue != "" && e.Topic != "" {
			return Fieldf(Path(p, "topic"), "an event takes messages of a queue or of a topic, not both (queue %q)", e.Queue)
		}
		if e.AccessKey != nil || e.SecretKey != nil || e.Endpoint != "" || e.WaitTimeSeconds != 0 {
			v.warn(p, "accessKey/secretKey/endpoint/waitTimeSeconds configure Argo Events' polling pod; messages are pushed to mns-source")
		}
		if err := v.filter(p, e.Filter); err != nil {
			return err
		}
	}
	for _, name := range sortedKeys(s.OSS) {
		e := s.OSS[name]
		p := Path("spec", "oss", name)
		if err := v.event(p, name); err != nil {
			return err
		}
		for i, pat := range e.Events {
			if strings.TrimSpace(pat) == "" {
				return Fieldf(Path(p, "events", i), "is empty")
			}
		}
		if err := v.filter(p, e.Filter); err != nil {
			return err
		}
	}
	for _, name := range sortedKeys(s.EventBridge) {
		e := s.EventBridge[name]
		p := Path("spec", "eventbridge", name)
		if err := v.event(p, name); err != nil {
			return err
		}
		if err := v.filter(p, e.Filter); err != nil {
			return err
		}
	}
	return nil
}

// gitEvents checks the events of one git provider kind, in name order: the
// name, the route, then the kind's own fields (own, may be nil), the
// secret and the filter.
func gitEvents[E interface{ Git() GitWebhook }](v *validator, kind string, events map[string]E, own func(p string, e E) error) error {
	for _, name := range sortedKeys(events) {
		e := events[name]
		g := e.Git()
		p := Path("spec", kind, name)
		if err := v.event(p, name); err != nil {
			return err
		}
		if err := v.webhook(p, name, g.Webhook, true); err != nil {
			return err
		}
		if own != nil {
			if err := own(p, e); err != nil {
				return err
			}
		}
		if err := v.auth(p, g.SecretField, g.Secret, g.AllowUnauthenticated); err != nil {
			return err
		}
		if err := v.filter(p, g.Filter); err != nil {
			return err
		}
	}
	return nil
}

func (v *validator) warn(path, msg string) {
	v.es.Warnings = append(v.es.Warnings, fmt.Sprintf("%s: ignored: %s", path, msg))
}

func (v *validator) event(p, name string) error {
	if name == "" {
		return Fieldf(p, "event name is empty")
	}
	if prev, ok := v.names[name]; ok {
		return Fieldf(p, "event name %q is also used by %s", name, prev)
	}
	v.names[name] = p
	return nil
}

// webhook checks a webhook context; nested says whether it sits under a
// "webhook" key (git providers) or inline (the generic webhook).
func (v *validator) webhook(p, name string, w *WebhookContext, nested bool) error {
	wp := p
	if nested {
		wp = Path(p, "webhook")
	}
	endpoint, method := WebhookRoute(v.es.Metadata.Name, name, w)
	if !strings.HasPrefix(endpoint, "/") {
		return Fieldf(Path(wp, "endpoint"), "must start with \"/\", got %q", endpoint)
	}
	if !httpMethods[method] {
		return Fieldf(Path(wp, "method"), "unknown HTTP method %q", method)
	}
	key := method + " " + endpoint
	if prev, ok := v.routes[key]; ok {
		return Fieldf(Path(wp, "endpoint"), "%s is also served by %s", key, prev)
	}
	v.routes[key] = p
	if w == nil {
		return nil
	}
	if w.MaxPayloadSize != nil && *w.MaxPayloadSize <= 0 {
		return Fieldf(Path(wp, "maxPayloadSize"), "must be positive, got %d", *w.MaxPayloadSize)
	}
	if w.Port != "" || w.URL != "" {
		v.warn(wp, "port/url configure Argo Events' pod and hook registration; the function URL serves the endpoint")
	}
	if w.ServerCertSecret != nil || w.ServerKeySecret != nil {
		v.warn(wp, "serverCertSecret/serverKeySecret: TLS is terminated by Function Compute")
	}
	return nil
}

// auth resolves the secret at p.field; without one the event must say
// allowUnauthenticated.
func (v *validator) auth(p, field string, ref *SecretKeySelector, allowUnauthenticated bool) error {
	fp := Path(p, field)
	if ref == nil {
		if allowUnauthenticated {
			return nil
		}
		return Fieldf(fp, "is required (set allowUnauthenticated: true to accept unauthenticated requests)")
	}
	if ref.Name == "" || ref.Key == "" {
		return Fieldf(fp, "secret reference needs both name and key")
	}
	env := SecretEnv(ref.Name, ref.Key)
	val, ok := v.lookup(env)
	if ok && val != "" {
		v.es.secrets[env] = val
		return nil
	}
	if ref.Optional != nil && *ref.Optional && allowUnauthenticated {
		return nil
	}
	return Fieldf(fp, "environment variable %s (secret %s, key %s) is not set", env, ref.Name, ref.Key)
}

func (v *validator) filter(p string, f *EventSourceFilter) error {
	if f == nil || f.Expression == "" {
		return nil
	}
	if _, err := expr.Compile(f.Expression); err != nil {
		return Fieldf(Path(p, "filter", "expression"), "%v", oneLine(err.Error()))
	}
	return nil
}

func oneLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
