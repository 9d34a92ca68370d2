package dispatch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/fc-eventing/fc-eventing/shared/bus"
	"github.com/fc-eventing/fc-eventing/shared/config"
	"github.com/fc-eventing/fc-eventing/shared/sensor"
	"github.com/fc-eventing/fc-eventing/shared/trigger/argo"
)

// DryRun is an Executor that sends nothing: it writes every object a
// trigger would send to <Dir>/<namespace>/<name>.json (indented JSON). An
// operation other than create/submit (resubmit, patch, delete, ...) writes
// <name>.<operation>.json, so it does not hide the object a create wrote.
// A file that is already there is left as it is and reported as Existed,
// as the API server answers a second create of the same name. Log
// triggers write nothing.
type DryRun struct {
	dir string
	mu  sync.Mutex
}

var _ Executor = (*DryRun)(nil)

// DefaultNamespace is where an object without namespace is written (and
// would be created).
const DefaultNamespace = "default"

// NewDryRun creates dir if needed.
func NewDryRun(dir string) (*DryRun, error) {
	if dir == "" {
		return nil, errors.New("dry run: no output directory")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("dry run: creating output directory: %w", err)
	}
	return &DryRun{dir: dir}, nil
}

// Dir is the output directory.
func (d *DryRun) Dir() string { return d.dir }

// Path is the file an object of operation op is written to.
func (d *DryRun) Path(namespace, name, op string) string {
	file := name + ".json"
	if !creates(op) {
		file = name + "." + op + ".json"
	}
	return filepath.Join(d.dir, namespace, file)
}

func creates(op string) bool {
	return op == string(config.ArgoSubmit) || op == string(config.K8sCreate)
}

// Execute writes the firing's object.
func (d *DryRun) Execute(ctx context.Context, f sensor.Firing) (argo.Outcome, error) {
	out := argo.Outcome{Trigger: f.Trigger, Type: f.Type, Operation: f.Operation, Attempts: 1}
	if err := ctx.Err(); err != nil {
		return out, fmt.Errorf("dry run of trigger %s: %w", f.Trigger, err)
	}
	if f.Type == sensor.TypeLog {
		return out, nil
	}
	obj := f.Object
	if obj == nil {
		base, err := dryRunSource(f.Source)
		if err != nil {
			return out, bus.Permanent(fmt.Errorf("dry run of trigger %s: %w", f.Trigger, err))
		}
		if obj, err = f.Resolve(base); err != nil {
			return out, bus.Permanent(fmt.Errorf("dry run of trigger %s: %w", f.Trigger, err))
		}
	}
	md, _ := obj["metadata"].(map[string]any)
	name, _ := md["name"].(string)
	if name == "" {
		// A create without name or generateName: the API server would
		// refuse it.
		return out, bus.Permanent(fmt.Errorf("dry run of trigger %s: object has neither name nor generateName", f.Trigger))
	}
	ns, _ := md["namespace"].(string)
	if ns == "" {
		ns = f.Namespace
	}
	if ns == "" {
		ns = DefaultNamespace
	}
	if strings.ContainsAny(name, `/\`) || strings.ContainsAny(ns, `/\`) || name == ".." || ns == ".." {
		return out, bus.Permanent(fmt.Errorf("dry run of trigger %s: invalid name %q in namespace %q", f.Trigger, name, ns))
	}
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	gv, _ := schema.ParseGroupVersion(apiVersion)
	out.Resource = gv.WithResource(strings.ToLower(kind) + "s")
	out.Namespace, out.Name = ns, name

	data, err := json.MarshalIndent(obj, "", "  ")
	if err != nil {
		return out, bus.Permanent(fmt.Errorf("dry run of trigger %s: encoding object: %w", f.Trigger, err))
	}
	data = append(data, '\n')
	path := d.Path(ns, name, f.Operation)
	d.mu.Lock()
	defer d.mu.Unlock()
	if creates(f.Operation) {
		if _, err := os.Stat(path); err == nil {
			out.Existed = true
			return out, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return out, fmt.Errorf("dry run of trigger %s: %w", f.Trigger, err)
		}
	}
	if err := writeFile(path, data); err != nil {
		return out, fmt.Errorf("dry run of trigger %s: %w", f.Trigger, err)
	}
	return out, nil
}

// writeFile writes data to path atomically (temporary file, rename), so a
// reader never sees half an object.
func writeFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", filepath.Dir(path), err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), path)
	}
	if werr != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("writing %s: %w", path, werr)
	}
	return nil
}

// dryRunSource reads a trigger source that needs no cluster and no
// credentials: a local file. Others cannot be fetched without sending.
func dryRunSource(loc *config.ArtifactLocation) (map[string]any, error) {
	switch {
	case loc == nil:
		return nil, errors.New("trigger has no source")
	case loc.File != nil:
		data, err := os.ReadFile(loc.File.Path)
		if err != nil {
			return nil, fmt.Errorf("reading file source: %w", err)
		}
		var m map[string]any
		if err := yaml.Unmarshal(bytes.TrimSpace(data), &m); err != nil {
			return nil, fmt.Errorf("decoding file source %s: %w", loc.File.Path, err)
		}
		return m, nil
	}
	return nil, errors.New("the trigger's source (url, configmap, git, s3 or oss) is fetched only when submitting for real; a dry run reads file sources only")
}
