package catalog

import (
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// LineOf maps a field path ("spec.owner", "metadata.labels.backstage.io/x",
// "spec.providesApis.1") to the 1-based source line of that node. When the
// field is missing it gives the line of its deepest existing ancestor, and
// the document's line when nothing matches. The policy field names Backstage
// uses without the metadata prefix ("labels.k", "annotations.k", "tags.i",
// "links.i.url") are understood too. Keys containing dots match greedily.
func (d *Document) LineOf(field string) int {
	if d.root == nil && d.raw != nil {
		var n yaml.Node
		if yaml.Unmarshal(d.raw, &n) == nil && n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
			d.root = n.Content[0]
		}
		d.raw = nil
	}
	if d.root == nil {
		return d.Line
	}
	for _, p := range [...]string{"labels.", "annotations.", "tags.", "links."} {
		if strings.HasPrefix(field, p) {
			field = "metadata." + field
			break
		}
	}
	n, rest := d.root, field
	line := n.Line
	for rest != "" && n != nil {
		for n.Kind == yaml.AliasNode && n.Alias != nil {
			n = n.Alias
		}
		var next *yaml.Node
		var nextRest string
		switch n.Kind {
		case yaml.MappingNode:
			best := -1
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i].Value
				if (rest == k || strings.HasPrefix(rest, k+".")) && (best < 0 || len(k) > len(n.Content[best].Value)) {
					best = i
				}
			}
			if best >= 0 {
				k := n.Content[best]
				line = k.Line
				next = n.Content[best+1]
				nextRest = strings.TrimPrefix(strings.TrimPrefix(rest, k.Value), ".")
			}
		case yaml.SequenceNode:
			seg, after, _ := strings.Cut(rest, ".")
			if i, err := strconv.Atoi(seg); err == nil && i >= 0 && i < len(n.Content) {
				next, nextRest = n.Content[i], after
				line = next.Line
			}
		}
		n, rest = next, nextRest
	}
	return line + d.lineOffset
}

// Annotate fills Source, Doc and (from the field, where found) Line of errs,
// which Kinds.Check or EmitRelations returned for this document.
func (d *Document) Annotate(errs []ProcessingError) []ProcessingError {
	for i := range errs {
		errs[i].Source = d.Source
		errs[i].Doc = d.Index
		if errs[i].Line == 0 {
			errs[i].Line = d.LineOf(errs[i].Field)
		}
	}
	return errs
}
