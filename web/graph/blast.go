package graph

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/portico-dev/portico/catalog"
)

// impact lists the relation rows (by their type, read from the source's side)
// along which a failure spreads: from an entity to what depends on it, to the
// consumers of an API, and from a component to the APIs it provides.
var impact = map[string]bool{
	catalog.RelationDependencyOf:  true, // X dependencyOf Y: Y depends on X
	catalog.RelationAPIConsumedBy: true, // API consumed by Y
	catalog.RelationProvidesAPI:   true, // component provides API: the API breaks with it
}

// Dependent is one entity in a blast radius.
type Dependent struct {
	Node
	// Via is the relation through which it is reached from its parent on the
	// shortest path, read from the dependent's side (dependsOn, consumesApi,
	// apiProvidedBy).
	Via string `json:"via"`
	// Path is the shortest chain of refs from the root to this entity,
	// root excluded, this entity included.
	Path []string `json:"path"`
}

// BlastRadius is the answer of GET /api/catalog/blast-radius.
type BlastRadius struct {
	Root       string      `json:"root"`
	Dependents []Dependent `json:"dependents"`
	// Owners are the distinct owners of the dependents, sorted: who to tell.
	Owners    []string `json:"owners"`
	Truncated bool     `json:"truncated,omitempty"`
}

// Blast computes every transitive dependent of root, breadth-first, with the
// shortest path to each.
func Blast(ctx context.Context, st catalog.Store, root string, f catalog.Filter) (*BlastRadius, error) {
	root, err := ParseRoot(root)
	if err != nil {
		return nil, err
	}
	if _, err := st.EntityByRef(ctx, root, f); err != nil {
		return nil, fmt.Errorf("blast radius root %s: %w", root, err)
	}
	out := &BlastRadius{Root: root, Dependents: []Dependent{}, Owners: []string{}}
	parent := map[string]string{root: ""}
	via := map[string]string{}
	dist := map[string]int{}
	var order []string
	hidden := map[string]bool{} // entities the reader may not see: never crossed
	read := map[string]*catalog.Record{}
	frontier := []string{root}
	for level := 1; len(frontier) > 0; level++ {
		rows, err := st.Relations(ctx, frontier)
		if err != nil {
			return nil, fmt.Errorf("blast radius relations: %w", err)
		}
		inFrontier := map[string]bool{}
		for _, r := range frontier {
			inFrontier[r] = true
		}
		sort.Slice(rows, func(i, j int) bool {
			if rows[i].Source != rows[j].Source {
				return rows[i].Source < rows[j].Source
			}
			return rows[i].Target < rows[j].Target
		})
		var next []string
		for _, row := range rows {
			if !inFrontier[row.Source] || !impact[row.Type] {
				continue
			}
			if _, seen := parent[row.Target]; seen || hidden[row.Target] {
				continue
			}
			if len(order) >= MaxNodes {
				out.Truncated = true
				break
			}
			parent[row.Target] = row.Source
			via[row.Target] = inverse2(row.Type)
			dist[row.Target] = level
			order = append(order, row.Target)
			next = append(next, row.Target)
		}
		if next, err = prune(ctx, st, next, f, hidden, read); err != nil {
			return nil, err
		}
		for r := range hidden {
			delete(parent, r)
		}
		order = slices.DeleteFunc(order, func(r string) bool { return hidden[r] })
		frontier = next
	}
	nodes, err := describe(ctx, st, order, f, read)
	if err != nil {
		return nil, err
	}
	owners := map[string]bool{}
	for _, n := range nodes {
		if n.Missing {
			// an entity the reader cannot see is not listed
			continue
		}
		n.Distance = -dist[n.Ref]
		var path []string
		for r := n.Ref; r != root && r != ""; r = parent[r] {
			path = append([]string{r}, path...)
		}
		out.Dependents = append(out.Dependents, Dependent{Node: n, Via: via[n.Ref], Path: path})
		if n.Owner != "" {
			owners[n.Owner] = true
		}
	}
	sort.SliceStable(out.Dependents, func(i, j int) bool {
		a, b := out.Dependents[i], out.Dependents[j]
		if a.Distance != b.Distance {
			return a.Distance > b.Distance
		}
		return a.Ref < b.Ref
	})
	for o := range owners {
		out.Owners = append(out.Owners, o)
	}
	sort.Strings(out.Owners)
	return out, nil
}

// inverse2 names a relation from its other end.
func inverse2(t string) string {
	if b, ok := inverse[t]; ok {
		return b
	}
	for f, b := range inverse {
		if b == t {
			return f
		}
	}
	return t
}

// MergeBlast adds to g the dependents of b within maxDistance steps that g
// does not show yet, left of the root (negative distance), with the edges of
// their shortest paths, so a drawing of g shows the blast radius even where
// it runs through a relation g follows downstream (a component's API and the
// API's consumers).
func MergeBlast(g *Graph, b *BlastRadius, maxDistance int) {
	have := map[string]bool{}
	for _, n := range g.Nodes {
		have[n.Ref] = true
	}
	edges := map[Edge]bool{}
	for _, e := range g.Edges {
		edges[e] = true
	}
	for _, d := range b.Dependents {
		if len(d.Path) == 0 || len(d.Path) > maxDistance {
			continue
		}
		if !have[d.Ref] {
			if len(g.Nodes) >= MaxNodes {
				g.Truncated = true
				continue
			}
			n := d.Node
			n.Distance = -len(d.Path)
			g.Nodes = append(g.Nodes, n)
			have[d.Ref] = true
		}
		parent := b.Root
		if len(d.Path) > 1 {
			parent = d.Path[len(d.Path)-2]
		}
		// Via is read from the dependent's side; store edges forward.
		e := Edge{Source: d.Ref, Target: parent, Type: d.Via}
		if _, isForward := inverse[d.Via]; !isForward {
			e = Edge{Source: parent, Target: d.Ref, Type: inverse2(d.Via)}
		}
		if !edges[e] {
			edges[e] = true
			g.Edges = append(g.Edges, e)
		}
	}
}
