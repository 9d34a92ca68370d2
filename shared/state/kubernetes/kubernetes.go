package kubernetes

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
	"unicode/utf8"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/fc-eventing/fc-eventing/shared/sensor"
)

// Names and labels of the state objects.
const (
	NamePrefix      = "fce-state"
	DataKey         = "entries"
	KeyAnnotation   = "fc-eventing.io/state-key"
	LabelManagedBy  = "app.kubernetes.io/managed-by"
	LabelComponent  = "app.kubernetes.io/component"
	ManagedBy       = "fc-eventing"
	ComponentState  = "sensor-state"
	maxSlug         = 40
	firstBackoff    = 5 * time.Millisecond
	maxBackoff      = 250 * time.Millisecond
	defaultAttempts = 32
)

// ErrConflict: Update kept losing the race for the ConfigMap to other
// writers for MaxAttempts attempts. It is transient; the caller may retry.
var ErrConflict = errors.New("conditions state: too many conflicting writers")

// Options configure a State.
type Options struct {
	// Namespace holds the ConfigMaps. Required.
	Namespace string
	// MaxAttempts bounds how often Update rereads after a conflict; default 32.
	MaxAttempts int
}

// configMaps is the resource of the state objects. They are handled as unstructured objects
// through the dynamic client: client-go's typed clientset links a scheme of every built-in
// type, whose registration alone costs a function several milliseconds of cold start.
var configMaps = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}

// State is a sensor.State stored in ConfigMaps. It is safe for concurrent use.
type State struct {
	cms         dynamic.ResourceInterface
	namespace   string
	maxAttempts int
}

var _ sensor.State = (*State)(nil)

// New connects to the API server described by cfg. Client-side rate
// limiting is raised to 50 QPS (burst 100) unless cfg sets it: a sensor
// under load updates state several times per event.
func New(cfg *rest.Config, opts Options) (*State, error) {
	if cfg == nil {
		return nil, errors.New("conditions state in Kubernetes: no API server configuration")
	}
	c := rest.CopyConfig(cfg)
	if c.QPS == 0 {
		c.QPS, c.Burst = 50, 100
	}
	client, err := dynamic.NewForConfig(c)
	if err != nil {
		return nil, fmt.Errorf("conditions state in Kubernetes: creating client: %w", err)
	}
	return NewForClient(client, opts)
}

// NewForClient uses an existing dynamic client.
func NewForClient(client dynamic.Interface, opts Options) (*State, error) {
	if opts.Namespace == "" {
		return nil, errors.New("conditions state in Kubernetes: no namespace")
	}
	if errs := validation.IsDNS1123Label(opts.Namespace); len(errs) > 0 {
		return nil, fmt.Errorf("conditions state in Kubernetes: namespace %q: %s", opts.Namespace, strings.Join(errs, "; "))
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = defaultAttempts
	}
	return &State{
		cms:         client.Resource(configMaps).Namespace(opts.Namespace),
		namespace:   opts.Namespace,
		maxAttempts: opts.MaxAttempts,
	}, nil
}

// Update implements sensor.State: read, fn, write with the resourceVersion
// read; on a conflict read again and rerun fn.
func (s *State) Update(ctx context.Context, key sensor.Key, fn func(map[string]sensor.Entry) (map[string]sensor.Entry, error)) error {
	name := ObjectName(key)
	where := fmt.Sprintf("conditions state %s in ConfigMap %s/%s", key, s.namespace, name)
	backoff := firstBackoff
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		cm, err := s.cms.Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			cm = nil // created by write
		} else if err != nil {
			return fmt.Errorf("reading %s: %w", where, err)
		}
		entries, err := decode(cm, key)
		if err != nil {
			return fmt.Errorf("reading %s: %w", where, err)
		}
		storedEmpty := len(entries) == 0
		next, err := fn(entries)
		if err != nil {
			return err
		}
		if storedEmpty && len(next) == 0 {
			return nil // nothing stored, nothing to store
		}
		conflict, err := s.write(ctx, cm, key, name, next)
		if err != nil {
			return fmt.Errorf("writing %s: %w", where, err)
		}
		if !conflict {
			return nil
		}
		if attempt >= s.maxAttempts {
			return fmt.Errorf("writing %s: %w (%d attempts)", where, ErrConflict, attempt)
		}
		// Full jitter keeps racing instances from retrying in lockstep.
		wait := time.Duration(rand.Int64N(int64(backoff))) + time.Millisecond
		backoff = min(2*backoff, maxBackoff)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return fmt.Errorf("%s: %w", where, ctx.Err())
		}
	}
}

