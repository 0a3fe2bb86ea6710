// Command portico-abi-stamp appends the portico_abi custom section to Wasm
// modules built by toolchains that cannot emit it (pdk/ABI.md §1):
//
//	portico-abi-stamp [-abi 1] plugin.wasm...
//
// It is idempotent and refuses a module that declares another version.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/portico-dev/portico/pdk/go/wasmabi"
)

func main() {
	abi := flag.Int("abi", 1, "ABI major version to declare")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: portico-abi-stamp [-abi N] FILE.wasm...")
		os.Exit(2)
	}
	for _, f := range flag.Args() {
		b, err := os.ReadFile(f)
		if err == nil {
			var out []byte
			if out, err = wasmabi.Stamp(b, *abi); err == nil && len(out) != len(b) {
				err = os.WriteFile(f, out, 0o644)
			}
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "portico-abi-stamp: %s: %v\n", f, err)
			os.Exit(1)
		}
	}
}
