package host

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ABISection is the name of the Wasm custom section declaring a module's ABI
// major version as ASCII decimal (pdk/ABI.md §1).
const ABISection = "portico_abi"

// Source is a plugin read from disk and verified, not yet compiled.
type Source struct {
	Manifest *Manifest
	// Dir is the plugin directory ("" for a bare .wasm).
	Dir string
	// ModulePath is the module file read.
	ModulePath string
	Wasm       []byte
	// SHA256 is the module's digest (lower-case hex).
	SHA256 string
	// ABI is the major version the module is built against; SectionABI is what
	// its portico_abi section says (0 when it has none).
	ABI, SectionABI int
}

// ReadSource reads a plugin directory (plugin.yaml + module) or a bare .wasm,
// verifies the module's digest when the manifest pins one, and checks that the
// manifest's ABI and the module's portico_abi section agree.
func ReadSource(path string) (*Source, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("plugin %s: %w", path, err)
	}
	src := &Source{}
	if fi.IsDir() {
		src.Dir = path
		b, err := os.ReadFile(filepath.Join(path, ManifestFile))
		if err != nil {
			return nil, fmt.Errorf("plugin %s: %w", path, err)
		}
		m, err := ParseManifest(b)
		if err != nil {
			return nil, fmt.Errorf("plugin %s: %w", path, err)
		}
		src.Manifest = m
		rel := DefaultModuleFile
		if m.Spec.Module != nil && m.Spec.Module.Path != "" {
			rel = m.Spec.Module.Path
		}
		src.ModulePath = filepath.Join(path, filepath.FromSlash(rel))
	} else {
		if !strings.HasSuffix(path, ".wasm") {
			return nil, fmt.Errorf("plugin %s: not a directory or a .wasm file", path)
		}
		src.ModulePath = path
		src.Manifest = bareManifest(sanitizeName(strings.TrimSuffix(filepath.Base(path), ".wasm")))
	}
	src.Wasm, err = os.ReadFile(src.ModulePath)
	if err != nil {
		return nil, fmt.Errorf("plugin %s: module: %w", src.Manifest.Metadata.Name, err)
	}
	if err := src.verify(); err != nil {
		return nil, fmt.Errorf("plugin %s: %w", src.Manifest.Metadata.Name, err)
	}
	return src, nil
}

// SourceFromBytes builds a Source from an in-memory module and manifest (nil
// manifest = bare-module defaults named name).
func SourceFromBytes(name string, m *Manifest, wasm []byte) (*Source, error) {
	if m == nil {
		m = bareManifest(sanitizeName(name))
	} else if err := m.Validate(); err != nil {
		return nil, err
	}
	src := &Source{Manifest: m, Wasm: wasm, ModulePath: "(memory)"}
	if err := src.verify(); err != nil {
		return nil, fmt.Errorf("plugin %s: %w", m.Metadata.Name, err)
	}
	return src, nil
}

// verify checks the digest (before anything parses the module) and the ABI.
func (s *Source) verify() error {
	sum := sha256.Sum256(s.Wasm)
	s.SHA256 = hex.EncodeToString(sum[:])
	if mod := s.Manifest.Spec.Module; mod != nil && mod.SHA256 != "" && mod.SHA256 != s.SHA256 {
		return fmt.Errorf("module %s: sha256 mismatch: manifest pins %s, file has %s", s.ModulePath, mod.SHA256, s.SHA256)
	}
	sec, found, err := ReadABISection(s.Wasm)
	if err != nil {
		return fmt.Errorf("module %s: %w", s.ModulePath, err)
	}
	s.ABI = s.Manifest.Spec.ABI
	if found {
		s.SectionABI = sec
		if sec != s.ABI {
			return fmt.Errorf("ABI mismatch: manifest says abi %d but module section %s says %d", s.ABI, ABISection, sec)
		}
	}
	if _, ok := abis[s.ABI]; !ok {
		return fmt.Errorf("abi %d not supported; this host implements %s", s.ABI, supportedABIs())
	}
	return nil
}

// ReadABISection finds the portico_abi custom section of a Wasm binary. It
// walks only the section headers, so it is cheap and safe on hostile input.
func ReadABISection(wasm []byte) (abi int, found bool, err error) {
	if len(wasm) < 8 || string(wasm[:4]) != "\x00asm" {
		return 0, false, errors.New("not a WebAssembly binary (bad magic)")
	}
	if wasm[4] != 1 || wasm[5] != 0 || wasm[6] != 0 || wasm[7] != 0 {
		return 0, false, errors.New("unsupported WebAssembly binary version")
	}
	p := 8
	for p < len(wasm) {
		id := wasm[p]
		p++
		size, n, err := uleb32(wasm[p:])
		if err != nil {
			return 0, false, fmt.Errorf("section at byte %d: %w", p, err)
		}
		p += n
		if int(size) > len(wasm)-p {
			return 0, false, fmt.Errorf("section at byte %d runs past the end", p)
		}
		body := wasm[p : p+int(size)]
		p += int(size)
		if id != 0 {
			continue
		}
		nameLen, n, err := uleb32(body)
		if err != nil || int(nameLen) > len(body)-n {
			return 0, false, errors.New("malformed custom section name")
		}
		if string(body[n:n+int(nameLen)]) != ABISection {
			continue
		}
		if found {
			return 0, false, fmt.Errorf("more than one %s section", ABISection)
		}
		payload := string(body[n+int(nameLen):])
		v, convErr := strconv.Atoi(payload)
		if convErr != nil || v < 1 || strings.TrimSpace(payload) != payload || strings.HasPrefix(payload, "+") {
			return 0, false, fmt.Errorf("%s section must hold a decimal ABI version, got %q", ABISection, payload)
		}
		abi, found = v, true
	}
	return abi, found, nil
}

func uleb32(b []byte) (uint32, int, error) {
	var v uint32
	for i := 0; i < 5; i++ {
		if i >= len(b) {
			return 0, 0, errors.New("truncated LEB128")
		}
		c := b[i]
		v |= uint32(c&0x7f) << (7 * i)
		if c&0x80 == 0 {
			return v, i + 1, nil
		}
	}
	return 0, 0, errors.New("LEB128 too long")
}
