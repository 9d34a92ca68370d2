// Command ossserver serves a local OSS for tests and development:
// go run ./test/ossserver --listen 127.0.0.1:PORT --access-key-id ID
// --access-key-secret SECRET --bucket NAME. It prints the endpoint to give
// the SDK. See package server for what it covers.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/fc-eventing/fc-eventing/test/ossserver/server"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "ossserver:", err)
		os.Exit(2)
	}
}

// run serves until ctx ends, after printing the endpoint to out.
func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("ossserver", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on")
	id := fs.String("access-key-id", "", "the access key id requests must be signed with")
	secret := fs.String("access-key-secret", "", "the access key secret requests must be signed with")
	buckets := fs.String("bucket", "", "comma-separated buckets to create at start")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *id == "" || *secret == "" {
		return fmt.Errorf("--access-key-id and --access-key-secret are required")
	}
	var names []string
	for _, b := range strings.Split(*buckets, ",") {
		if b = strings.TrimSpace(b); b != "" {
			names = append(names, b)
		}
	}
	r, err := server.Start(server.New(server.Config{AccessKeyID: *id, AccessKeySecret: *secret, Buckets: names}), *listen)
	if err != nil {
		return err
	}
	defer r.Close()
	fmt.Fprintln(out, r.Endpoint)
	<-ctx.Done()
	return nil
}
