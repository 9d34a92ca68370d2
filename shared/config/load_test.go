package config

import (
	"os"
	"path/filepath"
	"testing"

	"sigs.k8s.io/yaml"
)

// decodedKind is the kind the YAML decoder reads, the reference scanKind
// must agree with.
func decodedKind(data []byte) (string, error) {
	var head struct {
		Kind string `json:"kind"`
	}
	err := yaml.Unmarshal(data, &head)
	return head.Kind, err
}

func TestScanKind(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		doc      string
		want     string
		fallback bool // scanKind must leave it to the decoder
	}{
		"block sensor":          {doc: "apiVersion: argoproj.io/v1alpha1\nkind: Sensor\nmetadata:\n  name: s\nspec:\n  kind: EventSource\n", want: "Sensor"},
		"separator first":       {doc: "---\n# comment\nkind: EventSource # trailing\n", want: "EventSource"},
		"crlf":                  {doc: "kind: Sensor\r\nspec:\r\n  a: 1\r\n", want: "Sensor"},
		"quoted":                {doc: "kind: \"Sensor\"\n", want: "Sensor"},
		"single quoted":         {doc: "kind: 'EventSource'\n", want: "EventSource"},
		"other case":            {doc: "Kind: Sensor\n", want: "Sensor"},
		"no kind":               {doc: "apiVersion: v1\nmetadata:\n  kind: Sensor\n", want: ""},
		"block scalar":          {doc: "description: |\n  kind: EventSource\nkind: Sensor\n", want: "Sensor"},
		"json":                  {doc: `{"kind": "Sensor"}`, want: "Sensor", fallback: true},
		"flow across lines":     {doc: "a: {x: 1,\nkind: Sensor}\n", want: "", fallback: true},
		"quote across lines":    {doc: "a: \"x\nkind: Sensor\"\n", want: "", fallback: true},
		"merge key":             {doc: "base: &b\n  kind: Sensor\n<<: *b\n", want: "Sensor", fallback: true},
		"kind on next line":     {doc: "kind:\n  Sensor\n", want: "Sensor", fallback: true},
		"boolean word":          {doc: "kind: yes\n", want: "true", fallback: true},
		"two documents":         {doc: "kind: Sensor\n---\nkind: EventSource\n", want: "Sensor", fallback: true},
		"lone carriage returns": {doc: "apiVersion: v1\rkind: Sensor\r", want: "Sensor", fallback: true},
		"sequence at top":       {doc: "- kind: Sensor\n", fallback: true},
		"twice":                 {doc: "kind: Sensor\nKIND: EventSource\n", want: "Sensor", fallback: true},
		"tag":                   {doc: "kind: !!str Sensor\n", want: "Sensor", fallback: true},
		"indented document":     {doc: " kind: Sensor\n", want: "Sensor", fallback: true},
		"continued kind":        {doc: "kind: Sen\n  sor\n", want: "Sen sor", fallback: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			kind, ok := scanKind([]byte(tc.doc))
			if ok == tc.fallback {
				t.Fatalf("scanKind(%q) ok = %v, want %v", tc.doc, ok, !tc.fallback)
			}
			if ok && kind != tc.want {
				t.Errorf("scanKind = %q, want %q", kind, tc.want)
			}
			got, err := DocumentKind([]byte(tc.doc))
			if err == nil && got != tc.want {
				t.Errorf("DocumentKind = %q, want %q", got, tc.want)
			}
		})
	}
}

// configFiles are the Sensor and EventSource files the project ships and
// tests with.
func configFiles(tb testing.TB) []string {
	tb.Helper()
	var files []string
	for _, dir := range []string{"testdata", "../../examples", "../../test/e2e/testdata", "../sensor/testdata"} {
		for path, err := range YAMLFiles(dir) {
			if err == nil {
				files = append(files, path)
			}
		}
	}
	if len(files) < 10 {
		tb.Fatalf("found only %d configuration files", len(files))
	}
	return files
}

// The files fc-eventing ships and tests with take the scan, and it reads
// the kind the decoder reads.
func TestScanKindFiles(t *testing.T) {
	t.Parallel()
	scanned := 0
	for _, path := range configFiles(t) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		want, err := decodedKind(data)
		if err != nil {
			continue
		}
		kind, ok := scanKind(data)
		if !ok {
			if filepath.Ext(path) != ".json" && (want == SensorKind || want == EventSourceKind) {
				t.Errorf("%s: a block-style %s file is not scanned", path, want)
			}
			continue
		}
		scanned++
		if kind != want {
			t.Errorf("%s: scanKind = %q, decoder reads %q", path, kind, want)
		}
	}
	if scanned == 0 {
		t.Fatal("no file was scanned")
	}
}

// FuzzScanKind: wherever the scan answers and the decoder reads the
// document, both read the same kind.
func FuzzScanKind(f *testing.F) {
	for _, path := range configFiles(f) {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("a: 'x\nkind: Sensor'\n"))
	f.Add([]byte("kind: Sensor\r"))
	f.Fuzz(func(t *testing.T, data []byte) {
		kind, ok := scanKind(data)
		if !ok {
			return
		}
		want, err := decodedKind(data)
		if err == nil && kind != want {
			t.Fatalf("scanKind(%q) = %q, decoder reads %q", data, kind, want)
		}
	})
}

// BenchmarkDocumentKind: the kind of a large Sensor file by the scan,
// against decoding it.
func BenchmarkDocumentKind(b *testing.B) {
	data, err := os.ReadFile("testdata/sensor-full.yaml")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("decode", func(b *testing.B) {
		for b.Loop() {
			if _, err := decodedKind(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("scan", func(b *testing.B) {
		for b.Loop() {
			if _, err := DocumentKind(data); err != nil {
				b.Fatal(err)
			}
		}
	})
}
