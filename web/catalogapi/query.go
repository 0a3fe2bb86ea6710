package catalogapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/portico-dev/portico/catalog"
)

// defaultQueryLimit is by-query's page size when none is given
// (DefaultEntitiesCatalog.DEFAULT_LIMIT in catalog-backend 4.0.0).
const defaultQueryLimit = 200

// queryCursor is the base64 JSON cursor of /entities/by-query, shaped like
// Backstage's: a request's filter, predicate, order and full-text filter ride
// in it, so later pages need only the cursor. The client decodes it to see
// whether "query" is present (then it POSTs), so that key appears only for
// predicate queries.
type queryCursor struct {
	OrderFields      []orderField    `json:"orderFields"`
	OrderFieldValues []*string       `json:"orderFieldValues"` // [first order field value or null, ref]
	Filter           []string        `json:"filter,omitempty"` // the GET `filter` values
	Query            json.RawMessage `json:"query,omitempty"`
	FullTextFilter   *fullTextFilter `json:"fullTextFilter,omitempty"`
	IsPrevious       bool            `json:"isPrevious"`
	TotalItems       *int            `json:"totalItems,omitempty"`
	SkipTotal        bool            `json:"skipTotalItems,omitempty"` // totalItems=exclude
}

type orderField struct {
	Field string `json:"field"`
	Order string `json:"order"` // asc | desc
}

type fullTextFilter struct {
	Term   string   `json:"term"`
	Fields []string `json:"fields,omitempty"`
}

// queryRequest is one by-query request, GET or POST, before it meets the store.
type queryRequest struct {
	cursor     *queryCursor // set when continuing
	filter     []string
	predicate  json.RawMessage
	order      []orderField
	fullText   *fullTextFilter
	limit      int
	offset     int
	skipTotal  bool
	projection projection
}

// queryResponse is written by hand so entity bytes go out unchanged.
type pageInfo struct {
	NextCursor string `json:"nextCursor,omitempty"`
	PrevCursor string `json:"prevCursor,omitempty"`
}

func decodeQueryCursor(s string) (*queryCursor, error) {
	bad := catalog.Inputf("Malformed cursor, could not be parsed")
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		if raw, err = base64.RawURLEncoding.DecodeString(s); err != nil {
			return nil, bad
		}
	}
	var cur queryCursor
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&cur); err != nil {
		return nil, bad
	}
	if len(cur.OrderFieldValues) != 2 || cur.OrderFieldValues[1] == nil || len(cur.OrderFields) > 1 {
		return nil, bad
	}
	for _, o := range cur.OrderFields {
		if o.Field == "" || (o.Order != "asc" && o.Order != "desc") {
			return nil, bad
		}
	}
	return &cur, nil
}

func encodeQueryCursor(c queryCursor) string {
	b, _ := json.Marshal(c)
	return base64.StdEncoding.EncodeToString(b)
}

// getEntitiesByQuery is GET /entities/by-query.
func (a *api) getEntitiesByQuery(c *fiber.Ctx) error {
	var r queryRequest
	var err error
	if r.projection, err = parseFields(queryValues(c, "fields")); err != nil {
		return err
	}
	limit, hasLimit, err := queryInt(c, "limit")
	if err != nil {
		return err
	}
	if hasLimit {
		r.limit = limit
		if limit < 0 {
			return catalog.Inputf("Invalid limit, must be zero or greater")
		}
	} else {
		r.limit = defaultQueryLimit
	}
	if s, ok := queryValue(c, "cursor"); ok {
		if s == "" {
			return catalog.Inputf("Invalid cursor, must not be empty")
		}
		if r.cursor, err = decodeQueryCursor(s); err != nil {
			return err
		}
		return a.runQuery(c, r)
	}
	r.filter = queryValues(c, "filter")
	if r.offset, _, err = queryInt(c, "offset"); err != nil {
		return err
	}
	for _, v := range queryValues(c, "orderField") {
		field, dir, _ := strings.Cut(v, ",")
		field, dir = strings.TrimSpace(field), strings.ToLower(strings.TrimSpace(dir))
		if dir == "" {
			dir = "asc"
		}
		if field == "" || (dir != "asc" && dir != "desc") {
			return catalog.Inputf("Invalid orderField \"%s\", expected \"<field>,<asc or desc>\"", v)
		}
		r.order = append(r.order, orderField{Field: field, Order: dir})
	}
	if term, ok := queryValue(c, "fullTextFilterTerm"); ok && strings.TrimSpace(term) != "" {
		r.fullText = &fullTextFilter{Term: strings.TrimSpace(term)}
		if fs, ok := queryValue(c, "fullTextFilterFields"); ok {
			for _, f := range strings.Split(fs, ",") {
				if f = strings.TrimSpace(f); f != "" {
					r.fullText.Fields = append(r.fullText.Fields, f)
				}
			}
		}
	}
	if t, ok := queryValue(c, "totalItems"); ok {
		if r.skipTotal, err = parseTotalItems(t); err != nil {
			return err
		}
	}
	return a.runQuery(c, r)
}

