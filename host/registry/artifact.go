package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/errdef"

	"github.com/portico-dev/portico/host"
)

// Media types of a plugin artifact (CNCF TAG-Runtime Wasm artifact layout
// plus Portico's manifest layer) and of its signature.
const (
	MediaTypeWasmConfig = "application/vnd.wasm.config.v0+json"
	MediaTypeWasm       = "application/wasm"
	// Older Wasm layer media types, accepted on pull.
	MediaTypeWasmLegacy       = "application/vnd.wasm.content.layer.v1+wasm"
	MediaTypeModuleWasmLegacy = "application/vnd.module.wasm.content.layer.v1+wasm"
	// MediaTypePluginManifest is the plugin.yaml layer.
	MediaTypePluginManifest = "application/vnd.portico.plugin.manifest.v1+yaml"
	// ArtifactTypeSignature is the artifactType of a signature referrer.
	ArtifactTypeSignature = "application/vnd.portico.plugin.signature.v1"

	// Annotations on the artifact manifest.
	AnnotationABI = "dev.portico.plugin.abi"
	// Annotations on a signature manifest.
	AnnotationSignature = "dev.portico.signature.ed25519"
	AnnotationSignerKey = "dev.portico.signature.key"

	// Size caps of what a pull accepts.
	maxManifestBytes = 4 << 20
	maxYAMLBytes     = 1 << 20
	maxWasmBytes     = 256 << 20
)

// wasmConfig is the config blob of the Wasm artifact layout.
type wasmConfig struct {
	Created      string   `json:"created,omitempty"`
	Author       string   `json:"author,omitempty"`
	Architecture string   `json:"architecture"`
	OS           string   `json:"os"`
	LayerDigests []string `json:"layerDigests"`
}

// Published is what Publish pushed.
type Published struct {
	Ref      Ref
	Digest   string
	Name     string
	Version  string
	Signed   bool
	KeyID    string
	WasmSize int64
}

// Publish pushes the plugin directory dir (plugin.yaml + module) as an OCI
// artifact to ref. A ref without tag is tagged with metadata.version. With a
// signer it also pushes the signature.
func Publish(ctx context.Context, rm Remote, dir string, ref Ref, signer *Signer) (*Published, error) {
	src, err := host.ReadSource(dir)
	if err != nil {
		return nil, fmt.Errorf("publish %s: %w", dir, err)
	}
	if src.Dir == "" {
		return nil, fmt.Errorf("publish %s: want a plugin directory with %s", dir, host.ManifestFile)
	}
	yml, err := os.ReadFile(filepath.Join(src.Dir, host.ManifestFile))
	if err != nil {
		return nil, fmt.Errorf("publish %s: %w", dir, err)
	}
	m := src.Manifest
	if m.Spec.Requires != nil {
		if _, err := ParseRange(m.Spec.Requires.Portico); err != nil {
			return nil, fmt.Errorf("publish %s: spec.requires.portico: %w", dir, err)
		}
	}
	if ref.Digest != "" {
		return nil, fmt.Errorf("publish to %s: give a tag, not a digest", ref)
	}
	if ref.Tag == "" {
		ref.Tag = m.Metadata.Version
	}
	t, err := rm.open(ref, true)
	if err != nil {
		return nil, err
	}
	wasmDesc := descriptor(MediaTypeWasm, src.Wasm)
	wasmDesc.Annotations = map[string]string{ocispec.AnnotationTitle: filepath.Base(src.ModulePath)}
	yamlDesc := descriptor(MediaTypePluginManifest, yml)
	yamlDesc.Annotations = map[string]string{ocispec.AnnotationTitle: host.ManifestFile}
	cfg, err := json.Marshal(wasmConfig{
		Author: m.Metadata.Publisher, Architecture: "wasm", OS: "wasip1",
		LayerDigests: []string{wasmDesc.Digest.String()},
	})
	if err != nil {
		return nil, err
	}
	cfgDesc := descriptor(MediaTypeWasmConfig, cfg)
	for _, b := range []struct {
		d    ocispec.Descriptor
		data []byte
	}{{cfgDesc, cfg}, {wasmDesc, src.Wasm}, {yamlDesc, yml}} {
		if err := pushBlob(ctx, t, b.d, b.data); err != nil {
			return nil, fmt.Errorf("publish %s: %w", ref, err)
		}
	}
	created := time.Now().UTC()
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			created = time.Unix(n, 0).UTC()
		}
	}
	desc, err := oras.PackManifest(ctx, t, oras.PackManifestVersion1_1, "", oras.PackManifestOptions{
		ConfigDescriptor: &cfgDesc,
		Layers:           []ocispec.Descriptor{wasmDesc, yamlDesc},
		ManifestAnnotations: map[string]string{
			ocispec.AnnotationTitle:   m.Metadata.Name,
			ocispec.AnnotationVersion: m.Metadata.Version,
			ocispec.AnnotationCreated: created.Format(time.RFC3339),
			AnnotationABI:             strconv.Itoa(m.Spec.ABI),
		},
	})
	if err != nil {
		return nil, fmt.Errorf("publish %s: push manifest: %w", ref, err)
	}
	if err := t.Tag(ctx, desc, ref.Tag); err != nil {
		return nil, fmt.Errorf("publish %s: tag: %w", ref, err)
	}
	p := &Published{Ref: ref, Digest: desc.Digest.String(), Name: m.Metadata.Name, Version: m.Metadata.Version, WasmSize: wasmDesc.Size}
	if signer != nil {
		if err := pushSignature(ctx, t, desc, signer); err != nil {
			return nil, fmt.Errorf("publish %s: signature: %w", ref, err)
		}
		p.Signed, p.KeyID = true, signer.KeyID()
	}
	return p, nil
}

