package graph

import (
	"context"
	"fmt"

	"github.com/portico-dev/portico/catalog"
)

// prune keeps the refs of one traversal level that the reader may see (f,
// the permission filter, asked of the store) and adds the others to hidden.
// The walk never crosses a hidden entity, so neither a node nor a path
// reveals it; with the zero filter it costs nothing. A dangling ref (no such
// entity) is indistinguishable from a hidden one under a filter and is
// dropped too. The records it read go into read, for describe.
func prune(ctx context.Context, st catalog.Store, refs []string, f catalog.Filter, hidden map[string]bool, read map[string]*catalog.Record) ([]string, error) {
	if f.IsZero() || len(refs) == 0 {
		return refs, nil
	}
	out := refs[:0:0]
	const batch = 500
	for i := 0; i < len(refs); i += batch {
		part := refs[i:min(i+batch, len(refs))]
		recs, err := st.EntitiesByRefs(ctx, part, f)
		if err != nil {
			return nil, fmt.Errorf("graph visibility of %d entities: %w", len(part), err)
		}
		for j, r := range part {
			if j < len(recs) && recs[j] != nil {
				out = append(out, r)
				read[r] = recs[j]
			} else {
				hidden[r] = true
			}
		}
	}
	return out, nil
}
