package sdk_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/sdk"
	"github.com/portico-dev/portico/web/webtest"
)

var ctx = context.Background()

func entityNames(es []*catalog.Entity) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Metadata.Name
	}
	return out
}

func TestEntities(t *testing.T) {
	srv := webtest.Start(t, webtest.Options{Examples: true})
	c := sdk.New(srv.URL + "/") // a trailing slash is fine

	all, err := c.GetEntities(ctx, sdk.GetEntitiesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Items) < 56 || all.NextAfter != "" {
		t.Fatalf("%d entities, next %q", len(all.Items), all.NextAfter)
	}

	t.Run("GetEntities pages with After", func(t *testing.T) {
		req := sdk.GetEntitiesRequest{
			Filter: sdk.Filter{{"kind": {"component"}}},
			Order:  []sdk.Order{{Field: "metadata.name"}},
			Limit:  5,
		}
		var got []string
		for {
			page, err := c.GetEntities(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, entityNames(page.Items)...)
			if page.NextAfter == "" {
				break
			}
			req.After = page.NextAfter
		}
		if len(got) != 13 || !sort.StringsAreSorted(got) {
			t.Fatalf("paged components: %v", got)
		}
	})

	t.Run("filters: OR of sets, exists, values", func(t *testing.T) {
		res, err := c.GetEntities(ctx, sdk.GetEntitiesRequest{Filter: sdk.Filter{
			{"kind": {"system"}}, {"kind": {"domain"}, "metadata.name": nil},
		}, Fields: []string{"kind", "metadata.name"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Items) != 6 {
			t.Fatalf("%d systems and domains", len(res.Items))
		}
		for _, e := range res.Items {
			if e.Spec != nil || (e.Kind != "System" && e.Kind != "Domain") {
				t.Fatalf("projected entity %+v", e)
			}
		}
	})

	t.Run("QueryEntities with GET and POST and the iterator", func(t *testing.T) {
		page, err := c.QueryEntities(ctx, sdk.QueryEntitiesRequest{
			Filter: sdk.Filter{{"kind": {"component"}}}, Limit: 4, OrderBy: []sdk.Order{{Field: "metadata.name", Desc: true}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if page.TotalItems != 13 || len(page.Items) != 4 || page.PageInfo.NextCursor == "" {
			t.Fatalf("first page: total %d, %d items", page.TotalItems, len(page.Items))
		}
		var viaIter []string
		for e, err := range c.Entities(ctx, sdk.QueryEntitiesRequest{
			Query: sdk.Predicate{"kind": "component"}, Limit: 4, OrderBy: []sdk.Order{{Field: "metadata.name", Desc: true}},
		}) {
			if err != nil {
				t.Fatal(err)
			}
			viaIter = append(viaIter, e.Metadata.Name)
		}
		want := slices.Clone(viaIter)
		sort.Sort(sort.Reverse(sort.StringSlice(want)))
		if len(viaIter) != 13 || !slices.Equal(viaIter, want) || !slices.Equal(viaIter[:4], entityNames(page.Items)) {
			t.Fatalf("iterated %v", viaIter)
		}
		pages := 0
		for p, err := range c.EntityPages(ctx, sdk.QueryEntitiesRequest{Filter: sdk.Filter{{"kind": {"user"}}}, Limit: 5, ExcludeTotal: true}) {
			if err != nil {
				t.Fatal(err)
			}
			pages++
			if len(p.Items) == 0 {
				t.Fatal("empty page")
			}
		}
		if pages != 4 {
			t.Fatalf("%d pages of 17 users by 5", pages)
		}
		ft, err := c.QueryEntities(ctx, sdk.QueryEntitiesRequest{FullText: &sdk.FullText{Term: "Artist", Fields: []string{"metadata.name"}}})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ft.Items {
			if !strings.Contains(e.Metadata.Name, "artist") {
				t.Fatalf("full text matched %s", e.Metadata.Name)
			}
		}
		if len(ft.Items) < 2 {
			t.Fatalf("full text found %v", entityNames(ft.Items))
		}
		// Filter and Query together are ANDed.
		both, err := c.QueryEntities(ctx, sdk.QueryEntitiesRequest{Filter: sdk.Filter{{"spec.type": {"service"}}}, Query: sdk.Predicate{"kind": "component"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range both.Items {
			if e.Kind != "Component" || e.SpecString("type") != "service" {
				t.Fatalf("filter+query matched %s %s", e.Kind, e.SpecString("type"))
			}
		}
	})

	t.Run("by ref, by refs, by uid, ancestry, facets", func(t *testing.T) {
		e, err := c.GetEntityByRef(ctx, "Component:default/Artist-Lookup")
		if err != nil || e.Metadata.Name != "artist-lookup" {
			t.Fatalf("by ref: %v %v", e, err)
		}
		byUID, err := c.GetEntityByUID(ctx, e.Metadata.UID)
		if err != nil || byUID.Metadata.UID != e.Metadata.UID {
			t.Fatalf("by uid: %v", err)
		}
		got, err := c.GetEntitiesByRefs(ctx, sdk.GetEntitiesByRefsRequest{
			Refs: []string{"group:default/team-a", "component:default/missing", "component:default/artist-lookup"}, Fields: []string{"metadata.name"},
		})
		if err != nil || len(got) != 3 || got[0].Metadata.Name != "team-a" || got[1] != nil || got[2].Metadata.Name != "artist-lookup" {
			t.Fatalf("by refs: %v %v", got, err)
		}
		got, err = c.GetEntitiesByRefs(ctx, sdk.GetEntitiesByRefsRequest{
			Refs: []string{"group:default/team-a", "component:default/artist-lookup"}, Query: sdk.Predicate{"kind": "group"},
		})
		if err != nil || got[0] == nil || got[1] != nil {
			t.Fatalf("by refs with query: %v %v", got, err)
		}
		many := make([]string, 2500)
		for i := range many {
			many[i] = "component:default/artist-lookup"
		}
		got, err = c.GetEntitiesByRefs(ctx, sdk.GetEntitiesByRefsRequest{Refs: many, Fields: []string{"kind"}})
		if err != nil || len(got) != 2500 || got[2499] == nil {
			t.Fatalf("chunked by refs: %d %v", len(got), err)
		}
		anc, err := c.GetEntityAncestors(ctx, "component:default/artist-lookup")
		if err != nil || anc.RootEntityRef != "component:default/artist-lookup" || len(anc.Items) < 2 {
			t.Fatalf("ancestry: %+v %v", anc, err)
		}
		facets, err := c.GetEntityFacets(ctx, sdk.FacetsRequest{Facets: []string{"Kind"}, Filter: sdk.Filter{{"kind": {"system", "domain"}}}})
		if err != nil || len(facets["Kind"]) != 2 {
			t.Fatalf("facets: %v %v", facets, err)
		}
		facets, err = c.GetEntityFacets(ctx, sdk.FacetsRequest{Facets: []string{"kind"}, Query: sdk.Predicate{"kind": "system"}})
		if err != nil || len(facets["kind"]) != 1 || facets["kind"][0].Count != 3 {
			t.Fatalf("facets by query: %v %v", facets, err)
		}
		if err := c.RefreshEntity(ctx, "component:default/artist-lookup"); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("errors are typed", func(t *testing.T) {
		_, err := c.GetEntityByRef(ctx, "component:default/nope")
		var se *sdk.Error
		if !errors.Is(err, sdk.ErrNotFound) || !errors.As(err, &se) || se.StatusCode != 404 || !strings.Contains(se.Message, "No entity named 'nope'") {
			t.Fatalf("not found: %#v", err)
		}
		if errors.Is(err, sdk.ErrConflict) {
			t.Fatal("a NotFoundError must not match ErrConflict")
		}
		_, err = c.GetEntityFacets(ctx, sdk.FacetsRequest{})
		if !errors.Is(err, sdk.ErrInput) {
			t.Fatalf("missing facets: %v", err)
		}
		_, err = c.QueryEntities(ctx, sdk.QueryEntitiesRequest{Cursor: "bm90LWpzb24="})
		if !errors.Is(err, sdk.ErrInput) {
			t.Fatalf("bad cursor: %v", err)
		}
		if _, err := c.GetEntityByRef(ctx, "no-kind"); err == nil {
			t.Fatal("a ref without kind must fail before any request")
		}
		if err := c.RemoveEntityByUID(ctx, "no-such-uid"); err != nil && !errors.Is(err, sdk.ErrNotFound) {
			t.Fatalf("remove missing uid: %v", err)
		}
	})
}

func TestLocations(t *testing.T) {
	srv := webtest.Start(t, webtest.Options{Examples: true})
	c := sdk.New(srv.URL, sdk.WithHTTPClient(&http.Client{}), sdk.WithToken("unused-token"))
	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/a/catalog-info.yaml":
			w.Write([]byte("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: sdk-a\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a\n"))
		case "/b/catalog-info.yaml":
			w.Write([]byte("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: sdk-b\nspec:\n  type: library\n  lifecycle: production\n  owner: team-b\n"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer files.Close()
	target := files.URL + "/a/catalog-info.yaml"

	dry, err := c.AddLocation(ctx, sdk.AddLocationRequest{Target: target, DryRun: true})
	if err != nil || dry.Exists || len(dry.Entities) == 0 {
		t.Fatalf("dry run: %+v %v", dry, err)
	}
	added, err := c.AddLocation(ctx, sdk.AddLocationRequest{Target: target})
	if err != nil || added.Location.ID == "" || added.Location.Target != target || !strings.HasPrefix(added.Location.EntityRef, "location:default/generated-") {
		t.Fatalf("add: %+v %v", added, err)
	}
	if _, err := c.AddLocation(ctx, sdk.AddLocationRequest{Target: target}); !errors.Is(err, sdk.ErrConflict) {
		t.Fatalf("second add: %v", err)
	}
	again, err := c.AddLocation(ctx, sdk.AddLocationRequest{Target: target, OnConflict: "refresh"})
	if err != nil || !again.Exists || again.Location.ID != added.Location.ID {
		t.Fatalf("add with refresh: %+v %v", again, err)
	}
	if _, err := c.GetEntityByRef(ctx, "component:default/sdk-a"); err != nil {
		t.Fatalf("registered entity: %v", err)
	}
	locs, err := c.GetLocations(ctx)
	if err != nil || len(locs) != 3 {
		t.Fatalf("locations: %v %v", locs, err)
	}
	byID, err := c.GetLocationByID(ctx, added.Location.ID)
	if err != nil || *byID != added.Location {
		t.Fatalf("by id: %+v %v", byID, err)
	}
	byEntity, err := c.GetLocationByEntity(ctx, "component:default/sdk-a")
	if err != nil || byEntity.ID != added.Location.ID {
		t.Fatalf("by entity: %+v %v", byEntity, err)
	}
	page, err := c.QueryLocations(ctx, sdk.QueryLocationsRequest{Limit: 2})
	if err != nil || len(page.Items) != 2 || page.TotalItems != 3 || page.PageInfo.NextCursor == "" {
		t.Fatalf("query locations: %+v %v", page, err)
	}
	rest, err := c.QueryLocations(ctx, sdk.QueryLocationsRequest{Cursor: page.PageInfo.NextCursor})
	if err != nil || len(rest.Items) != 1 || rest.PageInfo.NextCursor != "" {
		t.Fatalf("second locations page: %+v %v", rest, err)
	}
	only, err := c.QueryLocations(ctx, sdk.QueryLocationsRequest{Query: sdk.Predicate{"target": target}})
	if err != nil || len(only.Items) != 1 || only.Items[0].ID != added.Location.ID {
		t.Fatalf("locations by target: %+v %v", only, err)
	}
	moved, err := c.UpdateLocation(ctx, added.Location.ID, "url", files.URL+"/b/catalog-info.yaml")
	if err != nil || moved.Target != files.URL+"/b/catalog-info.yaml" {
		t.Fatalf("update: %+v %v", moved, err)
	}
	if _, err := c.GetEntityByRef(ctx, "component:default/sdk-b"); err != nil {
		t.Fatalf("entity of the new target: %v", err)
	}
	b, _ := c.GetEntityByRef(ctx, "component:default/sdk-b")
	if err := c.RemoveEntityByUID(ctx, b.Metadata.UID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetEntityByRef(ctx, "component:default/sdk-b"); !errors.Is(err, sdk.ErrNotFound) {
		t.Fatalf("removed entity: %v", err)
	}
	if err := c.RemoveLocationByID(ctx, added.Location.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetLocationByID(ctx, added.Location.ID); !errors.Is(err, sdk.ErrNotFound) {
		t.Fatalf("removed location: %v", err)
	}

	valid, err := c.ValidateEntity(ctx, &catalog.Entity{APIVersion: "backstage.io/v1alpha1", Kind: "Group",
		Metadata: catalog.Metadata{Name: "g"}, Spec: map[string]any{"type": "team", "children": []string{}}}, "url:http://x/y.yaml")
	if err != nil || !valid.Valid {
		t.Fatalf("valid entity: %+v %v", valid, err)
	}
	invalid, err := c.ValidateEntity(ctx, map[string]any{"apiVersion": "backstage.io/v1alpha1", "kind": "Group", "metadata": map[string]any{"name": "bad name!"}}, "url:http://x/y.yaml")
	if err != nil || invalid.Valid || len(invalid.Errors) == 0 {
		t.Fatalf("invalid entity: %+v %v", invalid, err)
	}

	an, err := c.AnalyzeLocation(ctx, sdk.AnalyzeLocationRequest{Location: sdk.LocationSpec{Type: "url", Target: files.URL + "/a"}})
	if err != nil || len(an.ExistingEntityFiles) != 1 || an.ExistingEntityFiles[0].Entity.Metadata.Name != "sdk-a" {
		t.Fatalf("analyze: %+v %v", an, err)
	}
	an, err = c.AnalyzeLocation(ctx, sdk.AnalyzeLocationRequest{Location: sdk.LocationSpec{Type: "url", Target: files.URL + "/my-repo"}})
	if err != nil || len(an.GenerateEntities) != 1 || an.GenerateEntities[0].Entity["metadata"].(map[string]any)["name"] != "my-repo" {
		t.Fatalf("analyze empty: %+v %v", an, err)
	}
	if _, err := c.AnalyzeLocation(ctx, sdk.AnalyzeLocationRequest{Location: sdk.LocationSpec{Type: "url", Target: "nope"}}); !errors.Is(err, sdk.ErrInput) {
		t.Fatalf("analyze non-URL: %v", err)
	}
}

// TestTokenIsSent checks WithToken against a stub that records the header.
func TestTokenIsSent(t *testing.T) {
	var got string
	stub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Get("Authorization")
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`[]`))
	}))
	defer stub.Close()
	if _, err := sdk.New(stub.URL, sdk.WithToken("t0k")).GetEntities(ctx, sdk.GetEntitiesRequest{}); err != nil {
		t.Fatal(err)
	}
	if got != "Bearer t0k" {
		t.Fatalf("Authorization %q", got)
	}
}

// TestNonJSONError checks an error that is not Backstage-shaped (a proxy's 502).
func TestNonJSONError(t *testing.T) {
	stub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "bad gateway", http.StatusBadGateway)
	}))
	defer stub.Close()
	_, err := sdk.New(stub.URL).GetLocations(ctx)
	var se *sdk.Error
	if !errors.As(err, &se) || se.StatusCode != 502 || se.Name != "Error" {
		t.Fatalf("502: %#v", err)
	}
}
