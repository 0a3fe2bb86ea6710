package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync"
	"unsafe"

	"github.com/portico-dev/portico/catalog"
)

// incoming holds, in memory, every stored relation pair by the ref it names
// as other_ref, in place of an index on relation_pairs.other_ref (dropped
// by migration 0007; since 0009 an originator's pairs are one row of
// relation_sets). That index was a second B-tree written at a random
// position for every relation row, about half of what inserting relation
// rows cost at a million entities, for one question: which rows did others
// originate towards the entity being stitched? Reading them back through
// it, or by primary key per originator, was most of the rest.
//
// Each stored row is a link: its originator's id, its type and direction,
// chained from its other_ref (keyed by catalog.RefKey, two independent 64-bit hashes of
// the ref, so a false match needs a 128-bit collision) and from its
// originator. The writer keeps the links exact for its own transaction:
// an insert adds links, a delete marks its originator's links dead, and a
// transaction that fails revives what it killed and kills what it added
// (writeTx). towards answers from the live links alone; Relations, which
// must see only committed rows, uses them as a superset of originators and
// reads their rows by primary key. Dead links are counted and the links read
// again from the table once they outnumber the live ones.
//
// Everything here is integers, spans and byte chunks, which the garbage
// collector does not walk.
type incoming struct {
	mu    sync.RWMutex
	heads map[catalog.RefKey]uint32 // other_ref → 1 + index in links of its newest link
	links []link
	// byOrig is, by originator id, 1 + index of its newest link; refs and
	// names its ref, which a relation row anchors at.
	byOrig []uint32
	refs   []refSpan
	names  [][]byte // chunks holding the refs; never written again once filled
	types  []string // relation types by code; typeCode is the reverse
	codes  map[string]uint16
	dead   int

	// killed lists the links the current transaction marked dead, and
	// added is where its links begin, so a failed transaction is undone.
	killed []uint32
	added  int
}

type refSpan struct {
	chunk, off uint32
	n          uint16
}

type link struct {
	orig     uint32 // the originator's entity id
	next     uint32 // 1 + index of the other_ref's previous link; 0 ends it
	nextOrig uint32 // 1 + index of the originator's previous link
	typ      uint16
	dir      uint8
	dead     bool
}

// compactAfter is how many dead links compaction waits for at least (a
// variable for tests).
var compactAfter = 4096

func newIncoming() *incoming {
	return &incoming{heads: map[catalog.RefKey]uint32{}, codes: map[string]uint16{}}
}

// add records a stored row of originator orig (whose ref is anchor).
// Call with mu held.
func (in *incoming) add(orig int64, anchor, typ, other string, dir int) {
	id := uint32(orig)
	for int(id) >= len(in.byOrig) {
		in.byOrig = append(in.byOrig, 0)
		in.refs = append(in.refs, refSpan{})
	}
	if in.name(id) != anchor { // a new id, or one reused after its entity was deleted
		in.refs[id] = in.putName(anchor)
	}
	code, ok := in.codes[typ]
	if !ok {
		code = uint16(len(in.types))
		in.types = append(in.types, typ)
		in.codes[typ] = code
	}
	k := catalog.KeyOfRef(other)
	in.links = append(in.links, link{orig: id, next: in.heads[k], nextOrig: in.byOrig[id], typ: code, dir: uint8(dir)})
	in.heads[k] = uint32(len(in.links))
	in.byOrig[id] = uint32(len(in.links))
}

// kill marks the links of originator orig dead (its rows were deleted).
// Call with mu held.
func (in *incoming) kill(orig int64) {
	if orig < 0 || int(orig) >= len(in.byOrig) {
		return
	}
	for i := in.byOrig[orig]; i != 0; i = in.links[i-1].nextOrig {
		if l := &in.links[i-1]; !l.dead {
			l.dead = true
			in.dead++
			in.killed = append(in.killed, i-1)
		}
	}
}

// begin, commit and rollback bracket a write transaction. Call with mu held.
func (in *incoming) begin() { in.killed, in.added = in.killed[:0], len(in.links) }

