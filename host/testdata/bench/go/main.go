// bench-go is the Go plugin of BenchmarkLanguages (host/bench_lang_test.go):
// `noop` writes the smallest ABI document, `card` reads the input, makes
// exactly one host call (portico_kv_get_v1 of key "k") and writes a one-field
// card. The C, AssemblyScript and Rust bench plugins do the same work.
//
// Build: make bench-plugins (mk/benchplugins.mk).
package main

import (
	extism "github.com/extism/go-pdk"

	pdk "github.com/portico-dev/portico/pdk/go"
)

//go:wasmexport noop
func noop() int32 {
	extism.OutputString(`{"abi":1}`)
	return 0
}

//go:wasmexport card
func card() int32 {
	return pdk.HandleCard(func(in pdk.CardInput) (pdk.Card, error) {
		v, _, err := pdk.KVGet("k")
		if err != nil {
			return pdk.Card{}, err
		}
		return pdk.Card{Title: in.Entity.Metadata.Name + v}, nil
	})
}

func main() {}
