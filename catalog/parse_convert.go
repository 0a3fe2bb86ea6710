package catalog

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"

	"gopkg.in/yaml.v3"
)

// convertError is a per-document decoding error with the line it points at.
type convertError struct {
	line int
	msg  string
}

func (e *convertError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

// converter turns a yaml.v3 node tree into JSON-compatible values:
// map[string]any, []any, string, float64, bool, nil.
type converter struct {
	maxDepth, maxAlias int
	aliasNodes         int
	offset             int // line offset of the chunk in the source
}

func (c *converter) fail(n *yaml.Node, format string, args ...any) error {
	return &convertError{line: n.Line + c.offset, msg: fmt.Sprintf(format, args...)}
}

func (c *converter) convert(n *yaml.Node, depth int, viaAlias bool) (any, error) {
	if viaAlias {
		c.aliasNodes++
		if c.aliasNodes > c.maxAlias {
			return nil, errAliasBomb
		}
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return c.convert(n.Content[0], depth, viaAlias)
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, c.fail(n, "unknown alias %q", n.Value)
		}
		return c.convert(n.Alias, depth, true)
	case yaml.ScalarNode:
		return c.scalar(n)
	case yaml.SequenceNode:
		if depth >= c.maxDepth {
			return nil, c.fail(n, "nesting is deeper than the limit of %d levels", c.maxDepth)
		}
		out := make([]any, len(n.Content))
		for i, item := range n.Content {
			v, err := c.convert(item, depth+1, viaAlias)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case yaml.MappingNode:
		if depth >= c.maxDepth {
			return nil, c.fail(n, "nesting is deeper than the limit of %d levels", c.maxDepth)
		}
		out := make(map[string]any, len(n.Content)/2)
		if err := c.mapping(n, depth, viaAlias, out, false); err != nil {
			return nil, err
		}
		return out, nil
	}
	return nil, c.fail(n, "unsupported YAML node")
}

// mapping fills out from n. Merge keys ("<<") never override explicit keys.
func (c *converter) mapping(n *yaml.Node, depth int, viaAlias bool, out map[string]any, merged bool) error {
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		if kn.Kind == yaml.ScalarNode && kn.ShortTag() == "!!merge" {
			merges = append(merges, vn)
			continue
		}
		if kn.Kind != yaml.ScalarNode || kn.ShortTag() != "!!str" {
			desc := kn.Value
			if kn.Kind != yaml.ScalarNode {
				desc = "a " + nodeKindName(kn)
			}
			return c.fail(kn, "mapping key %s is not a string (keys must be strings in JSON)", quoteKey(desc, kn))
		}
		k := kn.Value
		if _, dup := out[k]; dup {
			if merged {
				continue
			}
			return c.fail(kn, "duplicate key %q (first defined at line %d)", k, c.firstKeyLine(n, k))
		}
		v, err := c.convert(vn, depth+1, viaAlias)
		if err != nil {
			return err
		}
		out[k] = v
	}
	for _, m := range merges {
		if err := c.merge(m, depth, viaAlias, out); err != nil {
			return err
		}
	}
	return nil
}

func (c *converter) firstKeyLine(n *yaml.Node, k string) int {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == k {
			return n.Content[i].Line + c.offset
		}
	}
	return 0
}

func (c *converter) merge(m *yaml.Node, depth int, viaAlias bool, out map[string]any) error {
	switch {
	case m.Kind == yaml.AliasNode && m.Alias != nil:
		c.aliasNodes++
		if c.aliasNodes > c.maxAlias {
			return errAliasBomb
		}
		return c.merge(m.Alias, depth, true, out)
	case m.Kind == yaml.MappingNode:
		return c.mapping(m, depth, viaAlias, out, true)
	case m.Kind == yaml.SequenceNode:
		for _, item := range m.Content {
			if err := c.merge(item, depth, viaAlias, out); err != nil {
				return err
			}
		}
		return nil
	}
	return c.fail(m, "merge key \"<<\" needs a mapping or a list of mappings")
}

func quoteKey(desc string, kn *yaml.Node) string {
	if kn.Kind == yaml.ScalarNode {
		return fmt.Sprintf("%q (%s)", desc, strings.TrimPrefix(kn.ShortTag(), "!!"))
	}
	return desc
}

func nodeKindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "sequence"
	case yaml.AliasNode:
		return "alias"
	}
	return "scalar"
}

func (c *converter) scalar(n *yaml.Node) (any, error) {
	switch n.ShortTag() {
	case "!!str", "!!binary":
		return n.Value, nil
	case "!!null":
		return nil, nil
	case "!!timestamp":
		return n.Value, nil // kept as written, as JSON has no timestamps
	case "!!bool", "!!int", "!!float":
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, c.fail(n, "cannot decode %q: %v", n.Value, err)
		}
		switch x := v.(type) {
		case bool:
			return x, nil
		case int:
			return float64(x), nil
		case int64:
			return float64(x), nil
		case uint64:
			return float64(x), nil
		case float64:
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, c.fail(n, "number %q cannot be represented in JSON", n.Value)
			}
			return x, nil
		}
		return n.Value, nil
	}
	// Custom tags (e.g. "!Ref x"): keep the written value as a string.
	return n.Value, nil
}

// depthGuard rejects sources whose nesting would make the YAML parser recurse
// dangerously deep, before the parser sees them. It is a cheap over-estimate:
// real files are far below its threshold; the exact limit (MaxDepth) is applied
// while converting. It counts flow brackets, and on each line the
// indentation and the block sequence indicators ("- ") that open it.
func depthGuard(data []byte, limit int) error { return depthScan(data, limit, true) }

// depthScan is depthGuard; words skips eight bytes at a time past the
// opening of a line where none of them counts (tests compare both ways).
func depthScan(data []byte, limit int, words bool) error {
	flow, line := 0, 1
	lineStart, lead := true, true // before anything but spaces; before anything but spaces and "- "
	indent, seqs := 0, 0
	for i := 0; i < len(data); i++ {
		if words && !lead {
			for i+8 <= len(data) && !hasDepthByte8(data[i:]) {
				i += 8
			}
			if i == len(data) {
				break
			}
		}
		b := data[i]
		switch b {
		case '[', '{':
			flow++
			if flow > limit {
				return fmt.Errorf("line %d: nesting is deeper than the limit", line)
			}
		case ']', '}':
			if flow > 0 {
				flow--
			}
		case '\n':
			line++
			lineStart, lead, indent, seqs = true, true, 0, 0
			continue
		case ' ':
			if lineStart {
				indent++
				if indent > limit {
					return fmt.Errorf("line %d: indentation is deeper than the limit", line)
				}
			}
			continue
		case '-':
			if lead && (i+1 == len(data) || data[i+1] == ' ' || data[i+1] == '\n' || data[i+1] == '\r') {
				seqs++
				if indent+seqs > limit {
					return fmt.Errorf("line %d: nesting is deeper than the limit", line)
				}
				lineStart = false
				continue
			}
		}
		lineStart, lead = false, false
	}
	return nil
}

// hasDepthByte8 reports whether the first eight bytes of b hold one that
// depthScan counts past the opening of a line: [ { ] } or a line break.
func hasDepthByte8(b []byte) bool {
	w := binary.LittleEndian.Uint64(b)
	return hasByte(w, '[')|hasByte(w, '{')|hasByte(w, ']')|hasByte(w, '}')|hasByte(w, '\n') != 0
}