// write stores entries, creating the ConfigMap when cm is nil. conflict
// reports that another writer got there first.
func (s *State) write(ctx context.Context, cm *unstructured.Unstructured, key sensor.Key, name string, entries map[string]sensor.Entry) (conflict bool, err error) {
	if cm == nil {
		cm = newConfigMap(key, name)
		if err := encode(cm, entries); err != nil {
			return false, err
		}
		_, err := s.cms.Create(ctx, cm, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			return true, nil
		}
		return false, err
	}
	if err := encode(cm, entries); err != nil {
		return false, err
	}
	_, err = s.cms.Update(ctx, cm, metav1.UpdateOptions{})
	if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
		return true, nil
	}
	return false, err
}

type storedKey struct {
	Namespace string `json:"namespace"`
	Sensor    string `json:"sensor"`
	Trigger   string `json:"trigger"`
}

func keyJSON(k sensor.Key) string {
	b, _ := json.Marshal(storedKey{k.Namespace, k.Sensor, k.Trigger})
	return string(b)
}

// ObjectName is the ConfigMap that holds key's state: readable parts of the
// sensor and trigger names, and a hash of the whole key that keeps keys
// whose readable parts agree apart.
func ObjectName(k sensor.Key) string {
	sum := sha256.Sum256([]byte(keyJSON(k)))
	parts := []string{NamePrefix}
	for _, p := range []string{slug(k.Sensor), slug(k.Trigger)} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	parts = append(parts, hex.EncodeToString(sum[:6]))
	return strings.Join(parts, "-")
}

// slug keeps [a-z0-9], lower-cased, and turns runs of anything else into one '-'.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= maxSlug {
			break
		}
	}
	return strings.Trim(b.String(), "-")
}

func newConfigMap(k sensor.Key, name string) *unstructured.Unstructured {
	labels := map[string]string{LabelManagedBy: ManagedBy, LabelComponent: ComponentState}
	if len(validation.IsValidLabelValue(k.Sensor)) == 0 {
		labels[sensor.LabelSensor] = k.Sensor
	}
	if len(validation.IsValidLabelValue(k.Trigger)) == 0 {
		labels[sensor.LabelTrigger] = k.Trigger
	}
	cm := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap"}}
	cm.SetName(name)
	cm.SetLabels(labels)
	cm.SetAnnotations(map[string]string{KeyAnnotation: keyJSON(k)})
	return cm
}

// encode stores entries under data (binaryData, base64 as the API has it, when the JSON is
// not valid UTF-8), leaving the ConfigMap's other keys alone.
func encode(cm *unstructured.Unstructured, entries map[string]sensor.Entry) error {
	unstructured.RemoveNestedField(cm.Object, "data", DataKey)
	unstructured.RemoveNestedField(cm.Object, "binaryData", DataKey)
	if len(entries) == 0 {
		return nil
	}
	b, err := json.Marshal(entries)
	if err != nil {
		return fmt.Errorf("encoding entries: %w", err)
	}
	if utf8.Valid(b) {
		return setKey(cm, "data", string(b))
	}
	return setKey(cm, "binaryData", base64.StdEncoding.EncodeToString(b))
}

func setKey(cm *unstructured.Unstructured, field, value string) error {
	if err := unstructured.SetNestedField(cm.Object, value, field, DataKey); err != nil {
		return fmt.Errorf("encoding entries into ConfigMap %s: %w", cm.GetName(), err)
	}
	return nil
}

// decode returns the entries stored in cm (nil cm: none) after checking
// that cm holds key's state.
func decode(cm *unstructured.Unstructured, k sensor.Key) (map[string]sensor.Entry, error) {
	entries := map[string]sensor.Entry{}
	if cm == nil {
		return entries, nil
	}
	if got := cm.GetAnnotations()[KeyAnnotation]; got != keyJSON(k) {
		return nil, fmt.Errorf("ConfigMap %s holds the state of %s, not of %s", cm.GetName(), got, keyJSON(k))
	}
	raw, err := storedEntries(cm)
	if err != nil {
		return nil, err
	}
	if len(raw) == 0 {
		return entries, nil
	}
	if err := json.Unmarshal(raw, &entries); err != nil {
		return nil, fmt.Errorf("decoding %s of ConfigMap %s: %w", DataKey, cm.GetName(), err)
	}
	return entries, nil
}

// storedEntries is the JSON under data, else under binaryData, else nil.
func storedEntries(cm *unstructured.Unstructured) ([]byte, error) {
	s, ok, err := unstructured.NestedString(cm.Object, "data", DataKey)
	if err != nil {
		return nil, fmt.Errorf("reading data %s of ConfigMap %s: %w", DataKey, cm.GetName(), err)
	}
	if ok {
		return []byte(s), nil
	}
	s, ok, err = unstructured.NestedString(cm.Object, "binaryData", DataKey)
	if err != nil {
		return nil, fmt.Errorf("reading binaryData %s of ConfigMap %s: %w", DataKey, cm.GetName(), err)
	}
	if !ok {
		return nil, nil
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("decoding binaryData %s of ConfigMap %s: %w", DataKey, cm.GetName(), err)
	}
	return b, nil
}
