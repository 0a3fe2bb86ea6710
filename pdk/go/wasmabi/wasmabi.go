// Package wasmabi reads and writes the portico_abi custom section of a Wasm
// module (pdk/ABI.md §1), for toolchains that cannot emit it themselves.
// It must never import the host.
package wasmabi

import (
	"errors"
	"fmt"
	"strconv"
)

// Section is the custom section's name.
const Section = "portico_abi"

// Read returns the version the section declares, and whether there is one.
func Read(wasm []byte) (int, bool, error) {
	if len(wasm) < 8 || string(wasm[:4]) != "\x00asm" {
		return 0, false, errors.New("not a WebAssembly binary")
	}
	found, v := false, 0
	for p := 8; p < len(wasm); {
		id := wasm[p]
		size, n, err := uleb(wasm[p+1:])
		if err != nil {
			return 0, false, err
		}
		body := p + 1 + n
		end := body + int(size)
		if end > len(wasm) {
			return 0, false, errors.New("section runs past the end")
		}
		if id == 0 {
			nl, m, err := uleb(wasm[body:end])
			if err != nil || body+m+int(nl) > end {
				return 0, false, errors.New("malformed custom section")
			}
			if string(wasm[body+m:body+m+int(nl)]) == Section {
				x, err := strconv.Atoi(string(wasm[body+m+int(nl) : end]))
				if err != nil {
					return 0, false, fmt.Errorf("%s section is not a number", Section)
				}
				if found {
					return 0, false, fmt.Errorf("more than one %s section", Section)
				}
				found, v = true, x
			}
		}
		p = end
	}
	return v, found, nil
}

// Stamp returns wasm with a portico_abi section declaring abi appended; a
// module that already declares abi is returned unchanged, one that declares
// another version is an error.
func Stamp(wasm []byte, abi int) ([]byte, error) {
	v, found, err := Read(wasm)
	if err != nil {
		return nil, err
	}
	if found {
		if v != abi {
			return nil, fmt.Errorf("module already declares %s %d, not %d", Section, v, abi)
		}
		return wasm, nil
	}
	payload := []byte(strconv.Itoa(abi))
	body := append(appendUleb(nil, uint32(len(Section))), Section...)
	body = append(body, payload...)
	out := append([]byte(nil), wasm...)
	out = append(out, 0)
	out = appendUleb(out, uint32(len(body)))
	return append(out, body...), nil
}

func uleb(b []byte) (uint32, int, error) {
	var v uint32
	for i := 0; i < 5 && i < len(b); i++ {
		v |= uint32(b[i]&0x7f) << (7 * i)
		if b[i]&0x80 == 0 {
			return v, i + 1, nil
		}
	}
	return 0, 0, errors.New("bad LEB128")
}

func appendUleb(b []byte, v uint32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}
