package argo_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/fc-eventing/fc-eventing/shared/config"
	"github.com/fc-eventing/fc-eventing/shared/sensor"
	"github.com/fc-eventing/fc-eventing/shared/trigger/argo"
	ossserver "github.com/fc-eventing/fc-eventing/test/ossserver/server"
)

// clock is a settable clock for source TTLs.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func generatedWorkflow(prefix, message string) string {
	return strings.Replace(strings.Replace(helloWorkflow("x"), "name: x", "generateName: "+prefix, 1), "value: hello", "value: "+message, 1)
}

// sourceFiring is a submit whose Workflow comes from loc, fetched by the trigger.
func sourceFiring(ns, trigger string, loc *config.ArtifactLocation, id string) sensor.Firing {
	f := firing(ns, trigger, sensor.TypeArgoWorkflow, "submit", nil, id)
	f.Source = loc
	f.Spec.Template.ArgoWorkflow.Source = loc
	return f
}

// checkSource fires twice within the TTL, once after it with the source unchanged, then after
// change() and the TTL: the source must be transferred exactly twice, and the last Workflow
// must carry the changed content.
func checkSource(t *testing.T, c *argo.Client, clk *clock, ns string, loc *config.ArtifactLocation, change func()) {
	t.Helper()
	ctx := context.Background()
	fire := func(id, want string) {
		t.Helper()
		out, err := c.Execute(ctx, sourceFiring(ns, "from-source", loc, id))
		if err != nil {
			t.Fatal(err)
		}
		wf := toWF(t, get(t, workflowsGVR, ns, out.Name))
		if !strings.HasPrefix(wf.Name, "fetched-") || wf.Labels[sensor.LabelSensor] != "ci" || wf.Labels[sensor.LabelTrigger] != "from-source" {
			t.Fatalf("workflow %s labels %v: not resolved by the engine", wf.Name, wf.Labels)
		}
		if got := wf.Spec.Arguments.Parameters[0].Value.String(); got != want {
			t.Fatalf("message %q, want %q", got, want)
		}
	}
	base := c.SourceFetches()
	fire("e1", "one")
	fire("e2", "one")
	clk.Add(time.Minute)
	fire("e3", "one")
	if n := c.SourceFetches() - base; n != 1 {
		t.Fatalf("source transferred %d times for an unchanged source, want 1", n)
	}
	change()
	fire("e4", "one") // still within the TTL of the last check
	clk.Add(time.Minute)
	fire("e5", "two")
	if n := c.SourceFetches() - base; n != 2 {
		t.Fatalf("source transferred %d times, want 2", n)
	}
}