func (in *incoming) commit() { in.killed = in.killed[:0] }

func (in *incoming) rollback() {
	for _, i := range in.killed {
		in.links[i].dead = false
		in.dead--
	}
	in.killed = in.killed[:0]
	for i := in.added; i < len(in.links); i++ {
		if l := &in.links[i]; !l.dead {
			l.dead = true
			in.dead++
		}
	}
}

func (in *incoming) putName(ref string) refSpan {
	const chunk = 1 << 20
	n := len(in.names)
	if n == 0 || len(in.names[n-1])+len(ref) > cap(in.names[n-1]) {
		in.names = append(in.names, make([]byte, 0, max(chunk, len(ref))))
		n++
	}
	c := in.names[n-1]
	in.names[n-1] = append(c, ref...)
	return refSpan{chunk: uint32(n - 1), off: uint32(len(c)), n: uint16(len(ref))}
}

// name is originator id's ref; the string aliases a chunk nothing writes
// again, so it may outlive a compaction.
func (in *incoming) name(id uint32) string {
	s := in.refs[id]
	if s.n == 0 {
		return ""
	}
	b := in.names[s.chunk][s.off : s.off+uint32(s.n)]
	return unsafe.String(&b[0], len(b))
}

// towards appends to dst the rows others originated whose source is ref:
// for a stored row (anchor, type, ref, dir), "ref --type--> anchor" (dir 2)
// or "ref --reverse(type)--> anchor" (dir 3), as appendRows expands them.
func (in *incoming) towards(dst []catalog.RelationRow, ref string) []catalog.RelationRow {
	in.mu.RLock()
	defer in.mu.RUnlock()
	for i := in.heads[catalog.KeyOfRef(ref)]; i != 0; i = in.links[i-1].next {
		l := in.links[i-1]
		if l.dead || l.dir == dirOut {
			continue
		}
		typ := in.types[l.typ]
		if l.dir == dirBoth {
			rev, ok := catalog.ReverseRelation(typ)
			if !ok {
				continue
			}
			typ = rev
		}
		dst = append(dst, catalog.RelationRow{Source: ref, Type: typ, Target: in.name(l.orig)})
	}
	return dst
}

// originators returns the distinct ids of the originators of links whose
// other_ref is ref, dead ones included, in ascending order.
func (in *incoming) originators(ref string) []int64 {
	in.mu.RLock()
	defer in.mu.RUnlock()
	var out []int64
	for i := in.heads[catalog.KeyOfRef(ref)]; i != 0; i = in.links[i-1].next {
		out = append(out, int64(in.links[i-1].orig))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// loadIncoming reads the links of every stored row.
func loadIncoming(ctx context.Context, db querier) (*incoming, error) {
	rows, err := db.QueryContext(ctx, "SELECT originator_id, anchor_ref, pairs FROM relation_sets")
	if err != nil {
		return nil, fmt.Errorf("read relation rows: %w", err)
	}
	defer rows.Close()
	in := newIncoming()
	var pairs []pairRow
	for rows.Next() {
		var orig int64
		var anchor string
		var enc sql.RawBytes
		if err := rows.Scan(&orig, &anchor, &enc); err != nil {
			return nil, fmt.Errorf("read relation rows: %w", err)
		}
		if pairs, err = decodePairs(pairs[:0], enc); err != nil {
			return nil, fmt.Errorf("read relation rows of %s: %w", anchor, err)
		}
		for _, p := range pairs {
			in.add(orig, anchor, p.typ, p.other, p.dir)
		}
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
		return // keep the dead links; the next write tries again
	}
	s.in.mu.Lock()
	s.in.heads, s.in.links, s.in.byOrig, s.in.refs = fresh.heads, fresh.links, fresh.byOrig, fresh.refs
	s.in.names, s.in.types, s.in.codes, s.in.dead = fresh.names, fresh.types, fresh.codes, 0
	s.in.mu.Unlock()
}
