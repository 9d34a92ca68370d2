package sensor_test

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/fc-eventing/fc-eventing/shared/event"
)

// TestEvaluateConcurrently evaluates events from many goroutines on one
// Program with every kind of filter, transform and parameter (run with
// -race): Evaluate only reads the Program, and each firing gets an object
// of its own.
func TestEvaluateConcurrently(t *testing.T) {
	t.Parallel()
	p := compile(t, `apiVersion: argoproj.io/v1alpha1
kind: Sensor
metadata: {name: s, namespace: ns}
spec:
  dependencies:
    - name: a
      eventSourceName: es
      eventName: a
      transform:
        script: 'event.body.seen = true; return event'
      filters:
        data:
          - {path: body.ref, type: string, value: [main]}
          - {path: body.ref, type: string, template: '{{ .Input | upper }}', value: [MAIN]}
        exprs:
          - {expr: 'num >= 0', fields: [{name: num, path: body.n}]}
        script: 'return event.body.seen == true'
    - name: b
      eventSourceName: es
      eventName: b
      transform:
        jq: '.'
  triggers:
    - template:
        name: single
        conditions: a
        k8s:
          source: {resource: {apiVersion: v1, kind: ConfigMap, metadata: {generateName: cm-}, data: {n: ""}}}
          parameters:
            - src: {dependencyName: a, dataKey: body.n}
              dest: data.n
            - src: {dependencyName: a, dataTemplate: '{{ .Input.body.ref | lower }}-{{ .Input.body.n }}'}
              dest: data.t
    - template:
        name: both
        conditions: a && b
        log: {}
`)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				n := g*1000 + i
				e := event.Event{ID: fmt.Sprint(n), Source: "es", Subject: "a", Type: "t", Time: evTime,
					Data: json.RawMessage(fmt.Sprintf(`{"body":{"ref":"refs/heads/main","n":%d}}`, n))}
				if i%3 == 0 {
					e.Subject = "b"
				}
				res := evaluate(t, p, e)
				for _, f := range res.Firings {
					if f.Trigger != "single" {
						continue
					}
					data := f.Object["data"].(map[string]any)
					if data["n"] != fmt.Sprint(n) || data["t"] != fmt.Sprintf("refs/heads/main-%d", n) {
						errs <- fmt.Errorf("event %d: data = %v", n, data)
					}
					data["n"] = "changed" // the object is the caller's below metadata only where the engine changed it
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
