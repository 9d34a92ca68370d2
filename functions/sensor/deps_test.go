package main_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestSensorLinksNoClientsetScheme keeps client-go's clientset out of the
// sensor function: the scheme of every built-in type that the clientset,
// the discovery client and the REST mapper link costs more at start-up
// than the rest of the function's package initialisation. The only
// built-in API types linked are those the Argo Workflow types embed.
func TestSensorLinksNoClientsetScheme(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "github.com/fc-eventing/fc-eventing/functions/sensor").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	forbidden := []string{
		"k8s.io/client-go/kubernetes", "k8s.io/client-go/discovery", "k8s.io/client-go/restmapper",
		"k8s.io/client-go/gentype", "k8s.io/client-go/testing", "gopkg.in/evanphx/json-patch.v4",
	}
	allowedAPI := map[string]bool{"k8s.io/api/core/v1": true, "k8s.io/api/policy/v1": true}
	for _, dep := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if dep == f || strings.HasPrefix(dep, f+"/") {
				t.Errorf("the sensor function links %s", dep)
			}
		}
		if strings.HasPrefix(dep, "k8s.io/api/") && !allowedAPI[dep] {
			t.Errorf("the sensor function links %s", dep)
		}
	}
}
