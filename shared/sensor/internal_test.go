package sensor

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/fc-eventing/fc-eventing/shared/config"
)

// TestSetPathMatchesSjson checks the in-memory parameter destination
// against sjson on the JSON text, which is what Argo Events uses, over
// random documents and paths.
func TestSetPathMatchesSjson(t *testing.T) {
	t.Parallel()
	docs := []string{
		`{}`,
		`{"a":1}`,
		`{"a":{"b":[1,2,{"c":"d"}]},"e":null,"f":"s"}`,
		`{"a":[],"b":{"0":"x"},"c":[[1],[2,3]]}`,
		`{"metadata":{"name":"n","labels":{"x":"y"}},"spec":{"arguments":{"parameters":[{"name":"p","value":""}]}}}`,
	}
	keys := []string{"a", "b", "c", "d", "e", "f", "0", "1", "2", "3", "-1", "01", "x.y", "metadata", "spec", "name"}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 5000; i++ {
		doc := docs[rng.IntN(len(docs))]
		n := 1 + rng.IntN(4)
		parts := make([]string, n)
		for j := range parts {
			parts[j] = strings.ReplaceAll(keys[rng.IntN(len(keys))], ".", `\.`)
		}
		path := strings.Join(parts, ".")
		d, err := parseDest(path)
		if err != nil {
			t.Fatalf("parseDest(%q): %v", path, err)
		}
		want, wantErr := sjson.Set(doc, path, "V")
		v, err := decodeJSON([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		orig := fmt.Sprint(v)
		trie := &pathTrie{}
		trie.add(d.keys...)
		root := trie.cloneAlong(v, nil).(map[string]any)
		_, gotErr := setInPlace(root, true, d.keys, "V", path)
		if fmt.Sprint(v) != orig {
			t.Fatalf("%s on %s changed the original", path, doc)
		}
		if (gotErr != nil) != (wantErr != nil) {
			t.Fatalf("%s on %s: error %v, sjson error %v", path, doc, gotErr, wantErr)
		}
		if gotErr != nil {
			continue
		}
		got, _ := json.Marshal(root)
		var wv, gv any
		_ = json.Unmarshal([]byte(want), &wv)
		_ = json.Unmarshal(got, &gv)
		if diff := cmp.Diff(wv, gv); diff != "" {
			t.Fatalf("%s on %s (-sjson +ours):\n%s", path, doc, diff)
		}
		// getPath finds what was set, as gjson would (-1 names no element).
		if strings.Contains("."+path+".", ".-1.") {
			continue
		}
		if got, ok := getPath(root, d); !ok || got != "V" {
			t.Fatalf("getPath(%s) after set = %v, %v", path, got, ok)
		}
	}
}

func TestParseDest(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		want []string
		err  bool
	}{
		{in: "a.b.0", want: []string{"a", "b", "0"}},
		{in: `metadata.labels.app\.io/name`, want: []string{"metadata", "labels", "app.io/name"}},
		{in: "a.-1", want: []string{"a", "-1"}},
		{in: `a\\b`, want: []string{`a\b`}},
		{in: "", err: true}, {in: "a.", err: true}, {in: ".a", err: true}, {in: "a.*", err: true},
		{in: "a.b?", err: true}, {in: "#", err: true}, {in: "a.@this", err: true}, {in: `a\`, err: true},
	} {
		d, err := parseDest(tt.in)
		if (err != nil) != tt.err {
			t.Errorf("parseDest(%q) error = %v", tt.in, err)
			continue
		}
		if !tt.err && !cmp.Equal(d.keys, tt.want) {
			t.Errorf("parseDest(%q) = %q, want %q", tt.in, d.keys, tt.want)
		}
	}
}

func TestSetIndexBound(t *testing.T) {
	t.Parallel()
	d, _ := parseDest("a.999999999")
	if _, err := setInPlace(map[string]any{"a": []any{}}, true, d.keys, "v", d.raw); err == nil {
		t.Error("huge index accepted")
	}
}

// TestFastTemplateMatchesTextTemplate runs templates through the native
// path and text/template and compares, for inputs that take the fast path.
func TestFastTemplateMatchesTextTemplate(t *testing.T) {
	t.Parallel()
	doc := []byte(`{"body":{"ref":"refs/heads/Main","title":"  Fix: Retry Uploads  ","n":3,"repo":{"name":"Payments"},"a.b":"dot"}}`)
	for _, src := range []string{
		`{{ .Input.body.ref }}`,
		`{{ .Input.body.ref | lower }}`,
		`{{ .Input.body.ref | trimPrefix "refs/heads/" | upper }}`,
		`{{ .Input.body.title | trim | trunc 5 }}`,
		`{{ .Input.body.title | replace " " "_" }}`,
		`{{ .Input.body.title | substr 2 6 }}`,
		`{{ .Input.body.title | trimSuffix "  " | repeat 2 }}`,
		`ref={{ .Input.body.ref | base }}, repo={{ .Input.body.repo.name | lower }}{{/* c */}}`,
		`{{- .Input.body.repo.name -}} !`,
		`{{ .Input.body.ref | sha256sum }}`,
		`{{ .Input.body.ref | b64enc }}`,
	} {
		jt, err := compileJSONTemplate("t", src, newFieldSet())
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if jt.fast == nil {
			t.Errorf("%s: no fast path", src)
			continue
		}
		fast, err := jt.exec(newDocView(doc, nil))
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		slow, err := execTemplate(jt.t, jt.input(doc))
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		full, err := execTemplate(jt.t, fullInput(doc))
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if fast != slow || slow != full {
			t.Errorf("%s: fast %q, sparse %q, full %q", src, fast, slow, full)
		}
	}
	// Values that are not strings, and missing values, take text/template.
	for src, want := range map[string]string{
		`{{ .Input.body.n }}`:            "3",
		`{{ .Input.body.repo }}`:         "map[name:Payments]",
		`{{ .Input.body.missing }}x`:     "<no value>x",
		`{{ .Input.body.n | toString }}`: "3",
	} {
		jt, err := compileJSONTemplate("t", src, newFieldSet())
		if err != nil {
			t.Fatal(err)
		}
		got, err := jt.exec(newDocView(doc, nil))
		if err != nil || got != want {
			t.Errorf("%s = %q, %v; want %q", src, got, err, want)
		}
	}
	for _, src := range []string{`{{ .Input }}`, `{{ range .Input.body }}{{ . }}{{ end }}`, `{{ $x := .Input.body.ref }}{{ $x }}`, `{{ printf "%s" .Input.body.ref }}`} {
		jt, err := compileJSONTemplate("t", src, newFieldSet())
		if err != nil {
			t.Fatal(err)
		}
		if jt.fast != nil {
			t.Errorf("%s took the fast path", src)
		}
	}
}

func fullInput(doc []byte) any {
	var v any
	_ = json.Unmarshal(doc, &v)
	return v
}

// TestDocViewMatchesGjson checks the one-pass extraction against gjson.Get
// over random documents and paths.
func TestDocViewMatchesGjson(t *testing.T) {
	t.Parallel()
	docs := []string{
		`{"a":{"b":[1,{"c":"d"},[2]],"b2":"x"},"a":{"b":"second"},"e":null,"f":"s","g":{"0":"zero","1":["one"]}}`,
		`{"body":{"ref":"r","commits":[{"id":"c1","author":{"name":"a"}},{"id":"c2"}],"esc":"a\"b\u0041"},"headers":{"X-Event":["push"]}}`,
		`[1,2,{"a":3}]`,
		`{"a":1,"a":2,"b":{"c":1},"b":{"d":2}}`,
		`{"k":{"":1,"x y":2}}`,
		`not json`,
		``,
	}
	keys := []string{"a", "b", "b2", "c", "d", "e", "f", "g", "0", "1", "2", "3", "body", "ref", "commits", "id", "author", "name", "esc", "headers", "X-Event", "k", "x y"}
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 300; i++ {
		fs := newFieldSet()
		var paths []string
		var slots []int
		for j := 0; j < 1+rng.IntN(6); j++ {
			n := 1 + rng.IntN(4)
			parts := make([]string, n)
			for k := range parts {
				parts[k] = keys[rng.IntN(len(keys))]
			}
			p := strings.Join(parts, ".")
			paths = append(paths, p)
			slots = append(slots, fs.add(p))
		}
		for _, doc := range docs {
			v := newDocView([]byte(doc), fs)
			for j, p := range paths {
				got, want := v.get(slots[j], p), gjson.Get(doc, p)
				if got.Exists() != want.Exists() || got.Raw != want.Raw || got.String() != want.String() || got.Type != want.Type {
					t.Fatalf("path %q in %s: got %v %q, gjson %v %q", p, doc, got.Exists(), got.Raw, want.Exists(), want.Raw)
				}
			}
		}
	}
	if newFieldSet().add("a.#") != -1 || newFieldSet().add(`a\.b`) != -1 || newFieldSet().add("a.01") != -1 {
		t.Error("a path with gjson syntax got a slot")
	}
}

// TestScanValidMatchesGjson checks the one-pass validator against
// gjson.Valid on edge cases and on random mutations of valid documents.
func TestScanValidMatchesGjson(t *testing.T) {
	t.Parallel()
	cases := []string{
		``, ` `, `1`, `-`, `-0`, `01`, `1.`, `1.5`, `1e`, `1e+`, `1E-7`, `-01`, `0.0e0`, `"\x"`, `"\u12G4"`, `"\u00e9"`,
		"\"a\tb\"", `"a\"b"`, `tru`, `true`, `nul`, `null `, `[1,]`, `[,1]`, `[]`, ` [ ] `, `{"a":1,}`, `{,}`, `{}`,
		`{"a" 1}`, `{"a":}`, `{"a":1 "b":2}`, `"a" x`, `[1 2]`, `{"a":[{"b":[[]]}]}`, `{"\u0061":1}`, `[1]]`, `{"a":1}}`,
		`"unterminated`, `{"a":"b\\"}`, `[true,false,null,-1.5e10,"x",{},[]]`,
	}
	seeds := []string{pushDoc, `{"a":[1,2,{"b":"c\n"}],"d":-0.5e3,"e":[true,false,null]}`}
	rng := rand.New(rand.NewPCG(5, 6))
	alphabet := []byte(`{}[]:,"\ 0123456789.eE+-tfnaulrsx` + "\t\n")
	for i := 0; i < 20000; i++ {
		b := []byte(seeds[rng.IntN(len(seeds))])
		for m := 0; m < 1+rng.IntN(3); m++ {
			pos := rng.IntN(len(b))
			switch rng.IntN(3) {
			case 0:
				b[pos] = alphabet[rng.IntN(len(alphabet))]
			case 1:
				b = append(b[:pos], b[pos+1:]...)
			default:
				b = append(b[:pos], append([]byte{alphabet[rng.IntN(len(alphabet))]}, b[pos:]...)...)
			}
			if len(b) == 0 {
				break
			}
		}
		cases = append(cases, string(b))
	}
	fs := newFieldSet()
	fs.add("body.ref")
	fs.add("a.2.b")
	for _, c := range cases {
		v := newDocView([]byte(c), fs)
		if got, want := v.valid(), gjson.Valid(c); got != want {
			t.Fatalf("valid(%q) = %v, gjson.Valid = %v", c, got, want)
		}
		if v.valid() {
			for slot, p := range []string{"body.ref", "a.2.b"} {
				got, want := v.get(slot, p), gjson.Get(c, p)
				if got.Exists() != want.Exists() || got.Raw != want.Raw || got.String() != want.String() {
					t.Fatalf("%q in %q: got %q, gjson %q", p, c, got.Raw, want.Raw)
				}
			}
		}
	}
}

