// Package codeup turns Alibaba Cloud Codeup webhook deliveries into events.
// Codeup sends GitLab-shaped bodies with X-Codeup-Token (compared with
// secretToken in constant time) and X-Codeup-Event ("Push Hook", "Tag Push
// Hook", "Merge Request Hook", "Note Hook"). Data is {"headers", "body",
// "metadata"} like Argo Events' gitlab source. Codeup sends no delivery id,
// so the id is a hash of the body: a redelivered body keeps its id. The
// handling is gitlab's Hook under Codeup's dialect (names and headers).
package codeup
