package config

import (
	"bytes"
	"fmt"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"sigs.k8s.io/yaml"
)

// LoadFile reads a Sensor or EventSource file and returns a *Sensor or an
// *EventSource according to its kind. Secrets of an EventSource are
// resolved from the environment, as LoadEventSource does.
func LoadFile(path string) (any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return ParseFile(path, data, os.LookupEnv)
}

// ParseFile decodes a Sensor or EventSource document by its kind; lookup
// resolves EventSource secrets. An unknown or missing kind is a *FieldError
// on path "kind".
func ParseFile(file string, data []byte, lookup func(string) (string, bool)) (any, error) {
	if err := singleDocument(file, data); err != nil {
		return nil, err
	}
	kind, err := DocumentKind(data)
	if err != nil {
		return nil, InFile(file, &FieldError{Msg: fmt.Sprintf("decoding YAML: %v", cleanYAMLError(err))})
	}
	switch kind {
	case SensorKind:
		return ParseSensor(file, data)
	case EventSourceKind:
		return ParseEventSourceEnv(file, data, lookup)
	case "":
		return nil, InFile(file, Fieldf("kind", "is required (Sensor or EventSource)"))
	}
	return nil, InFile(file, Fieldf("kind", "unknown kind %q (Sensor or EventSource)", kind))
}

// DocumentKind reads the kind of one YAML document. A document in plain
// block style (every line at column 0 a simple "key:" line) gives its kind
// from a line scan, without decoding the rest: a function loading its
// configuration skips the large Sensor files this way. Anything else is
// decoded in full; either way the kind is the one the YAML decoder reads,
// which the files' own typed decoding then checks again.
func DocumentKind(data []byte) (string, error) {
	if kind, ok := scanKind(data); ok {
		return kind, nil
	}
	var head struct {
		Kind string `json:"kind"`
	}
	if err := yaml.Unmarshal(data, &head); err != nil {
		return "", err
	}
	return head.Kind, nil
}

// scanKind reads the top-level kind of a block-style YAML document from its
// column-0 lines. ok is false whenever the lines could mean anything else
// to a YAML decoder (flow style, quoting across lines, anchors, aliases,
// tags, merge keys, directives, several documents, a kind that is not a
// plain word): the caller then decodes the document.
func scanKind(data []byte) (kind string, ok bool) {
	if !utf8.Valid(data) || hasOtherBreaks(data) {
		return "", false
	}
	found, content, afterKind := false, false, false
	for line := range bytes.Lines(data) {
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 || line[0] == ' ' {
			// Blank, or inside a top-level value: block scalars and nested
			// collections are indented. But an indented line may continue
			// the kind's plain scalar, and one before any key starts an
			// indented top-level collection.
			if t := bytes.TrimSpace(line); len(t) > 0 && (afterKind || !content && t[0] != '#') {
				return "", false
			}
			continue
		}
		if line[0] == '#' {
			continue
		}
		if string(bytes.TrimRight(line, " ")) == "---" && !content {
			continue
		}
		key, value, isKey := topLevelKey(line)
		if !isKey {
			return "", false
		}
		content, afterKind = true, false
		// The decoder matches JSON field names regardless of case.
		if !strings.EqualFold(key, "kind") {
			if !closedOnLine(value) {
				return "", false
			}
			continue
		}
		k, plain := plainWord(value)
		if !plain || found {
			return "", false
		}
		kind, found, afterKind = k, true, true
	}
	return kind, true
}

// topLevelKey splits a column-0 "key: value" line whose key is a plain
// identifier; the value has its comment and surrounding blanks removed.
func topLevelKey(line []byte) (key string, value []byte, ok bool) {
	i := 0
	for i < len(line) && (line[i] == '_' || line[i] == '-' || isAlnum(line[i])) {
		i++
	}
	if i == 0 || !isAlnum(line[0]) {
		return "", nil, false
	}
	key = string(line[:i])
	rest := bytes.TrimLeft(line[i:], " ")
	if len(rest) == 0 || rest[0] != ':' || (len(rest) > 1 && rest[1] != ' ') {
		return "", nil, false
	}
	value = rest[1:]
	if j := bytes.Index(value, []byte(" #")); j >= 0 {
		value = value[:j]
	}
	return key, bytes.TrimSpace(value), true
}

