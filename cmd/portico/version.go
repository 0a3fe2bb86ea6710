package main

import (
	"context"
	"fmt"
	"io"
)

// version is the build's version, set with -ldflags "-X main.version=…".
var version = "0.1.0-dev"

func init() {
	register(command{Path: "version", Summary: "print the version", Run: func(_ context.Context, _ []string, stdout, _ io.Writer) int {
		fmt.Fprintln(stdout, "portico", version)
		return 0
	}})
}
