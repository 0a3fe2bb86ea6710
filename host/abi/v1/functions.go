package v1

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"unicode/utf8"

	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/host/services"
)

func (e *Env) denied(what string) error {
	return errf(CodePermissionDenied, "%s not granted to plugin %s", what, e.Plugin)
}

func unavailable(what string) error {
	return errf(CodeUnavailable, "%s is not available on this portal", what)
}

func (e *Env) catalogGet(ctx context.Context, req []byte) (any, error) {
	if !e.Grant.CatalogRead() {
		return nil, e.denied("catalog read")
	}
	if e.Services.Catalog == nil {
		return nil, unavailable("catalog")
	}
	var r struct {
		Ref string `json:"ref"`
	}
	if err := decode(req, &r); err != nil {
		return nil, err
	}
	if r.Ref == "" {
		return nil, errf(CodeInvalidArgument, "ref is required")
	}
	doc, err := e.Services.Catalog.Entity(ctx, services.CallerFrom(ctx), r.Ref)
	if err != nil {
		return nil, err
	}
	return struct {
		ABI    int             `json:"abi"`
		Entity json.RawMessage `json:"entity"`
	}{Version, doc}, nil
}

func (e *Env) catalogQuery(ctx context.Context, req []byte) (any, error) {
	if !e.Grant.CatalogRead() {
		return nil, e.denied("catalog read")
	}
	if e.Services.Catalog == nil {
		return nil, unavailable("catalog")
	}
	var r struct {
		Filter   json.RawMessage `json:"filter"`
		FullText *struct {
			Term   string   `json:"term"`
			Fields []string `json:"fields"`
		} `json:"fullText"`
		Order []struct {
			Field string `json:"field"`
			Order string `json:"order"`
		} `json:"order"`
		Limit  int    `json:"limit"`
		Cursor string `json:"cursor"`
	}
	if err := decode(req, &r); err != nil {
		return nil, err
	}
	f, err := catalog.ParsePredicate(r.Filter)
	if err != nil {
		return nil, err
	}
	q := services.CatalogQuery{Filter: f, Cursor: r.Cursor, Limit: r.Limit}
	if q.Limit == 0 {
		q.Limit = defQueryLimit
	}
	if q.Limit < 1 || q.Limit > maxQueryLimit {
		return nil, errf(CodeInvalidArgument, "limit must be 1..%d", maxQueryLimit)
	}
	if r.FullText != nil {
		q.FullText = &catalog.FullText{Term: r.FullText.Term, Fields: r.FullText.Fields}
	}
	for _, o := range r.Order {
		if o.Field == "" || (o.Order != "" && o.Order != "asc" && o.Order != "desc") {
			return nil, errf(CodeInvalidArgument, "order needs a field and asc or desc")
		}
		q.Order = append(q.Order, catalog.Order{Field: o.Field, Desc: o.Order == "desc"})
	}
	page, err := e.Services.Catalog.Query(ctx, services.CallerFrom(ctx), q)
	if err != nil {
		return nil, err
	}
	items := page.Items
	if items == nil {
		items = []json.RawMessage{}
	}
	return struct {
		ABI   int               `json:"abi"`
		Items []json.RawMessage `json:"items"`
		Next  string            `json:"next,omitempty"`
	}{Version, items, page.Next}, nil
}

