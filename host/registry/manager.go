package registry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/portico-dev/portico/host"
	"github.com/portico-dev/portico/host/services"
)

// Manager installs, upgrades and removes plugins in a data directory. Every
// change is staged and verified before one atomic rename and one atomic
// lockfile write, under an exclusive file lock, so a failure at any point
// leaves the previous state intact. It is safe for concurrent use, also
// across processes sharing the data directory.
type Manager struct {
	// Data is the data directory (`portico serve --data`).
	Data   string
	Remote Remote
	Trust  Trust
	// Compat is what this host runs; zero ABIs = host.SupportedABIs().
	Compat Compat
	Logger *slog.Logger
	// Now is the clock (nil = time.Now).
	Now func() time.Time
}

// ErrNotInstalled: the named plugin is not in the lockfile.
var ErrNotInstalled = errors.New("not installed")

// Request is one install, upgrade or grant.
type Request struct {
	// Ref is the artifact (empty in upgrade = the installed repository's
	// highest compatible tag).
	Ref string
	// Grants are KEY=VALUE permissions the operator grants; All grants every
	// permission the plugin asks for (--yes).
	Grants []string
	All    bool
	// PlainHTTP talks HTTP to the registry (in addition to Remote.PlainHTTP;
	// an upgrade also uses the installed plugin's setting).
	PlainHTTP bool
}

// remote is m.Remote with plain HTTP when asked for.
func (m *Manager) remote(plain bool) Remote {
	rm := m.Remote
	rm.PlainHTTP = rm.PlainHTTP || plain
	return rm
}

// Result says what an operation did.
type Result struct {
	// Entry is the running (active) entry after the operation.
	Entry *Entry
	// Pending is an upgrade pulled but waiting for a grant (nil when none).
	Pending *Entry
	// NotGranted is what the plugin asks for and was not granted.
	NotGranted services.Grant
	// Changed is false when nothing was changed (already at that digest).
	Changed bool
}

func (m *Manager) log() *slog.Logger {
	if m.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return m.Logger
}

func (m *Manager) now() time.Time {
	if m.Now != nil {
		return m.Now().UTC()
	}
	return time.Now().UTC()
}

func (m *Manager) compat() Compat {
	c := m.Compat
	if len(c.ABIs) == 0 {
		c.ABIs = host.SupportedABIs()
	}
	if c.HostVersion == "" {
		c.HostVersion = "0.0.0"
	}
	return c
}

// begin creates the layout and takes the installers' lock.
func (m *Manager) begin() (func(), error) {
	for _, d := range []string{m.root(), filepath.Join(m.root(), "store"), filepath.Join(m.root(), "tmp")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("plugin data directory: %w", err)
		}
	}
	unlock, err := lockData(filepath.Join(m.root(), ".lock"))
	if err != nil {
		return nil, err
	}
	// Leftovers of an interrupted pull: nobody else holds the lock.
	if tmps, err := os.ReadDir(filepath.Join(m.root(), "tmp")); err == nil {
		for _, t := range tmps {
			_ = os.RemoveAll(filepath.Join(m.root(), "tmp", t.Name()))
		}
	}
	return unlock, nil
}

// beginInstalled takes the data directory's lock and reads the lockfile for an
// operation on an installed plugin; ErrNotInstalled when name is not. The
// caller must call unlock when err is nil.
func (m *Manager) beginInstalled(name string) (unlock func(), lf *LockFile, cur *Entry, err error) {
	unlock, err = m.begin()
	if err != nil {
		return nil, nil, nil, err
	}
	if lf, err = m.ReadLock(); err != nil {
		unlock()
		return nil, nil, nil, err
	}
	if cur = lf.Plugins[name]; cur == nil {
		unlock()
		return nil, nil, nil, fmt.Errorf("plugin %s: %w", name, ErrNotInstalled)
	}
	return unlock, lf, cur, nil
}

// Inspect resolves ref and returns the artifact without installing it.
func (m *Manager) Inspect(ctx context.Context, ref string) (*Artifact, error) {
	r, err := ParseRef(ref)
	if err != nil {
		return nil, err
	}
	return resolve(ctx, m.Remote, r, m.compat())
}