func descriptor(mediaType string, data []byte) ocispec.Descriptor {
	return ocispec.Descriptor{MediaType: mediaType, Digest: digest.FromBytes(data), Size: int64(len(data))}
}

func pushBlob(ctx context.Context, t oras.Target, d ocispec.Descriptor, data []byte) error {
	ok, err := t.Exists(ctx, d)
	if err == nil && ok {
		return nil
	}
	if err := t.Push(ctx, d, bytes.NewReader(data)); err != nil && !errors.Is(err, errdef.ErrAlreadyExists) {
		return fmt.Errorf("push blob %s: %w", d.Digest, err)
	}
	return nil
}

// signatureTag is where a manifest's signature is tagged, so it can be found
// in every registry and layout (referrers API or not).
func signatureTag(d digest.Digest) string {
	return d.Algorithm().String() + "-" + d.Encoded() + ".sig"
}

// signer is what pushSignature needs of a key.
type signer interface {
	Sign(manifestDigest string) string
	KeyID() string
}

func pushSignature(ctx context.Context, t oras.Target, subject ocispec.Descriptor, s signer) error {
	sig := s.Sign(subject.Digest.String())
	desc, err := oras.PackManifest(ctx, t, oras.PackManifestVersion1_1, ArtifactTypeSignature, oras.PackManifestOptions{
		Subject: &subject,
		ManifestAnnotations: map[string]string{
			AnnotationSignature:       sig,
			AnnotationSignerKey:       s.KeyID(),
			ocispec.AnnotationCreated: "1970-01-01T00:00:00Z",
		},
	})
	if err != nil {
		return err
	}
	return t.Tag(ctx, desc, signatureTag(subject.Digest))
}

// isWasmLayer reports whether a layer media type is a Wasm module.
func isWasmLayer(mt string) bool {
	switch mt {
	case MediaTypeWasm, MediaTypeWasmLegacy, MediaTypeModuleWasmLegacy:
		return true
	}
	return false
}

// artifactLayers checks an OCI manifest and returns its module and plugin.yaml layers.
func artifactLayers(man *ocispec.Manifest) (wasm, yml ocispec.Descriptor, err error) {
	if man.SchemaVersion != 2 {
		return wasm, yml, fmt.Errorf("manifest schemaVersion %d, want 2", man.SchemaVersion)
	}
	if man.Config.MediaType != MediaTypeWasmConfig {
		return wasm, yml, fmt.Errorf("not a Wasm artifact: config media type %q, want %q", man.Config.MediaType, MediaTypeWasmConfig)
	}
	var nw, ny int
	for _, l := range man.Layers {
		switch {
		case isWasmLayer(l.MediaType):
			wasm, nw = l, nw+1
		case l.MediaType == MediaTypePluginManifest:
			yml, ny = l, ny+1
		}
	}
	if nw != 1 {
		return wasm, yml, fmt.Errorf("want exactly one Wasm layer (%s), found %d", MediaTypeWasm, nw)
	}
	if ny != 1 {
		return wasm, yml, fmt.Errorf("not a Portico plugin: want exactly one %s layer, found %d", MediaTypePluginManifest, ny)
	}
	return wasm, yml, nil
}

// trimDigest turns sha256:abc into abc for directory names.
func trimDigest(d string) string {
	_, hex, ok := strings.Cut(d, ":")
	if !ok {
		return d
	}
	return hex
}
