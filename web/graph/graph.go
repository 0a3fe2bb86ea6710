// Package graph owns the catalog's relation graph views: the traversal behind
// GET /api/catalog/graph (nodes and edges around a root entity, by depth,
// direction and relation type), the blast radius behind
// GET /api/catalog/blast-radius (every transitive dependent of an entity, with
// its owner), and the server-side SVG layout the UI embeds.
//
// It reads only through catalog.Store (Relations, EntitiesByRefs), so a reader's
// permission filter applies to every entity it shows; with a filter, each
// traversal level is checked in the store (prune) and a hidden entity is
// never crossed, so neither a node nor a blast-radius path reveals one. It
// must never import web/ui, host or a store implementation.
package graph

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/portico-dev/portico/catalog"
)

// Direction says which way a traversal follows relations from the root.
type Direction string

const (
	// Down follows relations from the root outwards: what the root depends
	// on, consumes, provides, is part of.
	Down Direction = "down"
	// Up follows them backwards: what depends on, consumes, contains the root.
	Up Direction = "up"
	// Both is Up and Down.
	Both Direction = "both"
)

// Limits of one traversal.
const (
	DefaultDepth = 2
	MaxDepth     = 10
	// MaxNodes caps a graph or blast radius so a hub entity cannot make a
	// response unbounded; Graph.Truncated says when it was hit.
	MaxNodes = 500
)

// inverse maps every relation type of REFERENCE.md §1.4 to its other direction.
var inverse = map[string]string{
	catalog.RelationDependsOn:   catalog.RelationDependencyOf,
	catalog.RelationConsumesAPI: catalog.RelationAPIConsumedBy,
	catalog.RelationProvidesAPI: catalog.RelationAPIProvidedBy,
	catalog.RelationPartOf:      catalog.RelationHasPart,
	catalog.RelationOwnedBy:     catalog.RelationOwnerOf,
	catalog.RelationChildOf:     catalog.RelationParentOf,
	catalog.RelationMemberOf:    catalog.RelationHasMember,
}

// forwardOf maps both names of a relation to its forward ("down") name.
var forwardOf = func() map[string]string {
	m := map[string]string{}
	for f, b := range inverse {
		m[strings.ToLower(f)] = f
		m[strings.ToLower(b)] = f
	}
	return m
}()

// DefaultRelations are followed when a request names none: the relations
// that describe how software depends on software. Ownership and group
// membership are left out because a team is a hub linking everything it owns.
var DefaultRelations = []string{catalog.RelationDependsOn, catalog.RelationConsumesAPI, catalog.RelationProvidesAPI, catalog.RelationPartOf}