func (e *Env) search(ctx context.Context, req []byte) (any, error) {
	if !e.Grant.Search && !e.Grant.CatalogRead() {
		return nil, e.denied("search")
	}
	if e.Services.Search == nil {
		return nil, unavailable("search")
	}
	var r struct {
		Term  string   `json:"term"`
		Kinds []string `json:"kinds"`
		Limit int      `json:"limit"`
		// Types (added to ABI 1 with the collate export): document types
		// to search; absent = catalog entities, as before.
		Types []string `json:"types"`
	}
	if err := decode(req, &r); err != nil {
		return nil, err
	}
	if len(r.Types) > maxSearchTypes {
		return nil, errf(CodeInvalidArgument, "at most %d types", maxSearchTypes)
	}
	for _, t := range r.Types {
		if t == "" || len(t) > 128 {
			return nil, errf(CodeInvalidArgument, "type must be 1..128 bytes")
		}
	}
	if r.Limit == 0 {
		r.Limit = defSearchLimit
	}
	if r.Limit < 1 || r.Limit > maxSearchLimit {
		return nil, errf(CodeInvalidArgument, "limit must be 1..%d", maxSearchLimit)
	}
	res, err := e.Services.Search.Search(ctx, services.CallerFrom(ctx), services.SearchQuery{Term: r.Term, Kinds: r.Kinds, Limit: r.Limit, Types: r.Types})
	if err != nil {
		return nil, err
	}
	if res == nil {
		res = []services.SearchResult{}
	}
	return struct {
		ABI     int                     `json:"abi"`
		Results []services.SearchResult `json:"results"`
	}{Version, res}, nil
}

func (e *Env) kv() (services.KV, error) {
	if !e.Grant.KV {
		return nil, e.denied("kv")
	}
	if e.Services.KV == nil {
		return nil, unavailable("kv")
	}
	return e.Services.KV, nil
}

func checkKey(key string) error {
	if key == "" || len(key) > MaxKeyBytes || !utf8.ValidString(key) {
		return errf(CodeInvalidArgument, "key must be 1..%d bytes of UTF-8", MaxKeyBytes)
	}
	return nil
}

type keyReq struct {
	Key   string  `json:"key"`
	Value *string `json:"value"`
}

// keyRequest is the common start of the single-key KV functions: the grant,
// the request document and its key.
func (e *Env) keyRequest(req []byte) (services.KV, keyReq, error) {
	var r keyReq
	kv, err := e.kv()
	if err != nil {
		return nil, r, err
	}
	if err := decode(req, &r); err != nil {
		return nil, r, err
	}
	if err := checkKey(r.Key); err != nil {
		return nil, r, err
	}
	return kv, r, nil
}

func (e *Env) kvGet(ctx context.Context, req []byte) (any, error) {
	kv, r, err := e.keyRequest(req)
	if err != nil {
		return nil, err
	}
	v, found, err := kv.KVGet(ctx, e.Plugin, r.Key)
	if err != nil {
		return nil, err
	}
	out := struct {
		ABI   int     `json:"abi"`
		Found bool    `json:"found"`
		Value *string `json:"value,omitempty"`
	}{ABI: Version, Found: found}
	if found {
		s := string(v)
		out.Value = &s
	}
	return out, nil
}

func (e *Env) kvSet(ctx context.Context, req []byte) (any, error) {
	kv, r, err := e.keyRequest(req)
	if err != nil {
		return nil, err
	}
	if r.Value == nil {
		return nil, errf(CodeInvalidArgument, "value is required")
	}
	if len(*r.Value) > MaxValueBytes {
		return nil, errf(CodeTooLarge, "value is %d bytes, limit %d", len(*r.Value), MaxValueBytes)
	}
	if _, exists, err := kv.KVGet(ctx, e.Plugin, r.Key); err != nil {
		return nil, err
	} else if !exists {
		keys, err := kv.KVList(ctx, e.Plugin, "", MaxKeys)
		if err != nil {
			return nil, err
		}
		if len(keys) >= MaxKeys {
			return nil, errf(CodeTooLarge, "plugin %s already has %d keys", e.Plugin, MaxKeys)
		}
	}
	if err := kv.KVSet(ctx, e.Plugin, r.Key, []byte(*r.Value)); err != nil {
		return nil, err
	}
	return okDoc(), nil
}

func (e *Env) kvDelete(ctx context.Context, req []byte) (any, error) {
	kv, r, err := e.keyRequest(req)
	if err != nil {
		return nil, err
	}
	if err := kv.KVDelete(ctx, e.Plugin, r.Key); err != nil {
		return nil, err
	}
	return okDoc(), nil
}

