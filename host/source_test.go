package host

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portico-dev/portico/pdk/go/wasmabi"
)

// emptyModule is the smallest valid Wasm module.
var emptyModule = []byte("\x00asm\x01\x00\x00\x00")

func stamp(t *testing.T, b []byte, abi int) []byte {
	t.Helper()
	out, err := wasmabi.Stamp(b, abi)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestReadABISection(t *testing.T) {
	if _, found, err := ReadABISection(emptyModule); err != nil || found {
		t.Fatalf("empty module: found=%v err=%v", found, err)
	}
	v, found, err := ReadABISection(stamp(t, emptyModule, 1))
	if err != nil || !found || v != 1 {
		t.Fatalf("stamped: v=%d found=%v err=%v", v, found, err)
	}
	twice := append(stamp(t, emptyModule, 1), stamp(t, emptyModule, 1)[8:]...)
	if _, _, err := ReadABISection(twice); err == nil || !strings.Contains(err.Error(), "more than one") {
		t.Fatalf("two sections: err=%v", err)
	}
	if _, _, err := ReadABISection([]byte("not wasm at all")); err == nil {
		t.Fatal("garbage accepted")
	}
	truncated := stamp(t, emptyModule, 1)
	if _, _, err := ReadABISection(truncated[:len(truncated)-3]); err == nil {
		t.Fatal("truncated section accepted")
	}
	// A non-numeric payload is refused.
	bad := append([]byte(nil), emptyModule...)
	body := append([]byte{byte(len(ABISection))}, ABISection+"one"...)
	bad = append(append(bad, 0, byte(len(body))), body...)
	if _, _, err := ReadABISection(bad); err == nil || !strings.Contains(err.Error(), "decimal") {
		t.Fatalf("non-numeric: err=%v", err)
	}
}

func writePlugin(t *testing.T, manifest string, wasm []byte) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ManifestFile), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, DefaultModuleFile), wasm, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

const minimalManifest = "apiVersion: portico.dev/v1\nkind: Plugin\nmetadata: {name: m, version: 1.0.0}\nspec:\n  abi: %ABI%\n%MODULE%"

func manifestText(abi, module string) string {
	return strings.NewReplacer("%ABI%", abi, "%MODULE%", module).Replace(minimalManifest)
}

func TestReadSource(t *testing.T) {
	mod := stamp(t, emptyModule, 1)
	sum := sha256.Sum256(mod)
	digest := hex.EncodeToString(sum[:])

	t.Run("dir with pinned digest", func(t *testing.T) {
		src, err := ReadSource(writePlugin(t, manifestText("1", "  module: {sha256: "+digest+"}\n"), mod))
		if err != nil {
			t.Fatal(err)
		}
		if src.ABI != 1 || src.SectionABI != 1 || src.SHA256 != digest {
			t.Fatalf("%+v", src)
		}
	})
	t.Run("digest mismatch", func(t *testing.T) {
		other := strings.Repeat("0", 64)
		_, err := ReadSource(writePlugin(t, manifestText("1", "  module: {sha256: "+other+"}\n"), mod))
		if err == nil || !strings.Contains(err.Error(), "sha256 mismatch") || !strings.Contains(err.Error(), digest) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("abi mismatch names both", func(t *testing.T) {
		_, err := ReadSource(writePlugin(t, manifestText("2", ""), mod))
		if err == nil || !strings.Contains(err.Error(), "manifest says abi 2") || !strings.Contains(err.Error(), "portico_abi says 1") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("unsupported abi", func(t *testing.T) {
		_, err := ReadSource(writePlugin(t, manifestText("7", ""), stamp(t, emptyModule, 7)))
		if err == nil || !strings.Contains(err.Error(), "abi 7 not supported") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("no section takes the manifest", func(t *testing.T) {
		src, err := ReadSource(writePlugin(t, manifestText("1", ""), emptyModule))
		if err != nil || src.ABI != 1 || src.SectionABI != 0 {
			t.Fatalf("src=%+v err=%v", src, err)
		}
	})
	t.Run("bare wasm gets defaults", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "My_Plugin.wasm")
		if err := os.WriteFile(p, mod, 0o644); err != nil {
			t.Fatal(err)
		}
		src, err := ReadSource(p)
		if err != nil {
			t.Fatal(err)
		}
		if src.Manifest.Metadata.Name != "my-plugin" || src.ABI != 1 || len(src.Manifest.Spec.Permissions.HTTP) != 0 {
			t.Fatalf("%+v", src.Manifest)
		}
	})
	t.Run("bare wasm with another abi section", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "x.wasm")
		if err := os.WriteFile(p, stamp(t, emptyModule, 2), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadSource(p); err == nil || !strings.Contains(err.Error(), "ABI mismatch") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("strict manifest", func(t *testing.T) {
		_, err := ReadSource(writePlugin(t, manifestText("1", "  extra: true\n"), mod))
		if err == nil || !strings.Contains(err.Error(), "field extra not found") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("missing module", func(t *testing.T) {
		dir := writePlugin(t, manifestText("1", "  module: {path: other.wasm}\n"), mod)
		if _, err := ReadSource(dir); err == nil || !strings.Contains(err.Error(), "other.wasm") {
			t.Fatalf("err = %v", err)
		}
	})
}
