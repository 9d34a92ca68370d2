package argo

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/yaml"

	"github.com/fc-eventing/fc-eventing/shared/config"
)

// Defaults of SourceConfig.
const (
	DefaultSourceTTL      = 30 * time.Second
	DefaultSourceMaxBytes = 4 << 20
)

// SourceConfig says how trigger sources are fetched. A fetched source is kept and used for TTL;
// after that it is checked for a change (file: modification time and size; url: ETag or
// Last-Modified; configmap: resourceVersion; oss: ETag) and fetched again only when it changed.
type SourceConfig struct {
	// TTL is how long a fetched source is used without asking; zero means DefaultSourceTTL.
	TTL time.Duration
	// MaxBytes caps a source's size; zero means DefaultSourceMaxBytes.
	MaxBytes int64
	// BaseDir resolves relative file paths; empty means the working directory.
	BaseDir string
	// HTTPClient fetches url sources; nil means one that verifies TLS against the system roots.
	// A url source's verifyCert: false is not honoured: certificates are always verified.
	HTTPClient *http.Client
	// OSSEndpoint is used for oss sources that name none; empty means $FCE_OSS_ENDPOINT.
	OSSEndpoint string
	// OSSCredentials are the access key id, secret and security token; empty means
	// $ALIBABA_CLOUD_ACCESS_KEY_ID, $ALIBABA_CLOUD_ACCESS_KEY_SECRET and
	// $ALIBABA_CLOUD_SECURITY_TOKEN (what Function Compute sets for the function's role).
	OSSAccessKeyID, OSSAccessKeySecret, OSSSecurityToken string
	// OSSOptions are passed to oss.New (tests point it at a local server).
	OSSOptions []oss.ClientOption
}

type sourceEntry struct {
	obj       map[string]any
	version   string // what tells a change: mtime+size, ETag, resourceVersion
	checkedAt time.Time
}

type sourceCache struct {
	cfg    SourceConfig
	client *Client
	now    func() time.Time
	http   *http.Client

	mu      sync.Mutex
	entries map[string]*sourceEntry
	oss     map[string]*oss.Client
	// Fetches counts requests that transferred a source's content (tests, metrics).
	fetches int
}

func newSourceCache(cfg SourceConfig, c *Client, now func() time.Time) *sourceCache {
	if cfg.TTL == 0 {
		cfg.TTL = DefaultSourceTTL
	}
	if cfg.MaxBytes == 0 {
		cfg.MaxBytes = DefaultSourceMaxBytes
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{
			Timeout:   30 * time.Second,
			Transport: &http.Transport{TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS12}, Proxy: http.ProxyFromEnvironment},
		}
	}
	return &sourceCache{cfg: cfg, client: c, now: now, http: hc, entries: map[string]*sourceEntry{}, oss: map[string]*oss.Client{}}
}

// SourceFetches is how many times a source's content was transferred since the client was built.
func (c *Client) SourceFetches() int {
	c.sources.mu.Lock()
	defer c.sources.mu.Unlock()
	return c.sources.fetches
}

// FetchSource returns the object a source location holds (a copy the caller may change).
func (c *Client) FetchSource(ctx context.Context, namespace string, loc *config.ArtifactLocation) (map[string]any, error) {
	return c.sources.fetch(ctx, namespace, loc)
}

// fetcher checks a source against the version it had (empty: none) and returns its new
// content, or nil content when it has not changed.
type fetcher func(ctx context.Context, version string) (data []byte, newVersion string, err error)

func (s *sourceCache) fetch(ctx context.Context, namespace string, loc *config.ArtifactLocation) (map[string]any, error) {
	key, fetch, err := s.fetcherFor(namespace, loc)
	if err != nil {
		return nil, err
	}
	if fetch == nil {
		// resource / inline: the object itself.
		return decodeObject(key, loc)
	}
	s.mu.Lock()
	e := s.entries[key]
	s.mu.Unlock()
	now := s.now()
	if e != nil && now.Sub(e.checkedAt) < s.cfg.TTL {
		return deepCopyMap(e.obj), nil
	}
	version := ""
	if e != nil {
		version = e.version
	}
	data, newVersion, err := fetch(ctx, version)
	if err != nil {
		return nil, err
	}
	if data == nil && e != nil {
		s.mu.Lock()
		e.checkedAt = now
		s.mu.Unlock()
		return deepCopyMap(e.obj), nil
	}
	obj, err := parseObject(data)
	if err != nil {
		return nil, permanent(fmt.Errorf("source %s: %w", key, err))
	}
	s.mu.Lock()
	s.fetches++
	s.entries[key] = &sourceEntry{obj: obj, version: newVersion, checkedAt: now}
	s.mu.Unlock()
	return deepCopyMap(obj), nil
}

