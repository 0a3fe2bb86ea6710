// Hostile and benchmark plugin for host tests: every export misbehaves in one
// way (or does as little as possible, for benchmarks). Built by the tests
// through plugintest.BuildWasm, cached by source hash.
package main

import (
	"encoding/json"
	"fmt"
	"strings"

	extism "github.com/extism/go-pdk"

	pdk "github.com/portico-dev/portico/pdk/go"
)

type req struct {
	N    int    `json:"n"`
	URL  string `json:"url"`
	Name string `json:"name"`
	Fn   string `json:"fn"`
}

func input() req {
	var r req
	_ = json.Unmarshal(extism.Input(), &r)
	return r
}

//go:wasmexport noop
func noop() int32 { return 0 }

//go:wasmexport echo
func echo() int32 {
	extism.Output(extism.Input())
	return 0
}

// card makes exactly one host call (kv get).
//
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

// decode only decodes the card input (the PDK's cost without host calls).
//
//go:wasmexport decode
func decode() int32 {
	var in pdk.CardInput
	if err := json.Unmarshal(extism.Input(), &in); err != nil {
		extism.SetErrorString(err.Error())
		return 1
	}
	return 0
}

//go:wasmexport fail
func fail() int32 {
	extism.SetErrorString("deliberate failure")
	return 1
}

var sink int

//go:wasmexport loop
func loop() int32 {
	for i := 0; ; i++ {
		sink += i
	}
}

var hoard [][]byte

//go:wasmexport grow
func grow() int32 {
	for {
		b := make([]byte, 1<<20)
		for i := range b {
			b[i] = 1
		}
		hoard = append(hoard, b)
	}
}

//go:wasmexport trap
func trap() int32 {
	var p *req
	return int32(p.N)
}

func down(n int) int { return down(n+1) + 1 }

//go:wasmexport recurse
func recurse() int32 { return int32(down(0)) }

// out writes n bytes of output.
//
//go:wasmexport out
func out() int32 {
	extism.Output([]byte(strings.Repeat("x", input().N)))
	return 0
}

//go:wasmexport http
func httpGet() int32 {
	status, body := pdk.HTTPGet(input().URL, nil)
	extism.OutputString(fmt.Sprintf(`{"status":%d,"len":%d}`, status, len(body)))
	return 0
}

//go:wasmexport secret
func secret() int32 {
	v, found, err := pdk.Secret(input().Name)
	b, _ := json.Marshal(map[string]any{"value": v, "found": found, "error": errString(err)})
	extism.Output(b)
	return 0
}

//go:wasmexport kv
func kv() int32 {
	err := pdk.KVSet("k", "v")
	extism.OutputString(errString(err))
	return 0
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func main() {}
