package e2e

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/fc-eventing/fc-eventing/test/fcruntime"
	"github.com/fc-eventing/fc-eventing/test/kube"
	ossserver "github.com/fc-eventing/fc-eventing/test/ossserver/server"
	smqserver "github.com/fc-eventing/fc-eventing/test/smqserver/server"
)

const (
	// accessKeyID and accessKeySecret are the function role's credentials,
	// which FC hands the functions and the SMQ and OSS servers check.
	accessKeyID     = "STS.fce-e2e"
	accessKeySecret = "fce-e2e-secret"
	securityToken   = "fce-e2e-token"

	// namespace is infra/k8s's: the sensor's ServiceAccount, its Roles, the
	// Workflows and the conditions state live there.
	namespace      = "fc-eventing"
	serviceAccount = "fc-eventing-sensor"

	payloadBucket = "fce-payloads"
	githubSecret  = "e2e-github-secret"
	gitlabToken   = "e2e-gitlab-token"
)

// The functions, as `make build` packs them (FUNCTIONS in the Makefile).
var functionNames = []string{"webhook", "oss-source", "mns-source", "eventbridge-source", "sensor"}

// Shared by every test of the package; set up once by TestMain.
var (
	cluster *kube.Server
	smq     *smqserver.Running
	oss     *ossserver.Running
	// sensorToken is a token of infra/k8s's ServiceAccount.
	sensorToken string
)

// stopRestarted stops a kube-apiserver the soak test restarted.
var stopRestarted = func() {}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	defer func() {
		if err := fcruntime.CleanupBuilds(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}()

	// Build the functions while the control plane starts.
	var wg sync.WaitGroup
	buildErr := make(chan error, len(functionNames)+1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for _, pkg := range append(functionPackages(), helloPkg) {
			if _, err := fcruntime.Build(ctx, pkg); err != nil {
				buildErr <- err
				return
			}
		}
	}()

	var err error
	cluster, err = kube.Start(ctx, kube.Options{Log: os.Stderr})
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: starting kube-apiserver: %v\n", err)
		return 1
	}
	defer func() {
		stopRestarted()
		cluster.Stop()
	}()
	if err := applyInfra(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: %v\n", err)
		return 1
	}
	sensorToken, err = cluster.ServiceAccountToken(ctx, namespace, serviceAccount)
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: token of %s/%s: %v\n", namespace, serviceAccount, err)
		return 1
	}

	smq, err = smqserver.Start(smqserver.New(smqserver.Config{AccessKeyID: accessKeyID, AccessKeySecret: accessKeySecret}), "127.0.0.1:0")
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: starting the SMQ server: %v\n", err)
		return 1
	}
	defer smq.Close()
	oss, err = ossserver.Start(ossserver.New(ossserver.Config{
		AccessKeyID: accessKeyID, AccessKeySecret: accessKeySecret, Buckets: []string{payloadBucket},
	}), "127.0.0.1:0")
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: starting the OSS server: %v\n", err)
		return 1
	}
	defer oss.Close()

	wg.Wait()
	close(buildErr)
	if err := <-buildErr; err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: %v\n", err)
		return 1
	}
	return m.Run()
}

func functionPackages() []string {
	pkgs := make([]string, len(functionNames))
	for i, f := range functionNames {
		pkgs[i] = functionPkg(f)
	}
	return pkgs
}

func functionPkg(name string) string {
	return "github.com/fc-eventing/fc-eventing/functions/" + name
}

// helloPkg is the minimal function built with the same SDK, the cold-start
// baseline.
const helloPkg = "github.com/fc-eventing/fc-eventing/test/fcruntime/hello"

// applyInfra applies what infra/k8s's kustomization lists, as the deploy
// guide has the user do.
func applyInfra(ctx context.Context) error {
	dir := filepath.Join("..", "..", "infra", "k8s")
	b, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		return fmt.Errorf("reading infra/k8s: %w", err)
	}
	var kust struct {
		Resources []string `json:"resources"`
	}
	if err := yaml.Unmarshal(b, &kust); err != nil {
		return fmt.Errorf("decoding infra/k8s/kustomization.yaml: %w", err)
	}
	for _, r := range kust.Resources {
		if err := cluster.ApplyFile(ctx, filepath.Join(dir, r)); err != nil {
			return fmt.Errorf("applying infra/k8s/%s: %w", r, err)
		}
	}
	return nil
}
