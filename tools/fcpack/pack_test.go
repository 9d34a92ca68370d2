package main

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// stage writes files (name -> content; a trailing "*" in the name marks an
// executable) under a new directory and returns it.
func stage(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		mode := os.FileMode(0o644)
		if name[len(name)-1] == '*' {
			name, mode = name[:len(name)-1], 0o755
		}
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestPackDirIsReproducible(t *testing.T) {
	t.Parallel()
	files := map[string]string{
		"main*":                    "\x7fELF pretend binary",
		"config/sensor.yaml":       "kind: Sensor\n",
		"config/sources/hook.yaml": "kind: EventSource\n",
	}
	a, b := stage(t, files), stage(t, files)
	// Different modification times and creation order must not matter.
	old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	if err := os.Chtimes(filepath.Join(b, "main"), old, old); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	za, zb := filepath.Join(out, "a.zip"), filepath.Join(out, "b.zip")
	if err := PackDir(za, a); err != nil {
		t.Fatal(err)
	}
	if err := PackDir(zb, b); err != nil {
		t.Fatal(err)
	}
	ba, _ := os.ReadFile(za)
	bb, _ := os.ReadFile(zb)
	if !bytes.Equal(ba, bb) {
		t.Fatalf("same sources gave different zips (%d and %d bytes)", len(ba), len(bb))
	}
}

func TestPackDirEntries(t *testing.T) {
	t.Parallel()
	dir := stage(t, map[string]string{
		"main*":             "binary",
		"config/b.yaml":     "b",
		"config/a.yaml":     "a",
		"config/sub/c.yaml": "c",
	})
	out := filepath.Join(t.TempDir(), "f.zip")
	if err := PackDir(out, dir); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.OpenReader(out)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	type row struct {
		Name    string
		Mode    os.FileMode
		Content string
	}
	var got []row
	for _, f := range zr.File {
		if !f.Modified.Equal(Epoch) {
			t.Errorf("%s: modified %v, want %v", f.Name, f.Modified, Epoch)
		}
		r := row{Name: f.Name, Mode: f.Mode()}
		if !f.Mode().IsDir() {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			r.Content = string(b)
		}
		got = append(got, r)
	}
	want := []row{
		{"config/", os.ModeDir | 0o755, ""},
		{"config/a.yaml", 0o644, "a"},
		{"config/b.yaml", 0o644, "b"},
		{"config/sub/", os.ModeDir | 0o755, ""},
		{"config/sub/c.yaml", 0o644, "c"},
		{"main", 0o755, "binary"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
}

func TestPackDirRefuses(t *testing.T) {
	t.Parallel()
	tests := map[string]func(t *testing.T) string{
		"empty directory": func(t *testing.T) string { return t.TempDir() },
		"missing directory": func(t *testing.T) string {
			return filepath.Join(t.TempDir(), "absent")
		},
		"symbolic link": func(t *testing.T) string {
			dir := stage(t, map[string]string{"main*": "x"})
			if err := os.Symlink("main", filepath.Join(dir, "link")); err != nil {
				t.Fatal(err)
			}
			return dir
		},
	}
	for name, setup := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := setup(t)
			out := filepath.Join(t.TempDir(), "f.zip")
			if err := PackDir(out, dir); err == nil {
				t.Fatal("PackDir succeeded, want an error")
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("a zip was left behind: %v", err)
			}
		})
	}
}
