package apidocs

import (
	"fmt"
	"strings"
)

// AsyncAPI renders an AsyncAPI 2.x or 3.x document.
func AsyncAPI(def string) (*Doc, error) {
	m, err := decode(def)
	if err != nil {
		return nil, err
	}
	ver := fmt.Sprint(orEmpty(m["asyncapi"]))
	if ver == "" {
		return nil, fmt.Errorf("not an AsyncAPI document: asyncapi is not set")
	}
	info := obj(m, "info")
	d := &Doc{Format: "AsyncAPI " + ver, Title: str(info, "title"), Version: fmt.Sprint(orEmpty(info["version"])), Description: str(info, "description")}
	channels := obj(m, "channels")
	var chItems, opItems []Item
	if strings.HasPrefix(ver, "2") {
		for _, name := range sortedKeys(channels) {
			ch := obj(channels, name)
			chItems = append(chItems, Item{ID: anchor("channel", name), Method: "channel", Name: name, Summary: str(ch, "description"), Params: chanParams(ch)})
			for _, action := range []string{"publish", "subscribe"} {
				op := obj(ch, action)
				if op == nil {
					continue
				}
				msg := obj(op, "message")
				opItems = append(opItems, Item{ID: anchor("op", action, name), Method: action, Name: name,
					Summary: firstOf(str(op, "summary"), str(op, "description"), str(op, "operationId")),
					Request: messageName(msg), Fields: properties(payload(m, msg))})
			}
		}
	} else {
		for _, id := range sortedKeys(channels) {
			ch := obj(channels, id)
			var msgs []string
			for _, k := range sortedKeys(obj(ch, "messages")) {
				msgs = append(msgs, k)
			}
			chItems = append(chItems, Item{ID: anchor("channel", id), Method: "channel", Name: firstOf(str(ch, "address"), id),
				Summary: firstOf(str(ch, "description"), str(ch, "summary")), Request: strings.Join(msgs, ", "), Params: chanParams(ch)})
		}
		ops := obj(m, "operations")
		for _, id := range sortedKeys(ops) {
			op := obj(ops, id)
			ch := refName(str(obj(op, "channel"), "$ref"))
			name := ch
			if c := obj(channels, ch); c != nil && str(c, "address") != "" {
				name = str(c, "address")
			}
			var msgs []string
			if l, ok := op["messages"].([]any); ok {
				for _, x := range l {
					xm, _ := x.(map[string]any)
					msgs = append(msgs, refName(str(xm, "$ref")))
				}
			}
			opItems = append(opItems, Item{ID: anchor("op", id), Method: str(op, "action"), Name: name,
				Summary: firstOf(str(op, "summary"), str(op, "description"), id), Request: strings.Join(msgs, ", ")})
		}
	}
	d.Sections = append(d.Sections, Section{Title: "Operations", Items: opItems}, Section{Title: "Channels", Items: chItems})
	msgs := obj(obj(m, "components"), "messages")
	var mItems []Item
	for _, name := range sortedKeys(msgs) {
		msg := obj(msgs, name)
		mItems = append(mItems, Item{ID: anchor("message", name), Method: "message", Name: firstOf(str(msg, "name"), name),
			Summary: firstOf(str(msg, "summary"), str(msg, "description")), Fields: properties(payload(m, msg))})
	}
	if len(mItems) > 0 {
		d.Sections = append(d.Sections, Section{Title: "Messages", Items: mItems})
	}
	return d, nil
}

func chanParams(ch map[string]any) []Field {
	ps := obj(ch, "parameters")
	var out []Field
	for _, k := range sortedKeys(ps) {
		p := obj(ps, k)
		out = append(out, Field{Name: k, In: "channel", Type: typeOf(obj(p, "schema")), Description: str(p, "description")})
	}
	return out
}

func messageName(msg map[string]any) string {
	if msg == nil {
		return ""
	}
	if ref := str(msg, "$ref"); ref != "" {
		return refName(ref)
	}
	return firstOf(str(msg, "name"), str(msg, "title"), "inline message")
}

// payload resolves a message (possibly a local $ref) to its payload schema,
// itself possibly a local $ref.
func payload(root, msg map[string]any) map[string]any {
	msg = resolve(root, msg)
	return resolve(root, obj(msg, "payload"))
}

func resolve(root, m map[string]any) map[string]any {
	for i := 0; i < 8 && m != nil; i++ {
		ref := str(m, "$ref")
		if !strings.HasPrefix(ref, "#/") {
			return m
		}
		cur := root
		for _, part := range strings.Split(ref[2:], "/") {
			cur = obj(cur, strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~"))
		}
		m = cur
	}
	return m
}
