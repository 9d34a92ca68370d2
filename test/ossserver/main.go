// Command ossserver serves a local OSS for tests and development:
// go run ./test/ossserver --listen 127.0.0.1:PORT --access-key-id ID
// --access-key-secret SECRET --bucket NAME. It prints the endpoint to give
// the SDK. See package server for what it covers.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/fc-eventing/fc-eventing/test/ossserver/server"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	id := flag.String("access-key-id", "", "the access key id requests must be signed with")
	secret := flag.String("access-key-secret", "", "the access key secret requests must be signed with")
	buckets := flag.String("bucket", "", "comma-separated buckets to create at start")
	flag.Parse()
	if *id == "" || *secret == "" {
		fmt.Fprintln(os.Stderr, "ossserver: --access-key-id and --access-key-secret are required")
		os.Exit(2)
	}
	var names []string
	for _, b := range strings.Split(*buckets, ",") {
		if b = strings.TrimSpace(b); b != "" {
			names = append(names, b)
		}
	}
	r, err := server.Start(server.New(server.Config{AccessKeyID: *id, AccessKeySecret: *secret, Buckets: names}), *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ossserver:", err)
		os.Exit(1)
	}
	fmt.Println(r.Endpoint)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	_ = r.Close()
}
