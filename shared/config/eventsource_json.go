package config

import "encoding/json"

// The kinds of an EventSource encode themselves. encoding/json builds the
// encoder of every type reachable from the one it first decodes into, all
// at once; with these methods the EventSource graph stops at each kind, so
// loading a file builds the types of the kinds it uses, not of all ten (a
// third of a cold function's configuration load). Each encodes as its
// fields would without the method.

func (s GithubEventSource) MarshalJSON() ([]byte, error) {
	type fields GithubEventSource
	return json.Marshal(fields(s))
}

func (s GitlabEventSource) MarshalJSON() ([]byte, error) {
	type fields GitlabEventSource
	return json.Marshal(fields(s))
}

func (s GiteeEventSource) MarshalJSON() ([]byte, error) {
	type fields GiteeEventSource
	return json.Marshal(fields(s))
}

func (s CodeupEventSource) MarshalJSON() ([]byte, error) {
	type fields CodeupEventSource
	return json.Marshal(fields(s))
}

func (s BitbucketEventSource) MarshalJSON() ([]byte, error) {
	type fields BitbucketEventSource
	return json.Marshal(fields(s))
}

func (s BitbucketServerEventSource) MarshalJSON() ([]byte, error) {
	type fields BitbucketServerEventSource
	return json.Marshal(fields(s))
}

func (s WebhookEventSource) MarshalJSON() ([]byte, error) {
	type fields WebhookEventSource
	return json.Marshal(fields(s))
}

func (s MNSEventSource) MarshalJSON() ([]byte, error) {
	type fields MNSEventSource
	return json.Marshal(fields(s))
}

func (s OSSEventSource) MarshalJSON() ([]byte, error) {
	type fields OSSEventSource
	return json.Marshal(fields(s))
}

func (s EventBridgeEventSource) MarshalJSON() ([]byte, error) {
	type fields EventBridgeEventSource
	return json.Marshal(fields(s))
}
