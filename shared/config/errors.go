package config

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalid marks configuration that fails validation; every FieldError
// matches it with errors.Is.
var ErrInvalid = errors.New("invalid configuration")

// FieldError names the file and the field path of one invalid value, as in
// `sensor.yaml: spec.dependencies[1].filters.data[0].comparator: unknown comparator "=>"`.
type FieldError struct {
	File string
	Path string
	Msg  string
}

func (e *FieldError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteString(": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Is makes every FieldError match ErrInvalid.
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }

// Fieldf returns a FieldError for path with a formatted message.
func Fieldf(path, format string, args ...any) *FieldError {
	return &FieldError{Path: path, Msg: fmt.Sprintf(format, args...)}
}

// InFile sets the file of err when it is a FieldError without one, and
// otherwise prefixes the file name.
func InFile(file string, err error) error {
	if err == nil {
		return nil
	}
	var fe *FieldError
	if errors.As(err, &fe) {
		if fe.File == "" {
			c := *fe
			c.File = file
			return &c
		}
		return err
	}
	return fmt.Errorf("%s: %w", file, err)
}

// Path joins field path segments: Path("spec", "dependencies", 1, "filters")
// gives "spec.dependencies[1].filters".
func Path(parts ...any) string {
	var b strings.Builder
	for _, p := range parts {
		switch v := p.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", v)
		case string:
			if v == "" {
				continue
			}
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(v)
		default:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			fmt.Fprint(&b, v)
		}
	}
	return b.String()
}

// SecretEnv is the environment variable a secret reference {name, key}
// resolves to: NAME_KEY upper-cased, every character outside [A-Z0-9] turned
// into '_' ({name: github-access, key: secret} -> GITHUB_ACCESS_SECRET).
func SecretEnv(name, key string) string {
	s := strings.ToUpper(name + "_" + key)
	b := []byte(s)
	for i, c := range b {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			b[i] = '_'
		}
	}
	return string(b)
}
