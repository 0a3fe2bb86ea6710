package ui

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/web/apidocs"
	"github.com/portico-dev/portico/web/graph"
)

type kindGroup struct {
	Kind string
	Refs []string
}

type slotView struct {
	CardSlot
	URL string
}

type entityPage struct {
	base
	E          *entityView
	Slots      []slotView
	Plugins    bool
	Owned      []kindGroup
	Parts      []kindGroup
	Members    []string
	Parents    []string
	Children   []string
	Providers  []string
	Consumers  []string
	API        *apidocs.Doc
	APIError   string
	Definition string
	GraphURL   string
}

func byKind(refs []string) []kindGroup {
	m := map[string][]string{}
	for _, r := range refs {
		k, _, _ := splitRef(r)
		m[k] = append(m[k], r)
	}
	var out []kindGroup
	for k, rs := range m {
		sort.Strings(rs)
		out = append(out, kindGroup{k, rs})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Kind < out[j].Kind })
	return out
}

func (u *UI) entity(c *fiber.Ctx) error {
	ctx := c.UserContext()
	ref, perm, rec, err := u.entityOf(c)
	if err != nil {
		return err
	}
	v, err := viewOf(rec)
	if err != nil {
		return fmt.Errorf("entity %s: %w", ref, err)
	}
	p := entityPage{base: u.baseFor(c, v.Title, "catalog"), E: v, GraphURL: v.URL + "/graph"}
	if u.opts.Cards != nil {
		p.Plugins = true
		for _, s := range u.opts.Cards.Slots(ctx, rec.JSON) {
			link := v.URL + "/cards/" + url.PathEscape(s.Plugin) + "/" + url.PathEscape(s.Card)
			p.Slots = append(p.Slots, slotView{CardSlot: s, URL: link})
		}
	}
	switch strings.ToLower(v.Kind) {
	case "group", "user":
		p.Members = v.RelTargets(catalog.RelationHasMember)
		p.Parents = v.RelTargets(catalog.RelationChildOf)
		p.Children = v.RelTargets(catalog.RelationParentOf)
		if strings.EqualFold(v.Kind, "user") {
			p.Parents = v.RelTargets(catalog.RelationMemberOf)
		}
		page, err := u.opts.Store.QueryEntities(ctx, catalog.Query{
			Filter: catalog.And(perm, catalog.Eq("relations.ownedby", v.Ref)), Order: []catalog.Order{{Field: "metadata.name"}}, Limit: 500,
		})
		if err != nil {
			return fmt.Errorf("owned entities of %s: %w", v.Ref, err)
		}
		var refs []string
		for _, r := range page.Items {
			refs = append(refs, r.Ref)
		}
		p.Owned = byKind(refs)
	case "system", "domain":
		p.Parts = byKind(v.RelTargets(catalog.RelationHasPart))
	case "api":
		p.Providers = v.RelTargets(catalog.RelationAPIProvidedBy)
		p.Consumers = v.RelTargets(catalog.RelationAPIConsumedBy)
		p.Definition = v.Entity.SpecString("definition")
		if p.Definition != "" {
			doc, err := apidocs.Render(v.Type, p.Definition)
			if err != nil {
				p.APIError = err.Error()
			} else {
				p.API = doc
			}
		}
	}
	return u.render(c, "entity", p)
}

type graphPage struct {
	base
	E         *entityView
	SVG       any
	Graph     *graph.Graph
	Blast     *graph.BlastRadius
	Depth     int
	Direction string
	Relations []relOption
	Depths    []int
}

type relOption struct {
	Name     string
	Checked  bool
	Label    string
	Inverted string
}

func (u *UI) graphPage(c *fiber.Ctx) error {
	ctx := c.UserContext()
	ref, perm, rec, err := u.entityOf(c)
	if err != nil {
		return err
	}
	v, err := viewOf(rec)
	if err != nil {
		return err
	}
	o := graph.Options{Root: ref, Filter: perm, Direction: graph.Both}
	if c.Query("direction") != "" {
		if o.Direction, err = graph.ParseDirection(c.Query("direction")); err != nil {
			return err
		}
	}
	if d := c.Query("depth"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 1 {
			return catalog.Inputf("depth %q: expected a whole number from 1 to %d", d, graph.MaxDepth)
		}
		o.Depth = n
	}
	for _, r := range c.Context().QueryArgs().PeekMulti("relations") {
		o.Relations = append(o.Relations, string(r))
	}
	g, err := graph.Build(ctx, u.opts.Store, o)
	if err != nil {
		return err
	}
	blast, err := graph.Blast(ctx, u.opts.Store, ref, perm)
	if err != nil {
		return err
	}
	if g.Direction != graph.Down {
		graph.MergeBlast(g, blast, g.Depth)
	}
	hl := map[string]bool{}
	for _, d := range blast.Dependents {
		hl[d.Ref] = true
	}
	svg, err := graph.SVG(g, graph.SVGOptions{Highlight: hl, Href: func(n graph.Node) string {
		return EntityURL(n.Ref) + "/graph"
	}})
	if err != nil {
		return err
	}
	chosen := map[string]bool{}
	for _, r := range g.Relations {
		chosen[r] = true
	}
	var rels []relOption
	for _, r := range graph.ForwardRelations() {
		rels = append(rels, relOption{Name: r, Checked: chosen[r], Label: relationLabels[r]})
	}
	return u.render(c, "graph", graphPage{
		base: u.baseFor(c, "Graph: "+v.Title, "catalog"),
		E:    v, SVG: svg, Graph: g, Blast: blast, Depth: g.Depth, Direction: string(g.Direction),
		Relations: rels, Depths: []int{1, 2, 3, 4, 5, 6},
	})
}
