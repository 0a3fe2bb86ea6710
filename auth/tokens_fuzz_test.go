package auth_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/portico-dev/portico/auth"
)

// FuzzParseToken: ParseToken never panics, and whatever it accepts is exactly
// the canonical form rebuilt from its parts (one spelling per token).
func FuzzParseToken(f *testing.F) {
	for _, s := range []string{
		"ptk_0123456789abcdef01234567_" + strings.Repeat("A", 43),
		"ptk_0123456789abcdef01234567_" + strings.Repeat("_", 43),
		"ptk_0123456789ABCDEF01234567_" + strings.Repeat("A", 43),
		"ptk_0123456789abcdef01234567_" + strings.Repeat("A", 42) + "B",
		"ptk__", "", "Bearer x", "ptk_" + strings.Repeat("é", 40),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, secret, err := auth.ParseToken(s)
		if err != nil {
			if id != "" || secret != nil {
				t.Fatalf("error with parts: %q %x", id, secret)
			}
			return
		}
		if len(secret) != 32 || len(id) != 24 {
			t.Fatalf("accepted %q: id %q, %d secret bytes", s, id, len(secret))
		}
		if rebuilt := auth.TokenPrefix + id + "_" + base64.RawURLEncoding.EncodeToString(secret); rebuilt != s {
			t.Fatalf("accepted %q but its canonical form is %q", s, rebuilt)
		}
	})
}
