package embedded_test

import (
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/fc-eventing/fc-eventing/shared/bus/nats/embedded"
)

func TestStartServesJetStream(t *testing.T) {
	t.Parallel()
	s, err := embedded.Start(embedded.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	nc, err := nats.Connect(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := nc.JetStream()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.AccountInfo(); err != nil {
		t.Errorf("JetStream not enabled: %v", err)
	}
}

func TestStartNeedsADirectory(t *testing.T) {
	t.Parallel()
	if _, err := embedded.Start(embedded.Config{}); err == nil {
		t.Error("Start without a data directory returned nil error")
	}
}
