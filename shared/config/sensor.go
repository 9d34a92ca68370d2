package config

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Sensor is an argoproj.io/v1alpha1 Sensor exactly as Argo Events v1.9 users
// write it. Field names follow Argo Events' JSON names; YAML is read through
// its JSON form, so keys match case-insensitively as they do for Argo Events.
type Sensor struct {
	APIVersion string     `json:"apiVersion"`
	Kind       string     `json:"kind"`
	Metadata   ObjectMeta `json:"metadata"`
	Spec       SensorSpec `json:"spec"`
}

// ObjectMeta is the part of Kubernetes object metadata a Sensor or
// EventSource uses.
type ObjectMeta struct {
	Name         string            `json:"name,omitempty"`
	GenerateName string            `json:"generateName,omitempty"`
	Namespace    string            `json:"namespace,omitempty"`
	Labels       map[string]string `json:"labels,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
}

// SensorSpec is the body of a Sensor: the events it waits for and what it
// fires.
type SensorSpec struct {
	Dependencies []EventDependency `json:"dependencies"`
	Triggers     []Trigger         `json:"triggers"`
	// Template is the pod template Argo Events runs the sensor in; it has no
	// meaning here and is kept only so the YAML round-trips.
	Template json.RawMessage `json:"template,omitempty"`
	// ErrorOnFailedRound makes a round in which a trigger failed an error.
	ErrorOnFailedRound bool              `json:"errorOnFailedRound,omitempty"`
	EventBusName       string            `json:"eventBusName,omitempty"`
	Replicas           *int32            `json:"replicas,omitempty"`
	LoggingFields      map[string]string `json:"loggingFields,omitempty"`
}

// LogicalOperator combines filter results: "and" (the default) or "or".
type LogicalOperator string

// The logical operators Argo Events accepts; the empty value means AND.
const (
	AndOperator   LogicalOperator = "and"
	OrOperator    LogicalOperator = "or"
	EmptyOperator LogicalOperator = ""
)

// EventDependency is one event a sensor waits for, routed by
// eventSourceName/eventName (the event's CloudEvents source/subject).
type EventDependency struct {
	Name                   string                      `json:"name"`
	EventSourceName        string                      `json:"eventSourceName"`
	EventName              string                      `json:"eventName"`
	Filters                *EventDependencyFilter      `json:"filters,omitempty"`
	Transform              *EventDependencyTransformer `json:"transform,omitempty"`
	FiltersLogicalOperator LogicalOperator             `json:"filtersLogicalOperator,omitempty"`
}

// EventDependencyTransformer rewrites an event's data before the filters see
// it: a jq program or a Lua script.
type EventDependencyTransformer struct {
	JQ     string `json:"jq,omitempty"`
	Script string `json:"script,omitempty"`
}

// EventDependencyFilter is every filter of one dependency.
type EventDependencyFilter struct {
	Time                *TimeFilter     `json:"time,omitempty"`
	Context             *EventContext   `json:"context,omitempty"`
	Data                []DataFilter    `json:"data,omitempty"`
	Exprs               []ExprFilter    `json:"exprs,omitempty"`
	DataLogicalOperator LogicalOperator `json:"dataLogicalOperator,omitempty"`
	ExprLogicalOperator LogicalOperator `json:"exprLogicalOperator,omitempty"`
	Script              string          `json:"script,omitempty"`
}

// TimeFilter passes events whose time of day lies in [Start, Stop)
// (hh:mm:ss); a window with Stop before Start spans midnight.
type TimeFilter struct {
	Start    string `json:"start"`
	Stop     string `json:"stop"`
	Timezone string `json:"timezone,omitempty"`
}

// EventContext is the CloudEvents context a context filter matches exactly;
// empty fields match anything.
type EventContext struct {
	ID              string `json:"id,omitempty"`
	Source          string `json:"source,omitempty"`
	SpecVersion     string `json:"specversion,omitempty"`
	Type            string `json:"type,omitempty"`
	DataContentType string `json:"datacontenttype,omitempty"`
	Subject         string `json:"subject,omitempty"`
	Time            string `json:"time,omitempty"`
}

// JSONType is the type a data filter reads its path as.
type JSONType string

// The data filter types.
const (
	JSONTypeBool   JSONType = "bool"
	JSONTypeNumber JSONType = "number"
	JSONTypeString JSONType = "string"
)

// Comparator compares a data filter's value with the event's.
type Comparator string

// The comparators; the empty comparator means "=".
const (
	GreaterThanOrEqualTo Comparator = ">="
	GreaterThan          Comparator = ">"
	EqualTo              Comparator = "="
	NotEqualTo           Comparator = "!="
	LessThan             Comparator = "<"
	LessThanOrEqualTo    Comparator = "<="
	EmptyComparator      Comparator = ""
)

// DataFilter tests one gjson path of the event data against a list of
// values (OR-ed).
type DataFilter struct {
	Path       string     `json:"path"`
	Type       JSONType   `json:"type"`
	Value      []string   `json:"value,omitempty"`
	Comparator Comparator `json:"comparator,omitempty"`
	Template   string     `json:"template,omitempty"`
}

// ExprFilter is a govaluate expression over fields bound from gjson paths.
type ExprFilter struct {
	Expr   string         `json:"expr"`
	Fields []PayloadField `json:"fields"`
}

// PayloadField binds the value at a gjson Path to Name in an expression.
type PayloadField struct {
	Path string `json:"path"`
	Name string `json:"name"`
}

// Trigger is one action of a sensor with its parameters and policies.
type Trigger struct {
	Template      *TriggerTemplate   `json:"template,omitempty"`
	Parameters    []TriggerParameter `json:"parameters,omitempty"`
	Policy        *TriggerPolicy     `json:"policy,omitempty"`
	RetryStrategy *Backoff           `json:"retryStrategy,omitempty"`
	RateLimit     *RateLimit         `json:"rateLimit,omitempty"`
	AtLeastOnce   bool               `json:"atLeastOnce,omitempty"`
	DLQTrigger    *Trigger           `json:"dlqTrigger,omitempty"`
}

// TriggerTemplate names a trigger, the conditions under which it fires and
// exactly one trigger type. Keys for trigger types fc-eventing does not
// carry out are kept in Unsupported so validation can name them.
type TriggerTemplate struct {
	Name            string                    `json:"name"`
	Conditions      string                    `json:"conditions,omitempty"`
	K8s             *StandardK8STrigger       `json:"k8s,omitempty"`
	ArgoWorkflow    *ArgoWorkflowTrigger      `json:"argoWorkflow,omitempty"`
	Log             *LogTrigger               `json:"log,omitempty"`
	ConditionsReset []ConditionsResetCriteria `json:"conditionsReset,omitempty"`
	// Unsupported holds the keys of the template that name a trigger type
	// other than argoWorkflow, k8s and log (http, slack, ...), or any other
	// key this version does not know, with their raw values.
	Unsupported map[string]json.RawMessage `json:"-"`
}

// templateKnownKeys are the TriggerTemplate keys decoded into fields,
// lower-cased (encoding/json matches keys case-insensitively).
var templateKnownKeys = map[string]bool{
	"name": true, "conditions": true, "k8s": true, "argoworkflow": true, "log": true, "conditionsreset": true,
}

// UnmarshalJSON decodes a trigger template and records keys it does not
// model in Unsupported.
func (t *TriggerTemplate) UnmarshalJSON(b []byte) error {
	type plain TriggerTemplate
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return err
	}
	for k, v := range all {
		if templateKnownKeys[strings.ToLower(k)] {
			continue
		}
		if p.Unsupported == nil {
			p.Unsupported = map[string]json.RawMessage{}
		}
		p.Unsupported[k] = v
	}
	*t = TriggerTemplate(p)
	return nil
}

// MarshalJSON encodes the template with its unsupported keys, so a
// parameterized template round-trips.
func (t TriggerTemplate) MarshalJSON() ([]byte, error) {
	type plain TriggerTemplate
	b, err := json.Marshal(plain(t))
	if err != nil || len(t.Unsupported) == 0 {
		return b, err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return nil, err
	}
	for k, v := range t.Unsupported {
		all[k] = v
	}
	return json.Marshal(all)
}

// ConditionsResetCriteria clears a trigger's remembered dependencies.
type ConditionsResetCriteria struct {
	ByTime *ConditionsResetByTime `json:"byTime,omitempty"`
}

// ConditionsResetByTime clears the state at the times a cron schedule names.
type ConditionsResetByTime struct {
	Cron     string `json:"cron"`
	Timezone string `json:"timezone,omitempty"`
}

// KubernetesResourceOperation is what a k8s trigger does with its object.
type KubernetesResourceOperation string

// The k8s trigger operations fc-eventing carries out.
const (
	K8sCreate KubernetesResourceOperation = "create"
	K8sUpdate KubernetesResourceOperation = "update"
	K8sPatch  KubernetesResourceOperation = "patch"
	K8sDelete KubernetesResourceOperation = "delete"
)

// StandardK8STrigger creates, updates, patches or deletes a Kubernetes
// object (most often an Argo Workflow).
type StandardK8STrigger struct {
	Source        *ArtifactLocation           `json:"source,omitempty"`
	Operation     KubernetesResourceOperation `json:"operation,omitempty"`
	Parameters    []TriggerParameter          `json:"parameters,omitempty"`
	PatchStrategy string                      `json:"patchStrategy,omitempty"`
	LiveObject    bool                        `json:"liveObject,omitempty"`
}

// ArgoWorkflowOperation is an argo CLI operation.
type ArgoWorkflowOperation string

// The Argo Workflow operations.
const (
	ArgoSubmit     ArgoWorkflowOperation = "submit"
	ArgoSubmitFrom ArgoWorkflowOperation = "submit-from"
	ArgoResubmit   ArgoWorkflowOperation = "resubmit"
	ArgoRetry      ArgoWorkflowOperation = "retry"
	ArgoResume     ArgoWorkflowOperation = "resume"
	ArgoSuspend    ArgoWorkflowOperation = "suspend"
	ArgoTerminate  ArgoWorkflowOperation = "terminate"
	ArgoStop       ArgoWorkflowOperation = "stop"
)

// ArgoWorkflowTrigger carries out an Argo Workflows operation on the
// workflow its source describes; Args are the extra argo CLI arguments.
type ArgoWorkflowTrigger struct {
	Source     *ArtifactLocation     `json:"source,omitempty"`
	Operation  ArgoWorkflowOperation `json:"operation,omitempty"`
	Parameters []TriggerParameter    `json:"parameters,omitempty"`
	Args       []string              `json:"args,omitempty"`
}

// LogTrigger logs the events that fired it.
type LogTrigger struct {
	IntervalSeconds uint64 `json:"intervalSeconds,omitempty"`
}

// ArtifactLocation is where a trigger's object comes from. Exactly one is
// set. Resource and Inline are resolved by the engine; the others are
// fetched by the trigger before parameters are applied.
type ArtifactLocation struct {
	S3        *S3Artifact           `json:"s3,omitempty"`
	Inline    *string               `json:"inline,omitempty"`
	File      *FileArtifact         `json:"file,omitempty"`
	URL       *URLArtifact          `json:"url,omitempty"`
	Configmap *ConfigMapKeySelector `json:"configmap,omitempty"`
	Git       *GitArtifact          `json:"git,omitempty"`
	// Resource is the object itself, as JSON.
	Resource json.RawMessage `json:"resource,omitempty"`
	// OSS is an object in Alibaba Cloud OSS (not in Argo Events).
	OSS *OSSArtifact `json:"oss,omitempty"`
}

// S3Artifact is an object in an S3-compatible store.
type S3Artifact struct {
	Endpoint      string             `json:"endpoint"`
	Bucket        *S3Bucket          `json:"bucket"`
	Region        string             `json:"region,omitempty"`
	Insecure      bool               `json:"insecure,omitempty"`
	AccessKey     *SecretKeySelector `json:"accessKey,omitempty"`
	SecretKey     *SecretKeySelector `json:"secretKey,omitempty"`
	Metadata      map[string]string  `json:"metadata,omitempty"`
	CACertificate *SecretKeySelector `json:"caCertificate,omitempty"`
}

// S3Bucket names a bucket and the key inside it.
type S3Bucket struct {
	Key  string `json:"key,omitempty"`
	Name string `json:"name"`
}

// OSSArtifact is an object in Alibaba Cloud OSS; credentials come from the
// function's role.
type OSSArtifact struct {
	Bucket   string `json:"bucket"`
	Key      string `json:"key"`
	Endpoint string `json:"endpoint,omitempty"`
}

// FileArtifact is a file on the sensor's file system.
type FileArtifact struct {
	Path string `json:"path"`
}

// URLArtifact is an object fetched over HTTP(S).
type URLArtifact struct {
	Path       string `json:"path"`
	VerifyCert bool   `json:"verifyCert,omitempty"`
}

// ConfigMapKeySelector names a key of a ConfigMap.
type ConfigMapKeySelector struct {
	Name     string `json:"name"`
	Key      string `json:"key"`
	Optional *bool  `json:"optional,omitempty"`
}

// SecretKeySelector names a key of a secret; fc-eventing reads it from the
// environment variable SecretEnv(Name, Key).
type SecretKeySelector struct {
	Name     string `json:"name"`
	Key      string `json:"key"`
	Optional *bool  `json:"optional,omitempty"`
}

// GitArtifact is a file in a Git repository.
type GitArtifact struct {
	URL                   string             `json:"url"`
	CloneDirectory        string             `json:"cloneDirectory,omitempty"`
	Creds                 *GitCreds          `json:"creds,omitempty"`
	SSHKeySecret          *SecretKeySelector `json:"sshKeySecret,omitempty"`
	FilePath              string             `json:"filePath"`
	Branch                string             `json:"branch,omitempty"`
	Tag                   string             `json:"tag,omitempty"`
	Ref                   string             `json:"ref,omitempty"`
	Remote                *GitRemoteConfig   `json:"remote,omitempty"`
	InsecureIgnoreHostKey bool               `json:"insecureIgnoreHostKey,omitempty"`
}

// GitCreds are the user name and password of a Git repository.
type GitCreds struct {
	Username *SecretKeySelector `json:"username,omitempty"`
	Password *SecretKeySelector `json:"password,omitempty"`
}

// GitRemoteConfig is an extra Git remote to fetch from.
type GitRemoteConfig struct {
	Name string   `json:"name"`
	URLS []string `json:"urls"`
}

// TriggerParameterOperation is how a parameter's value meets the value
// already at its destination.
type TriggerParameterOperation string

// The parameter operations; empty means overwrite.
const (
	ParamOverwrite TriggerParameterOperation = "overwrite"
	ParamAppend    TriggerParameterOperation = "append"
	ParamPrepend   TriggerParameterOperation = "prepend"
	ParamNone      TriggerParameterOperation = ""
)

// TriggerParameter sets the sjson path Dest of the trigger's object (or, at
// the trigger level, of the trigger template) from an event.
type TriggerParameter struct {
	Src       *TriggerParameterSource   `json:"src,omitempty"`
	Dest      string                    `json:"dest"`
	Operation TriggerParameterOperation `json:"operation,omitempty"`
}

// TriggerParameterSource says which event and which part of it a parameter
// takes; Value is the default when that is missing.
type TriggerParameterSource struct {
	DependencyName  string  `json:"dependencyName"`
	ContextKey      string  `json:"contextKey,omitempty"`
	ContextTemplate string  `json:"contextTemplate,omitempty"`
	DataKey         string  `json:"dataKey,omitempty"`
	DataTemplate    string  `json:"dataTemplate,omitempty"`
	Value           *string `json:"value,omitempty"`
	UseRawData      bool    `json:"useRawData,omitempty"`
}

// TriggerPolicy decides whether a trigger's result counts as success.
type TriggerPolicy struct {
	K8s    *K8SResourcePolicy `json:"k8s,omitempty"`
	Status *StatusPolicy      `json:"status,omitempty"`
}

// K8SResourcePolicy waits for the created object to carry Labels.
type K8SResourcePolicy struct {
	Labels                map[string]string `json:"labels,omitempty"`
	Backoff               *Backoff          `json:"backoff,omitempty"`
	ErrorOnBackoffTimeout bool              `json:"errorOnBackoffTimeout,omitempty"`
}

// StatusPolicy lists the response statuses that count as success.
type StatusPolicy struct {
	Allow []int32 `json:"allow,omitempty"`
}

// Backoff is a retry schedule: Steps tries, the first after Duration, each
// next one Factor times longer, with Jitter.
type Backoff struct {
	Duration *Int64OrString `json:"duration,omitempty"`
	Factor   *Amount        `json:"factor,omitempty"`
	Jitter   *Amount        `json:"jitter,omitempty"`
	Steps    int32          `json:"steps,omitempty"`
}

// RateLimitUnit is the period a rate limit counts in.
type RateLimitUnit string

// The rate limit units.
const (
	Second RateLimitUnit = "Second"
	Minute RateLimitUnit = "Minute"
	Hour   RateLimitUnit = "Hour"
)

// RateLimit caps how often a trigger fires.
type RateLimit struct {
	Unit            RateLimitUnit `json:"unit,omitempty"`
	RequestsPerUnit int32         `json:"requestsPerUnit,omitempty"`
}

// Int64OrString is a JSON number or string: Argo Events' duration type
// (a number of nanoseconds, or a Go duration string such as "1s").
type Int64OrString struct {
	IsString bool
	Int64    int64
	String   string
}

// UnmarshalJSON accepts a number or a string.
func (v *Int64OrString) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*v = Int64OrString{IsString: true, String: s}
		return nil
	}
	var n int64
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("duration must be an integer or a string: %w", err)
	}
	*v = Int64OrString{Int64: n}
	return nil
}

// MarshalJSON writes the number or the string it was read as.
func (v Int64OrString) MarshalJSON() ([]byte, error) {
	if v.IsString {
		return json.Marshal(v.String)
	}
	return json.Marshal(v.Int64)
}

// Duration interprets the value: a number is nanoseconds, a string a Go
// duration (a string of digits is nanoseconds too).
func (v Int64OrString) Duration() (time.Duration, error) {
	if !v.IsString {
		return time.Duration(v.Int64), nil
	}
	if n, err := strconv.ParseInt(v.String, 10, 64); err == nil {
		return time.Duration(n), nil
	}
	d, err := time.ParseDuration(v.String)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q", v.String)
	}
	return d, nil
}

// Amount is a decimal number written as a JSON number or a numeric string.
type Amount string

// UnmarshalJSON accepts a number or a string holding one.
func (a *Amount) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*a = Amount(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("amount must be a number: %w", err)
	}
	*a = Amount(n)
	return nil
}

// MarshalJSON writes the amount as a JSON number when it is one.
func (a Amount) MarshalJSON() ([]byte, error) {
	if _, err := strconv.ParseFloat(string(a), 64); err == nil {
		return []byte(a), nil
	}
	return json.Marshal(string(a))
}

// Float64 parses the amount.
func (a Amount) Float64() (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(string(a)), 64)
	if err != nil {
		return 0, fmt.Errorf("invalid number %q", string(a))
	}
	return f, nil
}
