// Package ossref carries events too large for a bus message by reference
// (the claim-check pattern of the CloudEvents "dataref" extension,
// https://github.com/cloudevents/spec/blob/main/cloudevents/extensions/dataref.md):
// the whole encoded event is stored as an object, and the message carries
// the event's context attributes with `dataref` = oss://BUCKET/KEY plus the
// object's size and SHA-256. The consumer fetches the object, checks size
// and digest and hands the handler the original event. Nothing is truncated
// or dropped: a reference that cannot be resolved is an error, and the
// message comes back.
//
// Objects are content-addressed (PREFIX + sha256 + ".json"), so publishing
// the same event twice writes one object. Removing old objects is left to
// an OSS lifecycle rule on the prefix.
package ossref
