package catalog

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Filter is a boolean tree over an entity's indexed tokens (see Tokens).
// Exactly one of All, Any, Not or Key is set. The zero Filter (nothing set)
// matches everything, like Backstage's `$all: []`.
//
// A field condition is Key with an Op:
//   - OpIn: the key has one of Values (case-insensitive equality; `key=value`).
//   - OpExists: the key is present with any value (`key`).
//   - OpPrefix: the key has a value starting with Values[0] (`$hasPrefix`).
//
// Keys and Values are lower-cased by the constructors; stores may rely on it.
type Filter struct {
	All    []Filter `json:"all,omitempty"`
	Any    []Filter `json:"any,omitempty"`
	Not    *Filter  `json:"not,omitempty"`
	Key    string   `json:"key,omitempty"`
	Op     FilterOp `json:"op,omitempty"`
	Values []string `json:"values,omitempty"`

	// isAny marks an explicit, possibly empty, Any node: `$any: []` matches nothing.
	isAny bool
}

// FilterOp is the operator of a field condition.
type FilterOp string

const (
	OpIn     FilterOp = "in"
	OpExists FilterOp = "exists"
	OpPrefix FilterOp = "prefix"
)

// Match constructors.

// Eq is `key` equal to one of values.
func Eq(key string, values ...string) Filter {
	vs := make([]string, len(values))
	for i, v := range values {
		vs[i] = strings.ToLower(strings.TrimSpace(v))
	}
	return Filter{Key: strings.ToLower(strings.TrimSpace(key)), Op: OpIn, Values: vs}
}

// Exists is `key` present.
func Exists(key string) Filter {
	return Filter{Key: strings.ToLower(strings.TrimSpace(key)), Op: OpExists}
}

// Prefix is `key` having a value that starts with prefix.
func Prefix(key, prefix string) Filter {
	return Filter{Key: strings.ToLower(strings.TrimSpace(key)), Op: OpPrefix, Values: []string{strings.ToLower(prefix)}}
}

// AllOf is the conjunction; AllOf() matches everything.
func AllOf(fs ...Filter) Filter { return Filter{All: fs} }

// AnyOf is the disjunction; AnyOf() matches nothing.
func AnyOf(fs ...Filter) Filter { return Filter{Any: fs, isAny: true} }

// NotOf negates f.
func NotOf(f Filter) Filter { return Filter{Not: &f} }

// IsAny reports whether f is a disjunction node (possibly empty).
func (f Filter) IsAny() bool { return f.isAny || len(f.Any) > 0 }

// IsZero reports whether f matches everything without conditions.
func (f Filter) IsZero() bool {
	return len(f.All) == 0 && !f.IsAny() && f.Not == nil && f.Key == ""
}

// And combines two filters; a zero side drops out.
func And(a, b Filter) Filter {
	switch {
	case a.IsZero():
		return b
	case b.IsZero():
		return a
	}
	return AllOf(a, b)
}

// MatchTokens evaluates f against an entity's token set. Stores use their own
// query engines; this is the reference semantics the conformance suite checks
// them against, and what in-memory callers (validation, tests) use.
func (f Filter) MatchTokens(ts TokenSet) bool {
	switch {
	case f.Key != "":
		switch f.Op {
		case OpExists:
			return ts.HasKey(f.Key)
		case OpPrefix:
			for _, v := range ts[f.Key] {
				if strings.HasPrefix(v, f.Values[0]) {
					return true
				}
			}
			return false
		default:
			for _, want := range f.Values {
				for _, v := range ts[f.Key] {
					if v == want {
						return true
					}
				}
			}
			return false
		}
	case f.Not != nil:
		return !f.Not.MatchTokens(ts)
	case f.IsAny():
		for _, c := range f.Any {
			if c.MatchTokens(ts) {
				return true
			}
		}
		return false
	default:
		for _, c := range f.All {
			if !c.MatchTokens(ts) {
				return false
			}
		}
		return true
	}
}

// ParseFilterParams parses the repeated `filter=` query values of GET /entities
// (REFERENCE.md §2.3): statements in one value are ANDed, a key repeated in one
// value ORs its values, and separate values are ORed.
func ParseFilterParams(params []string) (Filter, error) {
	if len(params) == 0 {
		return Filter{}, nil
	}
	var sets []Filter
	for _, p := range params {
		byKey := map[string]*Filter{}
		var order []string
		for _, stmt := range strings.Split(p, ",") {
			key, value, hasEq := strings.Cut(stmt, "=")
			key = strings.ToLower(strings.TrimSpace(key))
			if key == "" {
				return Filter{}, inputErrorf("Invalid filter, '%s' is not a valid statement (expected a string on the form a=b or a= or a)", stmt)
			}
			cur, seen := byKey[key]
			if !seen {
				order = append(order, key)
			}
			if !hasEq {
				if !seen {
					f := Exists(key)
					byKey[key] = &f
				}
				continue
			}
			v := strings.ToLower(strings.TrimSpace(value))
			if !seen || cur.Op == OpExists {
				f := Eq(key, v)
				byKey[key] = &f
				continue
			}
			cur.Values = append(cur.Values, v)
		}
		conds := make([]Filter, 0, len(order))
		for _, k := range order {
			conds = append(conds, *byKey[k])
		}
		if len(conds) == 1 {
			sets = append(sets, conds[0])
		} else {
			sets = append(sets, AllOf(conds...))
		}
	}
	if len(sets) == 1 {
		return sets[0], nil
	}
	return AnyOf(sets...), nil
}

