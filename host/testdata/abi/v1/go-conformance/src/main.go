// Conformance plugin for ABI v1, built once with pdk/go and frozen as
// ../plugin.wasm. It exercises every export and every host function with
// deterministic results (see ../../README.md for the fixture it runs against).
// Do not change its behaviour: build a new corpus plugin instead.
package main

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	pdk "github.com/portico-dev/portico/pdk/go"
)

func code(err error) string {
	if err == nil {
		return "ok"
	}
	var e *pdk.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return "error: " + err.Error()
}

//go:wasmexport card
func card() int32 {
	return pdk.HandleCard(func(in pdk.CardInput) (pdk.Card, error) {
		c := pdk.Card{Title: "Conformance: " + in.Entity.Metadata.Name}
		owner, _ := in.Entity.Spec["owner"].(string)
		if owner != "" {
			if !strings.Contains(owner, ":") {
				owner = "group:" + owner
			}
			g, err := pdk.CatalogGet(owner)
			if err != nil {
				c.Fields = append(c.Fields, pdk.Field{Label: "Owner", Value: code(err)})
			} else {
				title := g.Metadata.Title
				if title == "" {
					title = g.Metadata.Name
				}
				c.Fields = append(c.Fields, pdk.Field{Label: "Owner", Value: title})
			}
		}
		var greeting string
		found, err := pdk.Config("greeting", &greeting)
		c.Fields = append(c.Fields, pdk.Field{Label: "Greeting", Value: fmt.Sprintf("%s %v %s", greeting, found, code(err))})
		tok, found, err := pdk.Secret("token")
		c.Fields = append(c.Fields, pdk.Field{Label: "Token length", Value: fmt.Sprintf("%d %v %s", len(tok), found, code(err))})
		visits, _, err := pdk.KVGet("visits/" + in.Entity.Ref())
		if err == nil {
			visits += "|"
			err = pdk.KVSet("visits/"+in.Entity.Ref(), visits)
		}
		c.Fields = append(c.Fields, pdk.Field{Label: "Visits", Value: fmt.Sprintf("%d %s", len(visits), code(err))})
		user := "system"
		if in.User != nil {
			user = in.User.Ref
		}
		c.Fields = append(c.Fields, pdk.Field{Label: "User", Value: user})
		_ = pdk.Log("info", "card rendered", map[string]any{"entity": in.Entity.Ref()})
		c.Status = &pdk.Status{Level: pdk.LevelOK, Text: "card " + in.Card}
		c.Summary = in.Entity.Metadata.Description
		c.Links = []pdk.Link{{Title: "Docs", URL: "https://example.com/" + in.Entity.Metadata.Name}}
		c.Badges = []pdk.Badge{{Label: in.Entity.Kind, Tone: "neutral"}}
		c.Tables = []pdk.Table{{Title: "Labels", Columns: []string{"Key", "Value"}}}
		keys := make([]string, 0, len(in.Entity.Metadata.Labels))
		for k := range in.Entity.Metadata.Labels {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			c.Tables[0].Rows = append(c.Tables[0].Rows, []string{k, in.Entity.Metadata.Labels[k]})
		}
		t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		c.Series = []pdk.Series{{Name: "requests", Unit: "rps", Points: []pdk.Point{{T: t0, V: 1}, {T: t0.Add(time.Hour), V: 2.5}}}}
		return c, nil
	})
}

//go:wasmexport provide
func provide() int32 {
	return pdk.HandleProvide(func(in pdk.ProvideInput) (pdk.ProvideOutput, error) {
		var out pdk.ProvideOutput
		page, err := pdk.CatalogQuery(pdk.Query{Filter: map[string]any{"kind": "component"}, Limit: 2})
		if err != nil {
			return out, err
		}
		for _, e := range page.Items {
			out.Annotations = append(out.Annotations, pdk.EntityAnnotations{EntityRef: e.Ref(), Annotations: map[string]string{"conformance/seen": "true"}})
		}
		if page.Next != "" {
			next, err := pdk.CatalogQuery(pdk.Query{Filter: map[string]any{"kind": "component"}, Limit: 2, Cursor: page.Next})
			if err != nil {
				return out, err
			}
			for _, e := range next.Items {
				out.Annotations = append(out.Annotations, pdk.EntityAnnotations{EntityRef: e.Ref(), Annotations: map[string]string{"conformance/seen": "page2"}})
			}
		}
		out.Entities = append(out.Entities, []byte(`{"apiVersion":"backstage.io/v1alpha1","kind":"Resource","metadata":{"name":"conformance-db"},"spec":{"type":"database","owner":"team-a"}}`))
		return out, nil
	})
}

