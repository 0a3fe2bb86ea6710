package catalogapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"regexp"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/portico-dev/portico/catalog"
)

// streamChunk is how many entities GET /entities reads per store query when it
// streams every match (Backstage reads 10,000 at a time too).
var streamChunk = 10000

// streamTimeout bounds one streamed response after the handler has returned.
const streamTimeout = 10 * time.Minute

// queryValues returns every value of a repeatable query parameter.
func queryValues(c *fiber.Ctx, name string) []string {
	raw := c.Context().QueryArgs().PeekMulti(name)
	out := make([]string, len(raw))
	for i, b := range raw {
		out[i] = string(b)
	}
	return out
}

// queryValue returns the single value of a parameter and whether it was given.
func queryValue(c *fiber.Ctx, name string) (string, bool) {
	args := c.Context().QueryArgs()
	if !args.Has(name) {
		return "", false
	}
	return string(args.Peek(name)), true
}

func queryInt(c *fiber.Ctx, name string) (int, bool, error) {
	s, ok := queryValue(c, name)
	if !ok {
		return 0, false, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, false, catalog.Inputf("Invalid %s, not an integer on the form \"123\"", name)
	}
	return n, true, nil
}

var orderParam = regexp.MustCompile(`^(asc|desc):(.+)$`)

func parseOrderParams(values []string) ([]catalog.Order, error) {
	var out []catalog.Order
	for _, v := range values {
		m := orderParam.FindStringSubmatch(v)
		if m == nil {
			return nil, catalog.Inputf("Invalid order parameter \"%s\", expected \"<asc or desc>:<field name>\"", v)
		}
		out = append(out, catalog.Order{Field: m[2], Desc: m[1] == "desc"})
	}
	return out, nil
}

// afterCursor is GET /entities' `after`: base64 of {"limit","offset"}.
type afterCursor struct {
	Limit  *int `json:"limit"`
	Offset *int `json:"offset"`
}

func decodeAfter(s string) (limit, offset int, err error) {
	bad := catalog.Inputf("Malformed after cursor, could not be parsed")
	raw, derr := base64.StdEncoding.DecodeString(s)
	if derr != nil {
		if raw, derr = base64.RawURLEncoding.DecodeString(s); derr != nil {
			return 0, 0, bad
		}
	}
	var cur afterCursor
	if json.Unmarshal(raw, &cur) != nil || cur.Limit == nil || *cur.Limit <= 0 || (cur.Offset != nil && *cur.Offset < 0) {
		return 0, 0, bad
	}
	if cur.Offset != nil {
		offset = *cur.Offset
	}
	return *cur.Limit, offset, nil
}

func encodeAfter(limit, offset int) string {
	b, _ := json.Marshal(map[string]int{"limit": limit, "offset": offset})
	return base64.StdEncoding.EncodeToString(b)
}

// getEntities is GET /entities.
func (a *api) getEntities(c *fiber.Ctx) error {
	filter, err := catalog.ParseFilterParams(queryValues(c, "filter"))
	if err != nil {
		return err
	}
	proj, err := parseFields(queryValues(c, "fields"))
	if err != nil {
		return err
	}
	order, err := parseOrderParams(queryValues(c, "order"))
	if err != nil {
		return err
	}
	offset, hasOffset, err := queryInt(c, "offset")
	if err != nil {
		return err
	}
	limit, hasLimit, err := queryInt(c, "limit")
	if err != nil {
		return err
	}
	after, hasAfter := queryValue(c, "after")
	switch {
	case hasOffset && offset < 0:
		return catalog.Inputf("Invalid offset, must be zero or greater")
	case hasLimit && limit <= 0:
		return catalog.Inputf("Invalid limit, must be greater than zero")
	case hasAfter && after == "":
		return catalog.Inputf("Invalid after, must not be empty")
	}
	if hasAfter {
		if limit, offset, err = decodeAfter(after); err != nil {
			return err
		}
		hasLimit = true
	}
	q := catalog.Query{Filter: catalog.And(filter, a.readFilter(c)), Order: order}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	if !hasLimit && !hasOffset && !hasAfter {
		return a.streamEntities(c, q, proj)
	}

	q.Offset = offset
	if hasLimit {
		q.Limit = limit + 1 // one more tells whether a next page exists
	}
	page, err := a.store.QueryEntities(c.UserContext(), q)
	if err != nil {
		return err
	}
	items := page.Items
	if hasLimit && len(items) > limit {
		items = items[:limit]
		c.Set(fiber.HeaderLink, "<"+nextLink(c, encodeAfter(limit, offset+limit))+">; rel=\"next\"")
	}
	var buf bytes.Buffer
	if err := writeArray(&buf, items, proj); err != nil {
		return err
	}
	return c.Send(buf.Bytes())
}

// nextLink is the request's path below /api/catalog with offset removed and after set.
func nextLink(c *fiber.Ctx, after string) string {
	vals, _ := url.ParseQuery(string(c.Context().QueryArgs().QueryString()))
	vals.Del("offset")
	vals.Set("after", after)
	return "/entities?" + vals.Encode()
}

// streamEntities writes every match, reading the store in keyset chunks. The
// first chunk is read before the status is sent, so store errors still map to
// a proper error response.
func (a *api) streamEntities(c *fiber.Ctx, q catalog.Query, proj projection) error {
	q.Limit = streamChunk
	page, err := a.store.QueryEntities(c.UserContext(), q)
	if err != nil {
		return err
	}
	if !page.HasMore || page.Last == nil {
		var buf bytes.Buffer
		if err := writeArray(&buf, page.Items, proj); err != nil {
			return err
		}
		return c.Send(buf.Bytes())
	}
	store, log := a.store, a.log
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		ctx, cancel := context.WithTimeout(context.Background(), streamTimeout)
		defer cancel()
		w.WriteByte('[')
		first := true
		for {
			for i := range page.Items {
				if !first {
					w.WriteByte(',')
				}
				first = false
				b, err := proj.apply(page.Items[i].JSON)
				if err != nil {
					log.ErrorContext(ctx, "stream entities: projection", "ref", page.Items[i].Ref, "err", err)
					return
				}
				w.Write(b)
			}
			if !page.HasMore || page.Last == nil {
				break
			}
			if err := w.Flush(); err != nil {
				return // client went away
			}
			next := q
			next.After = page.Last
			var err error
			if page, err = store.QueryEntities(ctx, next); err != nil {
				// The status is sent; ending the array early would lie, so leave it unterminated.
				log.ErrorContext(ctx, "stream entities: query", "err", err)
				return
			}
		}
		w.WriteByte(']')
		w.Flush()
	})
	return nil
}

// writeArray writes records as a JSON array; without a projection the stored
// bytes are copied as they are.
func writeArray(buf *bytes.Buffer, items []catalog.Record, proj projection) error {
	buf.WriteByte('[')
	for i := range items {
		if i > 0 {
			buf.WriteByte(',')
		}
		b, err := proj.apply(items[i].JSON)
		if err != nil {
			return err
		}
		buf.Write(b)
	}
	buf.WriteByte(']')
	return nil
}
