// Package gitee turns Gitee webhook deliveries into events. Gitee sends
// X-Gitee-Token: in password mode the password itself (compared in constant
// time), in signature mode base64(HMAC-SHA256(secret, timestamp + "\n" +
// secret)) with the millisecond X-Gitee-Timestamp, which must be within one
// hour of the delivery's arrival (https://help.gitee.com/webhook/how-to-verify-webhook-keys).
// Gitee documents the signature URL-encoded but sends it plain; both are
// accepted. Data is {"headers", "body", "metadata"}; the body's "password"
// member, which Gitee fills in password mode, is removed so the secret
// never reaches the bus. Gitee sends no delivery id, so the id is a hash of
// the body.
package gitee