func parseTotalItems(s string) (skip bool, err error) {
	switch s {
	case "", "include":
		return false, nil
	case "exclude":
		return true, nil
	}
	return false, catalog.Inputf("Invalid totalItems, expected \"include\" or \"exclude\"")
}

// postQueryBody is POST /entities/by-query's body.
type postQueryBody struct {
	Cursor  *string  `json:"cursor"`
	Limit   *float64 `json:"limit"`
	Offset  *float64 `json:"offset"`
	OrderBy []struct {
		Field string `json:"field"`
		Order string `json:"order"`
	} `json:"orderBy"`
	FullTextFilter *struct {
		Term   string   `json:"term"`
		Fields []string `json:"fields"`
	} `json:"fullTextFilter"`
	Fields     []string        `json:"fields"`
	TotalItems *string         `json:"totalItems"`
	Query      json.RawMessage `json:"query"`
}

// postEntitiesByQuery is POST /entities/by-query.
func (a *api) postEntitiesByQuery(c *fiber.Ctx) error {
	body, err := optionalJSONBody(c)
	if err != nil {
		return err
	}
	var b postQueryBody
	if body != nil {
		if err := decodeLenient(body, &b); err != nil {
			return err
		}
	}
	var r queryRequest
	if r.projection, err = parseFields(b.Fields); err != nil {
		return err
	}
	r.limit = defaultQueryLimit
	if b.Limit != nil {
		if *b.Limit < 0 || *b.Limit != float64(int(*b.Limit)) {
			return catalog.Inputf("Invalid limit, must be an integer zero or greater")
		}
		r.limit = int(*b.Limit)
	}
	if b.Cursor != nil {
		if *b.Cursor == "" {
			return catalog.Inputf("Invalid cursor, must not be empty")
		}
		if r.cursor, err = decodeQueryCursor(*b.Cursor); err != nil {
			return err
		}
		return a.runQuery(c, r)
	}
	if b.Offset != nil {
		if *b.Offset < 0 || *b.Offset != float64(int(*b.Offset)) {
			return catalog.Inputf("Invalid offset, must be an integer zero or greater")
		}
		r.offset = int(*b.Offset)
	}
	if q := bytes.TrimSpace(b.Query); len(q) > 0 && string(q) != "null" {
		if q[0] != '{' {
			return catalog.Inputf("Invalid query: must be an object")
		}
		r.predicate = q
	}
	for _, o := range b.OrderBy {
		if o.Field == "" || (o.Order != "asc" && o.Order != "desc") {
			return catalog.Inputf("Invalid orderBy, expected {field, order: asc|desc}")
		}
		r.order = append(r.order, orderField{Field: o.Field, Order: o.Order})
	}
	if f := b.FullTextFilter; f != nil && strings.TrimSpace(f.Term) != "" {
		r.fullText = &fullTextFilter{Term: strings.TrimSpace(f.Term), Fields: f.Fields}
	}
	if b.TotalItems != nil {
		if r.skipTotal, err = parseTotalItems(*b.TotalItems); err != nil {
			return err
		}
	}
	return a.runQuery(c, r)
}

