package sqlite

import (
	"context"
	"fmt"
	"hash/maphash"
	"slices"
	"sync"
)

// incoming finds the stored relation rows that name a ref as other_ref —
// the rows other entities originated towards it — in place of an index on
// relation_pairs.other_ref (dropped by migration 0007). That index was a
// second B-tree written at a random position for every relation row, about
// half of what inserting relation rows cost at a million entities, for a
// question asked once per entity stitched. Here every stored row is a link
// from its other_ref (by 64-bit hash, without the string) to its
// originator's id, so the rows are read by primary key, (originator_id,
// other_ref, ...), and an entity nobody points at needs no query at all
// (more than half of a generated organisation's).
//
// The links are a superset of the stored rows: a hash collision, a row
// since deleted or a write that rolled back only add an originator whose
// rows the query then does not find. Dead links are counted, and the links
// are read again from the table once they outnumber the live ones
// (compactIncoming). Everything here is integers in a map and a slice, which
// the garbage collector does not walk.
type incoming struct {
	mu    sync.RWMutex
	heads map[uint64]uint32 // hash of a ref → 1 + index in links of its newest link
	links []link
	dead  int // links whose rows are gone, an estimate from above
}

type link struct {
	orig uint32 // the originator's entity id
	next uint32 // 1 + index of the ref's previous link; 0 ends the list
	in   bool   // the row stands for "ref --type--> originator" (dir 2 or 3)
}

var incomingSeed = maphash.MakeSeed()

// compactAfter is how many dead links compaction waits for at least (a
// variable for tests).
var compactAfter = 4096

func newIncoming() *incoming { return &incoming{heads: map[uint64]uint32{}} }

// add links other to the originator orig. Call with mu held.
func (in *incoming) add(other string, orig int64, dir int) {
	h := maphash.String(incomingSeed, other)
	in.links = append(in.links, link{orig: uint32(orig), next: in.heads[h], in: dir != dirOut})
	in.heads[h] = uint32(len(in.links))
}

// originators returns the distinct ids of the originators of stored rows
// whose other_ref is ref, in ascending order; towards limits them to rows
// standing for "ref --type--> originator".
func (in *incoming) originators(ref string, towards bool) []int64 {
	in.mu.RLock()
	defer in.mu.RUnlock()
	var out []int64
	for i := in.heads[maphash.String(incomingSeed, ref)]; i != 0; {
		l := in.links[i-1]
		if l.in || !towards {
			out = append(out, int64(l.orig))
		}
		i = l.next
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// loadIncoming reads the links of every stored row.
func loadIncoming(ctx context.Context, db querier) (*incoming, error) {
	rows, err := db.QueryContext(ctx, "SELECT originator_id, other_ref, dir FROM relation_pairs")
	if err != nil {
		return nil, fmt.Errorf("read relation rows: %w", err)
	}
	defer rows.Close()
	in := newIncoming()
	for rows.Next() {
		var orig int64
		var other string
		var dir int
		if err := rows.Scan(&orig, &other, &dir); err != nil {
			return nil, fmt.Errorf("read relation rows: %w", err)
		}
		in.add(other, orig, dir)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read relation rows: %w", err)
	}
	return in, nil
}

// compactIncoming reads the links again once most are dead (after a write
// that replaced or deleted many rows). Called by the writer, after its
// transaction.
func (s *Store) compactIncoming(ctx context.Context) {
	s.in.mu.RLock()
	stale := s.in.dead > len(s.in.links)/2 && s.in.dead >= compactAfter
	s.in.mu.RUnlock()
	if !stale {
		return
	}
	fresh, err := loadIncoming(ctx, s.w)
	if err != nil {
		return // keep the superset; the next write tries again
	}
	s.in.mu.Lock()
	s.in.heads, s.in.links, s.in.dead = fresh.heads, fresh.links, 0
	s.in.mu.Unlock()
}
