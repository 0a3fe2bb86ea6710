package registry

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Signatures are ed25519 over the artifact's manifest digest string as
// written ("sha256:<64 hex>"), base64 (standard, padded) in the annotation
// dev.portico.signature.ed25519 of a signature manifest tagged
// "sha256-<hex>.sig" next to the plugin (and pointing at it as its subject).

// Signer signs manifest digests.
type Signer struct {
	key ed25519.PrivateKey
}

// Sign returns the base64 signature of a manifest digest.
func (s *Signer) Sign(manifestDigest string) string {
	return base64.StdEncoding.EncodeToString(ed25519.Sign(s.key, []byte(manifestDigest)))
}

// Public is the signer's public key.
func (s *Signer) Public() ed25519.PublicKey { return s.key.Public().(ed25519.PublicKey) }

// KeyID names the key: "ed25519:" and the first 16 hex digits of the
// SHA-256 of the public key.
func (s *Signer) KeyID() string { return KeyID(s.Public()) }

// KeyID names a public key.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return "ed25519:" + hex.EncodeToString(sum[:8])
}

// GenerateKey writes a new keypair: the private key as a PKCS#8 PEM file at
// path (mode 0600, refused if it exists) and the public key, base64 of its
// 32 bytes (what trust.keys[].publicKey takes), at path+".pub".
func GenerateKey(path string) (ed25519.PublicKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("keygen: %w", err)
	}
	if err := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		f.Close()
		return nil, fmt.Errorf("keygen: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("keygen: %w", err)
	}
	if err := os.WriteFile(path+".pub", []byte(EncodePublicKey(pub)+"\n"), 0o644); err != nil {
		return nil, fmt.Errorf("keygen: %w", err)
	}
	return pub, nil
}

// LoadSigner reads a private key written by GenerateKey.
func LoadSigner(path string) (*Signer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("signing key %s: not a PEM PRIVATE KEY (portico plugin keygen writes one)", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", path, err)
	}
	ek, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("signing key %s: not an ed25519 key", path)
	}
	return &Signer{key: ek}, nil
}

// EncodePublicKey is base64 of the raw 32 bytes.
func EncodePublicKey(pub ed25519.PublicKey) string { return base64.StdEncoding.EncodeToString(pub) }

// DecodePublicKey parses base64 of the raw 32 bytes (an "ed25519:" prefix is allowed).
func DecodePublicKey(s string) (ed25519.PublicKey, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(strings.TrimSpace(s), "ed25519:"))
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	if len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("public key: %d bytes, want %d", len(b), ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(b), nil
}

// TrustedKey is one publisher key from the config's trust section.
type TrustedKey struct {
	Name   string
	Public ed25519.PublicKey
}

// Trust is the verification policy.
type Trust struct {
	// Require refuses plugins without a signature by a trusted key.
	Require bool
	Keys    []TrustedKey
}

// ErrUntrusted is the kind of every signature refusal.
var ErrUntrusted = errors.New("plugin signature not trusted")

// verify checks sig (base64, "" = unsigned) over manifestDigest and returns
// the name of the trusted key that made it ("" when none did and the policy
// allows it). A signature naming a trusted key (keyID) that does not verify
// with it is refused even when signatures are not required: it is forged or
// the artifact was altered.
func (t Trust) verify(manifestDigest, sig, keyID string) (string, error) {
	if sig == "" {
		if t.Require {
			return "", fmt.Errorf("%w: %s is unsigned and trust.require is true", ErrUntrusted, manifestDigest)
		}
		return "", nil
	}
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err == nil {
		for _, k := range t.Keys {
			if ed25519.Verify(k.Public, []byte(manifestDigest), raw) {
				return k.Name, nil
			}
		}
	}
	for _, k := range t.Keys {
		if keyID != "" && KeyID(k.Public) == keyID {
			return "", fmt.Errorf("%w: the signature of %s claims key %q (%s) but does not verify with it", ErrUntrusted, manifestDigest, k.Name, keyID)
		}
	}
	if t.Require {
		return "", fmt.Errorf("%w: the signature of %s verifies with no key in trust.keys", ErrUntrusted, manifestDigest)
	}
	return "", nil
}
