package sensor

import (
	"strconv"

	"github.com/tidwall/gjson"
)

// scan validates the document as strict JSON (what gjson.Valid accepts)
// and, in the same pass, records the value at every registered path of
// the view's fieldSet, taking the first occurrence of a duplicated key as
// gjson.Get does. It reports whether the document is valid.
func (v *docView) scan() bool {
	s := v.str
	i := skipSpace(s, 0)
	end, ok := v.scanValue(s, i, &v.fs.root)
	if !ok {
		return false
	}
	return skipSpace(s, end) == len(s)
}

func skipSpace(s string, i int) int {
	for i < len(s) {
		switch s[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// scanValue checks the value starting at i and returns where it ends. n is
// the path node the value sits at, or nil when no registered path goes
// through it.
func (v *docView) scanValue(s string, i int, n *fieldNode) (int, bool) {
	if i >= len(s) {
		return i, false
	}
	start := i
	var end int
	var ok, esc bool
	switch c := s[i]; {
	case c == '{':
		end, ok = v.scanObject(s, i, n)
	case c == '[':
		end, ok = v.scanArray(s, i, n)
	case c == '"':
		end, esc, ok = scanString(s, i)
	case c == '-' || (c >= '0' && c <= '9'):
		end, ok = scanNumber(s, i)
	case c == 't':
		end, ok = scanLiteral(s, i, "true")
	case c == 'f':
		end, ok = scanLiteral(s, i, "false")
	case c == 'n':
		end, ok = scanLiteral(s, i, "null")
	default:
		return i, false
	}
	if ok && n != nil && n.slot >= 0 {
		v.res[n.slot] = result(s[start:end], esc)
	}
	return end, ok
}

// result is gjson.Parse(raw) for a valid value, without parsing again what
// needs no parsing; esc says whether a string value holds an escape.
func result(raw string, esc bool) gjson.Result {
	switch raw[0] {
	case '{', '[':
		return gjson.Result{Type: gjson.JSON, Raw: raw}
	case '"':
		if !esc {
			return gjson.Result{Type: gjson.String, Raw: raw, Str: raw[1 : len(raw)-1]}
		}
	case 't':
		return gjson.Result{Type: gjson.True, Raw: raw}
	case 'f':
		return gjson.Result{Type: gjson.False, Raw: raw}
	case 'n':
		return gjson.Result{Type: gjson.Null, Raw: raw}
	}
	return gjson.Parse(raw)
}

func (v *docView) scanObject(s string, i int, n *fieldNode) (int, bool) {
	i = skipSpace(s, i+1)
	if i < len(s) && s[i] == '}' {
		return i + 1, true
	}
	for {
		if i >= len(s) || s[i] != '"' {
			return i, false
		}
		kend, esc, ok := scanString(s, i)
		if !ok {
			return kend, false
		}
		var child *fieldNode
		if n != nil && len(n.children) > 0 {
			key := s[i+1 : kend-1]
			if esc {
				key = gjson.Parse(s[i:kend]).Str
			}
			if c := n.child(key); c != nil && !v.visit(c.id) {
				child = c
			}
		}
		i = skipSpace(s, kend)
		if i >= len(s) || s[i] != ':' {
			return i, false
		}
		i = skipSpace(s, i+1)
		end, ok := v.scanValue(s, i, child)
		if !ok {
			return end, false
		}
		i = skipSpace(s, end)
		if i >= len(s) {
			return i, false
		}
		switch s[i] {
		case ',':
			i = skipSpace(s, i+1)
		case '}':
			return i + 1, true
		default:
			return i, false
		}
	}
}

func (v *docView) scanArray(s string, i int, n *fieldNode) (int, bool) {
	i = skipSpace(s, i+1)
	if i < len(s) && s[i] == ']' {
		return i + 1, true
	}
	for idx := 0; ; idx++ {
		var child *fieldNode
		if n != nil && len(n.children) > 0 {
			if c := n.child(strconv.Itoa(idx)); c != nil && !v.visit(c.id) {
				child = c
			}
		}
		end, ok := v.scanValue(s, i, child)
		if !ok {
			return end, false
		}
		i = skipSpace(s, end)
		if i >= len(s) {
			return i, false
		}
		switch s[i] {
		case ',':
			i = skipSpace(s, i+1)
		case ']':
			return i + 1, true
		default:
			return i, false
		}
	}
}

// plainStringByte marks the bytes a JSON string holds as they are: all but
// control characters, '"' and '\\'.
var plainStringByte = func() (t [256]bool) {
	for c := ' '; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// scanString checks the string starting at the quote at i and returns
// where it ends and whether it holds an escape.
func scanString(s string, i int) (end int, esc, ok bool) {
	for i++; ; i++ {
		for i+4 <= len(s) && plainStringByte[s[i]] && plainStringByte[s[i+1]] && plainStringByte[s[i+2]] && plainStringByte[s[i+3]] {
			i += 4
		}
		for i < len(s) && plainStringByte[s[i]] {
			i++
		}
		if i >= len(s) {
			return i, esc, false
		}
		switch c := s[i]; {
		case c < ' ':
			return i, esc, false
		case c == '"':
			return i + 1, esc, true
		}
		// A backslash.
		esc = true
		i++
		if i >= len(s) {
			return i, esc, false
		}
		switch s[i] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		case 'u':
			for j := 0; j < 4; j++ {
				i++
				if i >= len(s) || !isHex(s[i]) {
					return i, esc, false
				}
			}
		default:
			return i, esc, false
		}
	}
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// scanNumber checks the number starting at i.
func scanNumber(s string, i int) (int, bool) {
	if s[i] == '-' {
		i++
	}
	if i >= len(s) {
		return i, false
	}
	switch {
	case s[i] == '0':
		i++
	case s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		return i, false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return i, false
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return i, false
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	return i, true
}

func scanLiteral(s string, i int, lit string) (int, bool) {
	if len(s)-i < len(lit) || s[i:i+len(lit)] != lit {
		return i, false
	}
	return i + len(lit), true
}
