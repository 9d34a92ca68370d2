// Package e2e runs fc-eventing end to end on real parts: the five function
// binaries, built as `make build` builds them for deployment, under the local
// Function Compute runtime API (test/fcruntime); the SMQ protocol server
// (test/smqserver) as the bus, which the real aliyun-mns-go-sdk talks to;
// the OSS server (test/ossserver) for payloads over SMQ's 64 KiB; and a real
// kube-apiserver with etcd (test/kube) where the sensor submits Workflows
// with the identity and RBAC of infra/k8s.
//
// The tests play the parts around the functions: GitHub and GitLab sending
// signed deliveries through the HTTP trigger, OSS and EventBridge invoking
// their functions, and the EventBridge event stream behind the sensor's SMQ
// queue trigger, which receives batches from the bus queue, hands them to
// the sensor in the trigger's batch shape, deletes them only when the
// sensor answered success, and otherwise lets the visibility timeout bring
// them back.
//
// `go test ./test/e2e` runs the functional tests; `make bench` adds the
// measurements (cold start against a hello-world function, latency from
// webhook accepted to Workflow persisted next to the raw create latency,
// peak memory); `make soak` runs the soak test (build tag soak).
package e2e
