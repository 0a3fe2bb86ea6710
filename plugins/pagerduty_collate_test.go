package plugins_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/search"
	"github.com/portico-dev/portico/search/bleve"
	"github.com/portico-dev/portico/search/hostsource"
)

// TestPagerDutyCollate: the collate export pages through the simulator's
// services and open incidents; they become searchable documents of type
// plugin:pagerduty, linked to the entity annotated with the service id, and
// a new incident appears at the next run.
func TestPagerDutyCollate(t *testing.T) {
	t.Parallel()
	e := pdEnv(t, loadOpts{})
	if err := e.mem.AddEntity(pdEntity("license-service", "PNC0AQK")); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ix, err := bleve.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	coll := &search.PluginCollator{Source: hostsource.One{Plugin: e.plugin}, Index: ix}
	if got := coll.Source.Collators(); len(got) != 1 || got[0].Name != "pagerduty" || got[0].Every.Minutes() != 15 {
		t.Fatalf("collators = %+v", got)
	}
	e.up.Requests()
	n, err := coll.CollatePlugin(ctx, "pagerduty")
	if err != nil {
		t.Fatalf("collate: %v", err)
	}
	reqs := e.up.Requests()
	if requestsContaining(reqs, "/pagerduty/services?") == 0 || requestsContaining(reqs, "/pagerduty/incidents?") == 0 {
		t.Fatalf("upstream requests: %v", reqs)
	}
	all := find(t, ix, search.Query{Types: []string{"plugin:pagerduty"}, Limit: 1})
	if all.Total != n || n < 60 {
		t.Fatalf("collated %d documents, index holds %d; want every service and the 59 open incidents", n, all.Total)
	}
	svcs := find(t, ix, search.Query{Types: []string{"plugin:pagerduty"}, Filter: eqType("service")})
	incs := find(t, ix, search.Query{Types: []string{"plugin:pagerduty"}, Filter: eqType("incident")})
	if incs.Total != 59 || svcs.Total+incs.Total != n {
		t.Fatalf("services %d + incidents %d, total %d", svcs.Total, incs.Total, n)
	}

	// Typo and prefix: "pagrduty licen" finds the license service (and
	// its incidents).
	res := find(t, ix, search.Query{Term: "pagrduty licen", Filter: eqType("service")})
	if len(res.Hits) != 1 {
		t.Fatalf("pagrduty licen: %+v", res.Hits)
	}
	top := res.Hits[0].Doc
	if top.Type != "plugin:pagerduty" || top.EntityType != "service" || !strings.HasSuffix(top.Location, "/service-directory/PNC0AQK") ||
		top.Ref != "component:default/license-service" || top.Fields["pagerdutyId"] != "PNC0AQK" || top.Fields["status"] != "critical" {
		t.Fatalf("top hit = %+v", top)
	}
	// Incidents name their service's entity too.
	res = find(t, ix, search.Query{Term: "license issuance"})
	if len(res.Hits) != 1 || res.Hits[0].Doc.EntityType != "incident" || res.Hits[0].Doc.Ref != "component:default/license-service" ||
		res.Hits[0].Doc.Fields["urgency"] != "high" {
		t.Fatalf("license issuance: %+v", res.Hits)
	}

	// A new incident upstream appears at the next run.
	req, _ := http.NewRequest("POST", e.url+"/pagerduty/incidents", strings.NewReader(
		`{"incident":{"type":"incident","title":"Subtitle renderer crashes","urgency":"low","service":{"id":"PNC0AQK","type":"service_reference"}}}`))
	req.Header.Set("Authorization", "Token token=pd-demo-token")
	req.Header.Set("From", "ops@acmestreaming.example")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("create incident: %d", resp.StatusCode)
	}
	if n2, err := coll.CollatePlugin(ctx, "pagerduty"); err != nil || n2 != n+1 {
		t.Fatalf("second run = %d, %v; want %d", n2, err, n+1)
	}
	if res := find(t, ix, search.Query{Term: "subtitle"}); len(res.Hits) != 1 || !strings.HasPrefix(res.Hits[0].Doc.Title, "#") {
		t.Fatalf("new incident: %+v", res.Hits)
	}
}

func find(t *testing.T, ix search.Index, q search.Query) search.Result {
	t.Helper()
	res, err := ix.Search(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func eqType(v string) catalog.Filter { return catalog.Eq("spec.type", v) }
