package storetest

import (
	"sort"
	"strings"
	"testing"

	"github.com/portico-dev/portico/catalog"
)

// oracle holds every stored entity's tokens; it answers queries the slow,
// obviously correct way.
type oracle struct {
	refs   []string // sorted
	tokens map[string]catalog.TokenSet
	orig   map[string]catalog.Originals
}

func loadOracle(t *testing.T, s catalog.Store) *oracle {
	t.Helper()
	p, err := s.QueryEntities(ctx, catalog.Query{})
	if err != nil {
		t.Fatal(err)
	}
	o := &oracle{tokens: map[string]catalog.TokenSet{}, orig: map[string]catalog.Originals{}}
	for _, r := range p.Items {
		ts, orig := catalog.TokensWithOriginals(r.JSON)
		o.refs = append(o.refs, r.Ref)
		o.tokens[r.Ref] = ts
		o.orig[r.Ref] = orig
	}
	sort.Strings(o.refs)
	return o
}

type item struct {
	ref     string
	value   string
	missing bool
}

// query returns the expected order of q (ignoring paging).
func (o *oracle) query(q catalog.Query) []item {
	var out []item
	for _, r := range o.refs {
		ts := o.tokens[r]
		if !q.Filter.MatchTokens(ts) || !q.FullText.MatchTokens(ts) {
			continue
		}
		it := item{ref: r}
		if len(q.Order) > 0 {
			vs := ts[strings.ToLower(q.Order[0].Field)]
			if len(vs) == 0 {
				if q.ExcludeMissingOrder {
					continue
				}
				it.missing = true
			} else if q.Order[0].Desc {
				it.value = vs[len(vs)-1]
			} else {
				it.value = vs[0]
			}
		}
		out = append(out, it)
	}
	if len(q.Order) > 0 {
		desc := q.Order[0].Desc
		sort.SliceStable(out, func(i, j int) bool {
			a, b := out[i], out[j]
			if a.missing != b.missing {
				return !a.missing
			}
			if a.value != b.value {
				if desc {
					return a.value > b.value
				}
				return a.value < b.value
			}
			return a.ref < b.ref
		})
	}
	return out
}

func itemRefs(its []item) []string {
	out := make([]string, len(its))
	for i, it := range its {
		out[i] = it.ref
	}
	return out
}

// oracleFilters is the filter battery, named for failure messages.
func oracleFilters() map[string]catalog.Filter {
	return map[string]catalog.Filter{
		"zero":                   {},
		"all-empty":              catalog.AllOf(),
		"any-empty":              catalog.AnyOf(),
		"kind":                   catalog.Eq("kind", "Component"),
		"kind+type":              catalog.AllOf(catalog.Eq("kind", "component"), catalog.Eq("spec.type", "service")),
		"type-in":                catalog.Eq("spec.type", "service", "website"),
		"type-mixed-case":        catalog.Eq("spec.type", "production-db"),
		"exists-lifecycle":       catalog.Exists("spec.lifecycle"),
		"not-exists-type":        catalog.NotOf(catalog.Exists("spec.type")),
		"prefix-name":            catalog.Prefix("metadata.name", "svc-1"),
		"prefix-empty":           catalog.Prefix("metadata.name", ""),
		"prefix-mixed":           catalog.Prefix("metadata.name", "MIXED-"),
		"relation":               catalog.Eq("relations.ownedby", "group:default/team-a"),
		"relation-exists":        catalog.Exists("relations.haspart"),
		"relation-in":            catalog.Eq("relations.partof", "system:default/sys-1", "system:default/sys-2"),
		"tag-key":                catalog.Exists("metadata.tags.java"),
		"tag-key-true":           catalog.Eq("metadata.tags.python", "true"),
		"tag-value":              catalog.Eq("metadata.tags", "python"),
		"not-any":                catalog.NotOf(catalog.AnyOf(catalog.Eq("kind", "api"), catalog.Eq("kind", "user"))),
		"namespace":              catalog.Eq("metadata.namespace", "other"),
		"namespace-default":      catalog.Eq("metadata.namespace", "default"),
		"label":                  catalog.Eq("metadata.labels.env", "prod"),
		"annotation-slash":       catalog.Exists("metadata.annotations.github.com/project-slug"),
		"number":                 catalog.Eq("spec.ports", "81"),
		"bool":                   catalog.Eq("spec.ports", "true"),
		"null-exists":            catalog.Exists("spec.nothing"),
		"empty-obj-exists":       catalog.Exists("spec.empty"),
		"no-such-kind":           catalog.Eq("kind", "nope"),
		"no-such-key":            catalog.Exists("spec.nope"),
		"not-no-such-key":        catalog.NotOf(catalog.Exists("spec.nope")),
		"or-of-ands":             catalog.AnyOf(catalog.AllOf(catalog.Eq("kind", "component"), catalog.Eq("spec.lifecycle", "production")), catalog.Prefix("metadata.name", "user-")),
		"nested-not":             catalog.AllOf(catalog.Eq("kind", "component"), catalog.NotOf(catalog.AllOf(catalog.Eq("spec.type", "service"), catalog.Exists("metadata.tags")))),
		"in-with-missing-value":  catalog.Eq("spec.type", "library", "nothing-like-this"),
		"not-not":                catalog.NotOf(catalog.NotOf(catalog.Eq("kind", "group"))),
		"eq-empty-string":        catalog.Eq("spec.type", ""),
		"any-of-one-empty-any":   catalog.AnyOf(catalog.AnyOf(), catalog.Eq("kind", "system")),
		"all-with-empty-any":     catalog.AllOf(catalog.AnyOf(), catalog.Eq("kind", "system")),
		"uid-exists":             catalog.Exists("metadata.uid"),
		"description":            catalog.Eq("metadata.description", "handles payments"),
		"apiversion":             catalog.Eq("apiversion", "backstage.io/v1alpha1"),
		"prefix-relation-target": catalog.Prefix("relations.ownedby", "group:default/team-"),
	}
}

func seedOracleStore(t *testing.T, s catalog.Store, n int) *oracle {
	t.Helper()
	l1 := addLoc(t, s, "https://example.com/gen-1.yaml")
	l2 := addLoc(t, s, "https://example.com/gen-2.yaml")
	gen := Generate(42, n)
	apply(t, s, catalog.Apply{LocationID: l1.ID, Entities: gen[:n/2]})
	apply(t, s, catalog.Apply{LocationID: l2.ID, Entities: gen[n/2:]})
	// Some orphans and a re-stitch wave so the index has seen updates.
	apply(t, s, catalog.Apply{LocationID: l2.ID, Entities: gen[n/2 : n-20]})
	groups := plain(E("Group", "", "team-a", "type", "team"), E("Group", "", "team-b", "type", "Team"), E("System", "", "sys-1"))
	l3 := addLoc(t, s, "https://example.com/org.yaml")
	apply(t, s, catalog.Apply{LocationID: l3.ID, Entities: groups})
	return loadOracle(t, s)
}
