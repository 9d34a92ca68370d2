package sensor

import (
	"fmt"
	"strings"
)

// condNode is a compiled trigger condition: a boolean expression over
// dependency names with &&, ||, ! and parentheses, as Argo Events accepts in
// trigger.template.conditions.
type condNode struct {
	op    byte // 'v' variable, '&', '|', '!'
	dep   int  // dependency index for 'v'
	left  *condNode
	right *condNode
}

func (n *condNode) eval(present []bool) bool {
	switch n.op {
	case 'v':
		return present[n.dep]
	case '!':
		return !n.left.eval(present)
	case '&':
		return n.left.eval(present) && n.right.eval(present)
	default:
		return n.left.eval(present) || n.right.eval(present)
	}
}

// vars adds the dependency indices the condition names to set.
func (n *condNode) vars(set map[int]bool) {
	if n == nil {
		return
	}
	if n.op == 'v' {
		set[n.dep] = true
	}
	n.left.vars(set)
	n.right.vars(set)
}

type condParser struct {
	s    string
	pos  int
	deps map[string]int
}

// parseConditions compiles a conditions expression; deps maps dependency
// names to indices.
func parseConditions(s string, deps map[string]int) (*condNode, error) {
	p := &condParser{s: s, deps: deps}
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	p.space()
	if p.pos < len(p.s) {
		return nil, fmt.Errorf("unexpected %q at offset %d", p.s[p.pos:], p.pos)
	}
	return n, nil
}

func (p *condParser) space() {
	for p.pos < len(p.s) && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t' || p.s[p.pos] == '\n' || p.s[p.pos] == '\r') {
		p.pos++
	}
}

func (p *condParser) or() (*condNode, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for {
		p.space()
		if !strings.HasPrefix(p.s[p.pos:], "||") {
			return l, nil
		}
		p.pos += 2
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = &condNode{op: '|', left: l, right: r}
	}
}

func (p *condParser) and() (*condNode, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for {
		p.space()
		if !strings.HasPrefix(p.s[p.pos:], "&&") {
			return l, nil
		}
		p.pos += 2
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		l = &condNode{op: '&', left: l, right: r}
	}
}

func (p *condParser) unary() (*condNode, error) {
	p.space()
	if p.pos >= len(p.s) {
		return nil, fmt.Errorf("unexpected end of expression")
	}
	switch c := p.s[p.pos]; c {
	case '!':
		p.pos++
		n, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &condNode{op: '!', left: n}, nil
	case '(':
		p.pos++
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		p.space()
		if p.pos >= len(p.s) || p.s[p.pos] != ')' {
			return nil, fmt.Errorf("missing ')' at offset %d", p.pos)
		}
		p.pos++
		return n, nil
	}
	start := p.pos
	for p.pos < len(p.s) && !strings.ContainsRune(" \t\r\n()&|!", rune(p.s[p.pos])) {
		p.pos++
	}
	if p.pos == start {
		return nil, fmt.Errorf("expected a dependency name at offset %d, got %q", p.pos, p.s[p.pos:])
	}
	name := p.s[start:p.pos]
	i, ok := p.deps[name]
	if !ok {
		return nil, fmt.Errorf("unknown dependency %q", name)
	}
	return &condNode{op: 'v', dep: i}, nil
}
