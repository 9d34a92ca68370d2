package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// holdingProxy is a TLS reverse proxy in front of the test API server that
// can hold one Workflow create: the sensor behind it is then stuck in the
// middle of a batch, with earlier Workflows created and later ones not, which
// is where the crash test kills it.
type holdingProxy struct {
	URL string
	CA  []byte

	creates atomic.Int64
	holdAt  int64
	held    chan struct{} // closed when the create is being held
	release chan struct{} // close to let it through
	once    sync.Once
}

// newHoldingProxy holds the holdAt-th Workflow create (1-based; 0 holds
// none) until release is called; that request then reaches the API server
// even when its client has gone, as a request already on the wire does.
func newHoldingProxy(t *testing.T, holdAt int64) *holdingProxy {
	t.Helper()
	target, err := url.Parse(cluster.URL)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(cluster.CAData)
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	hp := &holdingProxy{holdAt: holdAt, held: make(chan struct{}), release: make(chan struct{})}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/workflows") {
			if n := hp.creates.Add(1); n == hp.holdAt {
				close(hp.held)
				<-hp.release
			}
		}
		rp.ServeHTTP(w, r.WithContext(context.WithoutCancel(r.Context())))
	}))
	srv.StartTLS()
	t.Cleanup(func() {
		hp.Release()
		srv.Close()
	})
	hp.URL = srv.URL
	hp.CA = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	return hp
}

// Release lets the held create through.
func (hp *holdingProxy) Release() { hp.once.Do(func() { close(hp.release) }) }
