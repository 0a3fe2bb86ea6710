package web_test

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/portico-dev/portico/web/webtest"
)

type entityJSON struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name        string            `json:"name"`
		Namespace   string            `json:"namespace"`
		UID         string            `json:"uid"`
		Annotations map[string]string `json:"annotations"`
	} `json:"metadata"`
	Spec map[string]any `json:"spec"`
}

func names(es []entityJSON) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Metadata.Name
	}
	return out
}

func getJSON(t *testing.T, u string, out any) {
	t.Helper()
	status, _, body := call(t, "GET", u, "", "")
	if status != 200 {
		t.Fatalf("GET %s: %d %s", u, status, body)
	}
	if err := json.Unmarshal(body, out); err != nil {
		t.Fatalf("GET %s: %v: %s", u, err, body)
	}
}

var linkNext = regexp.MustCompile(`^<(/entities\?[^>]*)>; rel="next"$`)

func TestListEntities(t *testing.T) {
	srv := webtest.Start(t, webtest.Options{Examples: true})
	api := srv.URL + "/api/catalog"

	var all []entityJSON
	getJSON(t, api+"/entities?filter=kind=component&order=asc:metadata.name", &all)
	if len(all) != 13 {
		t.Fatalf("%d components, want 13", len(all))
	}
	if !sort.StringsAreSorted(names(all)) {
		t.Fatalf("not sorted by name: %v", names(all))
	}

	t.Run("limit and Link header walk every page", func(t *testing.T) {
		next := "/entities?filter=kind%3Dcomponent&order=asc%3Ametadata.name&limit=5"
		var got []string
		pages := 0
		for next != "" {
			status, hdr, body := call(t, "GET", api+next, "", "")
			if status != 200 {
				t.Fatalf("GET %s: %d %s", next, status, body)
			}
			var page []entityJSON
			if err := json.Unmarshal(body, &page); err != nil {
				t.Fatal(err)
			}
			got = append(got, names(page)...)
			pages++
			next = ""
			if l := hdr.Get("Link"); l != "" {
				m := linkNext.FindStringSubmatch(l)
				if m == nil {
					t.Fatalf("Link header %q", l)
				}
				next = m[1]
				u, _ := url.Parse(next)
				if u.Query().Has("offset") || u.Query().Get("filter") != "kind=component" {
					t.Fatalf("next link %s keeps offset or loses the filter", next)
				}
				raw, _ := base64.StdEncoding.DecodeString(u.Query().Get("after"))
				var cur map[string]int
				if err := json.Unmarshal(raw, &cur); err != nil || cur["limit"] != 5 {
					t.Fatalf("after cursor %s", raw)
				}
			}
		}
		if pages != 3 || strings.Join(got, ",") != strings.Join(names(all), ",") {
			t.Fatalf("%d pages %v, want 3 pages of %v", pages, got, names(all))
		}
	})

	t.Run("offset", func(t *testing.T) {
		var page []entityJSON
		getJSON(t, api+"/entities?filter=kind=component&order=asc:metadata.name&offset=10", &page)
		if strings.Join(names(page), ",") != strings.Join(names(all)[10:], ",") {
			t.Fatalf("offset 10: %v", names(page))
		}
	})

	t.Run("fields keep subtrees and dotted keys", func(t *testing.T) {
		var raw []map[string]any
		getJSON(t, api+"/entities?filter=kind=component&fields=kind,metadata.name&fields=metadata.annotations.backstage.io/managed-by-location,spec.nothere", &raw)
		for _, e := range raw {
			md := e["metadata"].(map[string]any)
			ann := md["annotations"].(map[string]any)
			if len(e) != 2 || e["kind"] != "Component" || len(md) != 2 || md["name"] == nil || len(ann) != 1 || ann["backstage.io/managed-by-location"] == nil {
				t.Fatalf("projected entity %v", e)
			}
		}
		var specs []map[string]any
		getJSON(t, api+"/entities?filter=kind=component&fields=spec", &specs)
		for _, e := range specs {
			spec, ok := e["spec"].(map[string]any)
			if len(e) != 1 || !ok || spec["owner"] == nil || spec["lifecycle"] == nil {
				t.Fatalf("spec subtree %v", e)
			}
		}
	})

	t.Run("filters: OR of sets, exists, case-insensitive", func(t *testing.T) {
		var es []entityJSON
		getJSON(t, api+"/entities?filter=KIND=System&filter=kind=domain", &es)
		if len(es) != 6 {
			t.Fatalf("systems or domains: %d", len(es))
		}
		getJSON(t, api+"/entities?filter=kind=user,metadata.namespace=development", &es)
		if len(es) != 1 || es[0].Metadata.Name != "guest" {
			t.Fatalf("guest in development: %v", names(es))
		}
		getJSON(t, api+"/entities?filter=kind=api,spec.definition", &es)
		if len(es) == 0 {
			t.Fatal("no API with a definition")
		}
	})

	t.Run("by-query pages forward and back", func(t *testing.T) {
		type resp struct {
			Items      []entityJSON `json:"items"`
			TotalItems *int         `json:"totalItems"`
			PageInfo   struct {
				NextCursor string `json:"nextCursor"`
				PrevCursor string `json:"prevCursor"`
			} `json:"pageInfo"`
		}
		var p1, p2, back resp
		getJSON(t, api+"/entities/by-query?filter=kind=component&orderField=metadata.name,desc&limit=6", &p1)
		if p1.TotalItems == nil || *p1.TotalItems != 13 || len(p1.Items) != 6 || p1.PageInfo.PrevCursor != "" {
			t.Fatalf("first page: total %v, %d items, prev %q", p1.TotalItems, len(p1.Items), p1.PageInfo.PrevCursor)
		}
		rev := append([]string(nil), names(all)...)
		sort.Sort(sort.Reverse(sort.StringSlice(rev)))
		if strings.Join(names(p1.Items), ",") != strings.Join(rev[:6], ",") {
			t.Fatalf("desc page %v, want %v", names(p1.Items), rev[:6])
		}
		// The cursor carries the query: filter and order given with it are ignored.
		getJSON(t, api+"/entities/by-query?limit=6&filter=kind=user&orderField=metadata.uid,asc&cursor="+url.QueryEscape(p1.PageInfo.NextCursor), &p2)
		if strings.Join(names(p2.Items), ",") != strings.Join(rev[6:12], ",") || p2.TotalItems == nil || *p2.TotalItems != 13 {
			t.Fatalf("second page %v", names(p2.Items))
		}
		getJSON(t, api+"/entities/by-query?limit=6&cursor="+url.QueryEscape(p2.PageInfo.PrevCursor), &back)
		if strings.Join(names(back.Items), ",") != strings.Join(rev[:6], ",") {
			t.Fatalf("back page %v", names(back.Items))
		}
		var ex resp
		getJSON(t, api+"/entities/by-query?filter=kind=component&totalItems=exclude&limit=1", &ex)
		if ex.TotalItems != nil || len(ex.Items) != 1 {
			t.Fatalf("totalItems=exclude: total %v, %d items", ex.TotalItems, len(ex.Items))
		}
		var def resp
		getJSON(t, api+"/entities/by-query", &def)
		if len(def.Items) == 0 || len(def.Items) > 200 || def.TotalItems == nil || *def.TotalItems < len(def.Items) {
			t.Fatalf("default page: %d items of %v", len(def.Items), def.TotalItems)
		}
	})

	t.Run("by-refs keeps order and nulls", func(t *testing.T) {
		status, _, body := call(t, "POST", api+"/entities/by-refs?filter=kind=component", "application/json",
			`{"entityRefs":["component:default/artist-lookup","not a ref","group:default/team-a","Component:Default/Wayback-Archive"],"fields":["metadata.name"]}`)
		if status != 200 || string(body) != `{"items":[{"metadata":{"name":"artist-lookup"}},null,null,{"metadata":{"name":"wayback-archive"}}]}` {
			t.Fatalf("by-refs: %d %s", status, body)
		}
	})

	t.Run("facets keyed as given", func(t *testing.T) {
		var f struct {
			Facets map[string][]struct {
				Value string `json:"value"`
				Count int    `json:"count"`
			} `json:"facets"`
		}
		getJSON(t, api+"/entity-facets?facet=KIND&facet=metadata.tags&filter=kind=component", &f)
		if len(f.Facets) != 2 || len(f.Facets["KIND"]) != 1 || f.Facets["KIND"][0].Value != "Component" || f.Facets["KIND"][0].Count != 13 {
			t.Fatalf("facets %+v", f.Facets)
		}
	})
}
