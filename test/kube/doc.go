// Package kube starts a real Kubernetes control plane for tests: etcd and kube-apiserver, built by
// `make test-servers` (test/kube/build.sh) from the versions pinned in test/kube/tools/go.mod and cached
// under $TEST_SERVERS_CACHE (default ~/.cache/fc-eventing).
//
// The apiserver listens on a free loopback port with TLS (a CA made per run), authenticates static
// bearer tokens and ServiceAccount tokens, authorizes with RBAC, and has the Argo Workflows CRDs of the
// argo-workflows/v3 module (manifests/base/crds/full) installed and established before Start returns.
// etcd listens on loopback without TLS: only the apiserver talks to it.
//
// There is no controller-manager and no scheduler: objects are stored and served, nothing reconciles
// them (Workflows are not run, namespaces are not finalized), which is what client tests need.
//
// Missing binaries are an error, never a skip: tests that need the server fail and say to run
// `make test-servers`.
package kube