func TestSources(t *testing.T) {
	t.Run("file", func(t *testing.T) {
		t.Parallel()
		clk := &clock{now: time.Unix(1764720000, 0)}
		dir := t.TempDir()
		path := filepath.Join(dir, "wf.yaml")
		if err := os.WriteFile(path, []byte(generatedWorkflow("fetched-", "one")), 0o600); err != nil {
			t.Fatal(err)
		}
		c := newClient(t, func(cfg *argo.Config) { cfg.Now = clk.Now; cfg.Sources.BaseDir = dir })
		checkSource(t, c, clk, namespace(t), &config.ArtifactLocation{File: &config.FileArtifact{Path: "wf.yaml"}}, func() {
			if err := os.WriteFile(path, []byte(generatedWorkflow("fetched-", "two")+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		})
	})

	t.Run("url", func(t *testing.T) {
		t.Parallel()
		var body atomic.Value
		body.Store(generatedWorkflow("fetched-", "one"))
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b := body.Load().(string)
			etag := fmt.Sprintf(`"%x"`, sha256.Sum256([]byte(b)))
			if r.Header.Get("If-None-Match") == etag {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			w.Header().Set("ETag", etag)
			_, _ = w.Write([]byte(b))
		}))
		t.Cleanup(srv.Close)
		loc := &config.ArtifactLocation{URL: &config.URLArtifact{Path: srv.URL + "/wf.yaml"}}

		// The certificate is verified: a client that does not trust the test CA is refused.
		plain := newClient(t)
		_, err := plain.Execute(context.Background(), sourceFiring(namespace(t), "from-source", loc, "e0"))
		if err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Fatalf("untrusted certificate: %v", err)
		}

		clk := &clock{now: time.Unix(1764720000, 0)}
		c := newClient(t, func(cfg *argo.Config) { cfg.Now = clk.Now; cfg.Sources.HTTPClient = srv.Client() })
		checkSource(t, c, clk, namespace(t), loc, func() { body.Store(generatedWorkflow("fetched-", "two")) })

		// The size cap.
		capped := newClient(t, func(cfg *argo.Config) { cfg.Sources.HTTPClient = srv.Client(); cfg.Sources.MaxBytes = 64 })
		if _, err := capped.Execute(context.Background(), sourceFiring(namespace(t), "from-source", loc, "e9")); err == nil || !strings.Contains(err.Error(), "larger than 64 bytes") {
			t.Fatalf("oversized source: %v", err)
		}
	})

	t.Run("configmap", func(t *testing.T) {
		t.Parallel()
		clk := &clock{now: time.Unix(1764720000, 0)}
		ns := namespace(t)
		if err := cluster.Apply(context.Background(), []byte(configMapWith(ns, "one"))); err != nil {
			t.Fatal(err)
		}
		c := newClient(t, func(cfg *argo.Config) { cfg.Now = clk.Now })
		loc := &config.ArtifactLocation{Configmap: &config.ConfigMapKeySelector{Name: "workflows", Key: "build.yaml"}}
		checkSource(t, c, clk, ns, loc, func() {
			if err := cluster.Apply(context.Background(), []byte(configMapWith(ns, "two"))); err != nil {
				t.Fatal(err)
			}
		})
	})

	t.Run("oss", func(t *testing.T) {
		t.Parallel()
		srv, err := ossserver.Start(ossserver.New(ossserver.Config{AccessKeyID: "ak", AccessKeySecret: "sk", Buckets: []string{"pipelines"}}), "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = srv.Close() })
		srv.PutObject("pipelines", "wf/build.yaml", "application/yaml", []byte(generatedWorkflow("fetched-", "one")))
		clk := &clock{now: time.Unix(1764720000, 0)}
		c := newClient(t, func(cfg *argo.Config) {
			cfg.Now = clk.Now
			cfg.Sources.OSSAccessKeyID, cfg.Sources.OSSAccessKeySecret = "ak", "sk"
			cfg.Sources.OSSOptions = []oss.ClientOption{oss.Timeout(5, 10)}
		})
		loc := &config.ArtifactLocation{OSS: &config.OSSArtifact{Endpoint: srv.Endpoint, Bucket: "pipelines", Key: "wf/build.yaml"}}
		before := srv.Requests()
		checkSource(t, c, clk, namespace(t), loc, func() {
			srv.PutObject("pipelines", "wf/build.yaml", "application/yaml", []byte(generatedWorkflow("fetched-", "two")))
		})
		// Five firings: a GET, a HEAD finding the same ETag, a HEAD and a GET after the change.
		if n := srv.Requests() - before; n != 4 {
			t.Fatalf("%d OSS requests for five firings, want 4", n)
		}

		// A missing object is a permanent failure naming it.
		loc = &config.ArtifactLocation{OSS: &config.OSSArtifact{Endpoint: srv.Endpoint, Bucket: "pipelines", Key: "nope.yaml"}}
		_, err = c.Execute(context.Background(), sourceFiring(namespace(t), "from-source", loc, "e1"))
		if err == nil || !strings.Contains(err.Error(), "oss://pipelines/nope.yaml") || argo.IsTransient(err) {
			t.Fatalf("missing OSS object: %v", err)
		}
	})
}

func configMapWith(ns, message string) string {
	wf := generatedWorkflow("fetched-", message)
	return `apiVersion: v1
kind: ConfigMap
metadata: {name: workflows, namespace: ` + ns + `}
data:
  build.yaml: |
` + indent(wf, "    ")
}

func indent(s, pre string) string {
	lines := strings.Split(strings.TrimLeft(s, "\n"), "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = pre + l
		}
	}
	return strings.Join(lines, "\n")
}
