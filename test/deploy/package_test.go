package deploy

import (
	"archive/zip"
	"bytes"
	"debug/elf"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// repoRoot is the repository root, two levels above this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// packageFunction runs scripts/package.sh for the fixture program as
// function name and returns the zip's bytes and the script's output.
func packageFunction(t *testing.T, name string) ([]byte, string) {
	t.Helper()
	root := repoRoot(t)
	dist := t.TempDir()
	cmd := exec.Command(filepath.Join(root, "scripts", "package.sh"), name+"=./test/deploy/testdata/hello")
	goCmd := filepath.Join(runtime.GOROOT(), "bin", "go")
	cmd.Env = append(os.Environ(),
		"DIST="+dist,
		"CONFIG="+filepath.Join(root, "test", "deploy", "testdata", "config"),
		"GO="+goCmd,
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("package.sh: %v\n%s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(dist, name+".zip"))
	if err != nil {
		t.Fatalf("reading the package: %v\n%s", err, out)
	}
	return b, string(out)
}

func TestPackageIsReproducible(t *testing.T) {
	first, _ := packageFunction(t, "hello")
	second, _ := packageFunction(t, "hello")
	if !bytes.Equal(first, second) {
		t.Fatalf("two packages of the same sources differ (%d and %d bytes)", len(first), len(second))
	}
}

func TestPackageLayout(t *testing.T) {
	b, out := packageFunction(t, "hello")
	if !strings.Contains(out, "hello.zip") {
		t.Errorf("script output does not name the zip:\n%s", out)
	}
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	files := map[string]*zip.File{}
	for _, f := range zr.File {
		names = append(names, f.Name)
		files[f.Name] = f
	}
	want := []string{"config/", "config/github.yml", "config/sensors/", "config/sensors/push.yaml", "main"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("zip entries (-want +got):\n%s", diff)
	}
	if !sort.StringsAreSorted(names) {
		t.Errorf("entries are not sorted: %q", names)
	}

	m := files["main"]
	if m == nil {
		t.Fatal("no main in the package")
	}
	if m.Mode()&0o111 != 0o111 || !m.Mode().IsRegular() {
		t.Errorf("main has mode %v, want an executable regular file", m.Mode())
	}
	if m.CreatorVersion>>8 != 3 {
		t.Errorf("main was not written with Unix attributes (creator %d), FC would drop the run bit", m.CreatorVersion>>8)
	}
	rc, err := m.Open()
	if err != nil {
		t.Fatal(err)
	}
	bin, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	ef, err := elf.NewFile(bytes.NewReader(bin))
	if err != nil {
		t.Fatalf("main is not an ELF binary: %v", err)
	}
	defer ef.Close()
	if ef.Machine != elf.EM_X86_64 || ef.Class != elf.ELFCLASS64 {
		t.Errorf("main is %v/%v, want linux amd64", ef.Class, ef.Machine)
	}
	for _, p := range ef.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("main asks for a dynamic loader; FC's go1 runtime needs a static binary (CGO_ENABLED=0)")
		}
	}
	if ef.Section(".symtab") != nil {
		t.Error("main keeps its symbol table; it should be stripped (-ldflags '-s -w')")
	}
	if bytes.Contains(bin, []byte(repoRoot(t))) {
		t.Error("main contains the build directory; it should be built with -trimpath")
	}
}

// copyInto copies src to dst with its mode, creating dst's directory.
func copyInto(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, info.Mode().Perm()); err != nil {
		t.Fatal(err)
	}
}

// TestPackageDefaults runs the script as `make build` does in a checkout
// without config/: it finds the functions under functions/ itself and packs
// examples/, saying so.
func TestPackageDefaults(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	repo := t.TempDir()
	copyInto(t, filepath.Join(root, "scripts", "package.sh"), filepath.Join(repo, "scripts", "package.sh"))
	sources, err := filepath.Glob(filepath.Join(root, "tools", "fcpack", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range sources {
		if !strings.HasSuffix(f, "_test.go") {
			copyInto(t, f, filepath.Join(repo, "tools", "fcpack", filepath.Base(f)))
		}
	}
	copyInto(t, filepath.Join("testdata", "hello", "main.go"), filepath.Join(repo, "functions", "demo", "main.go"))
	copyInto(t, filepath.Join("testdata", "config", "github.yml"), filepath.Join(repo, "examples", "github.yml"))
	if err := os.WriteFile(filepath.Join(repo, "go.mod"), []byte("module example.com/packaging\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(filepath.Join(repo, "scripts", "package.sh"))
	cmd.Env = append(os.Environ(), "GO="+filepath.Join(runtime.GOROOT(), "bin", "go"), "GOWORK=off", "GOFLAGS=-mod=mod")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("package.sh: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "no config/ directory; packing examples/") {
		t.Errorf("the script did not say it packs examples/:\n%s", out)
	}
	zr, err := zip.OpenReader(filepath.Join(repo, "dist", "demo.zip"))
	if err != nil {
		t.Fatalf("dist/demo.zip: %v\n%s", err, out)
	}
	defer zr.Close()
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	if diff := cmp.Diff([]string{"config/", "config/github.yml", "main"}, names); diff != "" {
		t.Errorf("zip entries (-want +got):\n%s", diff)
	}
}

// TestFunctionsAreDeployed fails when a function directory exists that the
// deployment does not know, so a new function cannot be left out of s.yaml.
func TestFunctionsAreDeployed(t *testing.T) {
	t.Parallel()
	entries, err := os.ReadDir(filepath.Join(repoRoot(t), "functions"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() && !contains(Functions, e.Name()) {
			t.Errorf("functions/%s is not deployed: add it to s.yaml, the Makefile's FUNCTIONS and this package's Functions", e.Name())
		}
	}
}

// TestPackageWebhookIsReproducible packages a real function, with its whole
// dependency tree, twice: module build information and the link step must
// not make the two zips differ.
func TestPackageWebhookIsReproducible(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	var zips [2][]byte
	for i := range zips {
		dist := t.TempDir()
		cmd := exec.Command(filepath.Join(root, "scripts", "package.sh"), "webhook")
		cmd.Env = append(os.Environ(),
			"DIST="+dist,
			"CONFIG="+filepath.Join(root, "test", "deploy", "testdata", "config"),
			"GO="+filepath.Join(runtime.GOROOT(), "bin", "go"),
		)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("package.sh webhook: %v\n%s", err, out)
		}
		if zips[i], err = os.ReadFile(filepath.Join(dist, "webhook.zip")); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(zips[0], zips[1]) {
		t.Fatalf("two packages of functions/webhook differ (%d and %d bytes)", len(zips[0]), len(zips[1]))
	}
	zr, err := zip.NewReader(bytes.NewReader(zips[0]), int64(len(zips[0])))
	if err != nil {
		t.Fatal(err)
	}
	var sawMain bool
	for _, f := range zr.File {
		if f.Name == "main" {
			sawMain = f.Mode()&0o111 == 0o111
		}
	}
	if !sawMain {
		t.Error("webhook.zip has no executable main")
	}
}