// closedOnLine reports whether a top-level value cannot continue onto a
// later column-0 line: a quoted or flow value must close on its own line.
func closedOnLine(value []byte) bool {
	if len(value) == 0 {
		return true
	}
	var closer byte
	switch value[0] {
	case '"', '\'':
		closer = value[0]
	case '[':
		closer = ']'
	case '{':
		closer = '}'
	default:
		return true
	}
	return len(value) > 1 && value[len(value)-1] == closer
}

// hasOtherBreaks reports line breaks other than "\n" and "\r\n": a lone
// "\r" or the Unicode breaks YAML 1.1 also ends lines at.
func hasOtherBreaks(data []byte) bool {
	for i, c := range data {
		if c == '\r' && (i+1 == len(data) || data[i+1] != '\n') {
			return true
		}
	}
	return bytes.Contains(data, []byte("\u0085")) || bytes.Contains(data, []byte("\u2028")) || bytes.Contains(data, []byte("\u2029"))
}

// plainWord unquotes a kind value that every YAML decoder reads as the
// same string: letters and digits starting with a letter, optionally
// quoted, and not one of YAML 1.1's boolean or null words.
func plainWord(value []byte) (string, bool) {
	if n := len(value); n >= 2 && (value[0] == '"' || value[0] == '\'') && value[n-1] == value[0] {
		value = value[1 : n-1]
	} else if yaml11Words[string(value)] {
		return "", false
	}
	if len(value) == 0 || !isLetter(value[0]) {
		return "", false
	}
	for _, c := range value {
		if !isAlnum(c) {
			return "", false
		}
	}
	return string(value), true
}

// yaml11Words are the plain words YAML 1.1 reads as booleans or null.
var yaml11Words = map[string]bool{
	"y": true, "Y": true, "yes": true, "Yes": true, "YES": true, "n": true, "N": true, "no": true, "No": true, "NO": true,
	"true": true, "True": true, "TRUE": true, "false": true, "False": true, "FALSE": true,
	"on": true, "On": true, "ON": true, "off": true, "Off": true, "OFF": true, "null": true, "Null": true, "NULL": true,
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isAlnum(c byte) bool  { return isLetter(c) || c >= '0' && c <= '9' }

// SplitDocuments splits a YAML stream at its "---" separator lines and
// drops documents that hold only comments and blank lines.
func SplitDocuments(data []byte) [][]byte {
	var docs [][]byte
	var cur []byte
	flush := func() {
		if hasContent(cur) {
			docs = append(docs, cur)
		}
		cur = nil
	}
	for _, line := range bytes.SplitAfter(data, []byte("\n")) {
		t := bytes.TrimRight(line, " \t\r\n")
		if bytes.Equal(t, []byte("---")) || bytes.HasPrefix(t, []byte("--- ")) || bytes.HasPrefix(t, []byte("---\t")) {
			flush()
			continue
		}
		cur = append(cur, line...)
	}
	flush()
	return docs
}

func hasContent(doc []byte) bool {
	for _, line := range bytes.Split(doc, []byte("\n")) {
		t := bytes.TrimSpace(line)
		if len(t) > 0 && t[0] != '#' {
			return true
		}
	}
	return false
}

// singleDocument rejects a stream of several YAML documents, which the
// YAML decoder would silently cut to the first.
func singleDocument(file string, data []byte) error {
	if n := len(SplitDocuments(data)); n > 1 {
		return InFile(file, &FieldError{Msg: fmt.Sprintf("holds %d YAML documents; give one per file", n)})
	}
	return nil
}

// YAMLFiles yields the configuration files in dir and its subdirectories
// (*.yaml, *.yml, *.json, any case), in lexical order. An error reading
// the tree is yielded with an empty path; the walk stops when the caller
// stops ranging.
func YAMLFiles(dir string) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				if !yield("", err) {
					return filepath.SkipAll
				}
				return nil
			}
			if d.IsDir() {
				return nil
			}
			switch strings.ToLower(filepath.Ext(path)) {
			case ".yaml", ".yml", ".json":
				if !yield(path, nil) {
					return filepath.SkipAll
				}
			}
			return nil
		})
	}
}
