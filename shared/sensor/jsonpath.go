package sensor

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"strconv"
	"strings"
)

// maxPad bounds how far past the end of an array a parameter may set an
// element (sjson pads with nulls); a larger index is an error, not a
// gigabyte of nulls.
const maxPad = 1024

// destPath is a compiled sjson destination path: keys separated by '.',
// '\' escaping the next character, a numeric key indexing an array and -1
// appending to it.
type destPath struct {
	raw  string
	keys []string
}

// parseDest compiles an sjson path. Wildcards, '#' and '@' modifiers do not
// name one place to set and are rejected (sjson silently ignores them).
func parseDest(s string) (destPath, error) {
	if s == "" {
		return destPath{}, fmt.Errorf("empty path")
	}
	var keys []string
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\':
			if i+1 >= len(s) {
				return destPath{}, fmt.Errorf("path %q ends with an escape", s)
			}
			i++
			b.WriteByte(s[i])
		case '.':
			if b.Len() == 0 {
				return destPath{}, fmt.Errorf("path %q has an empty key", s)
			}
			keys = append(keys, b.String())
			b.Reset()
		case '*', '?':
			return destPath{}, fmt.Errorf("path %q: wildcards cannot be set", s)
		case '#', '@', '|':
			if b.Len() == 0 {
				return destPath{}, fmt.Errorf("path %q: %q cannot be set", s, string(c))
			}
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	if b.Len() == 0 {
		return destPath{}, fmt.Errorf("path %q has an empty key", s)
	}
	keys = append(keys, b.String())
	return destPath{raw: s, keys: keys}, nil
}

func isIndex(k string) bool {
	if k == "-1" {
		return true
	}
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < '0' || k[i] > '9' {
			return false
		}
	}
	return true
}

// setIn builds the value that replaces cur (a null, a scalar, or nothing
// when present is false) when value is set at keys below it. sjson makes
// an array when the key is an index, except that -1 below a value that is
// present (null or a scalar) makes an object with the key "-1".
func setIn(cur any, present bool, keys []string, value any, raw string) (any, error) {
	if len(keys) == 0 {
		return value, nil
	}
	k := keys[0]
	if isIndex(k) && (k != "-1" || !present) {
		return setIndex(nil, k, keys, value, raw)
	}
	child, err := setIn(nil, false, keys[1:], value, raw)
	if err != nil {
		return nil, err
	}
	return map[string]any{k: child}, nil
}

func setIndex(arr []any, k string, keys []string, value any, raw string) (any, error) {
	idx := len(arr)
	if k != "-1" {
		n, err := strconv.Atoi(k)
		if err != nil || n > len(arr)+maxPad {
			return nil, fmt.Errorf("setting %q: index %s is out of range", raw, k)
		}
		idx = n
	}
	size := len(arr)
	if idx >= size {
		size = idx + 1
	}
	out := make([]any, size)
	copy(out, arr)
	var cur any
	present := idx < len(arr)
	if present {
		cur = arr[idx]
	}
	child, err := setInPlace(cur, present, keys[1:], value, raw)
	if err != nil {
		return nil, err
	}
	out[idx] = child
	return out, nil
}

// setInPlace sets value at keys below cur, changing the containers on the
// way in place; they must belong to the caller (see pathTrie). It returns
// the container to store in cur's place (cur itself, or a new one when cur
// was missing, a scalar or an array too short).
func setInPlace(cur any, present bool, keys []string, value any, raw string) (any, error) {
	if len(keys) == 0 {
		return value, nil
	}
	k := keys[0]
	switch c := cur.(type) {
	case map[string]any:
		child, ok := c[k]
		child, err := setInPlace(child, ok, keys[1:], value, raw)
		if err != nil {
			return nil, err
		}
		c[k] = child
		return cur, nil
	case []any:
		if !isIndex(k) {
			return nil, fmt.Errorf("setting %q: cannot set array element for non-numeric key %q", raw, k)
		}
		idx := len(c)
		if k != "-1" {
			n, err := strconv.Atoi(k)
			if err != nil || n > len(c)+maxPad {
				return nil, fmt.Errorf("setting %q: index %s is out of range", raw, k)
			}
			idx = n
		}
		if idx < len(c) {
			child, err := setInPlace(c[idx], true, keys[1:], value, raw)
			if err != nil {
				return nil, err
			}
			c[idx] = child
			return cur, nil // cur, not c: boxing the slice again would allocate
		}
		return setIndex(c, k, keys, value, raw)
	default:
		return setIn(cur, present, keys, value, raw)
	}
}

