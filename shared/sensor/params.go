package sensor

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/fc-eventing/fc-eventing/shared/config"
	"github.com/fc-eventing/fc-eventing/shared/event"
)

// param is a compiled trigger parameter.
type param struct {
	src      config.TriggerParameterSource
	ctxTmpl  *jsonTemplate
	dataTmpl *jsonTemplate
	dest     destPath
	op       config.TriggerParameterOperation
	dataSlot int // dataKey's slot in the program's fieldSet, or -1
	// parent is the slot of the map holding dest's last key among the
	// containers objectSpec.build copies, or -1 (see buildTrie).
	parent int
}

// docSet holds the docViews of the events a firing uses, by dependency.
type docSet struct {
	fs    *fieldSet
	n     int
	deps  [4]string
	views [4]*docView
	more  map[string]*docView
}

func (d *docSet) add(dep string, v *docView) {
	if d.n < len(d.deps) {
		d.deps[d.n], d.views[d.n] = dep, v
		d.n++
		return
	}
	if d.more == nil {
		d.more = map[string]*docView{}
	}
	d.more[dep] = v
}

// view returns the view of dep's event data, creating it on first use.
func (d *docSet) view(dep string, data []byte) *docView {
	if d == nil {
		return newDocView(data, nil)
	}
	for i := 0; i < d.n; i++ {
		if d.deps[i] == dep {
			return d.views[i]
		}
	}
	if v, ok := d.more[dep]; ok {
		return v
	}
	v := newDocView(data, d.fs)
	d.add(dep, v)
	return v
}

func compileParams(p string, params []config.TriggerParameter, fs *fieldSet) ([]param, error) {
	out := make([]param, 0, len(params))
	for i, prm := range params {
		pp := config.Path(p, i)
		if prm.Src == nil {
			return nil, config.Fieldf(config.Path(pp, "src"), "is required")
		}
		c := param{src: *prm.Src, op: prm.Operation, dataSlot: -1, parent: -1}
		if prm.Src.DataKey != "" {
			c.dataSlot = fs.add(prm.Src.DataKey)
		}
		if prm.Src.ContextTemplate != "" {
			t, err := compileJSONTemplate("contextTemplate", prm.Src.ContextTemplate, nil)
			if err != nil {
				return nil, config.Fieldf(config.Path(pp, "src", "contextTemplate"), "%v", err)
			}
			c.ctxTmpl = t
		}
		if prm.Src.DataTemplate != "" {
			t, err := compileJSONTemplate("dataTemplate", prm.Src.DataTemplate, fs)
			if err != nil {
				return nil, config.Fieldf(config.Path(pp, "src", "dataTemplate"), "%v", err)
			}
			c.dataTmpl = t
		}
		d, err := parseDest(prm.Dest)
		if err != nil {
			return nil, config.Fieldf(config.Path(pp, "dest"), "%v", err)
		}
		c.dest = d
		out = append(out, c)
	}
	return out, nil
}

// Value kinds a parameter resolves to: a plain string, or raw JSON that
// useRawData inserts as JSON.
const (
	kindString = iota
	kindRaw
)

// resolve finds the parameter's value in events, following Argo Events'
// ResolveParamValue: a missing dependency gives the default value or
// nothing (ok false); a template that fails falls back to the key, a key
// that is missing to the default; with neither, it is an error.
func (c *param) resolve(events map[string]event.Event, docs *docSet) (val string, kind int, ok bool, err error) {
	src := &c.src
	ev, found := events[src.DependencyName]
	if !found {
		if src.Value != nil {
			return *src.Value, kindString, true, nil
		}
		return "", kindString, false, nil
	}
	if src.ContextKey == "" && src.DataKey == "" && src.DataTemplate == "" && src.ContextTemplate == "" {
		if src.Value != nil {
			return *src.Value, kindString, true, nil
		}
		b, err := json.Marshal(wholeEvent{Context: contextOf(&ev), Data: ev.Data})
		if err != nil {
			return "", 0, false, fmt.Errorf("encoding event: %w", err)
		}
		return string(b), kindString, true, nil
	}
	var doc *docView
	var key string
	var tmpl *jsonTemplate
	slot := -1
	if src.DataKey != "" || src.DataTemplate != "" {
		doc, key, tmpl, slot = docs.view(src.DependencyName, ev.Data), src.DataKey, c.dataTmpl, c.dataSlot
	} else {
		b, err := json.Marshal(contextOf(&ev))
		if err != nil {
			return "", 0, false, fmt.Errorf("encoding event context: %w", err)
		}
		doc, key, tmpl = newDocView(b, nil), src.ContextKey, c.ctxTmpl
	}
	var lastErr error
	if tmpl != nil {
		out, err := tmpl.exec(doc)
		if err == nil {
			return out, kindString, true, nil
		}
		lastErr = err
	}
	if key != "" {
		r := doc.get(slot, key)
		if r.Exists() {
			switch {
			case r.IsObject() || r.IsArray() || r.Type == gjson.Null:
				return strings.Clone(r.Raw), kindRaw, true, nil
			case r.Type == gjson.String:
				return strings.Clone(r.Str), kindString, true, nil
			default:
				return strings.Clone(r.String()), kindRaw, true, nil
			}
		}
		lastErr = fmt.Errorf("key %s does not exist in the event payload", key)
	}
	if src.Value != nil {
		return *src.Value, kindString, true, nil
	}
	return "", 0, false, fmt.Errorf("unable to resolve parameter value from dependency %q: %v", src.DependencyName, lastErr)
}

