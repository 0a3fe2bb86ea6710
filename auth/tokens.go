package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/portico-dev/portico/catalog"
)

// An API token reads "ptk_<id>_<secret>": id is 24 lower-case hex digits (12
// random bytes), secret the base64url (no padding) of 32 random bytes. The
// store keeps, under the id, only the secret's SHA-256; a request's token is
// looked up by id and its secret's hash compared in constant time.
const (
	TokenPrefix   = "ptk_"
	tokenIDLen    = 24
	tokenSecretN  = 32
	tokenSecretL  = 43 // base64url length of 32 bytes
	tokenLen      = len(TokenPrefix) + tokenIDLen + 1 + tokenSecretL
	maxTokenTTL   = 5 * 366 * 24 * time.Hour
	maxTokenScope = 64
)

// Token is a stored API token (never its secret).
type Token struct {
	ID      string    `json:"id"`
	UserRef string    `json:"userRef"`
	Scopes  []string  `json:"scopes,omitempty"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
	Revoked time.Time `json:"revoked,omitzero"`
	Hash    string    `json:"hash"` // hex SHA-256 of the secret bytes
}

// Status is active, expired or revoked at now.
func (t Token) Status(now time.Time) string {
	switch {
	case !t.Revoked.IsZero():
		return "revoked"
	case !now.Before(t.Expires):
		return "expired"
	}
	return "active"
}

// ErrBadToken is returned for a string that is not a Portico API token.
var ErrBadToken = errors.New("not a Portico API token (want ptk_<id>_<secret>)")

// ParseToken splits a token string into its id and secret bytes.
func ParseToken(s string) (id string, secret []byte, err error) {
	if len(s) != tokenLen || !strings.HasPrefix(s, TokenPrefix) || s[len(TokenPrefix)+tokenIDLen] != '_' {
		return "", nil, ErrBadToken
	}
	id = s[len(TokenPrefix) : len(TokenPrefix)+tokenIDLen]
	for i := 0; i < len(id); i++ {
		if c := id[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return "", nil, ErrBadToken
		}
	}
	secret, err = base64.RawURLEncoding.Strict().DecodeString(s[len(TokenPrefix)+tokenIDLen+1:])
	if err != nil || len(secret) != tokenSecretN {
		return "", nil, ErrBadToken
	}
	return id, secret, nil
}

// scopeName is the shape of a permission name ("catalog.entity.read").
var scopeName = regexp.MustCompile(`^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*$`)

// Tokens manages API tokens in a store's KV.
type Tokens struct {
	KV  catalog.KV
	Now func() time.Time // nil: time.Now
}

func (ts Tokens) now() time.Time {
	if ts.Now != nil {
		return ts.Now()
	}
	return time.Now()
}

// Create stores a new token for userRef (canonical) valid for ttl and returns
// the token string, which is shown once and never stored.
func (ts Tokens) Create(ctx context.Context, userRef string, ttl time.Duration, scopes []string) (string, Token, error) {
	if ttl <= 0 || ttl > maxTokenTTL {
		return "", Token{}, fmt.Errorf("token ttl %s: must be more than zero and at most 5 years", ttl)
	}
	if len(scopes) > maxTokenScope {
		return "", Token{}, fmt.Errorf("at most %d scopes", maxTokenScope)
	}
	clean := []string{}
	for _, s := range scopes {
		s = strings.TrimSpace(s)
		if !scopeName.MatchString(s) {
			return "", Token{}, fmt.Errorf("scope %q: expected a permission name such as catalog.entity.read", s)
		}
		clean = append(clean, s)
	}
	sort.Strings(clean)
	clean = compactStrings(clean)
	idb := make([]byte, tokenIDLen/2)
	secret := make([]byte, tokenSecretN)
	if _, err := rand.Read(idb); err != nil {
		return "", Token{}, err
	}
	if _, err := rand.Read(secret); err != nil {
		return "", Token{}, err
	}
	sum := sha256.Sum256(secret)
	now := ts.now().UTC().Truncate(time.Second)
	t := Token{ID: hex.EncodeToString(idb), UserRef: userRef, Scopes: clean, Created: now, Expires: now.Add(ttl),
		Hash: hex.EncodeToString(sum[:])}
	if len(t.Scopes) == 0 {
		t.Scopes = nil
	}
	b, err := json.Marshal(t)
	if err != nil {
		return "", Token{}, err
	}
	if err := ts.KV.KVSet(ctx, TokenNamespace, t.ID, b); err != nil {
		return "", Token{}, fmt.Errorf("store token: %w", err)
	}
	return TokenPrefix + t.ID + "_" + base64.RawURLEncoding.EncodeToString(secret), t, nil
}

// Get reads the token with id.
func (ts Tokens) Get(ctx context.Context, id string) (Token, bool, error) {
	b, ok, err := ts.KV.KVGet(ctx, TokenNamespace, id)
	if err != nil || !ok {
		return Token{}, false, err
	}
	var t Token
	if err := json.Unmarshal(b, &t); err != nil {
		return Token{}, false, fmt.Errorf("token %s: stored record unreadable: %w", id, err)
	}
	return t, true, nil
}

// Verify checks a presented token string: well-formed, known, the secret
// matching, not revoked, not expired. Every failure is the same error to the
// caller except in the message's reason.
func (ts Tokens) Verify(ctx context.Context, s string) (Token, error) {
	id, secret, err := ParseToken(s)
	if err != nil {
		return Token{}, err
	}
	t, ok, err := ts.Get(ctx, id)
	if err != nil {
		return Token{}, err
	}
	sum := sha256.Sum256(secret)
	want, herr := hex.DecodeString(t.Hash)
	if !ok || herr != nil || subtle.ConstantTimeCompare(sum[:], want) != 1 {
		return Token{}, errors.New("unknown API token")
	}
	switch t.Status(ts.now()) {
	case "revoked":
		return Token{}, fmt.Errorf("API token %s was revoked", t.ID)
	case "expired":
		return Token{}, fmt.Errorf("API token %s expired at %s", t.ID, t.Expires.Format(time.RFC3339))
	}
	return t, nil
}

// Revoke marks the token revoked; it stays listed so the audit trail keeps it.
func (ts Tokens) Revoke(ctx context.Context, id string) (Token, error) {
	t, ok, err := ts.Get(ctx, id)
	if err != nil {
		return Token{}, err
	}
	if !ok {
		return Token{}, catalog.NotFoundf("no API token with id %q", id)
	}
	if t.Revoked.IsZero() {
		t.Revoked = ts.now().UTC().Truncate(time.Second)
		b, err := json.Marshal(t)
		if err != nil {
			return Token{}, err
		}
		if err := ts.KV.KVSet(ctx, TokenNamespace, t.ID, b); err != nil {
			return Token{}, err
		}
	}
	return t, nil
}

// List returns every stored token, oldest first.
func (ts Tokens) List(ctx context.Context) ([]Token, error) {
	keys, err := ts.KV.KVList(ctx, TokenNamespace, "", 0)
	if err != nil {
		return nil, err
	}
	out := make([]Token, 0, len(keys))
	for _, k := range keys {
		t, ok, err := ts.Get(ctx, k)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.Before(out[j].Created)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

func compactStrings(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}