// ForwardRelations lists every relation a request may name, by forward name.
func ForwardRelations() []string {
	out := make([]string, 0, len(inverse))
	for f := range inverse {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// Node is one entity of a graph.
type Node struct {
	Ref       string `json:"ref"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Title     string `json:"title,omitempty"`
	Owner     string `json:"owner,omitempty"`
	// Distance from the root: negative upstream (dependents), positive
	// downstream (dependencies), 0 for the root.
	Distance int `json:"distance"`
	// Missing: a relation points at an entity that does not exist (or that
	// the reader may not see); it is drawn but not linked.
	Missing bool `json:"missing,omitempty"`
}

// Edge is one relation, always in its forward direction (Source dependsOn
// Target, Source partOf Target, …).
type Edge struct {
	Source string `json:"source"`
	Target string `json:"target"`
	Type   string `json:"type"`
}

// Graph is the answer of GET /api/catalog/graph.
type Graph struct {
	Root      string    `json:"root"`
	Direction Direction `json:"direction"`
	Depth     int       `json:"depth"`
	Relations []string  `json:"relations"`
	Nodes     []Node    `json:"nodes"`
	Edges     []Edge    `json:"edges"`
	Truncated bool      `json:"truncated,omitempty"`
}

// Options select a graph.
type Options struct {
	Root      string // an entity ref; kind and namespace default to component and default
	Depth     int    // 0 = DefaultDepth; capped at MaxDepth
	Direction Direction
	Relations []string // forward or inverse names; empty = DefaultRelations
	// Filter is ANDed into every entity read (the reader's permissions).
	Filter catalog.Filter
}

// ParseRoot parses a root ref as the API accepts it.
func ParseRoot(s string) (string, error) {
	if strings.TrimSpace(s) == "" {
		return "", catalog.Inputf("root is required, e.g. root=component:default/my-service")
	}
	r, err := catalog.ParseRef(s, catalog.RefContext{DefaultKind: "component", DefaultNamespace: catalog.DefaultNamespace})
	if err != nil {
		return "", catalog.Inputf("root %q: %v", s, err)
	}
	return r.String(), nil
}

// NormalizeRelations maps relation names to their forward names, rejecting
// unknown ones; empty gives DefaultRelations.
func NormalizeRelations(names []string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	for _, n := range names {
		for _, part := range strings.Split(n, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			f, ok := forwardOf[strings.ToLower(part)]
			if !ok {
				return nil, catalog.Inputf("unknown relation %q; known: %s", part, strings.Join(ForwardRelations(), ", "))
			}
			if !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		}
	}
	if len(out) == 0 {
		out = append(out, DefaultRelations...)
	}
	sort.Strings(out)
	return out, nil
}

// ParseDirection checks a direction; "" is Down.
func ParseDirection(s string) (Direction, error) {
	switch Direction(strings.ToLower(s)) {
	case "", Down:
		return Down, nil
	case Up:
		return Up, nil
	case Both:
		return Both, nil
	}
	return "", catalog.Inputf("direction %q: expected up, down or both", s)
}

// Build walks the relations around opts.Root breadth-first, one store call
// per level, and returns the nodes and edges found within opts.Depth.
func Build(ctx context.Context, st catalog.Store, opts Options) (*Graph, error) {
	root, err := ParseRoot(opts.Root)
	if err != nil {
		return nil, err
	}
	dir := opts.Direction
	if dir == "" {
		dir = Down
	}
	rels, err := NormalizeRelations(opts.Relations)
	if err != nil {
		return nil, err
	}
	depth := opts.Depth
	if depth <= 0 {
		depth = DefaultDepth
	}
	if depth > MaxDepth {
		depth = MaxDepth
	}
	if _, err := st.EntityByRef(ctx, root, opts.Filter); err != nil {
		return nil, fmt.Errorf("graph root %s: %w", root, err)
	}
	g := &Graph{Root: root, Direction: dir, Depth: depth, Relations: rels}
	follow := map[string]bool{}
	for _, r := range rels {
		follow[r] = true
	}
	dist := map[string]int{root: 0}
	edges := map[Edge]bool{}
	hidden := map[string]bool{} // entities the reader may not see: never crossed
	read := map[string]*catalog.Record{}
	walk := func(sign int) error {
		frontier := []string{root}
		for level := 1; level <= depth && len(frontier) > 0; level++ {
			rows, err := st.Relations(ctx, frontier)
			if err != nil {
				return fmt.Errorf("graph relations of %d entities: %w", len(frontier), err)
			}
			inFrontier := map[string]bool{}
			for _, f := range frontier {
				inFrontier[f] = true
			}
			var next []string
			for _, row := range rows {
				if !inFrontier[row.Source] {
					continue
				}
				fwd, isForward := row.Type, true
				if _, ok := inverse[row.Type]; !ok {
					fwd, isForward = forwardOf[strings.ToLower(row.Type)], false
				}
				if !follow[fwd] || (sign > 0) != isForward || hidden[row.Target] {
					continue
				}
				e := Edge{Source: row.Source, Target: row.Target, Type: fwd}
				if !isForward {
					e = Edge{Source: row.Target, Target: row.Source, Type: fwd}
				}
				if _, seen := dist[row.Target]; !seen {
					if len(dist) >= MaxNodes {
						g.Truncated = true
						continue
					}
					dist[row.Target] = sign * level
					next = append(next, row.Target)
				}
				edges[e] = true
			}
			sort.Strings(next)
			if next, err = prune(ctx, st, next, opts.Filter, hidden, read); err != nil {
				return err
			}
			for r := range hidden {
				delete(dist, r)
			}
			frontier = next
		}
		return nil
	}
	if dir == Down || dir == Both {
		if err := walk(1); err != nil {
			return nil, err
		}
	}
	if dir == Up || dir == Both {
		if err := walk(-1); err != nil {
			return nil, err
		}
	}
	refs := make([]string, 0, len(dist))
	for r := range dist {
		refs = append(refs, r)
	}
	sort.Strings(refs)
	nodes, err := describe(ctx, st, refs, opts.Filter, read)
	if err != nil {
		return nil, err
	}
	visible := map[string]bool{}
	for i := range nodes {
		nodes[i].Distance = dist[nodes[i].Ref]
		visible[nodes[i].Ref] = true
	}
	g.Nodes = nodes
	for e := range edges {
		if visible[e.Source] && visible[e.Target] {
			g.Edges = append(g.Edges, e)
		}
	}
	sort.Slice(g.Edges, func(i, j int) bool {
		a, b := g.Edges[i], g.Edges[j]
		if a.Source != b.Source {
			return a.Source < b.Source
		}
		if a.Target != b.Target {
			return a.Target < b.Target
		}
		return a.Type < b.Type
	})
	return g, nil
}

// describe loads the entities behind refs (in order), reading from the store
// only those not already in read (what prune read). A ref the store does not
// return becomes a Missing node.
func describe(ctx context.Context, st catalog.Store, refs []string, f catalog.Filter, read map[string]*catalog.Record) ([]Node, error) {
	var unread []string
	for _, r := range refs {
		if read[r] == nil {
			unread = append(unread, r)
		}
	}
	const batch = 200
	for i := 0; i < len(unread); i += batch {
		part := unread[i:min(i+batch, len(unread))]
		recs, err := st.EntitiesByRefs(ctx, part, f)
		if err != nil {
			return nil, fmt.Errorf("graph entities: %w", err)
		}
		for j, r := range part {
			if j < len(recs) {
				read[r] = recs[j]
			}
		}
	}
	out := make([]Node, 0, len(refs))
	for _, ref := range refs {
		n := nodeOf(ref)
		if rec := read[ref]; rec != nil {
			if e, err := rec.Entity(); err == nil {
				n.Title = e.Metadata.Title
				n.Kind = e.Kind
				n.Name = e.Metadata.Name
				n.Namespace = e.Ref().Namespace
				n.Owner = OwnerOf(e)
			}
		} else {
			n.Missing = true
		}
		out = append(out, n)
	}
	return out, nil
}

func nodeOf(ref string) Node {
	r, err := catalog.ParseRef(ref, catalog.RefContext{DefaultKind: "component", DefaultNamespace: catalog.DefaultNamespace})
	if err != nil {
		return Node{Ref: ref, Name: ref}
	}
	return Node{Ref: ref, Kind: r.Kind, Namespace: r.Namespace, Name: r.Name}
}

// OwnerOf is the canonical ref of an entity's owner: its ownedBy relation,
// else spec.owner resolved as a group ref; "" when it has none.
func OwnerOf(e *catalog.Entity) string {
	for _, r := range e.Relations {
		if r.Type == catalog.RelationOwnedBy {
			return r.TargetRef
		}
	}
	if o := e.SpecString("owner"); o != "" {
		if r, err := catalog.ParseRef(o, catalog.RefContext{DefaultKind: "group", DefaultNamespace: e.Ref().Namespace}); err == nil {
			return r.String()
		}
	}
	return ""
}
