// Package pdk is Portico's plugin development kit for Go: typed documents of
// ABI v1 (pdk/ABI.md) and, when built with GOOS=wasip1 GOARCH=wasm, typed
// helpers for the exports and host functions over extism/go-pdk.
//
// A plugin is a main package built with the standard Go toolchain:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o plugin.wasm .
//	go run github.com/portico-dev/portico/pdk/go/cmd/portico-abi-stamp plugin.wasm
//
// and exports its extension points with //go:wasmexport:
//
//	//go:wasmexport card
//	func card() int32 { return pdk.HandleCard(render) }
//
//	func render(in pdk.CardInput) (pdk.Card, error) {
//		n, _ := pdk.KVGet("visits")
//		return pdk.Card{Title: "Hello " + in.Entity.Metadata.Name}, nil
//	}
//
//	func main() {}
//
// pdk/go/plugintest runs such a plugin against a real in-process host in
// `go test`. This package must never import the host: the ABI is the only
// contract between them.
package pdk