const pushDoc = `{"headers":{"X-Github-Event":["push"]},"body":{"ref":"refs/heads/main","n":3,"esc":"a\"b\u0041","commits":[{"id":"c1"}]}}`

// FuzzDocView checks the one-pass validator and path extraction against
// gjson on arbitrary data.
func FuzzDocView(f *testing.F) {
	f.Add(pushDoc)
	f.Add(`{"a":[1,2,{"b":"c\n"}],"d":-0.5e3,"e":[true,false,null]}`)
	f.Add(`[{"body":{"ref":1}}]`)
	paths := []string{"body.ref", "body.commits.0.id", "headers.X-Github-Event", "a.2.b", "0.body", "d", "body.esc"}
	fs := newFieldSet()
	slots := make([]int, len(paths))
	for i, p := range paths {
		slots[i] = fs.add(p)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		v := newDocView([]byte(doc), fs)
		if got, want := v.valid(), gjson.Valid(doc); got != want {
			t.Fatalf("valid = %v, gjson.Valid = %v", got, want)
		}
		for i, p := range paths {
			got, want := v.get(slots[i], p), gjson.Get(doc, p)
			if got.Exists() != want.Exists() || got.Raw != want.Raw || got.String() != want.String() || got.Type != want.Type {
				t.Fatalf("%s: got %q, gjson %q", p, got.Raw, want.Raw)
			}
		}
	})
}

