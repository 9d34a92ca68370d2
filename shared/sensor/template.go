package sensor

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"sync"
	"text/template"
	"text/template/parse"

	sprig "github.com/Masterminds/sprig/v3"
	"github.com/tidwall/gjson"
)

// sprigRemoved are sprig functions a sensor template may not call: they
// read the environment (where the function's credentials live) or do
// network I/O.
var sprigRemoved = []string{"env", "expandenv", "getHostByName"}

// sensorFuncMap builds the functions sensor templates may call.
func sensorFuncMap() template.FuncMap {
	m := sprig.TxtFuncMap()
	for _, name := range sprigRemoved {
		delete(m, name)
	}
	return m
}

// funcMap returns the function map templates are compiled with: built once
// and shared.
var funcMap = sync.OnceValue(sensorFuncMap)

// compileTemplate parses a Go text/template with sprig functions, as Argo
// Events does for filter and parameter templates.
func compileTemplate(name, src string) (*template.Template, error) {
	t, err := template.New(name).Funcs(funcMap()).Parse(src)
	if err != nil {
		return nil, fmt.Errorf("parsing template: %w", err)
	}
	return t, nil
}

// execTemplate runs t on {"Input": input} and returns its output; an empty
// output or "<no value>" is an error, as in Argo Events.
func execTemplate(t *template.Template, input any) (string, error) {
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	if err := t.Execute(buf, map[string]any{"Input": input}); err != nil {
		return "", fmt.Errorf("executing template: %w", err)
	}
	return checkOutput(t, buf.String())
}

func checkOutput(t *template.Template, out string) (string, error) {
	if out == "" || out == "<no value>" {
		return "", fmt.Errorf("template %q evaluated to empty string or no value", t.Root.String())
	}
	return out, nil
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// stringTemplate is a data filter template: its input is the string found
// at the filter's path.
type stringTemplate struct {
	t    *template.Template
	fast *fastTemplate
}

func compileStringTemplate(name, src string) (*stringTemplate, error) {
	t, err := compileTemplate(name, src)
	if err != nil {
		return nil, err
	}
	st := &stringTemplate{t: t}
	if f, ok := compileFast(t); ok && f.onlyWholeInput() {
		st.fast = f
	}
	return st, nil
}

func (st *stringTemplate) exec(in string) (string, error) {
	if st.fast != nil {
		out, _ := st.fast.run(func(*fastPart) (string, bool) { return in, true })
		return checkOutput(st.t, out)
	}
	return execTemplate(st.t, in)
}

// jsonTemplate is a template whose input is a JSON document. When every use
// of .Input in it is a chain of field names (.Input.body.ref), only the
// values at those paths are decoded for each event; otherwise the whole
// document is.
type jsonTemplate struct {
	t    *template.Template
	fast *fastTemplate
	// paths are the gjson paths of the fields the template reads, none a
	// prefix of another; nil means decode everything.
	paths [][]string
}

func compileJSONTemplate(name, src string, fs *fieldSet) (*jsonTemplate, error) {
	t, err := compileTemplate(name, src)
	if err != nil {
		return nil, err
	}
	jt := &jsonTemplate{t: t}
	if fields, ok := inputFields(t); ok {
		jt.paths = minimalPaths(fields)
	}
	if f, ok := compileFast(t); ok && !f.usesWholeInput() {
		for i := range f.parts {
			if f.parts[i].action {
				f.parts[i].slot = fs.add(f.parts[i].path)
			}
		}
		jt.fast = f
	}
	return jt, nil
}

// input builds the .Input value for doc.
func (jt *jsonTemplate) input(doc []byte) any {
	if jt.paths == nil {
		return gjson.ParseBytes(doc).Value()
	}
	root := gjson.ParseBytes(doc)
	if !root.IsObject() {
		return root.Value()
	}
	in := map[string]any{}
	for _, p := range jt.paths {
		r := root
		for _, k := range p {
			r = r.Get(gjson.Escape(k))
			if !r.Exists() {
				break
			}
		}
		if !r.Exists() {
			continue
		}
		m := in
		for _, k := range p[:len(p)-1] {
			next, ok := m[k].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[k] = next
			}
			m = next
		}
		m[p[len(p)-1]] = r.Value()
	}
	return in
}

func (jt *jsonTemplate) exec(doc *docView) (string, error) {
	if jt.fast != nil {
		out, ok := jt.fast.run(func(p *fastPart) (string, bool) {
			r := doc.get(p.slot, p.path)
			return r.Str, r.Type == gjson.String
		})
		if ok {
			return checkOutput(jt.t, detach(out, doc.str))
		}
	}
	return execTemplate(jt.t, jt.input([]byte(doc.str)))
}

// inputFields lists the field chains after .Input in t; ok is false when
// .Input (or the dot) is used in any other way.
func inputFields(t *template.Template) (fields [][]string, ok bool) {
	ok = true
	var walk func(n parse.Node)
	walk = func(n parse.Node) {
		if !ok || n == nil {
			return
		}
		switch x := n.(type) {
		case *parse.ListNode:
			if x == nil {
				return
			}
			for _, c := range x.Nodes {
				walk(c)
			}
		case *parse.ActionNode:
			walk(x.Pipe)
		case *parse.PipeNode:
			if x == nil {
				return
			}
			if len(x.Decl) > 0 {
				ok = false
				return
			}
			for _, c := range x.Cmds {
				walk(c)
			}
		case *parse.CommandNode:
			for _, a := range x.Args {
				walk(a)
			}
		case *parse.FieldNode:
			if len(x.Ident) < 2 || x.Ident[0] != "Input" {
				ok = false
				return
			}
			fields = append(fields, x.Ident[1:])
		case *parse.IfNode:
			walk(x.Pipe)
			walk(x.List)
			walk(x.ElseList)
		case *parse.TextNode, *parse.StringNode, *parse.NumberNode, *parse.BoolNode, *parse.NilNode,
			*parse.IdentifierNode, *parse.CommentNode:
		default:
			// range, with, template, variables, the dot, chains: decode all.
			ok = false
		}
	}
	walk(t.Root)
	if len(t.Templates()) > 1 {
		ok = false
	}
	return fields, ok
}

// minimalPaths drops duplicate paths and paths below another one.
func minimalPaths(fields [][]string) [][]string {
	sort.Slice(fields, func(i, j int) bool { return len(fields[i]) < len(fields[j]) })
	var out [][]string
next:
	for _, f := range fields {
		for _, o := range out {
			if len(o) <= len(f) && strings.Join(f[:len(o)], "\x00") == strings.Join(o, "\x00") {
				continue next
			}
		}
		out = append(out, f)
	}
	if out == nil {
		out = [][]string{}
	}
	return out
}
