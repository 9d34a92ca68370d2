package kube

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// AdminUser is the user the admin token authenticates as; it is in group system:masters.
const AdminUser = "fce-admin"

// Options tune Start. The zero value is what tests normally want.
type Options struct {
	// CacheDir holds the built binaries; default $TEST_SERVERS_CACHE or ~/.cache/fc-eventing.
	CacheDir string
	// Log receives the ready line and startup progress; default os.Stdout.
	Log io.Writer
	// SkipCRDs leaves the Argo Workflows CRDs out.
	SkipCRDs bool
	// Timeout bounds the whole start; default 5 minutes (several test packages may start servers
	// at once on a small machine).
	Timeout time.Duration
}

// Server is a running etcd + kube-apiserver pair.
type Server struct {
	// URL is the apiserver's https://127.0.0.1:PORT.
	URL string
	// Version is the apiserver's gitVersion, as /version reports it.
	Version string
	// CAData is the PEM CA that signed the serving certificate.
	CAData []byte
	// AdminToken authenticates as AdminUser (system:masters).
	AdminToken string
	// Dir is the run directory (etcd data, certificates, logs); removed by Stop.
	Dir string
	// StartTimes says how long each part of Start took: "etcd", "kube-apiserver" (until
	// /readyz), "crds" (created, established and served).
	StartTimes map[string]time.Duration

	etcd      *exec.Cmd
	apiserver *exec.Cmd
	etcdDone  chan error
	apiDone   chan error
}

// Versions returns the kubernetes and etcd versions pinned in test/kube/tools/go.mod, the ones
// test/kube/build.sh builds.
func Versions() (kubeVersion, etcdVersion string, err error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", "", errors.New("locating test/kube sources")
	}
	gomod := filepath.Join(filepath.Dir(file), "tools", "go.mod")
	data, err := os.ReadFile(gomod)
	if err != nil {
		return "", "", fmt.Errorf("reading pinned versions: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "//")
		f := strings.Fields(line)
		if len(f) != 2 || !strings.HasPrefix(f[1], "v") {
			continue
		}
		switch f[0] {
		case "k8s.io/kubernetes":
			kubeVersion = f[1]
		case "go.etcd.io/etcd/server/v3":
			etcdVersion = f[1]
		}
	}
	if kubeVersion == "" || etcdVersion == "" {
		return "", "", fmt.Errorf("%s does not require k8s.io/kubernetes and go.etcd.io/etcd/server/v3", gomod)
	}
	return kubeVersion, etcdVersion, nil
}

// Binaries returns the paths of the cached kube-apiserver and etcd, or an error that says how to
// build them when either is missing.
func Binaries(cacheDir string) (apiserver, etcd string, err error) {
	kv, ev, err := Versions()
	if err != nil {
		return "", "", err
	}
	if cacheDir == "" {
		cacheDir = defaultCacheDir()
	}
	apiserver = filepath.Join(cacheDir, "kube", kv, "kube-apiserver")
	etcd = filepath.Join(cacheDir, "etcd", ev, "etcd")
	for _, b := range []string{apiserver, etcd} {
		if st, err := os.Stat(b); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
			return "", "", fmt.Errorf("test server binary %s is missing: run `make test-servers` to build kube-apiserver %s and etcd %s", b, kv, ev)
		}
	}
	return apiserver, etcd, nil
}

func defaultCacheDir() string {
	if d := os.Getenv("TEST_SERVERS_CACHE"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = os.TempDir()
	}
	return filepath.Join(home, ".cache", "fc-eventing")
}

