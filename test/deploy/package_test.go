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
