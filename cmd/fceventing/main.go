// Command fceventing is the fc-eventing CLI: it tests sensors against
// events, validates Sensor and EventSource YAML and runs the local server.
// Each subcommand lives in its own file and registers itself in commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1 // the command could not do its work (I/O, state, ...)
	exitInvalid = 2 // invalid input: usage, sensor, event source or event
)

// command is one subcommand. Names with a space ("sensor test") are
// reached by two words.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *env, args []string) int
}

// env is what a subcommand reads and writes, so tests can run it in-process.
type env struct {
	stdout io.Writer
	stderr io.Writer
	getenv func(string) (string, bool)
}

var commands = map[string]command{}

// register adds a subcommand; each subcommand file calls it from init.
func register(c command) { commands[c.name] = c }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, &env{stdout: os.Stdout, stderr: os.Stderr, getenv: os.LookupEnv}, os.Args[1:])
	stop()
	os.Exit(code)
}

// run dispatches args to a subcommand and returns the exit status.
func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(e.stdout)
		if len(args) == 0 {
			return exitInvalid
		}
		return exitOK
	}
	if len(args) > 1 {
		if c, ok := commands[args[0]+" "+args[1]]; ok {
			return c.run(ctx, e, args[2:])
		}
	}
	if c, ok := commands[args[0]]; ok {
		return c.run(ctx, e, args[1:])
	}
	fmt.Fprintf(e.stderr, "fceventing: unknown command %q\n\n", strings.Join(args[:min(len(args), 2)], " "))
	usage(e.stderr)
	return exitInvalid
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: fceventing <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-14s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run `fceventing <command> -h` for the flags of a command.")
}

// parseFlags parses a subcommand's flags. When ok is false the subcommand
// ends with code: exitOK after -h (usage printed), exitInvalid after a bad
// flag (the flag package has printed why).
func parseFlags(fs *flag.FlagSet, args []string) (code int, ok bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, false
		}
		return exitInvalid, false
	}
	return 0, true
}