// Start runs etcd and kube-apiserver, waits until the apiserver is ready and the Argo CRDs are
// established, and prints `kube-apiserver vX.Y.Z ready at https://127.0.0.1:PORT`.
func Start(ctx context.Context, opts Options) (s *Server, err error) {
	if opts.Log == nil {
		opts.Log = os.Stdout
	}
	if opts.Timeout == 0 {
		opts.Timeout = 5 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()

	apiBin, etcdBin, err := Binaries(opts.CacheDir)
	if err != nil {
		return nil, err
	}
	var crdDir string
	if !opts.SkipCRDs {
		if crdDir, err = ArgoCRDDir(); err != nil {
			return nil, err
		}
	}

	dir, err := os.MkdirTemp("", "fce-kube-")
	if err != nil {
		return nil, fmt.Errorf("creating run directory: %w", err)
	}
	s = &Server{Dir: dir, StartTimes: map[string]time.Duration{}}
	defer func() {
		if err != nil {
			s.Stop()
		}
	}()

	if err = s.writeCredentials(); err != nil {
		return nil, err
	}
	// A free port found by listening can be taken by another process before the server binds
	// it (other test packages start servers at the same time): try again on new ports.
	var etcdURL string
	t0 := time.Now()
	for attempt := 1; ; attempt++ {
		etcdURL, err = s.startEtcd(ctx, etcdBin)
		if err == nil || attempt == 3 || !s.portTaken("etcd.log") {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	s.StartTimes["etcd"] = time.Since(t0)
	t0 = time.Now()
	for attempt := 1; ; attempt++ {
		err = s.startAPIServer(ctx, apiBin, etcdURL)
		if err == nil || attempt == 3 || !s.portTaken("kube-apiserver.log") {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	s.StartTimes["kube-apiserver"] = time.Since(t0)
	t0 = time.Now()
	if crdDir != "" {
		if err = s.installCRDs(ctx, crdDir); err != nil {
			return nil, err
		}
	}
	s.StartTimes["crds"] = time.Since(t0)
	fmt.Fprintf(opts.Log, "kube-apiserver %s ready at %s\n", s.Version, s.URL)
	return s, nil
}

// Stop ends both processes and removes the run directory. It is safe to call more than once.
func (s *Server) Stop() {
	if s == nil {
		return
	}
	stopProcess(s.apiserver, s.apiDone)
	s.apiserver = nil
	stopProcess(s.etcd, s.etcdDone)
	s.etcd = nil
	if s.Dir != "" && os.Getenv("FCE_KUBE_KEEP") == "" {
		os.RemoveAll(s.Dir)
	}
}

func stopProcess(cmd *exec.Cmd, done chan error) {
	if cmd == nil || cmd.Process == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// AdminConfig is a rest.Config authenticated as AdminUser, with limits high enough for tests.
func (s *Server) AdminConfig() *rest.Config {
	return s.TokenConfig(s.AdminToken)
}

// TokenConfig is a rest.Config for this server authenticated by a bearer token.
func (s *Server) TokenConfig(token string) *rest.Config {
	return &rest.Config{
		Host:            s.URL,
		BearerToken:     token,
		TLSClientConfig: rest.TLSClientConfig{CAData: append([]byte(nil), s.CAData...)},
		QPS:             1000,
		Burst:           2000,
		Timeout:         30 * time.Second,
	}
}

// ServiceAccountConfig makes sure namespace and ServiceAccount exist and returns a rest.Config that
// authenticates with a token issued for that ServiceAccount through the TokenRequest API.
func (s *Server) ServiceAccountConfig(ctx context.Context, namespace, name string) (*rest.Config, error) {
	token, err := s.ServiceAccountToken(ctx, namespace, name)
	if err != nil {
		return nil, err
	}
	return s.TokenConfig(token), nil
}

// ServiceAccountToken makes sure namespace and ServiceAccount exist and returns a bearer token for it.
func (s *Server) ServiceAccountToken(ctx context.Context, namespace, name string) (string, error) {
	cs, err := kubernetes.NewForConfig(s.AdminConfig())
	if err != nil {
		return "", fmt.Errorf("building admin client: %w", err)
	}
	if err := s.EnsureNamespace(ctx, namespace); err != nil {
		return "", err
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace}}
	if _, err := cs.CoreV1().ServiceAccounts(namespace).Create(ctx, sa, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return "", fmt.Errorf("creating service account %s/%s: %w", namespace, name, err)
	}
	exp := int64(3600)
	tr, err := cs.CoreV1().ServiceAccounts(namespace).CreateToken(ctx, name,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &exp}}, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("requesting token for service account %s/%s: %w", namespace, name, err)
	}
	return tr.Status.Token, nil
}

// EnsureNamespace creates namespace unless it exists.
func (s *Server) EnsureNamespace(ctx context.Context, namespace string) error {
	cs, err := kubernetes.NewForConfig(s.AdminConfig())
	if err != nil {
		return fmt.Errorf("building admin client: %w", err)
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating namespace %s: %w", namespace, err)
	}
	return nil
}

// writeCredentials makes the CA, the serving certificate, the ServiceAccount signing key and the
// static token file.
func (s *Server) writeCredentials() error {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generating CA key: %w", err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "fc-eventing test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return fmt.Errorf("signing CA certificate: %w", err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return fmt.Errorf("parsing CA certificate: %w", err)
	}
	srvKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generating serving key: %w", err)
	}
	srvTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "kube-apiserver"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:     []string{"localhost", "kubernetes.default.svc"},
	}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, caCert, &srvKey.PublicKey, caKey)
	if err != nil {
		return fmt.Errorf("signing serving certificate: %w", err)
	}
	saKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generating service account key: %w", err)
	}
	s.CAData = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	tok := make([]byte, 24)
	if _, err := rand.Read(tok); err != nil {
		return fmt.Errorf("generating admin token: %w", err)
	}
	s.AdminToken = fmt.Sprintf("%x", tok)

	files := map[string][]byte{
		"ca.crt":     s.CAData,
		"server.crt": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srvDER}),
		"tokens.csv": []byte(fmt.Sprintf("%s,%s,%s,\"system:masters\"\n", s.AdminToken, AdminUser, AdminUser)),
	}
	if files["server.key"], err = ecKeyPEM(srvKey); err != nil {
		return err
	}
	if files["sa.key"], err = ecKeyPEM(saKey); err != nil {
		return err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&saKey.PublicKey)
	if err != nil {
		return fmt.Errorf("encoding service account public key: %w", err)
	}
	files["sa.pub"] = pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(s.Dir, name), data, 0o600); err != nil {
			return fmt.Errorf("writing %s: %w", name, err)
		}
	}
	return nil
}

