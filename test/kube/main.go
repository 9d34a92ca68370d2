package kube

import (
	"context"
	"fmt"
	"os"
	"testing"
)

// Run is a TestMain body: it starts a Server, stores it in *srv, runs the package's tests and
// stops the server. A server that cannot start (binaries missing included) fails the package
// with the reason; nothing is skipped.
//
//	var cluster *kube.Server
//	func TestMain(m *testing.M) { os.Exit(kube.Run(m, &cluster)) }
func Run(m *testing.M, srv **Server) int {
	s, err := Start(context.Background(), Options{})
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: starting kube-apiserver: %v\n", err)
		return 1
	}
	*srv = s
	defer s.Stop()
	return m.Run()
}
