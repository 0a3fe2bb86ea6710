package graph

import (
	"bytes"
	"fmt"
	"html/template"
	"sort"
)

// Layout sizes of the SVG, in user units.
const (
	colWidth  = 230
	nodeW     = 190
	nodeH     = 44
	rowHeight = 60
	margin    = 20
)

// SVGOptions style a rendered graph.
type SVGOptions struct {
	// Href links a node to its page; nil leaves nodes unlinked.
	Href func(n Node) string
	// Highlight marks nodes (e.g. the blast radius) with class "hl".
	Highlight map[string]bool
}

type placed struct {
	Node
	X, Y  int
	Class string
	Href  string
	Label string
	Sub   string
}

type line struct {
	X1, Y1, X2, Y2, MX int
	Type               string
	Class              string
}

type svgData struct {
	W, H  int
	Nodes []placed
	Lines []line
	Title string
}

var svgTmpl = template.Must(template.New("svg").Parse(`<svg xmlns="http://www.w3.org/2000/svg" class="graph" viewBox="0 0 {{.W}} {{.H}}" width="{{.W}}" height="{{.H}}" role="img" aria-labelledby="graph-title">
<title id="graph-title">{{.Title}}</title>
<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" class="arrowhead"/></marker></defs>
{{range .Lines}}<path class="edge {{.Class}}" d="M{{.X1}},{{.Y1}} C{{.MX}},{{.Y1}} {{.MX}},{{.Y2}} {{.X2}},{{.Y2}}" marker-end="url(#arrow)"><title>{{.Type}}</title></path>
{{end}}{{range .Nodes}}<g class="node {{.Class}}" data-ref="{{.Ref}}">{{if .Href}}<a href="{{.Href}}">{{end}}<rect x="{{.X}}" y="{{.Y}}" width="190" height="44" rx="6"/><text x="{{.X}}" y="{{.Y}}" dx="10" dy="18" class="name">{{.Label}}</text><text x="{{.X}}" y="{{.Y}}" dx="10" dy="35" class="kind">{{.Sub}}</text>{{if .Href}}</a>{{end}}</g>
{{end}}</svg>`))

// SVG lays the graph out in columns by distance from the root (dependents to
// the left, dependencies to the right) and draws it as standalone SVG. Every
// text goes through html/template, so entity fields cannot inject markup.
func SVG(g *Graph, o SVGOptions) (template.HTML, error) {
	cols := map[int][]Node{}
	minD, maxD := 0, 0
	for _, n := range g.Nodes {
		cols[n.Distance] = append(cols[n.Distance], n)
		minD, maxD = min(minD, n.Distance), max(maxD, n.Distance)
	}
	rows := 1
	for _, c := range cols {
		sort.Slice(c, func(i, j int) bool { return c[i].Ref < c[j].Ref })
		rows = max(rows, len(c))
	}
	d := svgData{
		W:     margin*2 + (maxD-minD)*colWidth + nodeW,
		H:     margin*2 + (rows-1)*rowHeight + nodeH,
		Title: fmt.Sprintf("Relations of %s (%s, depth %d)", g.Root, g.Direction, g.Depth),
	}
	pos := map[string]placed{}
	for dist := minD; dist <= maxD; dist++ {
		c := cols[dist]
		// centre each column vertically
		top := margin + (rows-len(c))*rowHeight/2
		for i, n := range c {
			p := placed{Node: n, X: margin + (dist-minD)*colWidth, Y: top + i*rowHeight}
			p.Label = truncate(firstNonEmpty(n.Title, n.Name), 24)
			p.Sub = truncate(n.Kind+" · "+n.Namespace, 30)
			switch {
			case n.Ref == g.Root:
				p.Class = "root"
			case o.Highlight[n.Ref]:
				p.Class = "hl"
			}
			if n.Missing {
				p.Class += " missing"
			} else if o.Href != nil {
				p.Href = o.Href(n)
			}
			pos[n.Ref] = p
			d.Nodes = append(d.Nodes, p)
		}
	}
	for _, e := range g.Edges {
		s, ok1 := pos[e.Source]
		t, ok2 := pos[e.Target]
		if !ok1 || !ok2 {
			continue
		}
		l := line{Type: e.Type, Class: e.Type}
		// edges run left to right when the source is further left
		if s.X <= t.X {
			l.X1, l.X2 = s.X+nodeW, t.X
		} else {
			l.X1, l.X2 = s.X, t.X+nodeW
		}
		if s.X == t.X {
			l.X1, l.X2 = s.X+nodeW, t.X+nodeW
		}
		l.Y1, l.Y2 = s.Y+nodeH/2, t.Y+nodeH/2
		l.MX = (l.X1 + l.X2) / 2
		if s.X == t.X {
			l.MX = s.X + nodeW + colWidth/4
		}
		if o.Highlight[e.Source] || o.Highlight[e.Target] {
			l.Class += " hl"
		}
		d.Lines = append(d.Lines, l)
	}
	var buf bytes.Buffer
	if err := svgTmpl.Execute(&buf, d); err != nil {
		return "", fmt.Errorf("render graph svg: %w", err)
	}
	return template.HTML(buf.String()), nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