// wholeEvent is what a parameter without key or template resolves to.
type wholeEvent struct {
	Context eventContext    `json:"context"`
	Data    json.RawMessage `json:"data,omitempty"`
}

// eventContext is the event context as Argo Events encodes it for
// contextKey and contextTemplate.
type eventContext struct {
	ID              string `json:"id"`
	Source          string `json:"source"`
	SpecVersion     string `json:"specversion"`
	Type            string `json:"type"`
	DataContentType string `json:"datacontenttype"`
	Subject         string `json:"subject"`
	Time            string `json:"time"`
}

func contextOf(ev *event.Event) eventContext {
	c := eventContext{
		ID: ev.ID, Source: ev.Source, SpecVersion: event.SpecVersion, Type: ev.Type,
		DataContentType: ev.DataContentType, Subject: ev.Subject,
	}
	if !ev.Time.IsZero() {
		c.Time = ev.Time.UTC().Format(time.RFC3339)
	}
	return c
}

// applyInPlace applies params to obj the way Argo Events applies them to
// the object's JSON with sjson. The containers on every parameter's
// destination must belong to the caller (objectSpec.build clones them);
// slots holds the copied maps by trie slot (nil entries for maps that were
// absent), where a parameter with a parent slot sets its key directly.
func applyInPlace(obj map[string]any, params []param, events map[string]event.Event, docs *docSet, slots []map[string]any) error {
	for i := range params {
		c := &params[i]
		val, kind, ok, err := c.resolve(events, docs)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		var parent map[string]any
		var key string
		if c.parent >= 0 && c.parent < len(slots) {
			parent, key = slots[c.parent], c.dest.keys[len(c.dest.keys)-1]
		}
		if c.op == config.ParamAppend || c.op == config.ParamPrepend {
			var cur any
			var exists bool
			if parent != nil {
				cur, exists = parent[key]
			} else {
				cur, exists = getPath(obj, c.dest)
			}
			if exists {
				kind = kindString
				if c.op == config.ParamAppend {
					val = gjsonString(cur) + val
				} else {
					val += gjsonString(cur)
				}
			}
		}
		var v any = val
		if kind == kindRaw && c.src.UseRawData {
			if v, err = decodeJSON([]byte(val)); err != nil {
				return fmt.Errorf("parameter %s: decoding raw value: %w", c.dest.raw, err)
			}
		}
		if parent != nil {
			parent[key] = v
			continue
		}
		if _, err := setInPlace(obj, true, c.dest.keys, v, c.dest.raw); err != nil {
			return err
		}
	}
	return nil
}

// applyToJSON applies params to a JSON document with sjson, exactly as
// Argo Events does; used for trigger-level parameters on the template.
func applyToJSON(doc []byte, params []param, events map[string]event.Event) ([]byte, error) {
	for i := range params {
		c := &params[i]
		val, kind, ok, err := c.resolve(events, nil)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		if c.op == config.ParamAppend || c.op == config.ParamPrepend {
			if cur := gjson.GetBytes(doc, c.dest.raw); cur.Exists() {
				kind = kindString
				if c.op == config.ParamAppend {
					val = cur.String() + val
				} else {
					val += cur.String()
				}
			}
		}
		if kind == kindRaw && c.src.UseRawData {
			doc, err = sjson.SetRawBytes(doc, c.dest.raw, []byte(val))
		} else {
			doc, err = sjson.SetBytes(doc, c.dest.raw, val)
		}
		if err != nil {
			return nil, fmt.Errorf("setting %s: %w", c.dest.raw, err)
		}
	}
	return doc, nil
}
