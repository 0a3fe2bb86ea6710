package registry

import (
	"testing"

	"github.com/portico-dev/portico/host/services"
)

// The collate grant (search documents, pdk/ABI.md §3) round-trips and takes
// part in install-time grant arithmetic like the other booleans.
func TestGrantCollate(t *testing.T) {
	g, err := ParseGrants([]string{"collate=true", "kv=true"})
	if err != nil || !g.Collate || !g.KV {
		t.Fatalf("ParseGrants = %+v, %v", g, err)
	}
	if s := FormatGrant(g); s != "kv=true,collate=true" {
		t.Fatalf("FormatGrant = %q", s)
	}
	if _, err := ParseGrants([]string{"collate=yes"}); err == nil {
		t.Fatal("collate=yes accepted")
	}
	asked := services.Grant{Collate: true}
	if !intersect(asked, g).Collate || intersect(asked, services.Grant{}).Collate {
		t.Fatal("intersect ignores collate")
	}
	if !union(services.Grant{}, asked).Collate || !minus(asked, services.Grant{}).Collate || minus(asked, g).Collate {
		t.Fatal("union/minus ignore collate")
	}
	if isEmpty(asked) {
		t.Fatal("a collate-only grant is empty")
	}
}
