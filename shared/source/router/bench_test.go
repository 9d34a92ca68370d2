package router

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/fc-eventing/fc-eventing/shared/bus/memory"
	"github.com/fc-eventing/fc-eventing/shared/source"
	"github.com/fc-eventing/fc-eventing/shared/source/sourcetest"
)

// benchBody is a GitHub push of typical size.
var benchBody = func() []byte {
	b, _ := json.Marshal(map[string]any{
		"ref": "refs/heads/main", "before": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
		"after":      "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
		"repository": map[string]any{"id": 186853002, "full_name": "Codertocat/Hello-World"},
		"commits": []any{map[string]any{"id": "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c", "message": "Update README.md",
			"modified": []string{"README.md"}}},
	})
	return b
}()

// BenchmarkBaselineDecode is the floor: decoding the body once, which any
// handler of the delivery has to do.
func BenchmarkBaselineDecode(b *testing.B) {
	for b.Loop() {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(benchBody, &m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDispatchGitHub is a signed GitHub push through the router:
// routing, signature, decoding, event building, publishing to the memory bus.
func BenchmarkDispatchGitHub(b *testing.B) {
	bus := memory.New(memory.Options{})
	rt, err := New(sourcetest.EventSources(b, env, "eventsources.yaml"), bus)
	if err != nil {
		b.Fatal(err)
	}
	d := push("push", "bench", benchBody)
	h := http.Header{}
	for k, v := range d.header {
		h.Set(k, v)
	}
	route, err := rt.Match(d.method, d.path)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for b.Loop() {
		reply := rt.Dispatch(ctx, route, source.Request{Method: d.method, Path: d.path, Header: h, Body: benchBody})
		if reply.Status != http.StatusOK {
			b.Fatalf("status %d: %s", reply.Status, reply.Error)
		}
	}
}
