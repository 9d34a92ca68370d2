package argo_test

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"syscall"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fc-eventing/fc-eventing/shared/trigger/argo"
)

// TestIsTransient pins which failures retryStrategy tries again: the API server's own error
// values, as client-go returns them, and network failures.
func TestIsTransient(t *testing.T) {
	t.Parallel()
	wf := schema.GroupResource{Group: "argoproj.io", Resource: "workflows"}
	for name, tc := range map[string]struct {
		err  error
		want bool
	}{
		"conflict":          {apierrors.NewConflict(wf, "w", errors.New("changed")), true},
		"too-many-requests": {apierrors.NewTooManyRequests("slow down", 1), true},
		"internal":          {apierrors.NewInternalError(errors.New("boom")), true},
		"unavailable":       {apierrors.NewServiceUnavailable("etcd"), true},
		"server-timeout":    {apierrors.NewServerTimeout(wf, "create", 1), true},
		"timeout":           {apierrors.NewTimeoutError("slow", 1), true},
		"refused":           {&url.Error{Op: "Post", URL: "https://127.0.0.1:1", Err: syscall.ECONNREFUSED}, true},
		"deadline":          {fmt.Errorf("creating: %w", context.DeadlineExceeded), true},
		"forbidden":         {apierrors.NewForbidden(wf, "w", errors.New("no")), false},
		"invalid":           {apierrors.NewInvalid(schema.GroupKind{Group: "argoproj.io", Kind: "Workflow"}, "w", field.ErrorList{field.Required(field.NewPath("spec"), "")}), false},
		"not-found":         {apierrors.NewNotFound(wf, "w"), false},
		"bad-request":       {apierrors.NewBadRequest("no"), false},
		"already-exists":    {apierrors.NewAlreadyExists(wf, "w"), false},
		"unknown-ca":        {&url.Error{Op: "Post", URL: "https://x", Err: x509.UnknownAuthorityError{}}, false},
		"canceled":          {context.Canceled, false},
		"marked-permanent":  {fmt.Errorf("wrapped: %w", argo.ErrPermanent), false},
		"marked-transient":  {fmt.Errorf("wrapped: %w", argo.ErrTransient), true},
	} {
		t.Run(name, func(t *testing.T) {
			if got := argo.IsTransient(tc.err); got != tc.want {
				t.Errorf("IsTransient(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}
