package registry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/portico-dev/portico/host/services"
)

// The data directory layout (DATA = `portico serve --data`):
//
//	DATA/plugins/lock.json                    the lockfile (LockFile)
//	DATA/plugins/store/NAME/SHA256HEX/        one verified artifact: plugin.yaml + module
//	DATA/plugins/tmp/                         staging of pulls in progress
//	DATA/plugins/.lock                        flock serialising installers

// LockVersion is the lockfile format version.
const LockVersion = 1

// LockFile is DATA/plugins/lock.json: every installed plugin pinned to its
// manifest digest, with what it asked for and what was granted.
type LockFile struct {
	LockfileVersion int               `json:"lockfileVersion"`
	Plugins         map[string]*Entry `json:"plugins"`
}

// Entry is one installed plugin.
type Entry struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// Source is where it came from: Repo (host/repo or layout path), Layout,
	// the Tag it was resolved from ("" when pinned by digest), PlainHTTP.
	Repo      string `json:"repo"`
	Layout    bool   `json:"layout,omitempty"`
	Tag       string `json:"tag,omitempty"`
	PlainHTTP bool   `json:"plainHTTP,omitempty"`
	// Digest is the OCI manifest digest the plugin is pinned to.
	Digest       string `json:"digest"`
	ModuleDigest string `json:"moduleDigest"`
	ABI          int    `json:"abi"`
	// Requested is spec.permissions; Granted what the operator granted.
	Requested services.Grant `json:"requested"`
	Granted   services.Grant `json:"granted"`
	// Signer is the trusted key name that signed it ("" = not verified).
	Signer      string    `json:"signer,omitempty"`
	InstalledAt time.Time `json:"installedAt"`
	// Pending is a pulled upgrade waiting for a grant; the entry itself keeps
	// running until it is granted.
	Pending *Entry `json:"pending,omitempty"`
}

// Ref is the entry's pinned reference.
func (e *Entry) Ref() Ref { return Ref{Layout: e.Layout, Repo: e.Repo, Digest: e.Digest} }

func (m *Manager) root() string     { return filepath.Join(m.Data, "plugins") }
func (m *Manager) lockPath() string { return filepath.Join(m.root(), "lock.json") }

// Dir is where an entry's verified files are.
func (m *Manager) Dir(e *Entry) string {
	return filepath.Join(m.root(), "store", e.Name, trimDigest(e.Digest))
}

// LockPath is the lockfile's path (serve watches it).
func (m *Manager) LockPath() string { return m.lockPath() }

// ReadLock reads the lockfile; a missing one is empty.
func (m *Manager) ReadLock() (*LockFile, error) {
	b, err := os.ReadFile(m.lockPath())
	if errors.Is(err, fs.ErrNotExist) {
		return &LockFile{LockfileVersion: LockVersion, Plugins: map[string]*Entry{}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("lockfile: %w", err)
	}
	var lf LockFile
	dec := json.NewDecoder(bytesReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&lf); err != nil {
		return nil, fmt.Errorf("lockfile %s: %w", m.lockPath(), err)
	}
	if lf.LockfileVersion != LockVersion {
		return nil, fmt.Errorf("lockfile %s: version %d, this Portico reads %d", m.lockPath(), lf.LockfileVersion, LockVersion)
	}
	if lf.Plugins == nil {
		lf.Plugins = map[string]*Entry{}
	}
	for name, e := range lf.Plugins {
		if e == nil || e.Name != name || e.Digest == "" {
			return nil, fmt.Errorf("lockfile %s: bad entry %q", m.lockPath(), name)
		}
	}
	return &lf, nil
}

// writeLock replaces the lockfile atomically (temp file, fsync, rename).
func (m *Manager) writeLock(lf *LockFile) error {
	b, err := json.MarshalIndent(lf, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(m.root(), ".lock.json.*")
	if err != nil {
		return fmt.Errorf("write lockfile: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("write lockfile: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write lockfile: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write lockfile: %w", err)
	}
	if err := os.Rename(tmp.Name(), m.lockPath()); err != nil {
		return fmt.Errorf("write lockfile: %w", err)
	}
	return syncDir(m.root())
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	_ = d.Sync() // best effort: not every file system syncs directories
	return nil
}

// commit writes lf and then removes the store directories it no longer
// names: every change of the lockfile goes through it.
func (m *Manager) commit(lf *LockFile) error {
	if err := m.writeLock(lf); err != nil {
		return err
	}
	m.gc(lf)
	return nil
}

// gc removes store directories no lock entry (or pending upgrade) names.
func (m *Manager) gc(lf *LockFile) {
	keep := map[string]bool{}
	for _, e := range lf.Plugins {
		keep[m.Dir(e)] = true
		if e.Pending != nil {
			keep[m.Dir(e.Pending)] = true
		}
	}
	store := filepath.Join(m.root(), "store")
	names, _ := os.ReadDir(store)
	for _, n := range names {
		pdir := filepath.Join(store, n.Name())
		digests, _ := os.ReadDir(pdir)
		left := 0
		for _, d := range digests {
			p := filepath.Join(pdir, d.Name())
			if keep[p] {
				left++
				continue
			}
			if err := os.RemoveAll(p); err != nil {
				m.log().Warn("plugin store cleanup", "dir", p, "err", err)
				left++
			}
		}
		if left == 0 {
			_ = os.Remove(pdir)
		}
	}
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
