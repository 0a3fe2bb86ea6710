package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/portico-dev/portico/catalog/gen"
)

// Developer tooling: `portico dev …`.

func init() {
	register(command{
		Path:    "dev generate",
		Summary: "write a generated organisation of N entities (deterministic per seed)",
		Run:     runDevGenerate,
	})
}

func runDevGenerate(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("portico dev generate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("entities", 10_000, "number of entities to generate (the root Location is extra)")
	seed := fs.Int64("seed", 1, "seed; the same seed and count give byte-identical files")
	out := fs.String("out", "", "directory to write into (created if missing); required")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: portico dev generate --entities N [--seed S] --out DIR")
		fmt.Fprintf(stderr, "\nWrites multi-document YAML files of %d entities each and a root Location\n", gen.EntitiesPerFile)
		fmt.Fprintf(stderr, "DIR/%s listing them, so one registered location ingests everything.\n\n", gen.RootFile)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "portico dev generate: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return 2
	}
	if *out == "" {
		fmt.Fprintln(stderr, "portico dev generate: --out DIR is required")
		fs.Usage()
		return 2
	}
	if *n < 0 {
		fmt.Fprintf(stderr, "portico dev generate: --entities must be 0 or more, got %d\n", *n)
		return 2
	}
	start := time.Now()
	s, err := gen.WriteDir(*out, *n, *seed)
	if err != nil {
		fmt.Fprintf(stderr, "portico dev generate: %v\n", err)
		return 1
	}
	c := s.Counts
	fmt.Fprintf(stdout, "wrote %d entities (seed %d) in %d files, %.1f MiB, in %s\n",
		c.Total(), *seed, len(s.Files), float64(s.Bytes)/(1<<20), time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(stdout, "  groups %d, users %d, domains %d, systems %d, components %d, apis %d, resources %d\n",
		c.Groups, c.Users, c.Domains, c.Systems, c.Components, c.APIs, c.Resources)
	if len(s.Files) > 0 {
		fmt.Fprintf(stdout, "  files %s … %s\n", s.Files[0], s.Files[len(s.Files)-1])
	}
	root, err := filepath.Abs(s.Root)
	if err != nil {
		root = s.Root
	}
	fmt.Fprintf(stdout, "root location: %s\n", root)
	return 0
}
