package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDevGenerate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "org")
	var stdout, stderr bytes.Buffer
	code := dispatch(context.Background(), []string{"dev", "generate", "--entities", "1500", "--seed", "5", "--out", dir}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, want := range []string{"wrote 1500 entities (seed 5) in 1 files", "components 750", "entities-00001.yaml", filepath.Join(dir, "all.yaml")} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, stdout.String())
		}
	}
	root, err := os.ReadFile(filepath.Join(dir, "all.yaml"))
	if err != nil || !strings.Contains(string(root), "- ./entities-00001.yaml") {
		t.Errorf("root location: %v\n%s", err, root)
	}
}

func TestDevGenerateBadArgs(t *testing.T) {
	for _, args := range [][]string{
		{"--entities", "10"},                        // no --out
		{"--entities", "-3", "--out", t.TempDir()},  // negative
		{"--entities", "ten", "--out", t.TempDir()}, // not a number
		{"--out", t.TempDir(), "extra"},             // stray argument
		{"--bogus", "--out", t.TempDir()},           // unknown flag
	} {
		var stdout, stderr bytes.Buffer
		code := dispatch(context.Background(), append([]string{"dev", "generate"}, args...), &stdout, &stderr)
		if code != 2 || stderr.Len() == 0 {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr.String())
		}
	}
}
