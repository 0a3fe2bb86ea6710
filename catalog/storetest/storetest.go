// Package storetest is the conformance suite every catalog.Store must pass:
// it is the executable definition of the Store semantics that the interface
// comments only sketch (apply, orphaning, conflicts, stitching, filtering,
// ordering, keyset paging, facets, locations, KV, health, concurrency).
//
// Filters, ordering, full text and facets are checked against an oracle built
// from catalog.TokensJSON and catalog.Filter.MatchTokens over a generated
// catalog, so both stores answer exactly as the reference semantics say.
//
// It imports only catalog and the standard library; it must never import a
// store implementation.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/portico-dev/portico/catalog"
)

// Open returns a fresh, empty store; the suite closes it.
type Open func(t *testing.T) catalog.Store

// Run runs the whole suite. Every subtest opens its own store.
func Run(t *testing.T, open func(t *testing.T) catalog.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s catalog.Store)
	}{
		{"ApplyAndRead", testApplyAndRead},
		{"StitchRelationsAndPeers", testStitchPeers},
		{"StatusFromErrors", testStatusFromErrors},
		{"ZeroWritesOnIdenticalApply", testZeroWrites},
		{"OrphanKeep", testOrphanKeep},
		{"OrphanDelete", testOrphanDelete},
		{"KeepSources", testKeepSources},
		{"Conflicts", testConflicts},
		{"KeepPrevious", testKeepPrevious},
		{"KeepPreviousOfOrphan", testKeepPreviousOfOrphan},
		{"RelationOnNeitherSide", testRelationOnNeitherSide},
		{"DeleteEntityByUID", testDeleteByUID},
		{"DeleteLocation", testDeleteLocation},
		{"Ancestry", testAncestry},
		{"ByRefs", testByRefs},
		{"RelationsRows", testRelationRows},
		{"Locations", testLocations},
		{"LocationsDue", testLocationsDue},
		{"KV", testKV},
		{"SearchOutbox", testSearchOutbox},
		{"Health", testHealth},
		{"RecentlyChanged", testRecentlyChanged},
		{"FilterOracle", testFilterOracle},
		{"OrderAndPaging", testOrderAndPaging},
		{"FullText", testFullText},
		{"Facets", testFacets},
		{"FilteredReads", testFilteredReads},
		{"IndexFollowsWrites", testIndexFollowsWrites},
		{"ConcurrentReadsDuringApply", testConcurrency},
		{"LargeApply", testLargeApply},
		{"StreamedApply", testStreamedApply},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { _ = s.Close() })
			tc.fn(t, s)
		})
	}
}

var ctx = context.Background()

// --- builders -------------------------------------------------------------

// E builds an entity. Extra spec keys come in pairs.
func E(kind, ns, name string, spec ...any) *catalog.Entity {
	e := &catalog.Entity{APIVersion: "backstage.io/v1alpha1", Kind: kind,
		Metadata: catalog.Metadata{Name: name, Namespace: ns}}
	if len(spec) > 0 {
		e.Spec = map[string]any{}
		for i := 0; i+1 < len(spec); i += 2 {
			e.Spec[spec[i].(string)] = spec[i+1]
		}
	}
	return e
}

func withSource(e *catalog.Entity, src string) *catalog.Entity {
	if e.Metadata.Annotations == nil {
		e.Metadata.Annotations = map[string]string{}
	}
	e.Metadata.Annotations[catalog.AnnotationManagedByLocation] = src
	return e
}

func ref(e *catalog.Entity) string { return e.Ref().String() }

// owned returns the processed form of e with an ownedBy/ownerOf pair to owner.
func owned(e *catalog.Entity, owner string) catalog.Processed {
	r := ref(e)
	return catalog.Processed{Entity: e, Relations: []catalog.RelationRow{
		{Source: r, Type: "ownedBy", Target: owner},
		{Source: owner, Type: "ownerOf", Target: r},
	}}
}

func plain(es ...*catalog.Entity) []catalog.Processed {
	out := make([]catalog.Processed, len(es))
	for i, e := range es {
		out[i] = catalog.Processed{Entity: e}
	}
	return out
}

var locSeq int

func addLoc(t *testing.T, s catalog.Store, target string) catalog.Location {
	t.Helper()
	l, err := s.AddLocation(ctx, catalog.Location{Type: "url", Target: target, Origin: "api"})
	if err != nil {
		t.Fatalf("AddLocation %s: %v", target, err)
	}
	if l.ID == "" {
		t.Fatalf("AddLocation %s: no id", target)
	}
	return l
}

func apply(t *testing.T, s catalog.Store, a catalog.Apply) catalog.ApplyResult {
	t.Helper()
	res, err := s.ApplyLocation(ctx, a)
	if err != nil {
		t.Fatalf("ApplyLocation %s: %v", a.LocationID, err)
	}
	return res
}

func get(t *testing.T, s catalog.Store, r string) *catalog.Entity {
	t.Helper()
	rec, err := s.EntityByRef(ctx, r, catalog.Filter{})
	if err != nil {
		t.Fatalf("EntityByRef %s: %v", r, err)
	}
	if rec.Ref != r {
		t.Fatalf("EntityByRef %s: record ref %q", r, rec.Ref)
	}
	e, err := rec.Entity()
	if err != nil {
		t.Fatalf("decode %s: %v", r, err)
	}
	return e
}

func mustNotFound(t *testing.T, err error, what string) {
	t.Helper()
	var nf *catalog.NotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("%s: want NotFoundError, got %v", what, err)
	}
}

func relStrings(e *catalog.Entity) []string {
	out := make([]string, 0, len(e.Relations))
	for _, r := range e.Relations {
		out = append(out, r.Type+">"+r.TargetRef)
	}
	return out
}

func eqStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func refsOf(recs []catalog.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Ref
	}
	return out
}

func allRefs(t *testing.T, s catalog.Store, f catalog.Filter) []string {
	t.Helper()
	p, err := s.QueryEntities(ctx, catalog.Query{Filter: f})
	if err != nil {
		t.Fatalf("QueryEntities: %v", err)
	}
	out := refsOf(p.Items)
	sort.Strings(out)
	return out
}

func sortedCopy(in []string) []string {
	out := append([]string(nil), in...)
	sort.Strings(out)
	return out
}

func now() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

func fmtRefs(rs []string) string {
	if len(rs) > 12 {
		return fmt.Sprintf("%v … (%d)", rs[:12], len(rs))
	}
	return fmt.Sprint(rs)
}