// pathTrie is the set of paths a firing changes. cloneAlong copies exactly
// the containers of a base object that lie on these paths, so the changes
// can then be made in place while the rest is shared with the base.
type pathTrie struct {
	children map[string]*pathTrie
	// edges lists children in the order they were added, with array
	// indexes parsed once, for cloneAlong.
	edges []trieEdge
	// slot, when positive, asks cloneAlong to record the map it copies at
	// this node in slots[slot-1], so a parameter setting a key of that map
	// needs no walk from the root.
	slot int
	// slots is how many nodes of the trie have a slot (root only).
	slots int
}

type trieEdge struct {
	key   string
	index int // the key as an array index, or -1
	child *pathTrie
}

func (t *pathTrie) add(keys ...string) {
	n := t
	for _, k := range keys {
		if n.children == nil {
			n.children = map[string]*pathTrie{}
		}
		c, ok := n.children[k]
		if !ok {
			c = &pathTrie{}
			n.children[k] = c
			idx, err := strconv.Atoi(k)
			if err != nil || idx < 0 {
				idx = -1
			}
			n.edges = append(n.edges, trieEdge{key: k, index: idx, child: c})
		}
		n = c
	}
}

// slotAt gives the node at keys (added before) a slot and returns its
// index in the slots cloneAlong fills.
func (t *pathTrie) slotAt(keys []string) int {
	n := t
	for _, k := range keys {
		n = n.children[k]
	}
	if n.slot == 0 {
		t.slots++
		n.slot = t.slots
	}
	return n.slot - 1
}

// cloneAlong copies v and, below it, every container on a path of t. It
// records each copied map whose node has a slot in slots, which has
// room for every slot of the trie (or is nil).
func (t *pathTrie) cloneAlong(v any, slots []map[string]any) any {
	switch c := v.(type) {
	case map[string]any:
		m := maps.Clone(c)
		if t.slot > 0 && slots != nil {
			slots[t.slot-1] = m
		}
		for _, e := range t.edges {
			if vv, ok := c[e.key]; ok {
				m[e.key] = e.child.cloneAlong(vv, slots)
			}
		}
		return m
	case []any:
		s := make([]any, len(c), len(c)+1)
		copy(s, c)
		for _, e := range t.edges {
			if e.index >= 0 && e.index < len(c) {
				s[e.index] = e.child.cloneAlong(c[e.index], slots)
			}
		}
		return s
	}
	return v
}

// getPath returns the value at p in root, as gjson would find it in the
// JSON encoding of root.
func getPath(root map[string]any, p destPath) (any, bool) {
	var cur any = root
	for _, k := range p.keys {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[k]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			n, err := strconv.Atoi(k)
			if err != nil || k == "-1" || n < 0 || n >= len(c) {
				return nil, false
			}
			cur = c[n]
		default:
			return nil, false
		}
	}
	return cur, true
}

// gjsonString renders v as gjson's Result.String does for the same JSON:
// strings unquoted, null empty, numbers, booleans and containers as JSON.
func gjsonString(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case bool:
		return strconv.FormatBool(t)
	case int64:
		return strconv.FormatInt(t, 10)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// decodeJSON decodes JSON into the generic form Kubernetes' unstructured
// objects use: integers as int64, other numbers as float64.
func decodeJSON(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, fmt.Errorf("unexpected data after JSON value")
	}
	return convertNumbers(v), nil
}

func convertNumbers(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, vv := range t {
			t[k] = convertNumbers(vv)
		}
		return t
	case []any:
		for i, vv := range t {
			t[i] = convertNumbers(vv)
		}
		return t
	case json.Number:
		if n, err := t.Int64(); err == nil {
			return n
		}
		f, err := t.Float64()
		if err != nil {
			return t.String()
		}
		return f
	}
	return v
}
