// Command smqserver serves the SMQ (MNS) REST API locally for tests and
// development: go run ./test/smqserver --listen 127.0.0.1:PORT
// --access-key-id ID --access-key-secret SECRET. It prints the endpoint to
// give the SDK. See package server for what it covers.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/fc-eventing/fc-eventing/test/smqserver/server"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "smqserver:", err)
		os.Exit(2)
	}
}

// run serves until ctx ends, after printing the SDK endpoint to out.
func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("smqserver", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on")
	id := fs.String("access-key-id", "", "the access key id requests must be signed with")
	secret := fs.String("access-key-secret", "", "the access key secret requests must be signed with")
	account := fs.String("account-id", "123", "account id in endpoints")
	region := fs.String("region", "cn-hangzhou", "region in endpoints")
	queues := fs.String("queues", "", "comma-separated queues to create at start")
	failRate := fs.Float64("fail-rate", 0, "share of requests answered 500 before processing (0-1)")
	delay := fs.Duration("delay", 0, "delay added to --delay-share of requests")
	delayShare := fs.Float64("delay-share", 0, "share of requests delayed (0-1)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *id == "" || *secret == "" {
		return fmt.Errorf("--access-key-id and --access-key-secret are required")
	}
	s := server.New(server.Config{AccessKeyID: *id, AccessKeySecret: *secret, AccountID: *account, Region: *region})
	s.SetFaults(server.Faults{FailBefore: *failRate, Delay: *delay, DelayShare: *delayShare})
	for _, q := range splitComma(*queues) {
		if err := s.CreateQueue(q, server.QueueOptions{}); err != nil {
			return err
		}
	}
	r, err := server.Start(s, *listen)
	if err != nil {
		return err
	}
	defer r.Close()
	fmt.Fprintln(out, r.Endpoint)
	<-ctx.Done()
	return nil
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			if i > start {
				out = append(out, s[start:i])
			}
			start = i + 1
		}
	}
	return out
}