func decodeObject(key string, loc *config.ArtifactLocation) (map[string]any, error) {
	var data []byte
	switch {
	case len(loc.Resource) > 0:
		data = loc.Resource
	case loc.Inline != nil:
		data = []byte(*loc.Inline)
	}
	obj, err := parseObject(data)
	if err != nil {
		return nil, permanent(fmt.Errorf("source %s: %w", key, err))
	}
	return obj, nil
}

// parseObject decodes a YAML or JSON object.
func parseObject(data []byte) (map[string]any, error) {
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, fmt.Errorf("decoding YAML/JSON: %w", err)
	}
	var obj map[string]any
	if err := utiljson.Unmarshal(js, &obj); err != nil {
		return nil, fmt.Errorf("decoding object: %w", err)
	}
	if len(obj) == 0 {
		return nil, errors.New("empty object")
	}
	return obj, nil
}

func (s *sourceCache) fetcherFor(namespace string, loc *config.ArtifactLocation) (string, fetcher, error) {
	switch {
	case loc == nil:
		return "", nil, permanent(errors.New("no source"))
	case len(loc.Resource) > 0:
		return "resource", nil, nil
	case loc.Inline != nil:
		return "inline", nil, nil
	case loc.File != nil:
		p := loc.File.Path
		if !filepath.IsAbs(p) && s.cfg.BaseDir != "" {
			p = filepath.Join(s.cfg.BaseDir, p)
		}
		return "file:" + p, s.fileFetcher(p), nil
	case loc.URL != nil:
		return "url:" + loc.URL.Path, s.urlFetcher(loc.URL.Path), nil
	case loc.Configmap != nil:
		ns := namespace
		if ns == "" {
			ns = "default"
		}
		return "configmap:" + ns + "/" + loc.Configmap.Name + "/" + loc.Configmap.Key, s.configMapFetcher(ns, loc.Configmap), nil
	case loc.OSS != nil:
		return "oss:" + loc.OSS.Endpoint + "/" + loc.OSS.Bucket + "/" + loc.OSS.Key, s.ossFetcher(loc.OSS), nil
	case loc.Git != nil:
		return "", nil, permanent(errors.New("git sources are not fetched by triggers: put the object in OSS, a ConfigMap or inline"))
	case loc.S3 != nil:
		return "", nil, permanent(errors.New("s3 sources are not fetched by triggers: use an oss source"))
	}
	return "", nil, permanent(errors.New("empty source"))
}

func (s *sourceCache) readCapped(r io.Reader, what string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, s.cfg.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", what, err)
	}
	if int64(len(data)) > s.cfg.MaxBytes {
		return nil, permanent(fmt.Errorf("%s is larger than %d bytes", what, s.cfg.MaxBytes))
	}
	return data, nil
}

func (s *sourceCache) fileFetcher(path string) fetcher {
	return func(ctx context.Context, version string) ([]byte, string, error) {
		st, err := os.Stat(path)
		if err != nil {
			return nil, "", permanent(fmt.Errorf("file source: %w", err))
		}
		v := fmt.Sprintf("%d/%d", st.ModTime().UnixNano(), st.Size())
		if v == version {
			return nil, v, nil
		}
		f, err := os.Open(path)
		if err != nil {
			return nil, "", permanent(fmt.Errorf("file source: %w", err))
		}
		defer f.Close()
		data, err := s.readCapped(f, "file source "+path)
		return data, v, err
	}
}

func (s *sourceCache) urlFetcher(url string) fetcher {
	return func(ctx context.Context, version string) ([]byte, string, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return nil, "", permanent(fmt.Errorf("url source %q: %w", url, err))
		}
		if strings.HasPrefix(version, "etag:") {
			req.Header.Set("If-None-Match", strings.TrimPrefix(version, "etag:"))
		} else if strings.HasPrefix(version, "lm:") {
			req.Header.Set("If-Modified-Since", strings.TrimPrefix(version, "lm:"))
		}
		resp, err := s.http.Do(req)
		if err != nil {
			return nil, "", fmt.Errorf("url source: %w", err)
		}
		defer resp.Body.Close()
		if resp.StatusCode == http.StatusNotModified && version != "" {
			return nil, version, nil
		}
		if resp.StatusCode != http.StatusOK {
			return nil, "", &httpStatusError{url: url, code: resp.StatusCode}
		}
		data, err := s.readCapped(resp.Body, "url source "+url)
		if err != nil {
			return nil, "", err
		}
		v := ""
		if et := resp.Header.Get("ETag"); et != "" {
			v = "etag:" + et
		} else if lm := resp.Header.Get("Last-Modified"); lm != "" {
			v = "lm:" + lm
		}
		return data, v, nil
	}
}

