package registry

import (
	"fmt"
	"slices"
	"strings"

	"github.com/portico-dev/portico/host/services"
)

// ParseGrants turns KEY=VALUE items (http=HOST, catalog=read, search=true,
// kv=true, collate=true, secret=NAME) into a grant.
func ParseGrants(items []string) (services.Grant, error) {
	var g services.Grant
	for _, kv := range items {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || v == "" {
			return g, fmt.Errorf("grant %q: want KEY=VALUE", kv)
		}
		switch k {
		case "http":
			g.HTTP = append(g.HTTP, v)
		case "catalog":
			if v != "read" && v != "none" {
				return g, fmt.Errorf("grant %q: catalog is read or none", kv)
			}
			g.Catalog = v
		case "search", "kv", "collate":
			if v != "true" && v != "false" {
				return g, fmt.Errorf("grant %q: want true or false", kv)
			}
			switch k {
			case "search":
				g.Search = v == "true"
			case "kv":
				g.KV = v == "true"
			default:
				g.Collate = v == "true"
			}
		case "secret", "secrets":
			g.Secrets = append(g.Secrets, v)
		default:
			return g, fmt.Errorf("grant %q: unknown permission %q (http, catalog, search, kv, collate, secret)", kv, k)
		}
	}
	return g, nil
}

// FormatGrant writes a grant as KEY=VALUE items ("none" when empty).
func FormatGrant(g services.Grant) string {
	var out []string
	for _, h := range g.HTTP {
		out = append(out, "http="+h)
	}
	if g.CatalogRead() {
		out = append(out, "catalog=read")
	}
	if g.Search {
		out = append(out, "search=true")
	}
	if g.KV {
		out = append(out, "kv=true")
	}
	if g.Collate {
		out = append(out, "collate=true")
	}
	for _, s := range g.Secrets {
		out = append(out, "secret="+s)
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ",")
}

// intersect keeps what both a and b hold.
func intersect(a, b services.Grant) services.Grant {
	var g services.Grant
	for _, h := range a.HTTP {
		if slices.Contains(b.HTTP, h) {
			g.HTTP = append(g.HTTP, h)
		}
	}
	if a.CatalogRead() && b.CatalogRead() {
		g.Catalog = "read"
	}
	g.Search = a.Search && b.Search
	g.KV = a.KV && b.KV
	g.Collate = a.Collate && b.Collate
	for _, s := range a.Secrets {
		if slices.Contains(b.Secrets, s) {
			g.Secrets = append(g.Secrets, s)
		}
	}
	return g
}

// union holds what a or b holds.
func union(a, b services.Grant) services.Grant {
	g := services.Grant{HTTP: slices.Clone(a.HTTP), Catalog: a.Catalog, Search: a.Search || b.Search, KV: a.KV || b.KV, Collate: a.Collate || b.Collate, Secrets: slices.Clone(a.Secrets)}
	for _, h := range b.HTTP {
		if !slices.Contains(g.HTTP, h) {
			g.HTTP = append(g.HTTP, h)
		}
	}
	if b.CatalogRead() {
		g.Catalog = "read"
	}
	for _, s := range b.Secrets {
		if !slices.Contains(g.Secrets, s) {
			g.Secrets = append(g.Secrets, s)
		}
	}
	return g
}

// minus is what a holds and b does not.
func minus(a, b services.Grant) services.Grant {
	var g services.Grant
	for _, h := range a.HTTP {
		if !slices.Contains(b.HTTP, h) {
			g.HTTP = append(g.HTTP, h)
		}
	}
	if a.CatalogRead() && !b.CatalogRead() {
		g.Catalog = "read"
	}
	g.Search = a.Search && !b.Search
	g.KV = a.KV && !b.KV
	g.Collate = a.Collate && !b.Collate
	for _, s := range a.Secrets {
		if !slices.Contains(b.Secrets, s) {
			g.Secrets = append(g.Secrets, s)
		}
	}
	return g
}

func isEmpty(g services.Grant) bool {
	return len(g.HTTP) == 0 && !g.CatalogRead() && !g.Search && !g.KV && !g.Collate && len(g.Secrets) == 0
}
