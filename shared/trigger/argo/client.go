package argo

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Environment variables that configure the connection to the workflow cluster when there is no
// kubeconfig (ACK One: the cluster's API server URL, a ServiceAccount token and the cluster CA).
const (
	EnvAPIServer = "FCE_KUBE_API_SERVER"
	EnvToken     = "FCE_KUBE_TOKEN"
	EnvCAData    = "FCE_KUBE_CA_DATA"
)

// Default client-side rate limits: a sensor fires in bursts (one event, many triggers) and a
// Function Compute instance lives for minutes, so the burst matters more than the sustained rate.
const (
	DefaultQPS   = 50
	DefaultBurst = 100
)

// Config says how to reach the workflow cluster and how to fetch trigger sources.
type Config struct {
	// REST, when set, is used as is (tests, embedding).
	REST *rest.Config
	// Kubeconfig is a kubeconfig file; empty means $KUBECONFIG, then the FCE_KUBE_* variables,
	// then the in-cluster configuration.
	Kubeconfig string
	// Context selects a kubeconfig context; empty means the current one.
	Context string
	// QPS and Burst bound the client's request rate; zero means DefaultQPS/DefaultBurst.
	QPS   float32
	Burst int
	// Timeout bounds each API request; zero means 30s.
	Timeout time.Duration
	// Sources configures fetching of file, url, configmap and oss sources.
	Sources SourceConfig
	// Now is the clock (tests); nil means time.Now.
	Now func() time.Time
}

// Client carries out firings against one cluster. Build one per process and reuse it: it holds
// the connection pool, the discovery cache, the source cache and the rate limiters.
type Client struct {
	rest    *rest.Config
	dyn     dynamic.Interface
	mapper  *resourceMapper
	sources *sourceCache
	now     func() time.Time

	mu       sync.Mutex
	limiters map[string]*limiter
}

// New builds a Client. It makes no request: a wrong address or credential shows on the first
// Execute, as a permanent error naming what was refused.
func New(cfg Config) (*Client, error) {
	rc, err := restConfig(cfg)
	if err != nil {
		return nil, err
	}
	rc = rest.CopyConfig(rc)
	rc.QPS, rc.Burst = cfg.QPS, cfg.Burst
	if rc.QPS == 0 {
		rc.QPS = DefaultQPS
	}
	if rc.Burst == 0 {
		rc.Burst = DefaultBurst
	}
	if cfg.Timeout != 0 {
		rc.Timeout = cfg.Timeout
	} else if rc.Timeout == 0 {
		rc.Timeout = 30 * time.Second
	}
	if rc.UserAgent == "" {
		rc.UserAgent = "fc-eventing-sensor"
	}
	// One HTTP client shared by the dynamic and discovery clients: one connection pool.
	hc, err := rest.HTTPClientFor(rc)
	if err != nil {
		return nil, fmt.Errorf("building kubernetes HTTP client: %w", err)
	}
	dyn, err := dynamic.NewForConfigAndClient(rc, hc)
	if err != nil {
		return nil, fmt.Errorf("building kubernetes dynamic client: %w", err)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	c := &Client{
		rest:     rc,
		dyn:      dyn,
		mapper:   newResourceMapper(rc, hc),
		now:      now,
		limiters: map[string]*limiter{},
	}
	c.sources = newSourceCache(cfg.Sources, c, now)
	return c, nil
}

// Warm opens the client's connection to the API server, and runs its request path once, by
// reading the discovery document of the Workflow group, which every authenticated identity may
// read and the REST mapper then keeps. A starting sensor calls it in the background, so that
// its first firing does not wait for the TLS handshake. The error is only for logging: a
// firing reports its own.
func (c *Client) Warm(ctx context.Context) error {
	if _, err := c.mapper.RESTMapping(ctx, wfv1.SchemeGroupVersion.WithKind("Workflow")); err != nil {
		return fmt.Errorf("warming the connection to %s: %w", c.rest.Host, err)
	}
	return nil
}

// Host is the API server the client talks to.
func (c *Client) Host() string { return c.rest.Host }

// HTTPClient returns an HTTP client with the client's TLS and credentials, for callers that
// need raw requests to the same server (benchmarks compare against it).
func (c *Client) HTTPClient() (*http.Client, error) { return rest.HTTPClientFor(c.rest) }

// RESTConfig is the connection New would use for cfg (before QPS, burst and timeout are
// applied), for callers that talk to the same cluster with other clients.
func RESTConfig(cfg Config) (*rest.Config, error) { return restConfig(cfg) }

func restConfig(cfg Config) (*rest.Config, error) {
	if cfg.REST != nil {
		return cfg.REST, nil
	}
	path := cfg.Kubeconfig
	if path == "" {
		path = os.Getenv("KUBECONFIG")
	}
	if path != "" {
		rules := &clientcmd.ClientConfigLoadingRules{ExplicitPath: path}
		if cfg.Kubeconfig == "" {
			rules = &clientcmd.ClientConfigLoadingRules{Precedence: strings.Split(path, string(os.PathListSeparator))}
		}
		rc, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules,
			&clientcmd.ConfigOverrides{CurrentContext: cfg.Context}).ClientConfig()
		if err != nil {
			return nil, fmt.Errorf("loading kubeconfig %s: %w", path, err)
		}
		return rc, nil
	}
	if host := os.Getenv(EnvAPIServer); host != "" {
		return TokenConfig(host, os.Getenv(EnvToken), os.Getenv(EnvCAData))
	}
	rc, err := rest.InClusterConfig()
	if err != nil {
		return nil, fmt.Errorf("no kubeconfig, no %s and not in a cluster: %w", EnvAPIServer, err)
	}
	return rc, nil
}

// TokenConfig builds the configuration from the values of FCE_KUBE_API_SERVER,
// FCE_KUBE_TOKEN and FCE_KUBE_CA_DATA. The CA may be PEM or base64 of PEM (as in a
// kubeconfig's certificate-authority-data); without it the system roots verify the server.
func TokenConfig(host, token, ca string) (*rest.Config, error) {
	if strings.TrimSpace(token) == "" {
		return nil, fmt.Errorf("%s is set but %s is empty", EnvAPIServer, EnvToken)
	}
	if !strings.HasPrefix(host, "https://") && !strings.HasPrefix(host, "http://") {
		host = "https://" + host
	}
	rc := &rest.Config{Host: host, BearerToken: strings.TrimSpace(token)}
	if ca = strings.TrimSpace(ca); ca != "" {
		data := []byte(ca)
		if !strings.HasPrefix(ca, "-----BEGIN") {
			dec, err := base64.StdEncoding.DecodeString(ca)
			if err != nil {
				return nil, fmt.Errorf("decoding %s: neither PEM nor base64: %w", EnvCAData, err)
			}
			data = dec
		}
		if !strings.Contains(string(data), "-----BEGIN CERTIFICATE-----") {
			return nil, errors.New(EnvCAData + " holds no PEM certificate")
		}
		rc.TLSClientConfig.CAData = data
	}
	return rc, nil
}
