package fcruntime

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

// BuildFlags are the go build flags `make build` uses for a deployed function.
var BuildFlags = []string{"-trimpath", "-ldflags=-s -w -buildid="}

type buildEntry struct {
	done chan struct{}
	bin  string
	err  error
}

var builds struct {
	mu      sync.Mutex
	dir     string
	entries map[string]*buildEntry
}

// Build compiles the function package pkg exactly as `make build` does for
// deployment (GOOS=linux GOARCH=amd64 CGO_ENABLED=0, -trimpath, -ldflags
// '-s -w -buildid=') and returns the path of the binary. pkg is an import path
// or a path relative to the module root ("./functions/webhook"). Each package
// is built once per process; concurrent callers share the build. Call
// CleanupBuilds (from TestMain) to remove the binaries.
func Build(ctx context.Context, pkg string) (string, error) {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		return "", fmt.Errorf("building %s: functions are built for linux/amd64 and cannot run on %s/%s",
			pkg, runtime.GOOS, runtime.GOARCH)
	}
	builds.mu.Lock()
	if builds.entries == nil {
		builds.entries = map[string]*buildEntry{}
	}
	e, ok := builds.entries[pkg]
	if !ok {
		e = &buildEntry{done: make(chan struct{})}
		builds.entries[pkg] = e
		if builds.dir == "" {
			dir, err := os.MkdirTemp("", "fcruntime-build-")
			if err != nil {
				builds.mu.Unlock()
				e.err = fmt.Errorf("creating build directory: %w", err)
				close(e.done)
				return "", e.err
			}
			builds.dir = dir
		}
		dir := builds.dir
		builds.mu.Unlock()
		e.bin, e.err = build(ctx, pkg, dir)
		if e.err != nil {
			// A failed build (or a cancelled one) is not cached.
			builds.mu.Lock()
			delete(builds.entries, pkg)
			builds.mu.Unlock()
		}
		close(e.done)
		return e.bin, e.err
	}
	builds.mu.Unlock()
	select {
	case <-e.done:
		return e.bin, e.err
	case <-ctx.Done():
		return "", fmt.Errorf("building %s: %w", pkg, ctx.Err())
	}
}

// CleanupBuilds removes every binary Build made in this process.
func CleanupBuilds() error {
	builds.mu.Lock()
	defer builds.mu.Unlock()
	if builds.dir == "" {
		return nil
	}
	err := os.RemoveAll(builds.dir)
	builds.dir = ""
	builds.entries = nil
	if err != nil {
		return fmt.Errorf("removing built functions: %w", err)
	}
	return nil
}

func build(ctx context.Context, pkg, dir string) (string, error) {
	root, err := moduleRoot(ctx)
	if err != nil {
		return "", fmt.Errorf("building %s: %w", pkg, err)
	}
	name := strings.Trim(strings.NewReplacer("/", "_", ".", "_").Replace(pkg), "_")
	// <dir>/<package>/<function>/main: the function is named for its
	// directory, as a deployed function's code directory is.
	out := filepath.Join(dir, name, path.Base(pkg), "main")
	args := append([]string{"build"}, BuildFlags...)
	args = append(args, "-o", out, pkg)
	cmd := exec.CommandContext(ctx, goTool(), args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Stdout = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building %s: %w: %s", pkg, err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, goTool(), "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("locating the module: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("locating the module: not inside a Go module")
	}
	return filepath.Dir(gomod), nil
}

// goTool is the go command that builds functions: $GO when set (as in the
// Makefile), else go from PATH.
func goTool() string {
	if g := os.Getenv("GO"); g != "" {
		return g
	}
	return "go"
}
