package main

import (
	"archive/zip"
	"compress/flate"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// Epoch is the modification time written for every entry: the earliest time
// a zip's MS-DOS date field can hold, so no build clock leaks into the file.
var Epoch = time.Date(1980, time.January, 1, 0, 0, 0, 0, time.UTC)

// entry is one file or directory of the staging tree, named with forward
// slashes relative to its root.
type entry struct {
	name string
	path string
	dir  bool
	exec bool
}

// PackDir writes the tree under dir to the zip file out. The file is first
// written beside out and renamed, so a failed run never leaves half a zip.
func PackDir(out, dir string) error {
	entries, err := walk(dir)
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		return fmt.Errorf("packing %s: directory is empty", dir)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return fmt.Errorf("creating output directory: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), ".fcpack-*")
	if err != nil {
		return fmt.Errorf("creating temporary zip: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp, entries); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", out, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", out, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("setting mode of %s: %w", out, err)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return fmt.Errorf("renaming to %s: %w", out, err)
	}
	return nil
}

// walk lists the staging tree in byte order of the slash-separated names.
// Symbolic links are refused: what a link points to differs between machines.
func walk(root string) ([]entry, error) {
	var entries []entry
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path == root {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(rel)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			return fmt.Errorf("%s: symbolic links are not packed", name)
		case d.IsDir():
			entries = append(entries, entry{name: name + "/", path: path, dir: true})
		case d.Type().IsRegular():
			info, err := d.Info()
			if err != nil {
				return err
			}
			entries = append(entries, entry{name: name, path: path, exec: info.Mode().Perm()&0o111 != 0})
		default:
			return fmt.Errorf("%s: not a regular file or directory", name)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", root, err)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].name < entries[j].name })
	return entries, nil
}

// write emits the entries with fixed metadata: mode 0755 for directories and
// executables, 0644 for other files, the Epoch as time, best compression.
func write(w io.Writer, entries []entry) error {
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestCompression)
	})
	for _, e := range entries {
		hdr := &zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: Epoch}
		switch {
		case e.dir:
			hdr.Method = zip.Store
			hdr.SetMode(fs.ModeDir | 0o755)
		case e.exec:
			hdr.SetMode(0o755)
		default:
			hdr.SetMode(0o644)
		}
		fw, err := zw.CreateHeader(hdr)
		if err != nil {
			return fmt.Errorf("adding %s: %w", e.name, err)
		}
		if e.dir {
			continue
		}
		if err := copyFile(fw, e.path); err != nil {
			return fmt.Errorf("adding %s: %w", e.name, err)
		}
	}
	return zw.Close()
}

func copyFile(w io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}
