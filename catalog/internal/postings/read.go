package postings

import "github.com/portico-dev/portico/catalog"

// QueryResult is a query answered from the index: the page's ids in order
// and everything of a catalog.Page but its records.
type QueryResult struct {
	IDs              []uint32
	Total            int // when the query asked for it
	HasMore, HasPrev bool
	First, Last      *catalog.Position
}

// Query answers a filtered, ordered, paged query. Call under RLock, and
// fetch the records before RUnlock so they belong to the state the ids came
// from (both stores do).
func (ix *Index) Query(q catalog.Query) (QueryResult, error) {
	if q.Limit < 0 || q.Offset < 0 {
		return QueryResult{}, catalog.Inputf("limit and offset must not be negative")
	}
	if q.After != nil && q.Before != nil {
		return QueryResult{}, catalog.Inputf("a query cannot page both after and before a position")
	}
	match := ix.Filter(q.Filter)
	if q.FullText != nil && q.FullText.Term != "" {
		match.And(ix.FullText(q.FullText.Term, q.FullText.Fields))
	}
	req := PageRequest{Match: match, After: q.After, Before: q.Before, Offset: q.Offset, Limit: q.Limit}
	if len(q.Order) > 0 {
		req.OrderKey, req.Desc = q.Order[0].Field, q.Order[0].Desc
		if q.ExcludeMissingOrder {
			req.ExcludeMissing = true
			match = ix.Restrict(match, req.OrderKey)
			req.Match = match
		}
	}
	res := ix.Page(req)
	out := QueryResult{IDs: res.IDs, HasMore: res.HasMore, HasPrev: res.HasPrev}
	if q.CountTotal {
		out.Total = int(match.GetCardinality())
	}
	if n := len(res.Positions); n > 0 {
		first, last := res.Positions[0], res.Positions[n-1]
		out.First, out.Last = &first, &last
	}
	return out, nil
}