func ecKeyPEM(k *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("encoding EC key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), nil
}

// freePorts reserves n distinct loopback ports by listening on them, then releases them together.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("finding a free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func (s *Server) launch(bin, logName string, args []string) (*exec.Cmd, chan error, error) {
	logf, err := os.Create(filepath.Join(s.Dir, logName))
	if err != nil {
		return nil, nil, fmt.Errorf("creating %s: %w", logName, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.Dir = s.Dir
	// The servers must not outlive the test process, even when it is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, nil, fmt.Errorf("starting %s: %w", filepath.Base(bin), err)
	}
	done := make(chan error, 1)
	go func() {
		done <- cmd.Wait()
		logf.Close()
		close(done)
	}()
	return cmd, done, nil
}

// portTaken reports whether a server's log says its port was in use, after stopping what is
// left of it.
func (s *Server) portTaken(logName string) bool {
	data, _ := os.ReadFile(filepath.Join(s.Dir, logName))
	if !strings.Contains(string(data), "address already in use") {
		return false
	}
	if logName == "etcd.log" {
		stopProcess(s.etcd, s.etcdDone)
		s.etcd = nil
		os.RemoveAll(filepath.Join(s.Dir, "etcd-data"))
	} else {
		stopProcess(s.apiserver, s.apiDone)
		s.apiserver = nil
	}
	return true
}

func (s *Server) logTail(name string) string {
	data, _ := os.ReadFile(filepath.Join(s.Dir, name))
	if len(data) > 4000 {
		data = data[len(data)-4000:]
	}
	return strings.TrimSpace(string(data))
}

func (s *Server) startEtcd(ctx context.Context, bin string) (string, error) {
	ports, err := freePorts(2)
	if err != nil {
		return "", err
	}
	client := fmt.Sprintf("http://127.0.0.1:%d", ports[0])
	peer := fmt.Sprintf("http://127.0.0.1:%d", ports[1])
	args := []string{
		"--name=fce",
		"--data-dir=" + filepath.Join(s.Dir, "etcd-data"),
		"--listen-client-urls=" + client,
		"--advertise-client-urls=" + client,
		"--listen-peer-urls=" + peer,
		"--initial-advertise-peer-urls=" + peer,
		"--initial-cluster=fce=" + peer,
		"--unsafe-no-fsync",
		// The full Argo CRDs are about 1 MB each once stored.
		"--max-request-bytes=" + strconv.Itoa(16<<20),
		"--log-level=warn",
	}
	s.etcd, s.etcdDone, err = s.launch(bin, "etcd.log", args)
	if err != nil {
		return "", err
	}
	hc := &http.Client{Timeout: time.Second}
	err = poll(ctx, s.etcdDone, func() (bool, error) {
		resp, err := hc.Get(client + "/health")
		if err != nil {
			return false, nil
		}
		defer resp.Body.Close()
		var h struct{ Health string }
		if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
			return false, nil
		}
		return h.Health == "true", nil
	})
	if err != nil {
		return "", fmt.Errorf("waiting for etcd: %w\n%s", err, s.logTail("etcd.log"))
	}
	return client, nil
}

