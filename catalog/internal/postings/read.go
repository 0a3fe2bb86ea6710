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
// from (QueryPage does both).
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

// QueryPage answers q and reads its records with fetch (by id, in the given
// order, leaving out ids it no longer finds) under the read lock, so the
// records belong to the state the ids came from.
func (ix *Index) QueryPage(q catalog.Query, fetch func(ids []uint32) ([]catalog.Record, error)) (catalog.Page, error) {
	ix.RLock()
	defer ix.RUnlock()
	res, err := ix.Query(q)
	if err != nil {
		return catalog.Page{}, err
	}
	recs, err := fetch(res.IDs)
	if err != nil {
		return catalog.Page{}, err
	}
	return catalog.Page{Items: recs, TotalItems: res.Total, HasMore: res.HasMore, HasPrev: res.HasPrev, First: res.First, Last: res.Last}, nil
}
