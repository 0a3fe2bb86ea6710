package services

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/portico-dev/portico/catalog"
)

type fakeStore struct {
	gotFilter catalog.Filter
	gotQuery  catalog.Query
}

func (f *fakeStore) EntityByRef(_ context.Context, ref string, fl catalog.Filter) (catalog.Record, error) {
	f.gotFilter = fl
	if ref != "component:default/x" {
		return catalog.Record{}, catalog.NotFoundf("no %s", ref)
	}
	return catalog.Record{Ref: ref, JSON: json.RawMessage(`{"kind":"Component","metadata":{"name":"x"}}`)}, nil
}

func (f *fakeStore) QueryEntities(_ context.Context, q catalog.Query) (catalog.Page, error) {
	f.gotQuery = q
	return catalog.Page{Items: []catalog.Record{{JSON: json.RawMessage(`{"kind":"Component","metadata":{"name":"x","title":"X"}}`)}},
		HasMore: true, Last: &catalog.Position{Value: "x", Ref: "component:default/x"}}, nil
}

func TestStoreCatalogPushesVisibilityDown(t *testing.T) {
	st := &fakeStore{}
	owned := catalog.Eq("relations.ownedby", "group:default/a")
	var seen Caller
	sc := &StoreCatalog{Store: st, Visible: func(_ context.Context, as Caller) (catalog.Filter, error) { seen = as; return owned, nil }}
	jane := Caller{UserRef: "user:default/jane"}
	if _, err := sc.Entity(context.Background(), jane, "component:X"); err != nil {
		t.Fatal(err)
	}
	if seen.UserRef != jane.UserRef || st.gotFilter.Key != "relations.ownedby" {
		t.Fatalf("caller %+v filter %+v", seen, st.gotFilter)
	}
	page, err := sc.Query(context.Background(), jane, CatalogQuery{Filter: catalog.Eq("kind", "component"), Limit: 1})
	if err != nil || len(page.Items) != 1 || page.Next == "" {
		t.Fatalf("page %+v err %v", page, err)
	}
	if len(st.gotQuery.Filter.All) != 2 {
		t.Fatalf("query filter not ANDed with visibility: %+v", st.gotQuery.Filter)
	}
	if _, err := sc.Query(context.Background(), jane, CatalogQuery{Cursor: page.Next}); err != nil || st.gotQuery.After == nil || st.gotQuery.After.Ref != "component:default/x" {
		t.Fatalf("cursor round trip: %v %+v", err, st.gotQuery.After)
	}
	if _, err := sc.Query(context.Background(), jane, CatalogQuery{Cursor: "!!"}); err == nil {
		t.Fatal("bad cursor accepted")
	}
	res, err := sc.Search(context.Background(), jane, SearchQuery{Term: "x"})
	if err != nil || len(res) != 1 || res[0].Title != "X" || res[0].Ref != "component:default/x" {
		t.Fatalf("search %+v %v", res, err)
	}
}
