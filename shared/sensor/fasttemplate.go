package sensor

import (
	"strings"
	"text/template"
	"text/template/parse"
	"unsafe"

	"github.com/tidwall/gjson"
)

// fastTemplate runs the common shape of sensor templates without
// text/template: text and actions {{ .Input.a.b | fn "arg" | fn2 }} whose
// value is a string and whose functions are sprig string functions with
// constant arguments. It calls the same sprig functions text/template
// would, so the output is the same; when a value is missing or not a
// string, run reports !ok and the caller runs the real template, so errors
// and "<no value>" are text/template's own.
type fastTemplate struct {
	parts []fastPart
}

type fastPart struct {
	text   string
	action bool
	keys   []string // field names after .Input; empty: .Input itself
	path   string   // keys as an escaped gjson path
	slot   int      // path's slot in the program's fieldSet, or -1
	cmds   []func(string) string
}

// compileFast translates t when it has the supported shape.
func compileFast(t *template.Template) (*fastTemplate, bool) {
	if len(t.Templates()) > 1 || t.Root == nil {
		return nil, false
	}
	fm := funcMap()
	f := &fastTemplate{}
	for _, n := range t.Root.Nodes {
		switch x := n.(type) {
		case *parse.TextNode:
			f.parts = append(f.parts, fastPart{text: string(x.Text)})
		case *parse.CommentNode:
		case *parse.ActionNode:
			p, ok := compileFastAction(x.Pipe, fm)
			if !ok {
				return nil, false
			}
			f.parts = append(f.parts, p)
		default:
			return nil, false
		}
	}
	return f, true
}

func compileFastAction(pipe *parse.PipeNode, fm template.FuncMap) (fastPart, bool) {
	if pipe == nil || len(pipe.Decl) > 0 || len(pipe.Cmds) == 0 {
		return fastPart{}, false
	}
	first := pipe.Cmds[0]
	if len(first.Args) != 1 {
		return fastPart{}, false
	}
	field, ok := first.Args[0].(*parse.FieldNode)
	if !ok || len(field.Ident) == 0 || field.Ident[0] != "Input" {
		return fastPart{}, false
	}
	p := fastPart{action: true, keys: field.Ident[1:], slot: -1}
	esc := make([]string, len(p.keys))
	for i, k := range p.keys {
		esc[i] = gjson.Escape(k)
	}
	p.path = strings.Join(esc, ".")
	for _, c := range pipe.Cmds[1:] {
		fn, ok := fastCommand(c, fm)
		if !ok {
			return fastPart{}, false
		}
		p.cmds = append(p.cmds, fn)
	}
	return p, true
}

// fastCommand binds `name const...` to a function of the piped value
// (text/template passes it as the last argument).
func fastCommand(c *parse.CommandNode, fm template.FuncMap) (func(string) string, bool) {
	if len(c.Args) == 0 {
		return nil, false
	}
	id, ok := c.Args[0].(*parse.IdentifierNode)
	if !ok {
		return nil, false
	}
	args := c.Args[1:]
	str := func(i int) (string, bool) {
		s, ok := args[i].(*parse.StringNode)
		if !ok {
			return "", false
		}
		return s.Text, true
	}
	num := func(i int) (int, bool) {
		n, ok := args[i].(*parse.NumberNode)
		if !ok || !n.IsInt {
			return 0, false
		}
		return int(n.Int64), true
	}
	switch f := fm[id.Ident].(type) {
	case func(string) string:
		if len(args) == 0 {
			return f, true
		}
	case func(string, string) string:
		if len(args) == 1 {
			if a, ok := str(0); ok {
				return func(v string) string { return f(a, v) }, true
			}
		}
	case func(string, string, string) string:
		if len(args) == 2 {
			a, ok1 := str(0)
			b, ok2 := str(1)
			if ok1 && ok2 {
				return func(v string) string { return f(a, b, v) }, true
			}
		}
	case func(int, string) string:
		if len(args) == 1 {
			if a, ok := num(0); ok {
				return func(v string) string { return f(a, v) }, true
			}
		}
	case func(int, int, string) string:
		if len(args) == 2 {
			a, ok1 := num(0)
			b, ok2 := num(1)
			if ok1 && ok2 {
				return func(v string) string { return f(a, b, v) }, true
			}
		}
	}
	return nil, false
}

// onlyWholeInput reports whether every action reads .Input itself.
func (f *fastTemplate) onlyWholeInput() bool {
	for _, p := range f.parts {
		if p.action && len(p.keys) > 0 {
			return false
		}
	}
	return true
}

// usesWholeInput reports whether some action reads .Input itself.
func (f *fastTemplate) usesWholeInput() bool {
	for _, p := range f.parts {
		if p.action && len(p.keys) == 0 {
			return true
		}
	}
	return false
}

// run executes the template; lookup returns the string at a field path
// and whether there is one.
func (f *fastTemplate) run(lookup func(p *fastPart) (string, bool)) (string, bool) {
	if len(f.parts) == 1 && f.parts[0].action {
		return f.parts[0].eval(lookup)
	}
	var b strings.Builder
	for i := range f.parts {
		p := &f.parts[i]
		if !p.action {
			b.WriteString(p.text)
			continue
		}
		v, ok := p.eval(lookup)
		if !ok {
			return "", false
		}
		b.WriteString(v)
	}
	return b.String(), true
}

func (p *fastPart) eval(lookup func(p *fastPart) (string, bool)) (string, bool) {
	v, ok := lookup(p)
	if !ok {
		return "", false
	}
	for _, fn := range p.cmds {
		v = fn(v)
	}
	return v, true
}

// detach returns s, copied when it shares memory with doc (a value read
// from event data, or a substring of one), so results never alias event
// data.
func detach(s, doc string) string {
	if len(s) == 0 || len(doc) == 0 {
		return s
	}
	p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
	start := uintptr(unsafe.Pointer(unsafe.StringData(doc)))
	if p >= start && p < start+uintptr(len(doc)) {
		return strings.Clone(s)
	}
	return s
}

// bytesString views b as a string without copying; the string must not
// outlive a change to b.
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
