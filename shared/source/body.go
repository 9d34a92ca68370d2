package source

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
)

// JSONObject decodes a body that must be a JSON object.
func JSONObject(body []byte) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("%w: body is not a JSON object: %v", ErrBadRequest, err)
	}
	if m == nil {
		return nil, fmt.Errorf("%w: body is null", ErrBadRequest)
	}
	return m, nil
}

// JSONBody checks that body is one JSON value and returns it as is.
func JSONBody(body []byte) (json.RawMessage, error) {
	if !json.Valid(body) {
		return nil, fmt.Errorf("%w: body is not JSON", ErrBadRequest)
	}
	return json.RawMessage(body), nil
}

// IsForm reports whether the request body is application/x-www-form-urlencoded.
func IsForm(h http.Header) bool {
	mt, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	return err == nil && mt == "application/x-www-form-urlencoded"
}

// AllowList is a set of allowed event types; nil, empty or "*" allows all.
type AllowList map[string]bool

// NewAllowList builds an allow-list from configured names.
func NewAllowList(names []string) AllowList {
	if len(names) == 0 {
		return nil
	}
	a := AllowList{}
	for _, n := range names {
		if n == "*" {
			return nil
		}
		a[n] = true
	}
	return a
}

// Allows reports whether name is allowed.
func (a AllowList) Allows(name string) bool { return a == nil || a[name] }
