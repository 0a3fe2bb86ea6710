package apidocs

import (
	"fmt"
	"strings"
)

// GraphQL renders a GraphQL SDL document: the root operation types' fields
// become Queries, Mutations and Subscriptions; other types, inputs,
// interfaces, enums, unions and scalars become Types.
func GraphQL(def string) (*Doc, error) {
	toks, err := tokenize(def, true, false)
	if err != nil {
		return nil, fmt.Errorf("graphql: %w", err)
	}
	c := &cursor{toks: toks}
	roots := map[string]string{"query": "Query", "mutation": "Mutation", "subscription": "Subscription"}
	type typ struct {
		kind, name, desc string
		fields           []gqlField
		values           []string
	}
	var types []typ
	desc := ""
	for !c.done() {
		t := c.next()
		if t.str {
			desc = t.text
			continue
		}
		switch t.text {
		case "extend":
			continue
		case "schema":
			if c.is("{") {
				c.next()
				for !c.done() && !c.is("}") {
					op := c.next().text
					if c.is(":") {
						c.next()
						roots[op] = c.next().text
					}
				}
				c.next()
			}
		case "type", "input", "interface":
			ty := typ{kind: t.text, name: c.next().text, desc: desc}
			for !c.done() && !c.is("{") && !isDefinitionStart(c.peek()) {
				if c.is("(") {
					c.skipBalanced("(", ")")
					continue
				}
				c.next()
			}
			if c.is("{") {
				c.next()
				ty.fields = gqlFields(c)
			}
			types = append(types, ty)
		case "enum":
			ty := typ{kind: "enum", name: c.next().text, desc: desc}
			for !c.done() && !c.is("{") && !isDefinitionStart(c.peek()) {
				c.next()
			}
			if c.is("{") {
				c.next()
				for !c.done() && !c.is("}") {
					v := c.next()
					if v.str || v.text == "@" {
						continue
					}
					if c.is("(") {
						c.skipBalanced("(", ")")
					}
					if !strings.HasPrefix(v.text, "@") && v.text != "(" {
						ty.values = append(ty.values, v.text)
					}
				}
				c.next()
			}
			types = append(types, ty)
		case "union", "scalar":
			ty := typ{kind: t.text, name: c.next().text, desc: desc}
			if t.text == "union" && c.is("=") {
				c.next()
				for !c.done() && !isDefinitionStart(c.peek()) {
					v := c.next()
					if v.text != "|" && !v.str {
						ty.values = append(ty.values, v.text)
					}
				}
			}
			types = append(types, ty)
		case "directive":
			for !c.done() && !c.is("on") {
				if c.is("(") {
					c.skipBalanced("(", ")")
					continue
				}
				c.next()
			}
		}
		desc = ""
	}
	if len(types) == 0 {
		return nil, fmt.Errorf("graphql: no type definitions found")
	}
	d := &Doc{Format: "GraphQL SDL"}
	rootSection := map[string]string{roots["query"]: "Queries", roots["mutation"]: "Mutations", roots["subscription"]: "Subscriptions"}
	method := map[string]string{roots["query"]: "query", roots["mutation"]: "mutation", roots["subscription"]: "subscription"}
	sections := map[string]*Section{}
	var typeItems []Item
	for _, ty := range types {
		if sec, ok := rootSection[ty.name]; ok && ty.kind == "type" {
			s := sections[sec]
			if s == nil {
				s = &Section{Title: sec}
				sections[sec] = s
			}
			for _, f := range ty.fields {
				s.Items = append(s.Items, Item{ID: anchor(method[ty.name], f.Name), Method: method[ty.name], Name: f.Name,
					Summary: f.Description, Params: f.args, Response: f.Type})
			}
			continue
		}
		it := Item{ID: anchor("type", ty.name), Method: ty.kind, Name: ty.name, Summary: ty.desc}
		for _, f := range ty.fields {
			it.Fields = append(it.Fields, f.Field)
		}
		for _, v := range ty.values {
			it.Fields = append(it.Fields, Field{Name: v})
		}
		typeItems = append(typeItems, it)
	}
	for _, name := range []string{"Queries", "Mutations", "Subscriptions"} {
		if s := sections[name]; s != nil {
			d.Sections = append(d.Sections, *s)
		}
	}
	d.Sections = append(d.Sections, Section{Title: "Types", Items: typeItems})
	return d, nil
}

type gqlField struct {
	Field
	args []Field
}

func isDefinitionStart(t token) bool {
	if t.str {
		return false
	}
	switch t.text {
	case "type", "input", "interface", "enum", "union", "scalar", "schema", "extend", "directive":
		return true
	}
	return false
}

// gqlFields reads "name(args): Type @directives" lines up to the closing brace.
func gqlFields(c *cursor) []gqlField {
	var out []gqlField
	desc := ""
	for !c.done() && !c.is("}") {
		t := c.next()
		if t.str {
			desc = t.text
			continue
		}
		if t.text == "@" {
			c.next()
			if c.is("(") {
				c.skipBalanced("(", ")")
			}
			continue
		}
		f := gqlField{Field: Field{Name: t.text, Description: desc}}
		desc = ""
		if c.is("(") {
			c.next()
			for !c.done() && !c.is(")") {
				at := c.next()
				if at.str {
					continue
				}
				a := Field{Name: at.text}
				if c.is(":") {
					c.next()
					a.Type = gqlType(c)
					a.Required = strings.HasSuffix(a.Type, "!")
				}
				if c.is("=") {
					c.next()
					if c.is("[") {
						c.skipBalanced("[", "]")
					} else if c.is("{") {
						c.skipBalanced("{", "}")
					} else {
						c.next()
					}
				}
				for c.is("@") {
					c.next()
					c.next()
					if c.is("(") {
						c.skipBalanced("(", ")")
					}
				}
				f.args = append(f.args, a)
			}
			c.next()
		}
		if c.is(":") {
			c.next()
			f.Type = gqlType(c)
			f.Required = strings.HasSuffix(f.Type, "!")
		}
		out = append(out, f)
	}
	c.next()
	return out
}

// gqlType reads a type reference: Name, [Name], with ! markers.
func gqlType(c *cursor) string {
	var b strings.Builder
	depth := 0
	for !c.done() {
		t := c.peek()
		switch {
		case t.text == "[":
			depth++
		case t.text == "]":
			depth--
		case t.text == "!":
		case depth == 0 && b.Len() > 0 && !strings.HasSuffix(b.String(), "["):
			return b.String()
		}
		b.WriteString(t.text)
		c.next()
		if depth == 0 && !c.is("!") && !c.is("]") {
			return b.String()
		}
	}
	return b.String()
}