func TestDetach(t *testing.T) {
	t.Parallel()
	doc := `{"a":"value"}`
	sub := doc[6:11]
	if got := detach(sub, doc); got != "value" || unsafe.StringData(got) == unsafe.StringData(sub) {
		t.Error("a substring of the document was not copied")
	}
	own := strings.ToUpper("value")
	if got := detach(own, doc); unsafe.StringData(got) != unsafe.StringData(own) {
		t.Error("a string of its own was copied")
	}
	jt, err := compileJSONTemplate("t", `{{ .Input.a | trunc 3 }}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	data := []byte(doc)
	out, err := jt.exec(newDocView(data, nil))
	if err != nil || out != "val" {
		t.Fatalf("exec = %q, %v", out, err)
	}
	p := uintptr(unsafe.Pointer(unsafe.StringData(out)))
	if d := uintptr(unsafe.Pointer(&data[0])); p >= d && p < d+uintptr(len(data)) {
		t.Error("template output aliases the document")
	}
}

// TestBuildMatchesSjson checks objectSpec.build, which sets a parameter
// directly in the copy of its parent map where it can, against sjson on
// the JSON text (applyToJSON) for parameter lists in which earlier
// parameters replace, grow or create the containers of later ones.
func TestBuildMatchesSjson(t *testing.T) {
	t.Parallel()
	const base = `{"metadata":{"generateName":"x-"},"spec":{"a":{"b":"x","n":1},"l":[{"v":1},{"v":"two"}],"s":"str"}}`
	tests := map[string][]string{
		"leaves":                  {"spec.a.b", "spec.l.0.v", "spec.l.1.v"},
		"new keys":                {"spec.a.c", "spec.l.1.w", "top"},
		"parent replaced":         {"spec.a", "spec.a.b"},
		"array replaced":          {"spec.l", "spec.l.0.v"},
		"element replaced":        {"spec.l.0", "spec.l.0.v"},
		"array grown":             {"spec.l.4", "spec.l.0.v", "spec.l.1.v"},
		"array appended":          {"spec.l.-1", "spec.l.1.v"},
		"missing parent":          {"spec.x.y", "spec.x.z"},
		"scalar parent":           {"spec.s.t", "spec.a.n.m"},
		"same leaf twice":         {"spec.a.b", "spec.a.b"},
		"later sets above":        {"spec.a.b", "spec.a"},
		"append and prepend":      {"append:spec.a.b", "prepend:spec.a.b", "append:spec.a.n", "append:spec.a.new"},
		"append after replace":    {"spec.a", "append:spec.a.b"},
		"append to grown element": {"spec.l.-1", "append:spec.l.2.v"},
		"metadata":                {"metadata.name", "metadata.labels.k"},
	}
	for name, dests := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var cps []config.TriggerParameter
			for i, d := range dests {
				op, dest, ok := strings.Cut(d, ":")
				if !ok {
					op, dest = "", d
				}
				v := fmt.Sprintf("V%d", i)
				cps = append(cps, config.TriggerParameter{
					Src:       &config.TriggerParameterSource{DependencyName: "missing", Value: &v},
					Dest:      dest,
					Operation: config.TriggerParameterOperation(op),
				})
			}
			ps, err := compileParams("parameters", cps, nil)
			if err != nil {
				t.Fatal(err)
			}
			o := &objectSpec{params: ps}
			o.buildTrie()
			b, err := decodeJSON([]byte(base))
			if err != nil {
				t.Fatal(err)
			}
			got, err := o.build(b.(map[string]any), nil, nil, "s", "", "t", "t", nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := applyToJSON([]byte(base), ps, nil)
			if err != nil {
				t.Fatal(err)
			}
			want, err := decodeJSON(doc)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, any(got)); diff != "" {
				t.Errorf("build differs from sjson (-sjson +build):\n%s", diff)
			}
			if again, _ := decodeJSON([]byte(base)); !cmp.Equal(again, b) {
				t.Errorf("build changed the base object")
			}
		})
	}
}

// BenchmarkDocViewScan measures the one-pass validation and extraction of
// the reference sensor's paths from the reference event, with gjson.Valid
// alone (validation, no extraction) as the baseline.
func BenchmarkDocViewScan(b *testing.B) {
	s, ev := loadReference(b)
	p, err := Compile(s, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("scan", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			v := acquireDocView(ev.Data, p.fields)
			if !v.valid() {
				b.Fatal("reference event not valid")
			}
			v.release()
		}
	})
	b.Run("gjson.Valid", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !gjson.ValidBytes(ev.Data) {
				b.Fatal("reference event not valid")
			}
		}
	})
}
