package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestSources: an event from each origin goes through its source function,
// the SMQ bus and the sensor, and the Workflow its Sensor describes exists
// with the parameters taken from the event.
func TestSources(t *testing.T) {
	p := newPipeline(t, options{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p.pump(ctx)

	tests := map[string]struct {
		send     func() (string, error)
		sensor   string
		trigger  string
		params   map[string]string
		eventKey string
	}{
		"github push": {
			send: func() (string, error) {
				id := "a1b2c3d4-" + p.id
				return id, p.github(ctx, id, githubPush("octo/app", "9f1c0ffee", "refs/heads/main"))
			},
			sensor: "github", trigger: "build",
			params: map[string]string{"repo": "octo/app", "revision": "9f1c0ffee"},
		},
		"gitlab push": {
			send: func() (string, error) {
				id := "5e1f0a44-" + p.id
				return id, p.gitlab(ctx, id, gitlabPush("group/service", "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"), gitlabToken)
			},
			sensor: "gitlab", trigger: "build",
			params: map[string]string{"project": "group/service", "revision": "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"},
		},
		"oss notification": {
			send: func() (string, error) {
				return "62A2E2EFD0DE" + p.id + ":incoming/cat.jpg:ObjectCreated:PutObject",
					p.ossUpload(ctx, "62A2E2EFD0DE"+p.id, "incoming/cat.jpg")
			},
			sensor: "oss", trigger: "process",
			params: map[string]string{"bucket": "uploads", "key": "incoming/cat.jpg"},
		},
		"smq message": {
			send: func() (string, error) {
				return p.smqMessage(ctx, `{"repo":"demo","ref":"main"}`)
			},
			sensor: "smq", trigger: "build",
			params: map[string]string{"repo": "demo", "ref": "main"},
		},
		"eventbridge event": {
			send: func() (string, error) {
				id := "45ef4dee-7c35-447a-bd93-" + p.id
				return id, p.bridge(ctx, id, "i-bp1ecr5go2go1")
			},
			sensor: "bridge", trigger: "inventory",
			params: map[string]string{"instance": "i-bp1ecr5go2go1", "state": "Running"},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			id, err := tt.send()
			if err != nil {
				t.Fatalf("sending: %v", err)
			}
			wfs := p.waitWorkflows(ctx, tt.sensor, 1, 0)
			if len(wfs) != 1 {
				t.Fatalf("%d workflows: %+v", len(wfs), wfs)
			}
			w := wfs[0]
			want := map[string]string{"event": id}
			for k, v := range tt.params {
				want[k] = v
			}
			if diff := cmp.Diff(want, w.Params); diff != "" {
				t.Errorf("workflow %s parameters (-want +got):\n%s", w.Name, diff)
			}
			if w.Trigger != tt.trigger {
				t.Errorf("workflow %s: trigger label %q, want %q", w.Name, w.Trigger, tt.trigger)
			}
		})
	}
}