func (s *Server) startAPIServer(ctx context.Context, bin, etcdURL string) error {
	ports, err := freePorts(1)
	if err != nil {
		return err
	}
	s.URL = fmt.Sprintf("https://127.0.0.1:%d", ports[0])
	p := func(name string) string { return filepath.Join(s.Dir, name) }
	args := []string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(ports[0]),
		"--tls-cert-file=" + p("server.crt"),
		"--tls-private-key-file=" + p("server.key"),
		"--token-auth-file=" + p("tokens.csv"),
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file=" + p("sa.pub"),
		"--service-account-signing-key-file=" + p("sa.key"),
		"--api-audiences=https://kubernetes.default.svc",
		"--service-cluster-ip-range=10.96.0.0/24",
		"--allow-privileged=true",
		"--enable-priority-and-fairness=false",
		"--profiling=false",
		"--endpoint-reconciler-type=none",
		"--v=0",
	}
	s.apiserver, s.apiDone, err = s.launch(bin, "kube-apiserver.log", args)
	if err != nil {
		return err
	}
	hc, err := s.httpClient()
	if err != nil {
		return err
	}
	err = poll(ctx, s.apiDone, func() (bool, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/readyz", nil)
		req.Header.Set("Authorization", "Bearer "+s.AdminToken)
		resp, err := hc.Do(req)
		if err != nil {
			return false, nil
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	})
	if err != nil {
		return fmt.Errorf("waiting for kube-apiserver: %w\n%s", err, s.logTail("kube-apiserver.log"))
	}
	cs, err := kubernetes.NewForConfig(s.AdminConfig())
	if err != nil {
		return fmt.Errorf("building admin client: %w", err)
	}
	v, err := cs.Discovery().ServerVersion()
	if err != nil {
		return fmt.Errorf("reading kube-apiserver version: %w", err)
	}
	s.Version = v.GitVersion
	return nil
}

func (s *Server) httpClient() (*http.Client, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(s.CAData) {
		return nil, errors.New("loading test CA")
	}
	return &http.Client{
		Timeout:   2 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}},
	}, nil
}

// poll calls f every 50ms until it reports done, the context ends or the process exits.
func poll(ctx context.Context, exited <-chan error, f func() (bool, error)) error {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		ok, err := f()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-exited:
			return fmt.Errorf("process exited: %v", err)
		case <-t.C:
		}
	}
}

// ArgoCRDDir is manifests/base/crds/full of the argo-workflows/v3 module this repository requires.
func ArgoCRDDir() (string, error) {
	_, file, _, _ := runtime.Caller(0)
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/argoproj/argo-workflows/v3")
	cmd.Dir = filepath.Dir(file)
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = fmt.Errorf("%w: %s", err, ee.Stderr)
		}
		return "", fmt.Errorf("locating the argo-workflows/v3 module: %w", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "manifests", "base", "crds", "full")
	if _, err := os.Stat(dir); err != nil {
		return "", fmt.Errorf("argo CRDs: %w (run `go mod download github.com/argoproj/argo-workflows/v3`)", err)
	}
	return dir, nil
}

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