// fetch resolves, checks and stages an artifact into the store and returns
// its entry (not yet in the lockfile).
func (m *Manager) fetch(ctx context.Context, r Ref, rm Remote) (*Entry, error) {
	if r.Layout {
		abs, err := filepath.Abs(r.Repo)
		if err != nil {
			return nil, err
		}
		r.Repo = abs
	}
	a, err := resolve(ctx, rm, r, m.compat())
	if err != nil {
		return nil, err
	}
	if err := m.compat().check(a.Manifest); err != nil {
		return nil, err
	}
	signer, err := m.Trust.verify(a.Digest, a.Signature, a.SignerKey)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", a.Ref, err)
	}
	if a.Signature != "" && signer == "" {
		m.log().Warn("plugin signature not verified by any trusted key", "ref", a.Ref.String(), "key", a.SignerKey)
	}
	e := &Entry{
		Name: a.Manifest.Metadata.Name, Version: a.Manifest.Metadata.Version,
		Repo: r.Repo, Layout: r.Layout, Tag: a.Ref.Tag, PlainHTTP: rm.PlainHTTP && !r.Layout,
		Digest: a.Digest, ABI: a.Manifest.Spec.ABI,
		Requested: a.Manifest.Spec.Permissions, Signer: signer, InstalledAt: m.now(),
	}
	final := m.Dir(e)
	if _, err := os.Stat(filepath.Join(final, host.ManifestFile)); err == nil {
		src, err := host.ReadSource(final)
		if err == nil && "sha256:"+src.SHA256 == a.wasm.Digest.String() {
			e.ModuleDigest = a.wasm.Digest.String()
			return e, nil
		}
		// a damaged store directory: fetch again
		if err := os.RemoveAll(final); err != nil {
			return nil, fmt.Errorf("replace damaged %s: %w", final, err)
		}
	}
	tmp, err := os.MkdirTemp(filepath.Join(m.root(), "tmp"), e.Name+"-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	if _, err := a.stage(ctx, tmp); err != nil {
		return nil, err
	}
	e.ModuleDigest = a.wasm.Digest.String()
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, final); err != nil {
		return nil, fmt.Errorf("install %s: %w", e.Name, err)
	}
	return e, nil
}

// grantFor computes the grant of a request for what a plugin asks for.
func grantFor(asked services.Grant, req Request) (services.Grant, error) {
	if req.All {
		return asked, nil
	}
	g, err := ParseGrants(req.Grants)
	if err != nil {
		return g, err
	}
	if extra := minus(g, asked); !isEmpty(extra) {
		return g, fmt.Errorf("granted %s, which the plugin does not ask for (it asks for %s)", FormatGrant(extra), FormatGrant(asked))
	}
	return g, nil
}

// Install pulls ref, verifies it and records it with the requested grant.
// Without tag or digest it picks the highest semver tag this host can run —
// or, when that repository is already installed, its pinned digest, so a
// re-install is reproducible. An installed plugin of the same name at
// another digest is refused (use Upgrade).
func (m *Manager) Install(ctx context.Context, req Request) (*Result, error) {
	r, err := ParseRef(req.Ref)
	if err != nil {
		return nil, err
	}
	unlock, err := m.begin()
	if err != nil {
		return nil, err
	}
	defer unlock()
	lf, err := m.ReadLock()
	if err != nil {
		return nil, err
	}
	if r.Reference() == "" {
		for _, e := range lf.Plugins {
			if e.Repo == r.Repo && e.Layout == r.Layout {
				r = r.WithDigest(e.Digest)
			}
		}
	}
	e, err := m.fetch(ctx, r, m.remote(req.PlainHTTP))
	if err != nil {
		return nil, err
	}
	if old := lf.Plugins[e.Name]; old != nil && old.Digest != e.Digest {
		return nil, fmt.Errorf("plugin %s %s is installed (%s); use upgrade to move to %s", e.Name, old.Version, old.Digest, e.Version)
	}
	g, err := grantFor(e.Requested, req)
	if err != nil {
		return nil, fmt.Errorf("plugin %s: %w", e.Name, err)
	}
	if old := lf.Plugins[e.Name]; old != nil {
		g = union(old.Granted, g)
		e.InstalledAt = old.InstalledAt
		if old.Tag != "" && e.Tag == "" {
			e.Tag = old.Tag
		}
	}
	e.Granted = g
	lf.Plugins[e.Name] = e
	if err := m.commit(lf); err != nil {
		return nil, err
	}
	m.log().Info("plugin installed", "name", e.Name, "version", e.Version, "digest", e.Digest, "granted", FormatGrant(g))
	return &Result{Entry: e, NotGranted: minus(e.Requested, g), Changed: true}, nil
}

// Upgrade moves an installed plugin to ref (or its repository's highest
// compatible tag). If the new version asks for permissions the old one did
// not and the request does not grant them, the new version is kept as
// pending and the old one keeps running until Grant covers them.
func (m *Manager) Upgrade(ctx context.Context, name string, req Request) (*Result, error) {
	unlock, lf, cur, err := m.beginInstalled(name)
	if err != nil {
		return nil, err
	}
	defer unlock()
	r := Ref{Repo: cur.Repo, Layout: cur.Layout}
	if req.Ref != "" {
		if r, err = ParseRef(req.Ref); err != nil {
			return nil, err
		}
	}
	e, err := m.fetch(ctx, r, m.remote(req.PlainHTTP || (cur.PlainHTTP && r.Repo == cur.Repo)))
	if err != nil {
		return nil, err
	}
	if e.Name != name {
		return nil, fmt.Errorf("%s is plugin %s, not %s", r, e.Name, name)
	}
	var res *Result
	if e.Digest == cur.Digest {
		cur.Pending = nil
		res = &Result{Entry: cur, NotGranted: minus(cur.Requested, cur.Granted)}
	} else if res, err = m.settle(lf, cur, e, req); err != nil {
		return nil, err
	}
	if err := m.commit(lf); err != nil {
		return nil, err
	}
	return res, nil
}