// runQuery turns a by-query request (fresh or continued) into a store query and
// writes {items, totalItems, pageInfo}.
func (a *api) runQuery(c *fiber.Ctx, r queryRequest) error {
	var pos *catalog.Position
	isPrevious := false
	var knownTotal *int
	if cur := r.cursor; cur != nil {
		r.filter, r.predicate, r.order, r.fullText, r.skipTotal = cur.Filter, cur.Query, cur.OrderFields, cur.FullTextFilter, cur.SkipTotal
		isPrevious = cur.IsPrevious
		knownTotal = cur.TotalItems
		pos = &catalog.Position{Ref: *cur.OrderFieldValues[1]}
		if v := cur.OrderFieldValues[0]; v != nil {
			pos.Value = *v
		} else {
			pos.Missing = true
		}
		r.offset = 0
	}
	filter, err := catalog.ParseFilterParams(r.filter)
	if err != nil {
		return err
	}
	if r.predicate != nil {
		pf, err := catalog.ParsePredicate(r.predicate)
		if err != nil {
			return err
		}
		filter = catalog.And(filter, pf)
	}
	// The permission filter is applied on every page; cursors carry only the
	// caller's own filter (REFERENCE.md §5.3 step 6).
	q := catalog.Query{Filter: catalog.And(filter, a.readFilter(c)), Limit: r.limit, Offset: r.offset, ExcludeMissingOrder: true}
	if len(r.order) > 0 {
		q.Order = []catalog.Order{{Field: r.order[0].Field, Desc: r.order[0].Order == "desc"}}
		if len(r.order) > 1 {
			a.log.WarnContext(c.UserContext(), "by-query: only the first orderField is used", "ignored", len(r.order)-1)
			r.order = r.order[:1]
		}
	}
	if r.fullText != nil {
		fields := r.fullText.Fields
		if len(fields) == 0 {
			// Backstage's default: the sort field, else metadata.uid.
			if len(r.order) > 0 {
				fields = []string{r.order[0].Field}
			} else {
				fields = []string{"metadata.uid"}
			}
		}
		q.FullText = &catalog.FullText{Term: strings.ToLower(r.fullText.Term), Fields: lowerAll(fields)}
	}
	if isPrevious {
		q.Before = pos
	} else {
		q.After = pos
	}
	q.CountTotal = !r.skipTotal && knownTotal == nil

	var page catalog.Page
	if r.limit == 0 {
		// A zero limit asks only for the count.
		if !r.skipTotal && knownTotal == nil {
			q.Limit = 1
			if page, err = a.store.QueryEntities(c.UserContext(), q); err != nil {
				return err
			}
			page.Items, page.HasMore, page.HasPrev = nil, false, false
		}
	} else if page, err = a.store.QueryEntities(c.UserContext(), q); err != nil {
		return err
	}
	total := knownTotal
	if q.CountTotal {
		t := page.TotalItems
		total = &t
	}

	next := queryCursor{
		OrderFields: r.order, Filter: r.filter, Query: r.predicate, FullTextFilter: r.fullText,
		TotalItems: total, SkipTotal: r.skipTotal,
	}
	var info pageInfo
	// Continuing forward there is always something before; going back, always something after.
	hasMore := page.HasMore || (isPrevious && r.cursor != nil)
	hasPrev := (page.HasPrev && (r.cursor != nil || r.offset > 0)) || (r.cursor != nil && !isPrevious)
	if len(page.Items) > 0 {
		if hasMore && page.Last != nil {
			n := next
			n.OrderFieldValues = positionValues(page.Last)
			info.NextCursor = encodeQueryCursor(n)
		}
		if hasPrev && page.First != nil {
			p := next
			p.IsPrevious = true
			p.OrderFieldValues = positionValues(page.First)
			info.PrevCursor = encodeQueryCursor(p)
		}
	}

	var buf bytes.Buffer
	buf.WriteString(`{"items":`)
	if err := writeArray(&buf, page.Items, r.projection); err != nil {
		return err
	}
	if total != nil {
		buf.WriteString(`,"totalItems":`)
		buf.WriteString(strconv.Itoa(*total))
	}
	buf.WriteString(`,"pageInfo":`)
	pi, _ := json.Marshal(info)
	buf.Write(pi)
	buf.WriteByte('}')
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(buf.Bytes())
}

func positionValues(p *catalog.Position) []*string {
	ref := p.Ref
	if p.Missing {
		return []*string{nil, &ref}
	}
	v := p.Value
	return []*string{&v, &ref}
}

func lowerAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.ToLower(strings.TrimSpace(s))
	}
	return out
}
