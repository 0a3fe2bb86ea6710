package postgres

import (
	"strconv"
	"strings"

	"github.com/portico-dev/portico/catalog"
)

// Filtering works on entities.tokens, a text[] with a GIN index holding, for
// every key of the entity's catalog.TokenSet, the bare key (existence) and
// key + sep + value for each value. sep is the ASCII unit separator, which
// never occurs in a key (keys are dotted paths of YAML map keys and are
// limited to printable characters by validation) and so cannot be confused.
const sep = "\x1f"

// tokenArray is the stored array form of an entity's tokens.
func tokenArray(ts catalog.FlatTokens) []string {
	out := make([]string, 0, len(ts)+len(ts)/2)
	for i, t := range ts {
		if strings.Contains(t.Key, sep) {
			continue // unfilterable by construction; never let it masquerade as key+value
		}
		if i == 0 || ts[i-1].Key != t.Key { // the key once, before its values
			out = append(out, t.Key)
		}
		if !t.KeyOnly {
			out = append(out, t.Key+sep+t.Value)
		}
	}
	return out
}

// args accumulates positional parameters; values are never spliced into SQL.
type args []any

func (a *args) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// whereFilter compiles f to a boolean SQL expression over the column
// `tokens` of the entities row in scope.
func whereFilter(a *args, f catalog.Filter) string {
	switch {
	case f.Key != "":
		return leafSQL(a, f)
	case f.Not != nil:
		return "NOT (" + whereFilter(a, *f.Not) + ")"
	case f.IsAny():
		if len(f.Any) == 0 {
			return "FALSE"
		}
		parts := make([]string, len(f.Any))
		for i, c := range f.Any {
			parts[i] = "(" + whereFilter(a, c) + ")"
		}
		return strings.Join(parts, " OR ")
	default:
		return allSQL(a, f.All)
	}
}

// allSQL ANDs the children, merging every single-valued equality and every
// existence test into one `tokens @> ARRAY[...]` so the GIN index answers the
// common case (kind=component,spec.type=service) in one probe.
func allSQL(a *args, fs []catalog.Filter) string {
	if len(fs) == 0 {
		return "TRUE"
	}
	var must []string
	var parts []string
	for _, c := range fs {
		if c.Key != "" && c.Not == nil && !c.IsAny() && len(c.All) == 0 {
			switch {
			case c.Op == catalog.OpExists:
				must = append(must, c.Key)
				continue
			case (c.Op == catalog.OpIn || c.Op == "") && len(c.Values) == 1:
				must = append(must, c.Key+sep+c.Values[0])
				continue
			}
		}
		parts = append(parts, "("+whereFilter(a, c)+")")
	}
	if len(must) > 0 {
		parts = append([]string{"tokens @> " + a.add(must) + "::text[]"}, parts...)
	}
	return strings.Join(parts, " AND ")
}

func leafSQL(a *args, f catalog.Filter) string {
	switch f.Op {
	case catalog.OpExists:
		return "tokens @> " + a.add([]string{f.Key}) + "::text[]"
	case catalog.OpPrefix:
		prefix := ""
		if len(f.Values) > 0 {
			prefix = f.Values[0]
		}
		return "EXISTS (SELECT 1 FROM unnest(tokens) t WHERE starts_with(t, " + a.add(f.Key+sep+prefix) + "))"
	default: // OpIn
		if len(f.Values) == 0 {
			return "FALSE"
		}
		if len(f.Values) == 1 {
			return "tokens @> " + a.add([]string{f.Key + sep + f.Values[0]}) + "::text[]"
		}
		want := make([]string, len(f.Values))
		for i, v := range f.Values {
			want[i] = f.Key + sep + v
		}
		return "tokens && " + a.add(want) + "::text[]"
	}
}
