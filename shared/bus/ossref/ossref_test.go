package ossref_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fc-eventing/fc-eventing/shared/bus/ossref"
	"github.com/fc-eventing/fc-eventing/shared/event"
	"github.com/fc-eventing/fc-eventing/test/ossserver/server"
)

func store(t *testing.T) (*ossref.Store, *server.Running) {
	t.Helper()
	r, err := server.Start(server.New(server.Config{AccessKeyID: "id", AccessKeySecret: "secret", Buckets: []string{"large"}}), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	s, err := ossref.New(ossref.Config{Endpoint: r.Endpoint, Bucket: "large", Prefix: "fce/", AccessKeyID: "id", AccessKeySecret: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	return s, r
}

func TestOffloadResolve(t *testing.T) {
	t.Parallel()
	s, srv := store(t)
	ctx := context.Background()
	e := event.Event{ID: "big-1", Source: "gh", Subject: "push", Type: "github",
		Data: json.RawMessage(`{"blob":"` + strings.Repeat("z", 100000) + `"}`), Extensions: map[string]string{"x": "y"}}
	enc, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := ossref.Offload(ctx, s, e, enc)
	if err != nil {
		t.Fatal(err)
	}
	if !ossref.IsReference(ref) || len(ref.Data) != 0 || !strings.HasPrefix(ref.Extensions[ossref.ExtDataRef], "oss://large/fce/") {
		t.Fatalf("reference event = %+v", ref)
	}
	got, err := ossref.Resolve(ctx, s, ref)
	if err != nil {
		t.Fatal(err)
	}
	want := e
	want.DataContentType = "application/json"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("resolved event differs (-want +got):\n%s", diff)
	}

	_, key, _ := ossref.ParseRef(ref.Extensions[ossref.ExtDataRef])
	srv.PutObject("large", key, "application/json", []byte(`{"id":"big-1","source":"s","type":"t"}`))
	if _, err := ossref.Resolve(ctx, s, ref); !errors.Is(err, ossref.ErrReference) {
		t.Errorf("tampered object resolved: %v", err)
	}
	missing := ref
	missing.Extensions = map[string]string{ossref.ExtDataRef: "oss://large/fce/none.json"}
	if _, err := ossref.Resolve(ctx, s, missing); !errors.Is(err, ossref.ErrReference) {
		t.Errorf("missing object = %v, want ErrReference", err)
	}
	if _, err := ossref.Resolve(ctx, nil, ref); !errors.Is(err, ossref.ErrReference) {
		t.Errorf("no store = %v, want ErrReference", err)
	}
}

func TestPlainEventUnchanged(t *testing.T) {
	t.Parallel()
	e := event.Event{ID: "1", Source: "s", Type: "t"}
	got, err := ossref.Resolve(context.Background(), nil, e)
	if err != nil || got.ID != "1" {
		t.Errorf("Resolve(plain) = %+v, %v", got, err)
	}
}
