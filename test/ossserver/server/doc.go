// Package server is a local OSS (Alibaba Cloud Object Storage Service)
// server for tests: PutObject, GetObject (with single byte ranges and
// If-Match / If-None-Match), HeadObject and DeleteObject, plus PutBucket and
// DeleteBucket, speaking the REST API as github.com/aliyun/aliyun-oss-go-sdk
// does. Requests must carry a valid signature version 1
// (`Authorization: OSS AccessKeyId:Signature`, HMAC-SHA1 over the method,
// Content-MD5, Content-Type, Date, the sorted x-oss-* headers and the
// canonicalized resource /bucket/key with its signed sub-resources) and are
// refused with the service's <Error> document (403 SignatureDoesNotMatch,
// 404 NoSuchBucket / NoSuchKey, 400 InvalidDigest, 412 PreconditionFailed).
// Answers carry ETag (the quoted upper-case MD5 of the object),
// x-oss-hash-crc64ecma (the SDK verifies it), x-oss-request-id,
// Last-Modified and the object's x-oss-meta-* headers.
//
// Buckets are addressed path-style (http://127.0.0.1:PORT/bucket/key), which
// is what the SDK does for an IP endpoint, or virtual-host style when the
// Host's first label names an existing bucket. Objects live in memory.
// Faults (500 InternalError for a share of requests) can be injected.
package server