// ParsePredicate parses a filter predicate (the POST bodies' `query`, from
// @backstage/filter-predicates): `{"kind": "component", "spec.type": {"$in":
// [...]}}`, `$all`, `$any`, `$not`, `$exists`, `$in`, `$hasPrefix`, `$contains`.
func ParsePredicate(raw json.RawMessage) (Filter, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return Filter{}, nil
	}
	var v any
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return Filter{}, inputErrorf("Invalid query: %v", err)
	}
	return predicateFrom(v, 0)
}

const maxPredicateDepth = 64

func predicateFrom(v any, depth int) (Filter, error) {
	if depth > maxPredicateDepth {
		return Filter{}, inputErrorf("Invalid query: nested deeper than %d levels", maxPredicateDepth)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return Filter{}, inputErrorf("Invalid query: expected an object, found %s", jsonTypeName(v))
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var conds []Filter
	for _, k := range keys {
		val := obj[k]
		switch k {
		case "$all", "$any":
			arr, ok := val.([]any)
			if !ok {
				return Filter{}, inputErrorf("Invalid query: %s expects an array, found %s", k, jsonTypeName(val))
			}
			subs := make([]Filter, 0, len(arr))
			for _, s := range arr {
				f, err := predicateFrom(s, depth+1)
				if err != nil {
					return Filter{}, err
				}
				subs = append(subs, f)
			}
			if k == "$all" {
				conds = append(conds, AllOf(subs...))
			} else {
				conds = append(conds, AnyOf(subs...))
			}
		case "$not":
			f, err := predicateFrom(val, depth+1)
			if err != nil {
				return Filter{}, err
			}
			conds = append(conds, NotOf(f))
		default:
			if strings.HasPrefix(k, "$") {
				return Filter{}, inputErrorf("Invalid query: unknown operator %s", k)
			}
			f, err := fieldPredicate(k, val)
			if err != nil {
				return Filter{}, err
			}
			conds = append(conds, f)
		}
	}
	if len(conds) == 1 {
		return conds[0], nil
	}
	return AllOf(conds...), nil
}

func fieldPredicate(key string, val any) (Filter, error) {
	obj, isObj := val.(map[string]any)
	if !isObj {
		s, err := primitiveString(val)
		if err != nil {
			return Filter{}, inputErrorf("Invalid query: field %s: %v", key, err)
		}
		return Eq(key, s), nil
	}
	if len(obj) != 1 {
		return Filter{}, inputErrorf("Invalid query: field %s expects exactly one operator", key)
	}
	for op, arg := range obj {
		switch op {
		case "$exists":
			b, ok := arg.(bool)
			if !ok {
				return Filter{}, inputErrorf("Invalid query: %s.$exists expects a boolean", key)
			}
			if b {
				return Exists(key), nil
			}
			return NotOf(Exists(key)), nil
		case "$in":
			arr, ok := arg.([]any)
			if !ok {
				return Filter{}, inputErrorf("Invalid query: %s.$in expects an array", key)
			}
			vals := make([]string, 0, len(arr))
			for _, a := range arr {
				s, err := primitiveString(a)
				if err != nil {
					return Filter{}, inputErrorf("Invalid query: %s.$in: %v", key, err)
				}
				vals = append(vals, s)
			}
			if len(vals) == 0 {
				return AnyOf(), nil
			}
			return Eq(key, vals...), nil
		case "$hasPrefix":
			s, ok := arg.(string)
			if !ok {
				return Filter{}, inputErrorf("Invalid query: %s.$hasPrefix expects a string", key)
			}
			return Prefix(key, s), nil
		case "$contains":
			return containsPredicate(key, arg)
		default:
			return Filter{}, inputErrorf("Invalid query: unknown operator %s on field %s", op, key)
		}
	}
	panic("unreachable")
}

// containsPredicate handles `$contains`: on relations an object
// {type, targetRef?: string | {$in: [...]}}; elsewhere a primitive array item.
func containsPredicate(key string, arg any) (Filter, error) {
	if strings.EqualFold(key, "relations") {
		obj, ok := arg.(map[string]any)
		if !ok {
			return Filter{}, inputErrorf("Invalid query: relations.$contains expects an object {type, targetRef}")
		}
		typ, _ := obj["type"].(string)
		if typ == "" {
			return Filter{}, inputErrorf("Invalid query: relations.$contains needs a type")
		}
		rk := "relations." + typ
		switch t := obj["targetRef"].(type) {
		case nil:
			return Exists(rk), nil
		case string:
			return Eq(rk, t), nil
		case map[string]any:
			return fieldPredicate(rk, t)
		default:
			return Filter{}, inputErrorf("Invalid query: relations.$contains targetRef must be a string or {$in: [...]}")
		}
	}
	s, err := primitiveString(arg)
	if err != nil {
		return Filter{}, inputErrorf("Invalid query: %s.$contains: %v", key, err)
	}
	return Eq(key, s), nil
}

func primitiveString(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case json.Number:
		return x.String(), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case bool:
		return strconv.FormatBool(x), nil
	}
	return "", fmt.Errorf("expected a string, number or boolean, found %s", jsonTypeName(v))
}

func jsonTypeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	default:
		return "a number"
	}
}

// MatchTokens is the reference semantics of a full-text filter: a
// case-insensitive substring of Term in any value of Fields (every key when
// Fields is empty). A nil filter or an empty term matches everything. Stores
// evaluate it in their own engines; in-memory callers and the conformance
// suite use this.
func (ft *FullText) MatchTokens(ts TokenSet) bool {
	if ft == nil || ft.Term == "" {
		return true
	}
	term := strings.ToLower(ft.Term)
	keys := ft.Fields
	if len(keys) == 0 {
		for k := range ts {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		for _, v := range ts[strings.ToLower(k)] {
			if strings.Contains(v, term) {
				return true
			}
		}
	}
	return false
}
