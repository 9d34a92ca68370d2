package argo

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"syscall"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// ErrPermanent marks failures that trying again cannot fix: forbidden, invalid, not found,
// a bad trigger definition, an operation the workflow's phase does not allow.
var ErrPermanent = errors.New("permanent trigger failure")

// ErrTransient marks failures that may pass on a later try: timeouts, throttling (429),
// server errors (5xx), conflicts, a connection that could not be made or was cut.
var ErrTransient = errors.New("transient trigger failure")

// Error is a failed firing. errors.Is(err, ErrTransient) or errors.Is(err, ErrPermanent) tells
// which kind it is; Redeliver says whether the caller should leave the event unacknowledged.
type Error struct {
	// Trigger is the trigger's name.
	Trigger string
	// Transient is true for failures worth trying again.
	Transient bool
	// Redeliver is true when the trigger asks for at-least-once delivery (atLeastOnce) and the
	// failure is transient: the event should come back rather than be acknowledged.
	Redeliver bool
	// Attempts is how many times the operation was tried.
	Attempts int
	Err      error
}

func (e *Error) Error() string {
	return "trigger " + e.Trigger + ": " + e.Err.Error()
}

func (e *Error) Unwrap() []error {
	if e.Transient {
		return []error{e.Err, ErrTransient}
	}
	return []error{e.Err, ErrPermanent}
}

// IsTransient reports whether err is worth trying again.
func IsTransient(err error) bool {
	if err == nil {
		return false
	}
	var te *Error
	if errors.As(err, &te) {
		return te.Transient
	}
	if errors.Is(err, ErrPermanent) {
		return false
	}
	if errors.Is(err, ErrTransient) {
		return true
	}
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		code := int(status.Status().Code)
		switch {
		case apierrors.IsConflict(err), apierrors.IsServerTimeout(err), apierrors.IsTimeout(err),
			apierrors.IsTooManyRequests(err), apierrors.IsInternalError(err),
			apierrors.IsServiceUnavailable(err), apierrors.IsUnexpectedServerError(err):
			return true
		case code >= 500 || code == http.StatusTooManyRequests || code == http.StatusRequestTimeout:
			return true
		}
		return false
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	// A certificate the client does not trust will not become trusted by trying again.
	var certErr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidCert x509.CertificateInvalidError
	if errors.As(err, &certErr) || errors.As(err, &unknownCA) || errors.As(err, &hostErr) || errors.As(err, &invalidCert) {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var he *httpStatusError
	if errors.As(err, &he) {
		return he.code >= 500 || he.code == http.StatusTooManyRequests || he.code == http.StatusRequestTimeout
	}
	return false
}

// permanent marks err as not worth trying again.
func permanent(err error) error {
	if err == nil {
		return nil
	}
	return &classified{err: err, kind: ErrPermanent}
}

type classified struct {
	err  error
	kind error
}

func (c *classified) Error() string   { return c.err.Error() }
func (c *classified) Unwrap() []error { return []error{c.err, c.kind} }

// httpStatusError is a non-success answer of a url source.
type httpStatusError struct {
	url  string
	code int
}

func (e *httpStatusError) Error() string {
	return "GET " + e.url + ": " + http.StatusText(e.code)
}
