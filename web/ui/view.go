package ui

import (
	"encoding/json"
	"html/template"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/host"
	"github.com/portico-dev/portico/web/graph"
)

// funcs are the template helpers. None of them returns template.HTML built
// from entity or plugin data.
var funcs = template.FuncMap{
	"entityURL": EntityURL,
	"refName":   refName,
	"refKind":   func(ref string) string { k, _, _ := splitRef(ref); return k },
	"lower":     strings.ToLower,
	"join":      strings.Join,
	"safeURL":   safeURL,
	"humanTime": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"isoTime":   func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"add":       func(a, b int) int { return a + b },
	"sparkline": sparkline,
	"lastValue": func(ps []host.CardPoint) string {
		if len(ps) == 0 {
			return "–"
		}
		return strconv.FormatFloat(ps[len(ps)-1].V, 'g', 4, 64)
	},
	"relLabel": func(t string) string {
		if l, ok := relationLabels[t]; ok {
			return l
		}
		return t
	},
}

var relationLabels = map[string]string{
	catalog.RelationOwnedBy: "Owned by", catalog.RelationOwnerOf: "Owner of",
	catalog.RelationConsumesAPI: "Consumes API", catalog.RelationAPIConsumedBy: "API consumed by",
	catalog.RelationProvidesAPI: "Provides API", catalog.RelationAPIProvidedBy: "API provided by",
	catalog.RelationDependsOn: "Depends on", catalog.RelationDependencyOf: "Dependency of",
	catalog.RelationParentOf: "Parent of", catalog.RelationChildOf: "Child of",
	catalog.RelationMemberOf: "Member of", catalog.RelationHasMember: "Has member",
	catalog.RelationPartOf: "Part of", catalog.RelationHasPart: "Has part",
}

func splitRef(ref string) (kind, ns, name string) {
	r, err := catalog.ParseRef(ref, catalog.RefContext{DefaultKind: "component", DefaultNamespace: catalog.DefaultNamespace})
	if err != nil {
		return "", "", ref
	}
	return r.Kind, r.Namespace, r.Name
}

// refName shows a ref compactly: the name, with the namespace when not default.
func refName(ref string) string {
	_, ns, name := splitRef(ref)
	if ns != catalog.DefaultNamespace && ns != "" {
		return ns + "/" + name
	}
	return name
}

// safeURL keeps http(s) and relative links; anything else (javascript:,
// data:) becomes "#". html/template would also neutralise them; this keeps
// the intent explicit for plugin and entity links.
func safeURL(s string) string {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return "#"
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		return u.String()
	case "":
		if strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "//") {
			return u.String()
		}
	}
	return "#"
}

// entityView is what entity templates show.
type entityView struct {
	Ref         string
	URL         string
	Kind        string
	Namespace   string
	Name        string
	Title       string
	Description string
	Type        string
	Lifecycle   string
	Owner       string
	System      string
	Tags        []string
	Links       []catalog.Link
	Labels      []kv
	Annotations []kv
	Relations   []relGroup
	Errors      []catalog.StatusItem
	Orphan      bool
	SourceURL   string
	ViewURL     string
	EditURL     string
	Location    string
	Raw         json.RawMessage
	Entity      *catalog.Entity
}

type kv struct{ Key, Value string }

type relGroup struct {
	Type    string
	Targets []string
}

func viewOf(rec catalog.Record) (*entityView, error) {
	e, err := rec.Entity()
	if err != nil {
		return nil, err
	}
	r := e.Ref()
	v := &entityView{
		Ref: r.String(), URL: EntityURL(r.String()), Kind: e.Kind, Namespace: r.Namespace, Name: e.Metadata.Name,
		Title: e.Metadata.Title, Description: e.Metadata.Description,
		Type: e.SpecString("type"), Lifecycle: e.SpecString("lifecycle"), Owner: graph.OwnerOf(e),
		Tags: e.Metadata.Tags, Links: e.Metadata.Links, Raw: rec.JSON, Entity: e,
	}
	if v.Title == "" {
		v.Title = e.Metadata.Name
	}
	if s := e.SpecString("system"); s != "" {
		if sr, err := catalog.ParseRef(s, catalog.RefContext{DefaultKind: "system", DefaultNamespace: r.Namespace}); err == nil {
			v.System = sr.String()
		}
	}
	for k, val := range e.Metadata.Labels {
		v.Labels = append(v.Labels, kv{k, val})
	}
	for k, val := range e.Metadata.Annotations {
		v.Annotations = append(v.Annotations, kv{k, val})
	}
	sort.Slice(v.Labels, func(i, j int) bool { return v.Labels[i].Key < v.Labels[j].Key })
	sort.Slice(v.Annotations, func(i, j int) bool { return v.Annotations[i].Key < v.Annotations[j].Key })
	groups := map[string][]string{}
	var types []string
	for _, rel := range e.Relations {
		if _, ok := groups[rel.Type]; !ok {
			types = append(types, rel.Type)
		}
		groups[rel.Type] = append(groups[rel.Type], rel.TargetRef)
	}
	sort.Strings(types)
	for _, t := range types {
		v.Relations = append(v.Relations, relGroup{Type: t, Targets: groups[t]})
	}
	if e.Status != nil {
		for _, it := range e.Status.Items {
			if it.Level == "error" || it.Level == "warning" {
				v.Errors = append(v.Errors, it)
			}
		}
	}
	ann := e.Metadata.Annotations
	v.Orphan = ann[catalog.AnnotationOrphan] == "true"
	v.Location = ann[catalog.AnnotationManagedByLocation]
	v.SourceURL = sourceURL(ann[catalog.AnnotationSourceLocation])
	v.ViewURL = ann[catalog.AnnotationViewURL]
	v.EditURL = ann[catalog.AnnotationEditURL]
	if v.ViewURL == "" {
		v.ViewURL = sourceURL(v.Location)
	}
	return v, nil
}

// sourceURL turns a location key ("url:https://…") into a link target; file
// locations have none.
func sourceURL(loc string) string {
	typ, target, ok := strings.Cut(loc, ":")
	if !ok || typ != "url" {
		return ""
	}
	return target
}

// RelTargets returns the targets of one relation type.
func (v *entityView) RelTargets(t string) []string {
	for _, g := range v.Relations {
		if g.Type == t {
			return g.Targets
		}
	}
	return nil
}

// sparkline turns points into an SVG polyline's points in a 100×24 box
// (numbers only, so nothing from the plugin reaches markup).
func sparkline(ps []host.CardPoint) string {
	if len(ps) == 0 {
		return ""
	}
	lo, hi := ps[0].V, ps[0].V
	for _, p := range ps {
		lo, hi = min(lo, p.V), max(hi, p.V)
	}
	span := hi - lo
	if span == 0 {
		span = 1
	}
	var b strings.Builder
	for i, p := range ps {
		x := 0.0
		if len(ps) > 1 {
			x = float64(i) * 100 / float64(len(ps)-1)
		}
		y := 22 - (p.V-lo)/span*20
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.FormatFloat(x, 'f', 1, 64) + "," + strconv.FormatFloat(y, 'f', 1, 64))
	}
	return b.String()
}
