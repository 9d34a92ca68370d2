package config

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// SensorAPIVersion and SensorKind identify a Sensor document.
const (
	SensorAPIVersion = "argoproj.io/v1alpha1"
	SensorKind       = "Sensor"
)

// Trigger type names, as the YAML keys of a trigger template.
const (
	TriggerArgoWorkflow = "argoWorkflow"
	TriggerK8s          = "k8s"
	TriggerLog          = "log"
)

// argoTriggerTypes are the trigger types of Argo Events v1.9 that
// fc-eventing does not carry out, by lower-cased key, with their spelling.
var argoTriggerTypes = map[string]string{
	"http": "http", "awslambda": "awsLambda", "custom": "custom", "kafka": "kafka", "nats": "nats",
	"slack": "slack", "openwhisk": "openWhisk", "azureeventhubs": "azureEventHubs", "pulsar": "pulsar",
	"azureservicebus": "azureServiceBus", "email": "email", "sns": "sns", "sqs": "sqs",
}

// ErrUnsupportedTrigger marks a trigger whose type fc-eventing does not
// carry out; the error names the type.
var ErrUnsupportedTrigger = errors.New("unsupported trigger type")

// LoadSensor reads and validates a Sensor YAML (or JSON) file.
func LoadSensor(path string) (*Sensor, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading sensor: %w", err)
	}
	return ParseSensor(path, data)
}

// ParseSensor decodes and validates a Sensor; file names the source in
// errors. Every validation error is a *FieldError carrying file and path.
//
// A stream of several YAML documents (a Sensor applied together with, say,
// its WorkflowTemplate) must hold exactly one Sensor, which is the one
// parsed.
func ParseSensor(file string, data []byte) (*Sensor, error) {
	if docs := SplitDocuments(data); len(docs) > 1 {
		var sensors [][]byte
		for _, d := range docs {
			if kind, _ := DocumentKind(d); kind == SensorKind {
				sensors = append(sensors, d)
			}
		}
		if len(sensors) != 1 {
			return nil, InFile(file, &FieldError{Msg: fmt.Sprintf("holds %d YAML documents of which %d are Sensors; want exactly one Sensor", len(docs), len(sensors))})
		}
		data = sensors[0]
	}
	var s Sensor
	if err := yaml.Unmarshal(data, &s); err != nil {
		return nil, InFile(file, &FieldError{Msg: fmt.Sprintf("decoding YAML: %v", cleanYAMLError(err))})
	}
	if err := s.Validate(); err != nil {
		return nil, InFile(file, err)
	}
	return &s, nil
}

func cleanYAMLError(err error) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "error unmarshaling JSON: while decoding JSON: ")
	msg = strings.TrimPrefix(msg, "error converting YAML to JSON: ")
	return msg
}

// Type is the trigger type the template names: "argoWorkflow", "k8s",
// "log", or "" when it names none of these.
func (t *TriggerTemplate) Type() string {
	switch {
	case t == nil:
		return ""
	case t.ArgoWorkflow != nil:
		return TriggerArgoWorkflow
	case t.K8s != nil:
		return TriggerK8s
	case t.Log != nil:
		return TriggerLog
	}
	return ""
}

// Operation is the operation the template's trigger carries out
// ("submit", "create", ...), with Argo Events' defaults filled in; "log"
// for a log trigger.
func (t *TriggerTemplate) Operation() string {
	switch t.Type() {
	case TriggerArgoWorkflow:
		if t.ArgoWorkflow.Operation == "" {
			return string(ArgoSubmit)
		}
		return string(t.ArgoWorkflow.Operation)
	case TriggerK8s:
		if t.K8s.Operation == "" {
			return string(K8sCreate)
		}
		return string(t.K8s.Operation)
	case TriggerLog:
		return TriggerLog
	}
	return ""
}

// Source is where the template's object comes from, or nil.
func (t *TriggerTemplate) Source() *ArtifactLocation {
	switch t.Type() {
	case TriggerArgoWorkflow:
		return t.ArgoWorkflow.Source
	case TriggerK8s:
		return t.K8s.Source
	}
	return nil
}