func (s *Server) installCRDs(ctx context.Context, dir string) error {
	files, err := filepath.Glob(filepath.Join(dir, "argoproj.io_*.yaml"))
	if err != nil || len(files) == 0 {
		return fmt.Errorf("no CRDs in %s", dir)
	}
	dc, err := dynamic.NewForConfig(s.AdminConfig())
	if err != nil {
		return fmt.Errorf("building dynamic client: %w", err)
	}
	var crds []*unstructured.Unstructured
	for _, f := range files {
		objs, err := decodeFile(f)
		if err != nil {
			return err
		}
		crds = append(crds, objs...)
	}
	// The CRDs are created and waited for together: the apiserver's work for each (schema
	// conversion, OpenAPI publishing) overlaps instead of adding up.
	errs := make(chan error, len(crds))
	for _, o := range crds {
		go func() { errs <- s.installCRD(ctx, dc, o) }()
	}
	var first error
	for range crds {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// installCRD creates one CRD, waits until it is established and lists each served version once:
// the first request to a new resource builds its handler, which belongs to start-up, not to a test.
func (s *Server) installCRD(ctx context.Context, dc dynamic.Interface, crd *unstructured.Unstructured) error {
	name := crd.GetName()
	if _, err := dc.Resource(crdGVR).Create(ctx, crd, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating CRD %s: %w", name, err)
	}
	err := poll(ctx, s.apiDone, func() (bool, error) {
		o, err := dc.Resource(crdGVR).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, fmt.Errorf("reading CRD %s: %w", name, err)
		}
		conds, _, _ := unstructured.NestedSlice(o.Object, "status", "conditions")
		for _, c := range conds {
			m, _ := c.(map[string]any)
			if m["type"] == "Established" && m["status"] == "True" {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		return fmt.Errorf("waiting for CRD %s to be established: %w", name, err)
	}
	group, _, _ := unstructured.NestedString(crd.Object, "spec", "group")
	plural, _, _ := unstructured.NestedString(crd.Object, "spec", "names", "plural")
	versions, _, _ := unstructured.NestedSlice(crd.Object, "spec", "versions")
	for _, v := range versions {
		vm, _ := v.(map[string]any)
		ver, _ := vm["name"].(string)
		if served, _ := vm["served"].(bool); !served || ver == "" {
			continue
		}
		gvr := schema.GroupVersionResource{Group: group, Version: ver, Resource: plural}
		if _, err := dc.Resource(gvr).List(ctx, metav1.ListOptions{Limit: 1}); err != nil {
			return fmt.Errorf("listing %s: %w", gvr, err)
		}
	}
	return nil
}

// Apply server-side-applies every object of a YAML or JSON manifest (multi-document YAML allowed)
// as the admin, creating namespaces named by namespaced objects first.
func (s *Server) Apply(ctx context.Context, manifest []byte) error {
	objs, err := decodeManifest(manifest)
	if err != nil {
		return err
	}
	return s.applyObjects(ctx, objs)
}

// ApplyFile is Apply on the contents of a file.
func (s *Server) ApplyFile(ctx context.Context, path string) error {
	objs, err := decodeFile(path)
	if err != nil {
		return err
	}
	if err := s.applyObjects(ctx, objs); err != nil {
		return fmt.Errorf("applying %s: %w", path, err)
	}
	return nil
}

func (s *Server) applyObjects(ctx context.Context, objs []*unstructured.Unstructured) error {
	cfg := s.AdminConfig()
	dc, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("building dynamic client: %w", err)
	}
	mapper, err := newMapper(cfg)
	if err != nil {
		return err
	}
	for _, o := range objs {
		gvk := o.GroupVersionKind()
		m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			return fmt.Errorf("mapping %s: %w", gvk, err)
		}
		var ri dynamic.ResourceInterface = dc.Resource(m.Resource)
		if m.Scope.Name() == "namespace" {
			ns := o.GetNamespace()
			if ns == "" {
				ns = "default"
			}
			if err := s.EnsureNamespace(ctx, ns); err != nil {
				return err
			}
			ri = dc.Resource(m.Resource).Namespace(ns)
		}
		data, err := json.Marshal(o.Object)
		if err != nil {
			return fmt.Errorf("encoding %s %s: %w", gvk.Kind, o.GetName(), err)
		}
		force := true
		if _, err := ri.Patch(ctx, o.GetName(), types.ApplyPatchType, data, metav1.PatchOptions{FieldManager: "fce-test", Force: &force}); err != nil {
			return fmt.Errorf("applying %s %s: %w", gvk.Kind, o.GetName(), err)
		}
	}
	return nil
}
