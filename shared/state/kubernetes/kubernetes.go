package kubernetes

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
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

// State is a sensor.State stored in ConfigMaps. It is safe for concurrent use.
type State struct {
	cms         corev1client.ConfigMapInterface
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
	client, err := corev1client.NewForConfig(c)
	if err != nil {
		return nil, fmt.Errorf("conditions state in Kubernetes: creating client: %w", err)
	}
	return NewForClient(client, opts)
}

// NewForClient uses an existing core/v1 client.
func NewForClient(client corev1client.ConfigMapsGetter, opts Options) (*State, error) {
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
		cms:         client.ConfigMaps(opts.Namespace),
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
func (s *State) write(ctx context.Context, cm *corev1.ConfigMap, key sensor.Key, name string, entries map[string]sensor.Entry) (conflict bool, err error) {
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

func newConfigMap(k sensor.Key, name string) *corev1.ConfigMap {
	labels := map[string]string{LabelManagedBy: ManagedBy, LabelComponent: ComponentState}
	if len(validation.IsValidLabelValue(k.Sensor)) == 0 {
		labels[sensor.LabelSensor] = k.Sensor
	}
	if len(validation.IsValidLabelValue(k.Trigger)) == 0 {
		labels[sensor.LabelTrigger] = k.Trigger
	}
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{
			Name:        name,
			Labels:      labels,
			Annotations: map[string]string{KeyAnnotation: keyJSON(k)},
		},
	}
}

func encode(cm *corev1.ConfigMap, entries map[string]sensor.Entry) error {
	delete(cm.Data, DataKey)
	delete(cm.BinaryData, DataKey)
	if len(entries) == 0 {
		return nil
	}
	b, err := json.Marshal(entries)
	if err != nil {
		return fmt.Errorf("encoding entries: %w", err)
	}
	if utf8.Valid(b) {
		if cm.Data == nil {
			cm.Data = map[string]string{}
		}
		cm.Data[DataKey] = string(b)
		return nil
	}
	if cm.BinaryData == nil {
		cm.BinaryData = map[string][]byte{}
	}
	cm.BinaryData[DataKey] = b
	return nil
}

// decode returns the entries stored in cm (nil cm: none) after checking
// that cm holds key's state.
func decode(cm *corev1.ConfigMap, k sensor.Key) (map[string]sensor.Entry, error) {
	entries := map[string]sensor.Entry{}
	if cm == nil {
		return entries, nil
	}
	if got := cm.Annotations[KeyAnnotation]; got != keyJSON(k) {
		return nil, fmt.Errorf("ConfigMap %s holds the state of %s, not of %s", cm.Name, got, keyJSON(k))
	}
	var raw []byte
	if s, ok := cm.Data[DataKey]; ok {
		raw = []byte(s)
	} else if b, ok := cm.BinaryData[DataKey]; ok {
		raw = b
	}
	if len(raw) == 0 {
		return entries, nil
	}
	if err := json.Unmarshal(raw, &entries); err != nil {
		return nil, fmt.Errorf("decoding %s of ConfigMap %s: %w", DataKey, cm.Name, err)
	}
	return entries, nil
}
