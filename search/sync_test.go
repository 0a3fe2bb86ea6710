package search_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/catalog/sqlite"
	"github.com/portico-dev/portico/host/services"
	"github.com/portico-dev/portico/search"
	"github.com/portico-dev/portico/search/bleve"
	"github.com/portico-dev/portico/search/meili"
	"github.com/portico-dev/portico/search/meili/meilifake"
)

var ctx = context.Background()

func entity(kind, name string, spec ...string) *catalog.Entity {
	e := &catalog.Entity{APIVersion: "backstage.io/v1alpha1", Kind: kind, Metadata: catalog.Metadata{Name: name}}
	if len(spec) > 0 {
		e.Spec = map[string]any{}
		for i := 0; i+1 < len(spec); i += 2 {
			e.Spec[spec[i]] = spec[i+1]
		}
	}
	return e
}

func ownedBy(e *catalog.Entity, group string) catalog.Processed {
	r := e.Ref().String()
	return catalog.Processed{Entity: e, Relations: []catalog.RelationRow{
		{Source: r, Type: "ownedBy", Target: group}, {Source: group, Type: "ownerOf", Target: r}}}
}

func openStore(t *testing.T) catalog.Store {
	t.Helper()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func seed(t *testing.T, st catalog.Store) catalog.Location {
	t.Helper()
	l, err := st.AddLocation(ctx, catalog.Location{Type: "url", Target: "https://example.com/c.yaml", Origin: "api"})
	if err != nil {
		t.Fatal(err)
	}
	pd := entity("Component", "pagerduty-bridge", "type", "service", "lifecycle", "production", "owner", "team-a")
	pd.Metadata.Title = "PagerDuty Bridge"
	pd.Metadata.Description = "Forwards alerts"
	pd.Metadata.Tags = []string{"alerts"}
	pd.Metadata.Annotations = map[string]string{"pagerduty.com/service-id": "PX12345", catalog.AnnotationSourceLocation: "url:https://x/y"}
	api := entity("API", "billing-api", "type", "openapi", "owner", "team-b")
	if _, err := st.ApplyLocation(ctx, catalog.Apply{LocationID: l.ID, Entities: []catalog.Processed{
		ownedBy(pd, "group:default/team-a"), ownedBy(api, "group:default/team-b"), {Entity: entity("Group", "team-a")},
	}}); err != nil {
		t.Fatal(err)
	}
	return l
}

func TestCollatorDocument(t *testing.T) {
	e := entity("Component", "Pay-Svc", "type", "service", "lifecycle", "production", "owner", "group:team-a", "system", "payments")
	e.Metadata.Namespace = "Ops"
	e.Metadata.Description = "Takes money"
	e.Metadata.Tags = []string{"go"}
	e.Metadata.Annotations = map[string]string{"pagerduty.com/service-id": "PX1", catalog.AnnotationViewURL: "https://x", "github.com/project-slug": "acme/pay"}
	e.Relations = []catalog.Relation{{Type: "ownedBy", TargetRef: "group:default/team-a"}}
	d := search.EntityDocument(e)
	if d.Location != "/catalog/ops/component/pay-svc" || d.Key != "software-catalog:component:ops/pay-svc" || d.Title != "Pay-Svc" ||
		d.Text != "Takes money" || d.EntityType != "service" || d.Lifecycle != "production" || d.Owner != "group:team-a" ||
		d.System != "payments" || d.Namespace != "ops" || len(d.OwnedBy) != 1 || d.OwnedBy[0] != "group:default/team-a" {
		t.Fatalf("document = %+v", d)
	}
	for _, want := range []string{"PX1", "acme/pay", "go", "service"} {
		if !strings.Contains(d.Keywords, want) {
			t.Errorf("keywords %q lack %q", d.Keywords, want)
		}
	}
	if strings.Contains(d.Keywords, "https://x") {
		t.Errorf("keywords carry a URL annotation: %q", d.Keywords)
	}
}

// TestOutboxSyncAndReindex: catalog writes reach the index through the
// store's outbox; deletes remove documents; Reindex rebuilds from scratch.
func TestOutboxSyncAndReindex(t *testing.T) {
	st := openStore(t)
	ix, err := bleve.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	l := seed(t, st)
	sync := &search.Sync{Store: st, Index: ix}
	if n, err := sync.Drain(ctx); err != nil || n != 3 {
		t.Fatalf("Drain = %d, %v; want 3 changes", n, err)
	}
	res, err := ix.Search(ctx, search.Query{Term: "pagrduty"})
	if err != nil || res.Total != 1 || res.Hits[0].Doc.Location != "/catalog/default/component/pagerduty-bridge" {
		t.Fatalf("pagrduty: %+v, %v", res, err)
	}
	if res, _ := ix.Search(ctx, search.Query{Term: "PX12345"}); res.Total != 1 {
		t.Fatalf("annotation text not searchable: %+v", res)
	}
	if pending, _ := st.SearchOutbox(ctx, 0, 0); len(pending) != 0 {
		t.Fatalf("outbox not acknowledged: %v", pending)
	}
	// Orphan-delete the API: the document goes.
	if _, err := st.ApplyLocation(ctx, catalog.Apply{LocationID: l.ID, OrphanStrategy: catalog.OrphanDelete,
		Entities: []catalog.Processed{{Entity: entity("Group", "team-a")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := sync.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if res, _ := ix.Search(ctx, search.Query{Term: "billing"}); res.Total != 0 {
		t.Fatalf("deleted entity still found: %+v", res.Hits)
	}
	// Reindex rebuilds exactly the catalog.
	var last [2]int
	n, err := search.Reindex(ctx, st, ix, 1, func(done, total int) { last = [2]int{done, total} })
	if err != nil || n != 1 || last != [2]int{1, 1} {
		t.Fatalf("Reindex = %d, %v, progress %v", n, err, last)
	}
}

// TestOutageLosesNothing: while Meilisearch is down the outbox rows stay;
// once it is back the next drain applies them.
func TestOutageLosesNothing(t *testing.T) {
	fake := meilifake.New(meilifake.Options{})
	if err := fake.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	ix, err := meili.Open(ctx, meili.Options{URL: fake.URL(), Index: "portico", RetryFor: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	st := openStore(t)
	fake.SetDown(true)
	seed(t, st)
	sync := &search.Sync{Store: st, Index: ix}
	if _, err := sync.Drain(ctx); !errors.Is(err, search.ErrUnavailable) {
		t.Fatalf("Drain during outage: %v, want ErrUnavailable", err)
	}
	if pending, _ := st.SearchOutbox(ctx, 0, 0); len(pending) != 3 {
		t.Fatalf("outbox during outage = %v, want the 3 changes kept", pending)
	}
	fake.SetDown(false)
	// Run retries with backoff until the changes are in.
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		_ = (&search.Sync{Store: st, Index: ix, Interval: 10 * time.Millisecond}).Run(runCtx)
		close(done)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		pending, _ := st.SearchOutbox(ctx, 0, 0)
		if len(pending) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox never drained: %v", pending)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	res, err := ix.Search(ctx, search.Query{Term: "billing", Filter: catalog.Eq("relations.ownedby", "group:default/team-b")})
	if err != nil || res.Total != 1 {
		t.Fatalf("after recovery: %+v, %v", res, err)
	}
}

func TestPluginSearch(t *testing.T) {
	st := openStore(t)
	ix, err := bleve.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	seed(t, st)
	if _, err := (&search.Sync{Store: st, Index: ix}).Drain(ctx); err != nil {
		t.Fatal(err)
	}
	ps := &search.PluginSearch{Index: ix, Visible: func(_ context.Context, as services.Caller) (catalog.Filter, error) {
		if as.IsSystem() {
			return catalog.AnyOf(), nil // sees nothing
		}
		return catalog.Eq("relations.ownedby", as.Claims...), nil
	}}
	jane := services.Caller{UserRef: "user:default/jane", Claims: []string{"group:default/team-a"}}
	got, err := ps.Search(ctx, jane, services.SearchQuery{Term: "pager", Limit: 5})
	if err != nil || len(got) != 1 || got[0].Ref != "component:default/pagerduty-bridge" || got[0].Kind != "component" || got[0].Title != "PagerDuty Bridge" {
		t.Fatalf("jane: %+v, %v", got, err)
	}
	if got, _ := ps.Search(ctx, jane, services.SearchQuery{Term: "billing"}); len(got) != 0 {
		t.Fatalf("jane sees team-b's API: %+v", got)
	}
	if got, _ := ps.Search(ctx, jane, services.SearchQuery{Term: "pager", Kinds: []string{"API"}}); len(got) != 0 {
		t.Fatalf("kinds filter ignored: %+v", got)
	}
	if got, _ := ps.Search(ctx, services.Caller{}, services.SearchQuery{Term: "pager"}); len(got) != 0 {
		t.Fatalf("system caller: %+v", got)
	}
}
