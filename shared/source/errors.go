package source

import (
	"errors"
	"net/http"

	"github.com/fc-eventing/fc-eventing/shared/bus"
)

// Outcomes a caller acts on. Status maps each to the HTTP status a webhook
// answers; wrap them with context (fmt.Errorf("...: %w", ErrBadRequest)).
var (
	// ErrBadRequest marks a body or header that cannot be understood.
	ErrBadRequest = errors.New("invalid request")
	// ErrBadSignature marks a missing or wrong signature or token.
	ErrBadSignature = errors.New("missing or bad signature")
	// ErrNotFound marks a path no event is served at.
	ErrNotFound = errors.New("no event at this path")
	// ErrMethodNotAllowed marks a path served for other methods only.
	ErrMethodNotAllowed = errors.New("method not allowed")
	// ErrTooLarge marks a body over the event's maxPayloadSize.
	ErrTooLarge = errors.New("payload too large")
	// ErrUnavailable marks events the bus did not accept; the caller
	// should retry. Errors matching bus.ErrUnavailable count too.
	ErrUnavailable = errors.New("events not accepted by the bus")
)

// Status is the HTTP status for the outcome err: 200 for nil, 400, 401,
// 404, 405, 413, 503 for the sentinels above, 500 for anything else. It is
// the only place these statuses are chosen.
func Status(err error) int {
	switch {
	case err == nil:
		return http.StatusOK
	case errors.Is(err, ErrBadRequest):
		return http.StatusBadRequest
	case errors.Is(err, ErrBadSignature):
		return http.StatusUnauthorized
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, ErrMethodNotAllowed):
		return http.StatusMethodNotAllowed
	case errors.Is(err, ErrTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, ErrUnavailable), errors.Is(err, bus.ErrUnavailable):
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}
