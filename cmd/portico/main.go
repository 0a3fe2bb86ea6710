// Command portico is the one Portico binary: `portico serve` runs the portal;
// the other subcommands work on a data directory or talk to a running server.
//
// Each area registers its subcommands from its own file (serve.go,
// catalog_cmd.go, plugin_cmd.go, dev_cmd.go …) with register; main only
// dispatches.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// command is one subcommand. Path is its words ("catalog validate"); Run gets
// the arguments after them and returns the process exit code.
type command struct {
	Path    string
	Summary string
	Run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

var commands = map[string]command{}

// register adds a subcommand; a duplicate path is a programming error.
func register(c command) {
	if _, dup := commands[c.Path]; dup {
		panic("portico: duplicate command " + c.Path)
	}
	commands[c.Path] = c
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := dispatch(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// dispatch finds the longest registered path that prefixes args.
func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	for n := len(args); n > 0; n-- {
		if c, ok := commands[strings.Join(args[:n], " ")]; ok {
			return c.Run(ctx, args[n:], stdout, stderr)
		}
	}
	usage(stderr, args)
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		return 0
	}
	return 2
}

func usage(w io.Writer, args []string) {
	prefix := ""
	if len(args) > 0 && args[0] != "help" && !strings.HasPrefix(args[0], "-") {
		prefix = args[0]
		fmt.Fprintf(w, "portico: unknown command %q\n\n", strings.Join(args, " "))
	}
	paths := make([]string, 0, len(commands))
	for p := range commands {
		if prefix == "" || strings.HasPrefix(p, prefix) {
			paths = append(paths, p)
		}
	}
	if len(paths) == 0 {
		for p := range commands {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	fmt.Fprintln(w, "usage: portico COMMAND [ARGS]\n\ncommands:")
	for _, p := range paths {
		fmt.Fprintf(w, "  %-22s %s\n", p, commands[p].Summary)
	}
}
