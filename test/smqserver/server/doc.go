// Package server is a local implementation of the SMQ (formerly MNS) REST
// API, version 2015-06-06, faithful enough for github.com/aliyun/aliyun-mns-go-sdk
// to use it as it uses the service: requests are authenticated with the
// `Authorization: MNS AccessKeyId:Signature` scheme (HMAC-SHA1 over the
// method, Content-MD5, Content-Type, Date, the sorted x-mns-* headers and the
// resource with its query) and refused with 403 SignatureDoesNotMatch when
// the signature is wrong; bodies are the service's XML; errors are the
// service's <Error> documents with its codes.
//
// Covered: queues (create, get and set attributes, delete, list), send and
// batch send (Priority 1-16, DelaySeconds), receive and batch receive with
// long polling (waitseconds up to 30, woken by a send), peek, visibility
// timeouts and redelivery with DequeueCount, receipt handles that change at
// every receive and visibility change (a stale one is refused), delete and
// batch delete, change visibility, topics with queue subscriptions
// (NotifyContentFormat XML, JSON or SIMPLIFIED, FilterTag) and publish.
//
// Deliberate differences: state lives in memory; a security token, when
// configured, is compared, not resolved through STS; HTTP and mail subscription
// endpoints are refused; one account and one region. The SDK's endpoint must
// split on "." into five parts, so a local endpoint carries a host-like
// first path segment and a host without dots
// (http://localhost:PORT/123.mns.cn-hangzhou.local.test; Endpoint writes a
// loopback IP as localhost, since its dots would add parts);
// the server strips a first path segment that contains a dot.
//
// Faults can be injected for tests: a share of requests fails with 500
// InternalError before being processed, a share is processed and then
// answered with 500 (the answer is lost), and a share is delayed.
//
// It is a test part, not a bus for users.
package server
