// Command smqserver serves the SMQ (MNS) REST API locally for tests and
// development: go run ./test/smqserver --listen 127.0.0.1:PORT
// --access-key-id ID --access-key-secret SECRET. It prints the endpoint to
// give the SDK. See package server for what it covers.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/fc-eventing/fc-eventing/test/smqserver/server"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	id := flag.String("access-key-id", "", "the access key id requests must be signed with")
	secret := flag.String("access-key-secret", "", "the access key secret requests must be signed with")
	account := flag.String("account-id", "123", "account id in endpoints")
	region := flag.String("region", "cn-hangzhou", "region in endpoints")
	queues := flag.String("queues", "", "comma-separated queues to create at start")
	failRate := flag.Float64("fail-rate", 0, "share of requests answered 500 before processing (0-1)")
	delay := flag.Duration("delay", 0, "delay added to --delay-share of requests")
	delayShare := flag.Float64("delay-share", 0, "share of requests delayed (0-1)")
	flag.Parse()
	if *id == "" || *secret == "" {
		fmt.Fprintln(os.Stderr, "smqserver: --access-key-id and --access-key-secret are required")
		os.Exit(2)
	}
	s := server.New(server.Config{AccessKeyID: *id, AccessKeySecret: *secret, AccountID: *account, Region: *region})
	s.SetFaults(server.Faults{FailBefore: *failRate, Delay: *delay, DelayShare: *delayShare})
	for _, q := range splitComma(*queues) {
		if err := s.CreateQueue(q, server.QueueOptions{}); err != nil {
			fmt.Fprintln(os.Stderr, "smqserver:", err)
			os.Exit(1)
		}
	}
	r, err := server.Start(s, *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "smqserver:", err)
		os.Exit(1)
	}
	fmt.Println(r.Endpoint)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	_ = r.Close()
	time.Sleep(10 * time.Millisecond)
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
