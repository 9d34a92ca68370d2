package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/fc-eventing/fc-eventing/test/fcruntime"
)

// sourceFunctions are the functions that must stay free of Kubernetes
// client code and of the NATS client: they start cold on every webhook and
// notification, and publish to SMQ only (NATS serves `fceventing serve`).
var sourceFunctions = []string{"webhook", "oss-source", "mns-source", "eventbridge-source"}

// maxBinary is the largest stripped source function binary accepted: 15 MB.
const maxBinary = 15_000_000

func TestSourceFunctionsDoNotLinkClientGo(t *testing.T) {
	t.Parallel()
	for _, f := range sourceFunctions {
		t.Run(f, func(t *testing.T) {
			t.Parallel()
			out, err := exec.Command("go", "list", "-deps", "github.com/fc-eventing/fc-eventing/functions/"+f).CombinedOutput()
			if err != nil {
				t.Fatalf("go list -deps: %v\n%s", err, out)
			}
			for _, dep := range strings.Fields(string(out)) {
				if dep == "k8s.io/client-go" || strings.HasPrefix(dep, "k8s.io/client-go/") {
					t.Fatalf("%s links %s", f, dep)
				}
			}
		})
	}
}

// TestSourceFunctionsDoNotLinkNATS keeps the NATS client (and anything
// named after it) out of the source functions: linking it costs cold start
// on every invocation, and a deployed source publishes to SMQ only.
func TestSourceFunctionsDoNotLinkNATS(t *testing.T) {
	t.Parallel()
	for _, f := range sourceFunctions {
		t.Run(f, func(t *testing.T) {
			t.Parallel()
			out, err := exec.Command("go", "list", "-deps", "github.com/fc-eventing/fc-eventing/functions/"+f).CombinedOutput()
			if err != nil {
				t.Fatalf("go list -deps: %v\n%s", err, out)
			}
			for _, dep := range strings.Fields(string(out)) {
				if strings.Contains(dep, "nats") {
					t.Errorf("%s links %s", f, dep)
				}
			}
		})
	}
}

// TestSourceFunctionBinarySize builds each function as `make build` does
// for deployment (stripped, linux/amd64) and checks its size.
func TestSourceFunctionBinarySize(t *testing.T) {
	for _, f := range sourceFunctions {
		t.Run(f, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			bin, err := fcruntime.Build(ctx, "github.com/fc-eventing/fc-eventing/functions/"+f)
			if err != nil {
				t.Fatal(err)
			}
			st, err := os.Stat(bin)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %.1f MiB stripped", f, float64(st.Size())/(1<<20))
			if st.Size() > maxBinary {
				t.Errorf("%s is %d bytes stripped, over %d", f, st.Size(), maxBinary)
			}
		})
	}
}