// ObjectParameters are the parameters applied to the trigger's object
// (argoWorkflow.parameters or k8s.parameters).
func (t *TriggerTemplate) ObjectParameters() []TriggerParameter {
	switch t.Type() {
	case TriggerArgoWorkflow:
		return t.ArgoWorkflow.Parameters
	case TriggerK8s:
		return t.K8s.Parameters
	}
	return nil
}

// Dependency returns the dependency named name, or nil.
func (s *Sensor) Dependency(name string) *EventDependency {
	for i := range s.Spec.Dependencies {
		if s.Spec.Dependencies[i].Name == name {
			return &s.Spec.Dependencies[i]
		}
	}
	return nil
}

var depNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_\-.]*$`)

// Validate checks the structure of the sensor: everything that can be
// checked without compiling filters, transforms and expressions (the sensor
// package does that, with the same field paths). It returns the first
// problem found as a *FieldError.
func (s *Sensor) Validate() error {
	if s.APIVersion != SensorAPIVersion {
		return Fieldf("apiVersion", "must be %q, got %q", SensorAPIVersion, s.APIVersion)
	}
	if s.Kind != SensorKind {
		return Fieldf("kind", "must be %q, got %q", SensorKind, s.Kind)
	}
	if s.Metadata.Name == "" {
		return Fieldf("metadata.name", "is required")
	}
	if len(s.Spec.Dependencies) == 0 {
		return Fieldf("spec.dependencies", "at least one dependency is required")
	}
	seen := map[string]bool{}
	for i := range s.Spec.Dependencies {
		d := &s.Spec.Dependencies[i]
		p := Path("spec", "dependencies", i)
		if err := validateDependency(p, d); err != nil {
			return err
		}
		if seen[d.Name] {
			return Fieldf(Path(p, "name"), "duplicate dependency name %q", d.Name)
		}
		seen[d.Name] = true
	}
	if len(s.Spec.Triggers) == 0 {
		return Fieldf("spec.triggers", "at least one trigger is required")
	}
	names := map[string]bool{}
	for i := range s.Spec.Triggers {
		t := &s.Spec.Triggers[i]
		p := Path("spec", "triggers", i)
		if err := s.validateTrigger(p, t); err != nil {
			return err
		}
		if names[t.Template.Name] {
			return Fieldf(Path(p, "template", "name"), "duplicate trigger name %q", t.Template.Name)
		}
		names[t.Template.Name] = true
	}
	return nil
}

func validateDependency(p string, d *EventDependency) error {
	if d.Name == "" {
		return Fieldf(Path(p, "name"), "is required")
	}
	if !depNameRE.MatchString(d.Name) {
		return Fieldf(Path(p, "name"), "%q is not a valid dependency name (letters, digits, '_', '-', '.'; not starting with a digit)", d.Name)
	}
	if d.EventSourceName == "" {
		return Fieldf(Path(p, "eventSourceName"), "is required")
	}
	if d.EventName == "" {
		return Fieldf(Path(p, "eventName"), "is required")
	}
	if err := validateOperator(Path(p, "filtersLogicalOperator"), d.FiltersLogicalOperator); err != nil {
		return err
	}
	if t := d.Transform; t != nil {
		if t.JQ != "" && t.Script != "" {
			return Fieldf(Path(p, "transform"), "only one of jq and script may be set")
		}
		if t.JQ == "" && t.Script == "" {
			return Fieldf(Path(p, "transform"), "one of jq and script is required")
		}
	}
	f := d.Filters
	if f == nil {
		return nil
	}
	fp := Path(p, "filters")
	if err := validateOperator(Path(fp, "dataLogicalOperator"), f.DataLogicalOperator); err != nil {
		return err
	}
	if err := validateOperator(Path(fp, "exprLogicalOperator"), f.ExprLogicalOperator); err != nil {
		return err
	}
	if f.Time != nil {
		if _, err := ParseTimeOfDay(f.Time.Start); err != nil {
			return Fieldf(Path(fp, "time", "start"), "%v", err)
		}
		if _, err := ParseTimeOfDay(f.Time.Stop); err != nil {
			return Fieldf(Path(fp, "time", "stop"), "%v", err)
		}
	}
	for i, df := range f.Data {
		dp := Path(fp, "data", i)
		if df.Path == "" {
			return Fieldf(Path(dp, "path"), "is required")
		}
		switch df.Type {
		case JSONTypeBool, JSONTypeNumber, JSONTypeString:
		case "":
			return Fieldf(Path(dp, "type"), "is required (bool, number or string)")
		default:
			return Fieldf(Path(dp, "type"), "unknown type %q (bool, number or string)", df.Type)
		}
		switch df.Comparator {
		case EmptyComparator, EqualTo, NotEqualTo, GreaterThan, GreaterThanOrEqualTo, LessThan, LessThanOrEqualTo:
		default:
			return Fieldf(Path(dp, "comparator"), "unknown comparator %q", df.Comparator)
		}
		if len(df.Value) == 0 {
			return Fieldf(Path(dp, "value"), "at least one value is required")
		}
	}
	for i, ef := range f.Exprs {
		ep := Path(fp, "exprs", i)
		if strings.TrimSpace(ef.Expr) == "" {
			return Fieldf(Path(ep, "expr"), "is required")
		}
		if len(ef.Fields) == 0 {
			return Fieldf(Path(ep, "fields"), "at least one field is required")
		}
		for j, fl := range ef.Fields {
			if fl.Name == "" {
				return Fieldf(Path(ep, "fields", j, "name"), "is required")
			}
			if fl.Path == "" {
				return Fieldf(Path(ep, "fields", j, "path"), "is required")
			}
		}
	}
	return nil
}

func validateOperator(p string, op LogicalOperator) error {
	switch op {
	case EmptyOperator, AndOperator, OrOperator:
		return nil
	}
	return Fieldf(p, "unknown logical operator %q (and, or)", op)
}

func (s *Sensor) validateTrigger(p string, t *Trigger) error {
	if t.Template == nil {
		return Fieldf(Path(p, "template"), "is required")
	}
	tp := Path(p, "template")
	tt := t.Template
	if tt.Name == "" {
		return Fieldf(Path(tp, "name"), "is required")
	}
	if err := validateTriggerType(tp, tt); err != nil {
		return err
	}
	switch tt.Type() {
	case TriggerArgoWorkflow:
		ap := Path(tp, "argoWorkflow")
		switch op := tt.ArgoWorkflow.Operation; op {
		case "", ArgoSubmit, ArgoSubmitFrom, ArgoResubmit, ArgoRetry, ArgoResume, ArgoSuspend, ArgoTerminate, ArgoStop:
		default:
			return Fieldf(Path(ap, "operation"), "unknown operation %q (submit, submit-from, resubmit, retry, resume, suspend, terminate, stop)", op)
		}
		if tt.ArgoWorkflow.Source == nil {
			return Fieldf(Path(ap, "source"), "is required")
		}
		if err := validateSource(Path(ap, "source"), tt.ArgoWorkflow.Source); err != nil {
			return err
		}
		if _, err := ParseArgoArgs(ArgoWorkflowOperation(tt.Operation()), tt.ArgoWorkflow.Args); err != nil {
			var fe *FieldError
			if errors.As(err, &fe) {
				c := *fe
				c.Path = Path(ap, "args") + fe.Path
				return &c
			}
			return Fieldf(Path(ap, "args"), "%v", err)
		}
		if err := s.validateParameters(Path(ap, "parameters"), tt.ArgoWorkflow.Parameters); err != nil {
			return err
		}
	case TriggerK8s:
		kp := Path(tp, "k8s")
		switch op := tt.K8s.Operation; op {
		case "", K8sCreate, K8sUpdate, K8sPatch, K8sDelete:
		default:
			return Fieldf(Path(kp, "operation"), "unknown operation %q (create, update, patch, delete)", op)
		}
		if tt.K8s.Source == nil {
			return Fieldf(Path(kp, "source"), "is required")
		}
		if err := validateSource(Path(kp, "source"), tt.K8s.Source); err != nil {
			return err
		}
		switch ps := tt.K8s.PatchStrategy; ps {
		case "", "application/json-patch+json", "application/merge-patch+json",
			"application/strategic-merge-patch+json", "application/apply-patch+yaml":
		default:
			return Fieldf(Path(kp, "patchStrategy"), "unknown patch strategy %q", ps)
		}
		if err := s.validateParameters(Path(kp, "parameters"), tt.K8s.Parameters); err != nil {
			return err
		}
	}
	if err := s.validateParameters(Path(p, "parameters"), t.Parameters); err != nil {
		return err
	}
	for i, r := range tt.ConditionsReset {
		if r.ByTime == nil {
			return Fieldf(Path(tp, "conditionsReset", i), "byTime is required")
		}
		if strings.TrimSpace(r.ByTime.Cron) == "" {
			return Fieldf(Path(tp, "conditionsReset", i, "byTime", "cron"), "is required")
		}
	}
	if t.RateLimit != nil {
		switch t.RateLimit.Unit {
		case "", Second, Minute, Hour:
		default:
			return Fieldf(Path(p, "rateLimit", "unit"), "unknown unit %q (Second, Minute, Hour)", t.RateLimit.Unit)
		}
		if t.RateLimit.RequestsPerUnit <= 0 {
			return Fieldf(Path(p, "rateLimit", "requestsPerUnit"), "must be greater than 0, got %d", t.RateLimit.RequestsPerUnit)
		}
	}
	if err := validateBackoff(Path(p, "retryStrategy"), t.RetryStrategy); err != nil {
		return err
	}
	if t.Policy != nil && t.Policy.K8s != nil {
		if err := validateBackoff(Path(p, "policy", "k8s", "backoff"), t.Policy.K8s.Backoff); err != nil {
			return err
		}
	}
	if t.DLQTrigger != nil {
		if err := s.validateTrigger(Path(p, "dlqTrigger"), t.DLQTrigger); err != nil {
			return err
		}
	}
	return nil
}

// validateTriggerType requires exactly one supported trigger type and names
// any other.
func validateTriggerType(tp string, tt *TriggerTemplate) error {
	keys := make([]string, 0, len(tt.Unsupported))
	for k := range tt.Unsupported {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if name, ok := argoTriggerTypes[strings.ToLower(k)]; ok && string(tt.Unsupported[k]) != "null" {
			return &FieldError{Path: Path(tp, k), Msg: fmt.Sprintf("%v %q: fc-eventing carries out argoWorkflow, k8s and log triggers", ErrUnsupportedTrigger, name)}
		}
	}
	n := 0
	for _, set := range []bool{tt.ArgoWorkflow != nil, tt.K8s != nil, tt.Log != nil} {
		if set {
			n++
		}
	}
	switch {
	case n > 1:
		return Fieldf(tp, "only one trigger type may be set (argoWorkflow, k8s, log)")
	case n == 0 && len(keys) > 0:
		return &FieldError{Path: Path(tp, keys[0]), Msg: fmt.Sprintf("%v %q: fc-eventing carries out argoWorkflow, k8s and log triggers", ErrUnsupportedTrigger, keys[0])}
	case n == 0:
		return Fieldf(tp, "a trigger type is required (argoWorkflow, k8s or log)")
	}
	return nil
}

func validateSource(p string, a *ArtifactLocation) error {
	n := 0
	var kinds []string
	add := func(set bool, name string) {
		if set {
			n++
			kinds = append(kinds, name)
		}
	}
	add(a.S3 != nil, "s3")
	add(a.Inline != nil, "inline")
	add(a.File != nil, "file")
	add(a.URL != nil, "url")
	add(a.Configmap != nil, "configmap")
	add(a.Git != nil, "git")
	add(len(a.Resource) > 0 && string(a.Resource) != "null", "resource")
	add(a.OSS != nil, "oss")
	if n == 0 {
		return Fieldf(p, "one of resource, inline, file, url, configmap, git, s3, oss is required")
	}
	if n > 1 {
		return Fieldf(p, "only one source may be set, got %s", strings.Join(kinds, ", "))
	}
	switch {
	case a.Resource != nil:
		if a.Resource[0] != '{' {
			return Fieldf(Path(p, "resource"), "must be an object")
		}
	case a.Inline != nil:
		if strings.TrimSpace(*a.Inline) == "" {
			return Fieldf(Path(p, "inline"), "is empty")
		}
	case a.File != nil:
		if a.File.Path == "" {
			return Fieldf(Path(p, "file", "path"), "is required")
		}
	case a.URL != nil:
		if a.URL.Path == "" {
			return Fieldf(Path(p, "url", "path"), "is required")
		}
		if !strings.HasPrefix(a.URL.Path, "http://") && !strings.HasPrefix(a.URL.Path, "https://") {
			return Fieldf(Path(p, "url", "path"), "must be an http or https URL, got %q", a.URL.Path)
		}
	case a.Configmap != nil:
		if a.Configmap.Name == "" {
			return Fieldf(Path(p, "configmap", "name"), "is required")
		}
		if a.Configmap.Key == "" {
			return Fieldf(Path(p, "configmap", "key"), "is required")
		}
	case a.Git != nil:
		if a.Git.URL == "" {
			return Fieldf(Path(p, "git", "url"), "is required")
		}
		if a.Git.FilePath == "" {
			return Fieldf(Path(p, "git", "filePath"), "is required")
		}
		refs := 0
		for _, r := range []string{a.Git.Branch, a.Git.Tag, a.Git.Ref} {
			if r != "" {
				refs++
			}
		}
		if refs > 1 {
			return Fieldf(Path(p, "git"), "only one of branch, tag and ref may be set")
		}
	case a.S3 != nil:
		if a.S3.Bucket == nil || a.S3.Bucket.Name == "" {
			return Fieldf(Path(p, "s3", "bucket", "name"), "is required")
		}
		if a.S3.Bucket.Key == "" {
			return Fieldf(Path(p, "s3", "bucket", "key"), "is required")
		}
		if a.S3.Endpoint == "" {
			return Fieldf(Path(p, "s3", "endpoint"), "is required")
		}
	case a.OSS != nil:
		if a.OSS.Bucket == "" {
			return Fieldf(Path(p, "oss", "bucket"), "is required")
		}
		if a.OSS.Key == "" {
			return Fieldf(Path(p, "oss", "key"), "is required")
		}
	}
	return nil
}

func (s *Sensor) validateParameters(p string, params []TriggerParameter) error {
	for i, prm := range params {
		pp := Path(p, i)
		if prm.Src == nil {
			return Fieldf(Path(pp, "src"), "is required")
		}
		if prm.Src.DependencyName == "" {
			return Fieldf(Path(pp, "src", "dependencyName"), "is required")
		}
		if s.Dependency(prm.Src.DependencyName) == nil {
			return Fieldf(Path(pp, "src", "dependencyName"), "unknown dependency %q", prm.Src.DependencyName)
		}
		if prm.Dest == "" {
			return Fieldf(Path(pp, "dest"), "is required")
		}
		switch prm.Operation {
		case ParamNone, ParamOverwrite, ParamAppend, ParamPrepend:
		default:
			return Fieldf(Path(pp, "operation"), "unknown operation %q (overwrite, append, prepend)", prm.Operation)
		}
	}
	return nil
}

func validateBackoff(p string, b *Backoff) error {
	if b == nil {
		return nil
	}
	if b.Duration != nil {
		d, err := b.Duration.Duration()
		if err != nil {
			return Fieldf(Path(p, "duration"), "%v", err)
		}
		if d < 0 {
			return Fieldf(Path(p, "duration"), "must not be negative")
		}
	}
	if b.Factor != nil {
		f, err := b.Factor.Float64()
		if err != nil {
			return Fieldf(Path(p, "factor"), "%v", err)
		}
		if f < 0 {
			return Fieldf(Path(p, "factor"), "must not be negative")
		}
	}
	if b.Jitter != nil {
		j, err := b.Jitter.Float64()
		if err != nil {
			return Fieldf(Path(p, "jitter"), "%v", err)
		}
		if j < 0 || j > 1 {
			return Fieldf(Path(p, "jitter"), "must be between 0 and 1, got %v", j)
		}
	}
	if b.Steps < 0 {
		return Fieldf(Path(p, "steps"), "must not be negative")
	}
	return nil
}

// TimeOfDay is a time of day in seconds after midnight.
type TimeOfDay int

// ParseTimeOfDay reads "hh:mm:ss" as Argo Events' time filter does.
func ParseTimeOfDay(s string) (TimeOfDay, error) {
	t, err := time.Parse("15:04:05", s)
	if err != nil {
		return 0, fmt.Errorf("invalid time %q, want hh:mm:ss", s)
	}
	return TimeOfDay(t.Hour()*3600 + t.Minute()*60 + t.Second()), nil
}
