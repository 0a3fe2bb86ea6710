// go-hello is the example Portico plugin in Go: its card greets the entity,
// reads its owner from the catalog (as the viewing user) and counts views in
// the plugin's own key-value space.
//
// Build: make plugins (or GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared
// -o plugin.wasm . && go run ../../../pdk/go/cmd/portico-abi-stamp plugin.wasm)
package main

import (
	"strconv"
	"strings"

	pdk "github.com/portico-dev/portico/pdk/go"
)

//go:wasmexport card
func card() int32 { return pdk.HandleCard(render) }

func render(in pdk.CardInput) (pdk.Card, error) {
	greeting := "Hello"
	if _, err := pdk.Config("greeting", &greeting); err != nil {
		return pdk.Card{}, err
	}
	name := in.Entity.Metadata.Title
	if name == "" {
		name = in.Entity.Metadata.Name
	}
	c := pdk.Card{
		Title:  greeting + ", " + name + "!",
		Status: &pdk.Status{Level: pdk.LevelOK},
	}

	if owner, _ := in.Entity.Spec["owner"].(string); owner != "" {
		ref := owner
		if !strings.Contains(ref, ":") {
			ref = "group:" + ref
		}
		value := owner
		if g, err := pdk.CatalogGet(ref); err == nil {
			if g.Metadata.Title != "" {
				value = g.Metadata.Title
			}
		} else if pdk.IsCode(err, pdk.CodeNotFound) {
			c.Status = &pdk.Status{Level: pdk.LevelWarning, Text: "owner " + owner + " is not in the catalog"}
		} else {
			return pdk.Card{}, err
		}
		c.Fields = append(c.Fields, pdk.Field{Label: "Owner", Value: value})
	}

	key := "views/" + in.Entity.Ref()
	v, _, err := pdk.KVGet(key)
	if err != nil {
		return pdk.Card{}, err
	}
	n, _ := strconv.Atoi(v)
	n++
	if err := pdk.KVSet(key, strconv.Itoa(n)); err != nil {
		return pdk.Card{}, err
	}
	c.Fields = append(c.Fields, pdk.Field{Label: "Views", Value: strconv.Itoa(n)})
	if in.User != nil {
		c.Fields = append(c.Fields, pdk.Field{Label: "Viewer", Value: in.User.Ref})
	}
	return c, nil
}

func main() {}
