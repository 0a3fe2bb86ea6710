//go:build wasip1

package pdk

import (
	"encoding/json"
	"errors"
	"fmt"

	extism "github.com/extism/go-pdk"
)

// call sends one request document to a host function and decodes its
// response into resp (which must embed the ABI fields it needs).
func call(fn func(uint64) uint64, req map[string]any, resp any) error {
	req["abi"] = ABI
	b, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("encode request: %w", err)
	}
	mem := extism.AllocateBytes(b)
	// The host frees the request block; the plugin frees the response.
	off := fn(mem.Offset())
	out := extism.FindMemory(off)
	raw := out.ReadBytes()
	out.Free()
	var env struct {
		Error *Error `json:"error"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return fmt.Errorf("decode response: %w", err)
	}
	if env.Error != nil {
		return env.Error
	}
	if resp == nil {
		return nil
	}
	return json.Unmarshal(raw, resp)
}

// CatalogGet reads one entity by ref, as the calling user.
func CatalogGet(ref string) (Entity, error) {
	var r struct {
		Entity Entity `json:"entity"`
	}
	err := call(hostCatalogGet, map[string]any{"ref": ref}, &r)
	return r.Entity, err
}

// CatalogQuery reads a page of entities, as the calling user.
func CatalogQuery(q Query) (Page, error) {
	var req map[string]any
	b, _ := json.Marshal(q)
	_ = json.Unmarshal(b, &req)
	var p Page
	err := call(hostCatalogQuery, req, &p)
	return p, err
}

// Search runs a full-text search of catalog entities, as the calling user.
func Search(term string, kinds []string, limit int) ([]SearchResult, error) {
	return SearchTypes(term, nil, kinds, limit)
}

// SearchTypes searches documents of the given types ("software-catalog",
// "plugin:NAME"; none = catalog entities), as the calling user. A host
// older than the collate export ignores types and searches entities.
func SearchTypes(term string, types, kinds []string, limit int) ([]SearchResult, error) {
	req := map[string]any{"term": term}
	if len(types) > 0 {
		req["types"] = types
	}
	if len(kinds) > 0 {
		req["kinds"] = kinds
	}
	if limit > 0 {
		req["limit"] = limit
	}
	var r struct {
		Results []SearchResult `json:"results"`
	}
	err := call(hostSearch, req, &r)
	return r.Results, err
}

// KVGet reads a key of the plugin's own key-value space.
func KVGet(key string) (value string, found bool, err error) {
	var r struct {
		Found bool   `json:"found"`
		Value string `json:"value"`
	}
	err = call(hostKVGet, map[string]any{"key": key}, &r)
	return r.Value, r.Found, err
}

// KVSet writes a key.
func KVSet(key, value string) error {
	return call(hostKVSet, map[string]any{"key": key, "value": value}, nil)
}

// KVDelete deletes a key (a missing key is not an error).
func KVDelete(key string) error {
	return call(hostKVDelete, map[string]any{"key": key}, nil)
}

// KVList lists keys with prefix, sorted (limit 0 = the host's default).
func KVList(prefix string, limit int) ([]string, error) {
	req := map[string]any{"prefix": prefix}
	if limit > 0 {
		req["limit"] = limit
	}
	var r struct {
		Keys []string `json:"keys"`
	}
	err := call(hostKVList, req, &r)
	return r.Keys, err
}

// Config decodes one key of the operator's config for this plugin into v
// ("" = the whole object) and reports whether it was set.
func Config(key string, v any) (bool, error) {
	req := map[string]any{}
	if key != "" {
		req["key"] = key
	}
	var r struct {
		Found bool            `json:"found"`
		Value json.RawMessage `json:"value"`
	}
	if err := call(hostConfigGet, req, &r); err != nil {
		return false, err
	}
	if !r.Found || v == nil {
		return r.Found, nil
	}
	return true, json.Unmarshal(r.Value, v)
}

// Secret reads a granted secret.
func Secret(name string) (value string, found bool, err error) {
	var r struct {
		Found bool   `json:"found"`
		Value string `json:"value"`
	}
	err = call(hostSecretGet, map[string]any{"name": name}, &r)
	return r.Value, r.Found, err
}

// Log writes to the host's structured log (level debug, info, warn, error).
func Log(level, message string, attrs map[string]any) error {
	req := map[string]any{"level": level, "message": message}
	if len(attrs) > 0 {
		req["attrs"] = attrs
	}
	return call(hostLog, req, nil)
}

// HTTPGet fetches a URL through Extism's http_request (granted hosts only; a
// refused request ends the call, pdk/ABI.md §4).
func HTTPGet(url string, headers map[string]string) (status int, body []byte) {
	req := extism.NewHTTPRequest(extism.MethodGet, url)
	for k, v := range headers {
		req.SetHeader(k, v)
	}
	res := req.Send()
	return int(res.Status()), res.Body()
}

// handle runs one export: decode input into in, run f, write {"abi":1,...}.
// A returned error or a panic becomes the call's error (non-zero return).
func handle[I any](in *I, f func() (any, error)) (rc int32) {
	defer func() {
		if r := recover(); r != nil {
			extism.SetErrorString(fmt.Sprint("panic: ", r))
			rc = 1
		}
	}()
	if err := json.Unmarshal(extism.Input(), in); err != nil {
		extism.SetErrorString("bad input: " + err.Error())
		return 1
	}
	out, err := f()
	if err != nil {
		extism.SetErrorString(err.Error())
		return 1
	}
	b, err := json.Marshal(out)
	if err != nil {
		extism.SetErrorString("encode output: " + err.Error())
		return 1
	}
	extism.Output(b)
	return 0
}

// HandleCollate implements a collate export: f returns one page of
// documents (at most in.Collate.Limit) and the cursor of the next page.
func HandleCollate(f func(CollateInput) (CollateOutput, error)) int32 {
	var in CollateInput
	return handle(&in, func() (any, error) {
		o, err := f(in)
		o.ABI = ABI
		if o.Documents == nil {
			o.Documents = []SearchDocument{}
		}
		return o, err
	})
}

// HandleCard implements a card export.
func HandleCard(f func(CardInput) (Card, error)) int32 {
	var in CardInput
	return handle(&in, func() (any, error) {
		c, err := f(in)
		return CardOutput{ABI: ABI, Card: c}, err
	})
}

// HandleProvide implements a provide export.
func HandleProvide(f func(ProvideInput) (ProvideOutput, error)) int32 {
	var in ProvideInput
	return handle(&in, func() (any, error) {
		o, err := f(in)
		o.ABI = ABI
		return o, err
	})
}

// HandleAction implements an action export.
func HandleAction(f func(ActionInput) (ActionOutput, error)) int32 {
	var in ActionInput
	return handle(&in, func() (any, error) {
		o, err := f(in)
		o.ABI = ABI
		return o, err
	})
}

// HandleCheck implements a check export.
func HandleCheck(f func(CheckInput) (CheckOutput, error)) int32 {
	var in CheckInput
	return handle(&in, func() (any, error) {
		o, err := f(in)
		o.ABI = ABI
		if err == nil && o.Result == "" {
			err = errors.New("check result is required")
		}
		return o, err
	})
}

// HandleRoute implements a route export.
func HandleRoute(f func(RouteInput) (RouteOutput, error)) int32 {
	var in RouteInput
	return handle(&in, func() (any, error) {
		o, err := f(in)
		o.ABI = ABI
		if o.Status == 0 {
			o.Status = 200
		}
		return o, err
	})
}
