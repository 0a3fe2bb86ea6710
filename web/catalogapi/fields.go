package catalogapi

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/portico-dev/portico/catalog"
)

// projection is a parsed `fields` parameter (REFERENCE.md §2.4). The zero
// projection keeps whole entities, so the stored JSON is written unchanged.
type projection struct {
	fields []string
}

// parseFields splits the comma lists of every `fields` value; a `[` is refused.
func parseFields(values []string) (projection, error) {
	var p projection
	for _, v := range values {
		for _, f := range strings.Split(v, ",") {
			f = strings.TrimSpace(f)
			if f == "" {
				continue
			}
			if strings.Contains(f, "[") {
				return projection{}, catalog.Inputf("invalid fields, array type fields are not supported")
			}
			p.fields = append(p.fields, f)
		}
	}
	return p, nil
}

func (p projection) all() bool { return len(p.fields) == 0 }

// apply returns the entity JSON keeping only the selected subtrees. As in
// Backstage, a path part that is not a key is joined with the next part, so
// `metadata.annotations.backstage.io/orphan` finds the annotation key.
func (p projection) apply(raw json.RawMessage) (json.RawMessage, error) {
	if p.all() {
		return raw, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	out := map[string]any{}
	for _, f := range p.fields {
		path, val, ok := lookupPath(doc, strings.Split(f, "."))
		if ok && len(path) > 0 {
			setPath(out, path, val)
		}
	}
	return json.Marshal(out)
}

func lookupPath(doc any, parts []string) (path []string, val any, ok bool) {
	cur := doc
	for i := 0; i < len(parts); i++ {
		part := parts[i]
		if next, found := child(cur, part); found {
			path = append(path, part)
			cur = next
			continue
		}
		if i+1 < len(parts) {
			parts[i+1] = part + "." + parts[i+1]
			continue
		}
		return nil, nil, false
	}
	return path, cur, true
}

func child(v any, key string) (any, bool) {
	switch x := v.(type) {
	case map[string]any:
		c, ok := x[key]
		return c, ok
	case []any:
		// lodash.hasIn accepts array indexes; keep that, with the index as an object key on output.
		idx := 0
		for _, r := range key {
			if r < '0' || r > '9' {
				return nil, false
			}
			idx = idx*10 + int(r-'0')
			if idx > len(x) {
				return nil, false
			}
		}
		if key == "" || idx >= len(x) {
			return nil, false
		}
		return x[idx], true
	}
	return nil, false
}

func setPath(out map[string]any, path []string, val any) {
	cur := out
	for _, p := range path[:len(path)-1] {
		next, ok := cur[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[p] = next
		}
		cur = next
	}
	cur[path[len(path)-1]] = val
}
