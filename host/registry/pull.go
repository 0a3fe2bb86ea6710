package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/errdef"

	"github.com/portico-dev/portico/host"
)

// Compat is what this host supports: ABI major versions and its own version.
type Compat struct {
	ABIs        []int
	HostVersion string
}

// check refuses a manifest whose ABI or requires.portico range excludes this host.
func (c Compat) check(m *host.Manifest) error {
	ok := false
	for _, a := range c.ABIs {
		if a == m.Spec.ABI {
			ok = true
		}
	}
	if !ok {
		return fmt.Errorf("plugin %s %s needs ABI %d; this Portico %s supports ABI %s",
			m.Metadata.Name, m.Metadata.Version, m.Spec.ABI, c.HostVersion, joinInts(c.ABIs))
	}
	if m.Spec.Requires != nil && m.Spec.Requires.Portico != "" {
		r, err := ParseRange(m.Spec.Requires.Portico)
		if err != nil {
			return fmt.Errorf("plugin %s %s: spec.requires.portico: %w", m.Metadata.Name, m.Metadata.Version, err)
		}
		hv, err := ParseVersion(c.HostVersion)
		if err != nil {
			return fmt.Errorf("this Portico's version %q: %w", c.HostVersion, err)
		}
		if !r.Contains(hv) {
			return fmt.Errorf("plugin %s %s requires Portico %s; this is Portico %s",
				m.Metadata.Name, m.Metadata.Version, r, c.HostVersion)
		}
	}
	return nil
}

func joinInts(vs []int) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = fmt.Sprint(v)
	}
	return strings.Join(s, ", ")
}

// Artifact is a resolved plugin artifact (manifest read, module not yet).
type Artifact struct {
	Ref      Ref // with the tag it was resolved from, if any
	Digest   string
	Manifest *host.Manifest
	YAML     []byte
	// Signature and SignerKey are the signature found ("" = unsigned).
	Signature, SignerKey string

	desc ocispec.Descriptor
	wasm ocispec.Descriptor
	t    target
}

// resolve reads the OCI manifest and plugin.yaml of ref. A ref without tag
// or digest picks the highest semver tag whose plugin this host can run.
func resolve(ctx context.Context, rm Remote, ref Ref, c Compat) (*Artifact, error) {
	t, err := rm.open(ref, false)
	if err != nil {
		return nil, err
	}
	if ref.Reference() == "" {
		return pickTag(ctx, t, ref, c)
	}
	a, err := resolveOne(ctx, t, ref)
	if err != nil {
		return nil, err
	}
	return a, nil
}

func resolveOne(ctx context.Context, t target, ref Ref) (*Artifact, error) {
	desc, err := t.Resolve(ctx, ref.Reference())
	if err != nil {
		if errors.Is(err, errdef.ErrNotFound) {
			if ref.Tag != "" {
				return nil, fmt.Errorf("%s: tag %q not found in %s", ref, ref.Tag, ref.Repo)
			}
			return nil, fmt.Errorf("%s: manifest not found", ref)
		}
		return nil, fmt.Errorf("resolve %s: %w", ref, err)
	}
	if ref.Digest != "" && desc.Digest.String() != ref.Digest {
		return nil, fmt.Errorf("resolve %s: registry answered digest %s", ref, desc.Digest)
	}
	if desc.Size > maxManifestBytes {
		return nil, fmt.Errorf("%s: manifest of %d bytes is too large", ref, desc.Size)
	}
	raw, err := fetchBytes(ctx, t, desc, maxManifestBytes)
	if err != nil {
		return nil, fmt.Errorf("%s: manifest: %w", ref, err)
	}
	var man ocispec.Manifest
	if err := json.Unmarshal(raw, &man); err != nil {
		return nil, fmt.Errorf("%s: manifest: %w", ref, err)
	}
	wasm, ymlDesc, err := artifactLayers(&man)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	yml, err := fetchBytes(ctx, t, ymlDesc, maxYAMLBytes)
	if err != nil {
		return nil, fmt.Errorf("%s: plugin.yaml layer: %w", ref, err)
	}
	m, err := host.ParseManifest(yml)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	a := &Artifact{Ref: ref, Digest: desc.Digest.String(), Manifest: m, YAML: yml, desc: desc, wasm: wasm, t: t}
	if err := a.readSignature(ctx); err != nil {
		return nil, err
	}
	return a, nil
}

