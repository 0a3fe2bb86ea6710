package apidocs

import (
	"fmt"
	"strings"
)

// Proto renders a protobuf (proto2/proto3) file: services and their rpcs,
// messages with their fields (nested messages by dotted name) and enums.
func Proto(def string) (*Doc, error) {
	toks, err := tokenize(def, false, true)
	if err != nil {
		return nil, fmt.Errorf("proto: %w", err)
	}
	c := &cursor{toks: toks}
	d := &Doc{Format: "Protocol Buffers"}
	var rpcs, msgs []Item
	var walk func(prefix string, top bool)
	walk = func(prefix string, top bool) {
		for !c.done() {
			if !top && c.is("}") {
				c.next()
				return
			}
			t := c.next()
			if t.str {
				continue
			}
			switch t.text {
			case "syntax", "edition":
				for !c.done() && !c.is(";") {
					if v := c.next(); v.str {
						d.Format = "Protocol Buffers (" + v.text + ")"
					}
				}
				c.next()
			case "package":
				d.Title = c.next().text
				d.Version = versionOf(d.Title)
			case "service":
				name := c.next().text
				if !c.is("{") {
					continue
				}
				c.next()
				for !c.done() && !c.is("}") {
					if !c.is("rpc") {
						if c.is("{") {
							c.skipBalanced("{", "}")
						} else {
							c.next()
						}
						continue
					}
					c.next()
					it := Item{Method: "rpc", Name: name + "." + c.next().text}
					it.ID = anchor("rpc", it.Name)
					it.Request = protoArg(c)
					if c.is("returns") {
						c.next()
						it.Response = protoArg(c)
					}
					if c.is("{") {
						c.skipBalanced("{", "}")
					} else if c.is(";") {
						c.next()
					}
					rpcs = append(rpcs, it)
				}
				c.next()
			case "message":
				name := prefix + c.next().text
				if !c.is("{") {
					continue
				}
				c.next()
				it := Item{ID: anchor("message", name), Method: "message", Name: name}
				it.Fields = protoFields(c, name, walk)
				msgs = append(msgs, it)
			case "enum":
				name := prefix + c.next().text
				if !c.is("{") {
					continue
				}
				c.next()
				it := Item{ID: anchor("enum", name), Method: "enum", Name: name}
				for !c.done() && !c.is("}") {
					v := c.next()
					if c.is("=") {
						c.next()
						num := c.next().text
						it.Fields = append(it.Fields, Field{Name: v.text, Type: num})
					}
					if c.is("[") {
						c.skipBalanced("[", "]")
					}
				}
				c.next()
				msgs = append(msgs, it)
			case "option", "import":
				for !c.done() && !c.is(";") {
					c.next()
				}
				c.next()
			case "{":
				c.pos--
				c.skipBalanced("{", "}")
			}
		}
	}
	walk("", true)
	if len(rpcs) == 0 && len(msgs) == 0 {
		return nil, fmt.Errorf("proto: no services or messages found")
	}
	d.Sections = append(d.Sections, Section{Title: "RPCs", Items: rpcs}, Section{Title: "Messages", Items: msgs})
	return d, nil
}

func versionOf(pkg string) string {
	parts := strings.Split(pkg, ".")
	last := parts[len(parts)-1]
	if len(last) > 1 && last[0] == 'v' && last[1] >= '0' && last[1] <= '9' {
		return last
	}
	return ""
}

// protoArg reads "(stream Type)".
func protoArg(c *cursor) string {
	if !c.is("(") {
		return ""
	}
	c.next()
	var parts []string
	for !c.done() && !c.is(")") {
		parts = append(parts, c.next().text)
	}
	c.next()
	return strings.Join(parts, " ")
}

// protoFields reads a message body up to its closing brace; nested messages
// and enums are handed to walk with the message name as prefix, oneof
// members are read as fields.
func protoFields(c *cursor, msg string, walk func(string, bool)) []Field {
	var out []Field
	oneofs := 0
	for !c.done() {
		switch {
		case c.is("}"):
			c.next()
			if oneofs == 0 {
				return out
			}
			oneofs--
		case c.is("message") || c.is("enum"):
			end := matchingEnd(c)
			outer := *c
			*c = cursor{toks: outer.toks[outer.pos:end]}
			walk(msg+".", true)
			*c = outer
			c.pos = end
		case c.is("oneof"):
			c.next()
			c.next()
			if c.is("{") {
				c.next()
				oneofs++
			}
		case c.is("option") || c.is("reserved") || c.is("extensions"):
			for !c.done() && !c.is(";") {
				c.next()
			}
			c.next()
		case c.is(";"):
			c.next()
		default:
			var words []string
			for !c.done() && !c.is("=") && !c.is(";") && !c.is("}") {
				words = append(words, c.next().text)
			}
			if c.is("=") {
				c.next()
				c.next() // field number
			}
			if c.is("[") {
				c.skipBalanced("[", "]")
			}
			if len(words) >= 2 {
				name := words[len(words)-1]
				typ := strings.Join(words[:len(words)-1], " ")
				typ = strings.NewReplacer(" < ", "<", " , ", ",", " >", ">", "< ", "<").Replace(typ)
				out = append(out, Field{Name: name, Type: typ, Required: strings.HasPrefix(typ, "required ")})
			}
		}
	}
	return out
}

// matchingEnd is the index just after the definition starting at c.pos
// ("message X { … }").
func matchingEnd(c *cursor) int {
	depth := 0
	for i := c.pos; i < len(c.toks); i++ {
		switch c.toks[i].text {
		case "{":
			depth++
		case "}":
			depth--
			if depth == 0 {
				return i + 1
			}
		}
	}
	return len(c.toks)
}
