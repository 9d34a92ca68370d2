package sensor

import (
	"strings"
	"sync"

	"github.com/tidwall/gjson"
)

// fieldSet is every plain gjson path (a chain of keys and array indices)
// a Program reads from event data, as a trie. A docView extracts all of
// them in one pass over an event's data instead of one scan per path.
type fieldSet struct {
	root  fieldNode
	slots int
	nodes int
}

type fieldNode struct {
	id       int
	slot     int // -1: no registered path ends here
	children map[string]*fieldNode
	// keys and kids list children in the order they were added: the
	// scanner compares keys directly when there are few.
	keys []string
	kids []*fieldNode
}

// maxLinearChildren is how many children a node may have for child to
// compare keys one by one instead of hashing.
const maxLinearChildren = 8

// child returns the child at key, or nil.
func (n *fieldNode) child(key string) *fieldNode {
	if len(n.keys) > maxLinearChildren {
		return n.children[key]
	}
	for i, k := range n.keys {
		if k == key {
			return n.kids[i]
		}
	}
	return nil
}

func newFieldSet() *fieldSet {
	return &fieldSet{root: fieldNode{slot: -1}, nodes: 1}
}

// add registers a path and returns its slot, or -1 when the path uses
// gjson syntax beyond plain keys (queries, wildcards, modifiers, escapes)
// and is looked up with gjson.Get instead. A nil set registers nothing.
func (fs *fieldSet) add(path string) int {
	if fs == nil || !plainPath(path) {
		return -1
	}
	n := &fs.root
	for _, k := range strings.Split(path, ".") {
		c := n.children[k]
		if c == nil {
			if n.children == nil {
				n.children = map[string]*fieldNode{}
			}
			c = &fieldNode{id: fs.nodes, slot: -1}
			fs.nodes++
			n.children[k] = c
			n.keys = append(n.keys, k)
			n.kids = append(n.kids, c)
		}
		n = c
	}
	if n.slot < 0 {
		n.slot = fs.slots
		fs.slots++
	}
	return n.slot
}

// plainPath reports whether path is keys separated by dots with none of
// gjson's special characters.
func plainPath(path string) bool {
	if path == "" {
		return false
	}
	for _, k := range strings.Split(path, ".") {
		if k == "" || strings.ContainsAny(k, `*?#@|!\{}[]()=<>,~"%:`) || k[0] == '-' {
			return false
		}
		if len(k) > 1 && k[0] == '0' && isIndex(k) {
			return false
		}
	}
	return true
}

// docView reads paths from one JSON document: registered paths from a
// single extraction pass, others with gjson.Get. The document must not
// change while the view is used.
type docView struct {
	str  string
	fs   *fieldSet
	done bool
	ok   bool // the document is valid JSON, once done
	res  []gjson.Result
	seen []bool // nodes visited, when there are more than 64
	bits uint64 // nodes visited, otherwise
}

func newDocView(data []byte, fs *fieldSet) *docView {
	return &docView{str: bytesString(data), fs: fs}
}

var docViewPool = sync.Pool{New: func() any { return new(docView) }}

// acquireDocView is newDocView from a pool; the caller calls release when
// nothing reads the view any more.
func acquireDocView(data []byte, fs *fieldSet) *docView {
	v := docViewPool.Get().(*docView)
	*v = docView{str: bytesString(data), fs: fs, res: v.res[:0]}
	return v
}

func (v *docView) release() {
	clear(v.res)
	*v = docView{res: v.res[:0]}
	docViewPool.Put(v)
}

// get returns what gjson.Get(doc, path) returns; slot is path's slot in
// the view's fieldSet or -1.
func (v *docView) get(slot int, path string) gjson.Result {
	if slot < 0 || v.fs == nil || !v.valid() {
		return gjson.Get(v.str, path)
	}
	return v.res[slot]
}

// valid reports whether the document is valid JSON (gjson.Valid),
// extracting the registered paths on the first call.
func (v *docView) valid() bool {
	if !v.done {
		v.done = true
		if v.fs == nil {
			v.ok = gjson.Valid(v.str)
			return v.ok
		}
		if cap(v.res) >= v.fs.slots {
			v.res = v.res[:v.fs.slots]
		} else {
			v.res = make([]gjson.Result, v.fs.slots)
		}
		if v.fs.nodes > 64 {
			v.seen = make([]bool, v.fs.nodes)
		}
		v.ok = v.scan()
	}
	return v.ok
}

// visit marks node id visited and reports whether it already was.
func (v *docView) visit(id int) bool {
	if v.seen != nil {
		was := v.seen[id]
		v.seen[id] = true
		return was
	}
	was := v.bits&(1<<uint(id)) != 0
	v.bits |= 1 << uint(id)
	return was
}