// pickTag resolves the highest semver tag this host can run.
func pickTag(ctx context.Context, t target, ref Ref, c Compat) (*Artifact, error) {
	tags, err := listTags(ctx, t)
	if err != nil {
		return nil, fmt.Errorf("list tags of %s: %w", ref, err)
	}
	type cand struct {
		tag string
		v   Version
	}
	var cs []cand
	for _, tag := range tags {
		if v, err := ParseVersion(tag); err == nil {
			cs = append(cs, cand{tag, v})
		}
	}
	if len(cs) == 0 {
		return nil, fmt.Errorf("%s has no semver tags; name one (REF:TAG)", ref)
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].v.Compare(cs[j].v) > 0 })
	var reasons []string
	for _, cd := range cs {
		a, err := resolveOne(ctx, t, ref.WithTag(cd.tag))
		if err != nil {
			reasons = append(reasons, err.Error())
			continue
		}
		if err := c.check(a.Manifest); err != nil {
			reasons = append(reasons, cd.tag+": "+err.Error())
			continue
		}
		return a, nil
	}
	return nil, fmt.Errorf("no tag of %s can run here:\n  %s", ref, strings.Join(reasons, "\n  "))
}

// readSignature looks for the signature tag of the artifact.
func (a *Artifact) readSignature(ctx context.Context) error {
	sd, err := a.t.Resolve(ctx, signatureTag(a.desc.Digest))
	if err != nil {
		if errors.Is(err, errdef.ErrNotFound) {
			return nil
		}
		return fmt.Errorf("%s: look up signature: %w", a.Ref, err)
	}
	raw, err := fetchBytes(ctx, a.t, sd, maxManifestBytes)
	if err != nil {
		return fmt.Errorf("%s: signature: %w", a.Ref, err)
	}
	var man ocispec.Manifest
	if err := json.Unmarshal(raw, &man); err != nil {
		return fmt.Errorf("%s: signature: %w", a.Ref, err)
	}
	if man.ArtifactType != ArtifactTypeSignature || man.Subject == nil || man.Subject.Digest != a.desc.Digest {
		return fmt.Errorf("%s: signature manifest %s does not sign %s", a.Ref, sd.Digest, a.desc.Digest)
	}
	a.Signature, a.SignerKey = man.Annotations[AnnotationSignature], man.Annotations[AnnotationSignerKey]
	return nil
}

// stage downloads the module into dir (which must exist and be empty) next
// to plugin.yaml, verifying every digest, and reads it back as the host would.
func (a *Artifact) stage(ctx context.Context, dir string) (*host.Source, error) {
	if a.wasm.Size > maxWasmBytes {
		return nil, fmt.Errorf("%s: module of %d bytes is too large", a.Ref, a.wasm.Size)
	}
	if err := os.WriteFile(filepath.Join(dir, host.ManifestFile), a.YAML, 0o644); err != nil {
		return nil, err
	}
	modPath := host.DefaultModuleFile
	if mr := a.Manifest.Spec.Module; mr != nil && mr.Path != "" {
		modPath = filepath.FromSlash(mr.Path)
	}
	full := filepath.Join(dir, modPath)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(full, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	err = fetchTo(ctx, a.t, a.wasm, maxWasmBytes, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("%s: module: %w", a.Ref, err)
	}
	src, err := host.ReadSource(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", a.Ref, err)
	}
	return src, nil
}

// fetchBytes reads a blob fully, verifying size and digest.
func fetchBytes(ctx context.Context, t target, d ocispec.Descriptor, max int64) ([]byte, error) {
	var b strings.Builder
	if err := fetchTo(ctx, t, d, max, &b); err != nil {
		return nil, err
	}
	return []byte(b.String()), nil
}

// fetchTo copies a blob to w, verifying its size and digest. Nothing the
// caller keeps may be trusted until it returns nil.
func fetchTo(ctx context.Context, t target, d ocispec.Descriptor, max int64, w io.Writer) error {
	if d.Size < 0 || d.Size > max {
		return fmt.Errorf("blob %s: size %d out of range", d.Digest, d.Size)
	}
	if d.Digest.Algorithm() != digest.SHA256 {
		return fmt.Errorf("blob %s: only sha256 digests are accepted", d.Digest)
	}
	if err := d.Digest.Validate(); err != nil {
		return fmt.Errorf("blob %s: %w", d.Digest, err)
	}
	rc, err := t.Fetch(ctx, d)
	if err != nil {
		return fmt.Errorf("fetch %s: %w", d.Digest, err)
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), io.LimitReader(rc, d.Size+1))
	if err != nil {
		return fmt.Errorf("fetch %s: %w", d.Digest, err)
	}
	if n != d.Size {
		return fmt.Errorf("fetch %s: got %d bytes, want %d", d.Digest, n, d.Size)
	}
	if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != d.Digest.String() {
		return fmt.Errorf("fetch %s: digest mismatch: content hashes to %s", d.Digest, got)
	}
	return nil
}
