package main

import (
	"bufio"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	ali_mns "github.com/aliyun/aliyun-mns-go-sdk"
)

func TestRunServesTheSDK(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--listen", "127.0.0.1:0", "--access-key-id", "id", "--access-key-secret", "s", "--queues", "q1"}, pw)
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	endpoint := strings.TrimSpace(line)
	c := ali_mns.NewAliMNSClientWithConfig(ali_mns.AliMNSClientConfig{EndPoint: endpoint, AccessKeyId: "id", AccessKeySecret: "s"})
	if _, err := ali_mns.NewMNSQueue("q1", c).SendMessage(ali_mns.MessageSendRequest{MessageBody: "hi", Priority: 8}); err != nil {
		t.Fatalf("send to %s: %v", endpoint, err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run did not return after cancel")
	}
}

func TestRunRequiresCredentials(t *testing.T) {
	if err := run(context.Background(), []string{"--listen", "127.0.0.1:0"}, io.Discard); err == nil {
		t.Error("run without credentials returned nil")
	}
}
