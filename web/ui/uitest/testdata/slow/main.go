// A deliberately slow card plugin for the portal's browser tests: its card
// export never returns, so the host's deadline stops it and the entity page
// must show an error card while the other cards render.
package main

var sink int

//go:wasmexport card
func card() int32 {
	for i := 0; ; i++ {
		sink += i
	}
}

func main() {}
