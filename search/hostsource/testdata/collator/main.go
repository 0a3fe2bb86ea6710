// collator is the test plugin of search/hostsource: its collate export
// answers the pages of its config (`pages`, one list of documents each; the
// cursor is the page number), or exactly `raw` as the output, or fails with
// `fail`. Its action runs portico_search_v1 with the input's term and types.
package main

import (
	"errors"
	"strconv"

	extism "github.com/extism/go-pdk"

	pdk "github.com/portico-dev/portico/pdk/go"
)

type config struct {
	Pages [][]pdk.SearchDocument `json:"pages"`
	Raw   string                 `json:"raw"`
	Fail  string                 `json:"fail"`
	// Flood returns this many generated documents in one page.
	Flood int `json:"flood"`
}

//go:wasmexport collate
func collate() int32 {
	var c config
	if _, err := pdk.Config("", &c); err != nil {
		return fail(err.Error())
	}
	if c.Raw != "" {
		extism.Output([]byte(c.Raw))
		return 0
	}
	return pdk.HandleCollate(func(in pdk.CollateInput) (pdk.CollateOutput, error) {
		if c.Fail != "" {
			return pdk.CollateOutput{}, errors.New(c.Fail)
		}
		if c.Flood > 0 {
			var out pdk.CollateOutput
			for i := 0; i < c.Flood; i++ {
				out.Documents = append(out.Documents, pdk.SearchDocument{ID: strconv.Itoa(i), Title: "flood " + strconv.Itoa(i), Location: "/x"})
			}
			return out, nil
		}
		n := 0
		if in.Collate.Cursor != "" {
			var err error
			if n, err = strconv.Atoi(in.Collate.Cursor); err != nil {
				return pdk.CollateOutput{}, err
			}
		}
		var out pdk.CollateOutput
		if n < len(c.Pages) {
			out.Documents = c.Pages[n]
		}
		if n+1 < len(c.Pages) {
			out.Next = strconv.Itoa(n + 1)
		}
		return out, nil
	})
}

func fail(msg string) int32 {
	extism.SetErrorString(msg)
	return 1
}

//go:wasmexport action
func action() int32 {
	return pdk.HandleAction(func(in pdk.ActionInput) (pdk.ActionOutput, error) {
		term, _ := in.Input["term"].(string)
		var types []string
		if ts, ok := in.Input["types"].([]any); ok {
			for _, t := range ts {
				s, _ := t.(string)
				types = append(types, s)
			}
		}
		rs, err := pdk.SearchTypes(term, types, nil, 50)
		if err != nil {
			return pdk.ActionOutput{}, err
		}
		out := make([]any, len(rs))
		for i, r := range rs {
			out[i] = map[string]any{"ref": r.Ref, "title": r.Title, "type": r.Type, "location": r.Location}
		}
		return pdk.ActionOutput{Output: map[string]any{"results": out}}, nil
	})
}

func main() {}
