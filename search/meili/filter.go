package meili

import (
	"strings"

	"github.com/portico-dev/portico/search"
)

// noField is a value no document's f_has holds: the filter that matches nothing.
const noField = "-none-"

// filterOf renders a condition as a Meilisearch filter expression over the
// f_<field> attributes (values are lower-cased) and f_has (present fields).
func filterOf(c search.Cond) string {
	switch {
	case c.None:
		return `f_has = ` + quote(noField)
	case c.Field != "":
		if c.Op == search.CondExists {
			return `f_has = ` + quote(c.Field)
		}
		vs := make([]string, len(c.Values))
		for i, v := range c.Values {
			vs[i] = quote(v)
		}
		return "f_" + c.Field + " IN [" + strings.Join(vs, ", ") + "]"
	case c.Not != nil:
		return "NOT (" + filterOf(*c.Not) + ")"
	case len(c.Any) > 0:
		return join(c.Any, " OR ")
	case len(c.All) > 0:
		return join(c.All, " AND ")
	}
	return ""
}

func join(cs []search.Cond, op string) string {
	parts := make([]string, 0, len(cs))
	for _, s := range cs {
		if s.IsAll() {
			if op == " OR " {
				return ""
			}
			continue
		}
		parts = append(parts, "("+filterOf(s)+")")
	}
	return strings.Join(parts, op)
}

// quote writes a double-quoted filter value, escaping quotes and backslashes.
func quote(v string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(v) + `"`
}
