// Package sourcetest holds what the event-source tests share: golden files
// of events, and reading events back from a real memory bus.
package sourcetest