//go:wasmexport action
func action() int32 {
	return pdk.HandleAction(func(in pdk.ActionInput) (pdk.ActionOutput, error) {
		key, _ := in.Input["key"].(string)
		value, _ := in.Input["value"].(string)
		if key == "" {
			return pdk.ActionOutput{}, errors.New("input.key is required")
		}
		if in.DryRun {
			return pdk.ActionOutput{Messages: []string{"dry run: would set " + key}}, nil
		}
		if err := pdk.KVSet(key, value); err != nil {
			return pdk.ActionOutput{}, err
		}
		_ = pdk.KVSet("tmp/"+key, "x")
		if err := pdk.KVDelete("tmp/" + key); err != nil {
			return pdk.ActionOutput{}, err
		}
		keys, err := pdk.KVList("", 0)
		if err != nil {
			return pdk.ActionOutput{}, err
		}
		got, found, err := pdk.KVGet(key)
		return pdk.ActionOutput{Output: map[string]any{"keys": keys, "value": got, "found": found}, Messages: []string{"set " + key}}, err
	})
}

//go:wasmexport check
func check() int32 {
	return pdk.HandleCheck(func(in pdk.CheckInput) (pdk.CheckOutput, error) {
		res, err := pdk.Search(in.Entity.Metadata.Name, []string{"component"}, 5)
		if err != nil {
			return pdk.CheckOutput{}, err
		}
		refs := make([]string, len(res))
		for i, r := range res {
			refs[i] = r.Ref
		}
		if len(res) == 0 {
			return pdk.CheckOutput{Result: pdk.Fail, Message: "no search hits"}, nil
		}
		score := 1.0
		return pdk.CheckOutput{Result: pdk.Pass, Message: strings.Join(refs, ","), Score: &score}, nil
	})
}

//go:wasmexport route
func route() int32 {
	return pdk.HandleRoute(func(in pdk.RouteInput) (pdk.RouteOutput, error) {
		if in.Path == "/text" {
			return pdk.RouteOutput{Status: 200, Text: "hello " + in.Method}, nil
		}
		page, err := pdk.CatalogQuery(pdk.Query{FullText: &pdk.FullText{Term: in.Query.Get("q")}})
		if err != nil {
			return pdk.RouteOutput{}, err
		}
		return pdk.RouteOutput{Status: 200, JSON: map[string]any{"method": in.Method, "path": in.Path, "hits": len(page.Items)}}, nil
	})
}

// probe calls every host function and reports each one's outcome: what a
// given grant allows.
//
//go:wasmexport probe
func probe() int32 {
	return pdk.HandleAction(func(in pdk.ActionInput) (pdk.ActionOutput, error) {
		out := map[string]any{}
		_, err := pdk.CatalogGet("component:default/payments")
		out["catalog_get"] = code(err)
		_, err = pdk.CatalogGet("component:default/missing")
		out["catalog_get_missing"] = code(err)
		_, err = pdk.CatalogGet("not a ref::")
		out["catalog_get_bad"] = code(err)
		_, err = pdk.CatalogQuery(pdk.Query{Limit: 1})
		out["catalog_query"] = code(err)
		_, err = pdk.CatalogQuery(pdk.Query{Limit: 100000})
		out["catalog_query_bad_limit"] = code(err)
		_, err = pdk.Search("pay", nil, 0)
		out["search"] = code(err)
		out["kv_set"] = code(pdk.KVSet("probe", "1"))
		_, _, err = pdk.KVGet("probe")
		out["kv_get"] = code(err)
		_, _, err = pdk.KVGet("")
		out["kv_get_empty_key"] = code(err)
		_, err = pdk.KVList("", 0)
		out["kv_list"] = code(err)
		out["kv_delete"] = code(pdk.KVDelete("probe"))
		_, err = pdk.Config("", nil)
		out["config_get"] = code(err)
		_, _, err = pdk.Secret("token")
		out["secret_get"] = code(err)
		_, _, err = pdk.Secret("other-plugins-secret")
		out["secret_get_ungranted"] = code(err)
		out["log"] = code(pdk.Log("debug", "probe", nil))
		out["log_bad_level"] = code(pdk.Log("loud", "probe", nil))
		return pdk.ActionOutput{Output: out}, nil
	})
}

func main() {}