var configMapsResource = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}

func (s *sourceCache) configMapFetcher(ns string, sel *config.ConfigMapKeySelector) fetcher {
	return func(ctx context.Context, version string) ([]byte, string, error) {
		cm, err := s.client.dyn.Resource(configMapsResource).Namespace(ns).Get(ctx, sel.Name, metav1.GetOptions{})
		if err != nil {
			if apierrors.IsNotFound(err) {
				return nil, "", permanent(fmt.Errorf("configmap source %s/%s: %w", ns, sel.Name, err))
			}
			return nil, "", fmt.Errorf("configmap source %s/%s: %w", ns, sel.Name, err)
		}
		if rv := cm.GetResourceVersion(); rv == version && version != "" {
			return nil, rv, nil
		}
		data, ok := cm.Object["data"].(map[string]any)[sel.Key].(string)
		if !ok {
			return nil, "", permanent(fmt.Errorf("configmap source %s/%s has no key %q", ns, sel.Name, sel.Key))
		}
		if int64(len(data)) > s.cfg.MaxBytes {
			return nil, "", permanent(fmt.Errorf("configmap source %s/%s key %s is larger than %d bytes", ns, sel.Name, sel.Key, s.cfg.MaxBytes))
		}
		return []byte(data), cm.GetResourceVersion(), nil
	}
}

func (s *sourceCache) ossClient(endpoint string) (*oss.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.oss[endpoint]; c != nil {
		return c, nil
	}
	id, secret, token := s.cfg.OSSAccessKeyID, s.cfg.OSSAccessKeySecret, s.cfg.OSSSecurityToken
	if id == "" {
		id, secret, token = os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_ID"), os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET"), os.Getenv("ALIBABA_CLOUD_SECURITY_TOKEN")
	}
	if id == "" || secret == "" {
		return nil, permanent(errors.New("oss source: no credentials (ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET)"))
	}
	opts := append([]oss.ClientOption{}, s.cfg.OSSOptions...)
	if token != "" {
		opts = append(opts, oss.SecurityToken(token))
	}
	c, err := oss.New(endpoint, id, secret, opts...)
	if err != nil {
		return nil, permanent(fmt.Errorf("oss source: client for %s: %w", endpoint, err))
	}
	s.oss[endpoint] = c
	return c, nil
}

func (s *sourceCache) ossFetcher(a *config.OSSArtifact) fetcher {
	return func(ctx context.Context, version string) ([]byte, string, error) {
		endpoint := a.Endpoint
		if endpoint == "" {
			endpoint = s.cfg.OSSEndpoint
		}
		if endpoint == "" {
			endpoint = os.Getenv("FCE_OSS_ENDPOINT")
		}
		if endpoint == "" || a.Bucket == "" || a.Key == "" {
			return nil, "", permanent(errors.New("oss source needs endpoint (or FCE_OSS_ENDPOINT), bucket and key"))
		}
		c, err := s.ossClient(endpoint)
		if err != nil {
			return nil, "", err
		}
		b, err := c.Bucket(a.Bucket)
		if err != nil {
			return nil, "", permanent(fmt.Errorf("oss source: bucket %s: %w", a.Bucket, err))
		}
		// The SDK reports a 304 as an untyped error, so a changed object is found with a HEAD
		// (no body) and only then fetched.
		if version != "" {
			h, err := b.GetObjectDetailedMeta(a.Key, oss.WithContext(ctx))
			if err != nil {
				return nil, "", ossError(a, err)
			}
			if h.Get("ETag") == version {
				return nil, version, nil
			}
		}
		res, err := b.DoGetObject(&oss.GetObjectRequest{ObjectKey: a.Key}, []oss.Option{oss.WithContext(ctx)})
		if err != nil {
			return nil, "", ossError(a, err)
		}
		defer res.Response.Body.Close()
		data, err := s.readCapped(res.Response.Body, "oss source oss://"+a.Bucket+"/"+a.Key)
		if err != nil {
			return nil, "", err
		}
		return data, res.Response.Headers.Get("ETag"), nil
	}
}

// ossError classifies an OSS failure: missing or refused objects are permanent, throttling and
// server errors transient.
func ossError(a *config.OSSArtifact, err error) error {
	err = fmt.Errorf("oss source oss://%s/%s: %w", a.Bucket, a.Key, err)
	var se oss.ServiceError
	if !errors.As(err, &se) {
		return err
	}
	if se.StatusCode >= 500 || se.StatusCode == http.StatusTooManyRequests {
		return fmt.Errorf("%w: %w", err, ErrTransient)
	}
	return permanent(err)
}
