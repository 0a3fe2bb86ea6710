// Package plugintest runs a Go plugin against a real in-process Portico host
// in `go test`, the same way the portal runs it: built with the standard Go
// toolchain for wasip1, stamped with its ABI, loaded with its manifest and
// limits, its host functions backed by in-memory services the test fills.
//
// It imports the host (tests run on the host side); plugin code itself only
// imports pdk/go, never the host.
package plugintest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/portico-dev/portico/pdk/go/wasmabi"
)

var buildMu sync.Mutex

// CacheDir is where built plugins are kept, keyed by a hash of their sources:
// $PORTICO_PLUGIN_BUILD_CACHE, else the user cache dir.
func CacheDir() string {
	if d := os.Getenv("PORTICO_PLUGIN_BUILD_CACHE"); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "portico", "plugin-builds")
	}
	return filepath.Join(os.TempDir(), "portico-plugin-builds")
}

// BuildWasm builds the Go main package in srcDir for GOOS=wasip1 GOARCH=wasm
// (-buildmode=c-shared), stamps its portico_abi section and returns the
// module's path. A build is reused while the package's sources, the PDK, the
// module's go.mod/go.sum and the Go version are unchanged.
func BuildWasm(srcDir string) (string, error) {
	buildMu.Lock()
	defer buildMu.Unlock()
	abs, err := filepath.Abs(srcDir)
	if err != nil {
		return "", err
	}
	key, err := sourceKey(abs)
	if err != nil {
		return "", fmt.Errorf("plugintest: hash %s: %w", srcDir, err)
	}
	out := filepath.Join(CacheDir(), key+".wasm")
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	if err := os.MkdirAll(CacheDir(), 0o755); err != nil {
		return "", err
	}
	tmp := out + fmt.Sprintf(".%d.tmp", os.Getpid())
	cmd := exec.Command("go", "build", "-buildmode=c-shared", "-trimpath", "-ldflags=-s -w", "-o", tmp, ".")
	cmd.Dir = abs
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("plugintest: go build %s: %v\n%s", srcDir, err, b)
	}
	if err := StampFile(tmp); err != nil {
		os.Remove(tmp)
		return "", err
	}
	if err := os.Rename(tmp, out); err != nil {
		return "", err
	}
	return out, nil
}

// StampFile appends the portico_abi section (ABI 1) to a module in place.
func StampFile(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	s, err := wasmabi.Stamp(b, 1)
	if err != nil {
		return fmt.Errorf("stamp %s: %w", path, err)
	}
	return os.WriteFile(path, s, 0o644)
}

// sourceKey hashes the package's .go files, the PDK's, go.mod/go.sum and
// the Go version.
func sourceKey(dir string) (string, error) {
	h := sha256.New()
	ver, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		return "", err
	}
	h.Write(ver)
	cmd := exec.Command("go", "env", "GOMOD")
	cmd.Dir = dir
	gomod, err := cmd.Output()
	if err != nil {
		return "", err
	}
	files := []string{}
	if mod := strings.TrimSpace(string(gomod)); mod != "" && mod != os.DevNull {
		root := filepath.Dir(mod)
		files = append(files, mod, filepath.Join(root, "go.sum"))
		pdkDir := filepath.Join(root, "pdk", "go")
		if ents, err := os.ReadDir(pdkDir); err == nil {
			for _, e := range ents {
				if strings.HasSuffix(e.Name(), ".go") {
					files = append(files, filepath.Join(pdkDir, e.Name()))
				}
			}
		}
	}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != dir && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".go") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	sort.Strings(files)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil && !os.IsNotExist(err) {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", filepath.Base(f), len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:32], nil
}
