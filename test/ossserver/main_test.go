package main

import (
	"bufio"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

func TestRunServesTheSDK(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--access-key-id", "id", "--access-key-secret", "s", "--bucket", "bucket-one,bucket-two"}, pw)
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	c, err := oss.New(strings.TrimSpace(line), "id", "s")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := c.Bucket("bucket-two")
	if err := b.PutObject("k", strings.NewReader("v")); err != nil {
		t.Fatalf("PutObject: %v", err)
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
