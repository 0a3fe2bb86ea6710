package postings

import (
	"hash/maphash"
	"unsafe"
)

// The index of a million entities holds tens of millions of values, refs and
// posting ids. Kept as Go objects (a struct, a string and a map entry per
// value, a bitmap per shared value) they are ~38 heap objects per entity,
// and the garbage collector marks all of them in every cycle of an ingest
// that allocates gigabytes: that marking was a fifth of a large ingest's
// CPU. The types here keep them in a few large pointer-free blocks instead,
// which the collector does not scan: strings and id lists in append-only
// pools, values in pages of records, per-key dictionaries in open-addressing
// tables of ids. (RATIONALE.md, "An index the collector does not walk".)

// span names a run of a pool: chunk, offset and length.
type span struct{ c, off, n uint32 }

// poolChunk is the size of a pool chunk, in elements; a run longer than a
// quarter of it gets a chunk of its own.
const poolChunk = 1 << 20

// pool stores runs of T in large chunks that are only ever appended to: a
// run handed out (a string, a slice) aliases its chunk, which nothing writes
// again, so a reader may keep it after the index changes. Freed runs are
// counted as dead; the owner compacts by copying what is live into a new
// pool once dead outweighs live.
type pool[T byte | uint32] struct {
	chunks     [][]T
	cur        int // chunk being filled; -1 before the first
	live, dead int // elements
}

func newPool[T byte | uint32]() pool[T] { return pool[T]{cur: -1} }

func (p *pool[T]) put(s []T) span {
	n := len(s)
	if n == 0 {
		return span{}
	}
	p.live += n
	if n > poolChunk/4 {
		c := make([]T, n)
		copy(c, s)
		p.chunks = append(p.chunks, c)
		return span{uint32(len(p.chunks) - 1), 0, uint32(n)}
	}
	if p.cur < 0 || len(p.chunks[p.cur])+n > cap(p.chunks[p.cur]) {
		p.chunks = append(p.chunks, make([]T, 0, poolChunk))
		p.cur = len(p.chunks) - 1
	}
	c := p.chunks[p.cur]
	off := len(c)
	p.chunks[p.cur] = append(c, s...)
	return span{uint32(p.cur), uint32(off), uint32(n)}
}

// get returns the run; it must not be modified.
func (p *pool[T]) get(r span) []T {
	if r.n == 0 {
		return nil
	}
	return p.chunks[r.c][r.off : r.off+r.n : r.off+r.n]
}

func (p *pool[T]) free(r span) {
	p.live -= int(r.n)
	p.dead += int(r.n)
}

// wasteful reports whether compacting would pay: more dead than live, and
// at least min elements of it.
func (p *pool[T]) wasteful(min int) bool { return p.dead > p.live && p.dead >= min }

// strPool is a pool of bytes handing out strings.
type strPool struct{ pool[byte] }

func (p *strPool) putString(s string) span {
	return p.put(unsafe.Slice(unsafe.StringData(s), len(s)))
}

func (p *strPool) str(r span) string {
	if r.n == 0 {
		return ""
	}
	b := p.get(r)
	return unsafe.String(&b[0], len(b))
}

var hashSeed = maphash.MakeSeed()

func hashOf(s string) uint32 { return uint32(maphash.String(hashSeed, s)) }

// table is a hash set of non-zero ids whose keys live elsewhere (a value's
// string, a doc's ref): linear probing over slots of hash<<32 | id, with
// backward-shift deletion, at most half full. Callers pass the hash and an
// equality test of an id against the key they look for.
type table struct {
	slots []uint64 // 0 = empty
	n     int
}

func (t *table) find(h uint32, eq func(id uint32) bool) uint32 {
	if t.n == 0 {
		return 0
	}
	mask := uint32(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := t.slots[i]
		if s == 0 {
			return 0
		}
		if uint32(s>>32) == h && eq(uint32(s)) {
			return uint32(s)
		}
	}
}

// insert adds id under h; the caller knows no equal key is present.
func (t *table) insert(h, id uint32) {
	if (t.n+1)*2 > len(t.slots) {
		t.grow()
	}
	t.place(uint64(h)<<32 | uint64(id))
	t.n++
}

func (t *table) place(s uint64) {
	mask := uint32(len(t.slots) - 1)
	i := uint32(s>>32) & mask
	for t.slots[i] != 0 {
		i = (i + 1) & mask
	}
	t.slots[i] = s
}

func (t *table) grow() {
	old := t.slots
	t.slots = make([]uint64, max(8, 2*len(old)))
	for _, s := range old {
		if s != 0 {
			t.place(s)
		}
	}
}

// remove drops id stored under h, if present.
func (t *table) remove(h, id uint32) {
	if t.n == 0 {
		return
	}
	want := uint64(h)<<32 | uint64(id)
	mask := uint32(len(t.slots) - 1)
	i := h & mask
	for t.slots[i] != want {
		if t.slots[i] == 0 {
			return
		}
		i = (i + 1) & mask
	}
	// Shift back every following entry of the run that may not stay behind the hole.
	for j := (i + 1) & mask; t.slots[j] != 0; j = (j + 1) & mask {
		home := uint32(t.slots[j]>>32) & mask
		if (j > i && (home <= i || home > j)) || (j < i && home <= i && home > j) {
			t.slots[i] = t.slots[j]
			i = j
		}
	}
	t.slots[i] = 0
	t.n--
}

// each calls fn with every id, in slot order.
func (t *table) each(fn func(id uint32)) {
	for _, s := range t.slots {
		if s != 0 {
			fn(uint32(s))
		}
	}
}

// blockLen is how many entities a value holds in a block before it grows a
// roaring bitmap: most shared values (the target of a handful of relations,
// a tag of a few entities) fit, without the five heap objects of a bitmap.
const blockLen = 8

// blocks is a slab of fixed-size id blocks with a free list.
type blocks struct {
	pages [][][blockLen]uint32
	free  []uint32
	n     uint32
}

const blockPage = 4096

func (b *blocks) alloc() uint32 {
	if n := len(b.free); n > 0 {
		i := b.free[n-1]
		b.free = b.free[:n-1]
		return i
	}
	if int(b.n/blockPage) == len(b.pages) {
		b.pages = append(b.pages, make([][blockLen]uint32, blockPage))
	}
	b.n++
	return b.n - 1
}

func (b *blocks) at(i uint32) *[blockLen]uint32 { return &b.pages[i/blockPage][i%blockPage] }

func (b *blocks) release(i uint32) { b.free = append(b.free, i) }