func (e *Env) kvList(ctx context.Context, req []byte) (any, error) {
	kv, err := e.kv()
	if err != nil {
		return nil, err
	}
	var r struct {
		Prefix string `json:"prefix"`
		Limit  int    `json:"limit"`
	}
	if err := decode(req, &r); err != nil {
		return nil, err
	}
	if r.Limit == 0 {
		r.Limit = defListLimit
	}
	if r.Limit < 1 || r.Limit > maxListLimit {
		return nil, errf(CodeInvalidArgument, "limit must be 1..%d", maxListLimit)
	}
	keys, err := kv.KVList(ctx, e.Plugin, r.Prefix, r.Limit)
	if err != nil {
		return nil, err
	}
	if keys == nil {
		keys = []string{}
	}
	return struct {
		ABI  int      `json:"abi"`
		Keys []string `json:"keys"`
	}{Version, keys}, nil
}

func (e *Env) configGet(ctx context.Context, req []byte) (any, error) {
	var r struct {
		Key *string `json:"key"`
	}
	if err := decode(req, &r); err != nil {
		return nil, err
	}
	var cfg json.RawMessage
	if e.Services.Config != nil {
		var err error
		if cfg, err = e.Services.Config.PluginConfig(ctx, e.Plugin); err != nil {
			return nil, err
		}
	}
	type resp struct {
		ABI   int             `json:"abi"`
		Found bool            `json:"found"`
		Value json.RawMessage `json:"value,omitempty"`
	}
	if len(cfg) == 0 {
		cfg = json.RawMessage("{}")
	}
	if r.Key == nil {
		return resp{Version, true, cfg}, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(cfg, &obj); err != nil {
		return nil, errf(CodeInternal, "plugin config is not a JSON object")
	}
	v, found := obj[*r.Key]
	return resp{Version, found, v}, nil
}

func (e *Env) secretGet(ctx context.Context, req []byte) (any, error) {
	var r struct {
		Name string `json:"name"`
	}
	if err := decode(req, &r); err != nil {
		return nil, err
	}
	if r.Name == "" {
		return nil, errf(CodeInvalidArgument, "name is required")
	}
	if !e.Grant.HasSecret(r.Name) {
		return nil, e.denied("secret " + r.Name)
	}
	out := struct {
		ABI   int     `json:"abi"`
		Found bool    `json:"found"`
		Value *string `json:"value,omitempty"`
	}{ABI: Version}
	if e.Services.Secrets == nil {
		return out, nil
	}
	v, found, err := e.Services.Secrets.PluginSecret(ctx, e.Plugin, r.Name)
	if err != nil {
		return nil, err
	}
	if found {
		out.Found, out.Value = true, &v
	}
	return out, nil
}

func (e *Env) log(ctx context.Context, req []byte) (any, error) {
	var r struct {
		Level   string         `json:"level"`
		Message string         `json:"message"`
		Attrs   map[string]any `json:"attrs"`
	}
	if err := decode(req, &r); err != nil {
		return nil, err
	}
	var lvl slog.Level
	switch strings.ToLower(r.Level) {
	case "debug":
		lvl = slog.LevelDebug
	case "info", "":
		lvl = slog.LevelInfo
	case "warn":
		lvl = slog.LevelWarn
	case "error":
		lvl = slog.LevelError
	default:
		return nil, errf(CodeInvalidArgument, "level must be debug, info, warn or error")
	}
	msg := r.Message
	if len(msg) > MaxLogMessage {
		msg = msg[:MaxLogMessage]
	}
	attrs := make([]slog.Attr, 0, len(r.Attrs)+1)
	attrs = append(attrs, slog.String("plugin", e.Plugin))
	for k, v := range r.Attrs {
		attrs = append(attrs, slog.Any("attr."+k, v))
	}
	e.Logger.LogAttrs(ctx, lvl, msg, attrs...)
	return okDoc(), nil
}