// settle activates next in place of cur when the grant covers what next
// newly asks for, else records it as cur's pending upgrade.
func (m *Manager) settle(lf *LockFile, cur, next *Entry, req Request) (*Result, error) {
	extra, err := grantFor(next.Requested, req)
	if err != nil {
		return nil, fmt.Errorf("plugin %s %s: %w", next.Name, next.Version, err)
	}
	// Keep what was granted and is still asked for, add what is granted now.
	g := union(intersect(cur.Granted, next.Requested), extra)
	newly := minus(next.Requested, cur.Requested)
	if missing := minus(newly, g); !isEmpty(missing) {
		next.Granted = g
		cur.Pending = next
		m.log().Warn("plugin upgrade waits for a grant", "name", cur.Name, "running", cur.Version, "pending", next.Version, "needs", FormatGrant(missing))
		return &Result{Entry: cur, Pending: next, NotGranted: missing, Changed: true}, nil
	}
	next.Granted = g
	next.InstalledAt = cur.InstalledAt
	lf.Plugins[cur.Name] = next
	m.log().Info("plugin upgraded", "name", cur.Name, "from", cur.Version, "to", next.Version, "digest", next.Digest)
	return &Result{Entry: next, NotGranted: minus(next.Requested, g), Changed: true}, nil
}

// Grant adds permissions to an installed plugin; when it has a pending
// upgrade that the grant now covers, the upgrade is activated.
func (m *Manager) Grant(ctx context.Context, name string, req Request) (*Result, error) {
	unlock, lf, cur, err := m.beginInstalled(name)
	if err != nil {
		return nil, err
	}
	defer unlock()
	var res *Result
	if p := cur.Pending; p != nil {
		cur.Pending = nil
		req.Grants = append(req.Grants, splitGrant(p.Granted)...)
		if res, err = m.settle(lf, cur, p, req); err != nil {
			return nil, err
		}
	} else {
		g, err := grantFor(cur.Requested, req)
		if err != nil {
			return nil, fmt.Errorf("plugin %s: %w", name, err)
		}
		cur.Granted = union(cur.Granted, g)
		res = &Result{Entry: cur, NotGranted: minus(cur.Requested, cur.Granted), Changed: true}
	}
	if err := m.commit(lf); err != nil {
		return nil, err
	}
	return res, nil
}

func splitGrant(g services.Grant) []string {
	s := FormatGrant(g)
	if s == "none" {
		return nil
	}
	var out []string
	for _, p := range splitComma(s) {
		out = append(out, p)
	}
	return out
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}

// Remove uninstalls a plugin.
func (m *Manager) Remove(ctx context.Context, name string) error {
	unlock, lf, _, err := m.beginInstalled(name)
	if err != nil {
		return err
	}
	defer unlock()
	delete(lf.Plugins, name)
	if err := m.commit(lf); err != nil {
		return err
	}
	m.log().Info("plugin removed", "name", name)
	return nil
}

// List returns the installed plugins sorted by name.
func (m *Manager) List() ([]*Entry, error) {
	lf, err := m.ReadLock()
	if err != nil {
		return nil, err
	}
	out := make([]*Entry, 0, len(lf.Plugins))
	for _, e := range lf.Plugins {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Restore fetches every locked plugin whose files are missing, by its pinned
// digest (a lockfile copied to a fresh data directory installs the same
// bytes). It returns the names restored.
func (m *Manager) Restore(ctx context.Context) ([]string, error) {
	unlock, err := m.begin()
	if err != nil {
		return nil, err
	}
	defer unlock()
	lf, err := m.ReadLock()
	if err != nil {
		return nil, err
	}
	var done []string
	var errs []error
	for _, name := range sortedNames(lf) {
		for _, e := range []*Entry{lf.Plugins[name], lf.Plugins[name].Pending} {
			if e == nil {
				continue
			}
			if _, err := os.Stat(filepath.Join(m.Dir(e), host.ManifestFile)); err == nil {
				continue
			}
			got, err := m.fetch(ctx, e.Ref(), m.remote(e.PlainHTTP))
			if err != nil {
				errs = append(errs, fmt.Errorf("restore %s: %w", name, err))
				continue
			}
			if got.Name != e.Name || got.ModuleDigest != e.ModuleDigest {
				errs = append(errs, fmt.Errorf("restore %s: %s holds %s with module %s, lockfile says %s", name, e.Digest, got.Name, got.ModuleDigest, e.ModuleDigest))
				continue
			}
			done = append(done, name)
		}
	}
	return done, errors.Join(errs...)
}

func sortedNames(lf *LockFile) []string {
	names := make([]string, 0, len(lf.Plugins))
	for n := range lf.Plugins {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
