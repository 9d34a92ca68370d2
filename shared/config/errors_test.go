package config

import (
	"errors"
	"testing"
)

func TestSecretEnv(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, key, want string }{
		{"github-access", "secret", "GITHUB_ACCESS_SECRET"},
		{"gitlab.token", "x-y", "GITLAB_TOKEN_X_Y"},
		{"a", "b1", "A_B1"},
	} {
		if got := SecretEnv(tc.name, tc.key); got != tc.want {
			t.Errorf("SecretEnv(%q, %q) = %q, want %q", tc.name, tc.key, got, tc.want)
		}
	}
}

func TestFieldError(t *testing.T) {
	t.Parallel()
	err := InFile("s.yaml", Fieldf(Path("spec", "dependencies", 1, "filters", "data", 0, "comparator"), "unknown comparator %q", "=>"))
	want := `s.yaml: spec.dependencies[1].filters.data[0].comparator: unknown comparator "=>"`
	if err.Error() != want {
		t.Errorf("got %q, want %q", err, want)
	}
	if !errors.Is(err, ErrInvalid) {
		t.Error("FieldError does not match ErrInvalid")
	}
}
