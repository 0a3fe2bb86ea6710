// Package postings is the catalog stores' in-memory inverted index: for every
// token key of every entity (catalog.TokenSet of the final JSON), a
// dictionary of lower-cased value → the entities having it, a bitmap of the
// entities having the key, and the original spelling of every value.
// Filters compile to bitmap algebra; counts are cardinalities; facets are
// AND-cardinalities; ordering walks a ref-sorted id list or a key's sorted
// values. It is a secondary index rebuilt from the store at open and updated
// after each committed write.
//
// Its bulk — values, their strings, the refs and posting ids of every
// entity, the dictionaries — lives in pointer-free blocks (flat.go), so a
// million-entity index costs the garbage collector a few thousand objects
// to mark rather than tens of millions.
//
// It imports only catalog and roaring; it must never import a store.
package postings

import (
	"fmt"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/portico-dev/portico/catalog"
)

// Index is safe for concurrent use: readers take RLock around a read (so a
// query and the record fetch that follows see one state), the writer takes
// Lock around Apply.
type Index struct {
	mu sync.RWMutex
	*state
}

// state is everything an Index holds; CommitWith swaps it whole.
type state struct {
	all      *roaring.Bitmap
	keys     map[string]*Key
	keyByID  []*Key // by Key.id; nil slots are free
	freeKeys []uint32

	vals  [][]value // pages of valPage values, by value id; id 0 means none
	nvals uint32    // value ids handed out, including 0
	free  []uint32  // dropped value ids
	strs  strPool   // values' strings and docs' refs
	sets  blocks    // the entities of values with 2..blockLen of them
	bms   []*roaring.Bitmap
	freeB []uint32

	docs  []doc        // by entity id
	posts pool[uint32] // docs' posting ids
	// byRef holds 1 + the id of every live doc, by ref; sorted lists live ids by ref.
	byRef  table
	sorted []uint32
	// dirty lists keys whose sorted value list needs a merge at Commit.
	dirty map[*Key]bool
	// gen counts commits; caches derived from the index (facets) are valid
	// for one generation.
	gen uint64
	// filtered caches filtered facet answers for the current generation.
	filtered filteredFacets
	// kinds caches the ref-sorted list's run of each kind (kindSegments);
	// oddDocs counts the live docs whose ref does not begin with their kind.
	kinds   kindSegs
	oddDocs int
	// keyCache is keyFor's cache of recently staged keys.
	keyCache [keyCacheLen]*Key
	// columns holds the keys whose facet column commits keep up to date
	// (facetCache); readers add to it under colMu.
	colMu   sync.Mutex
	columns map[*Key]bool
}

// Key is one token key.
type Key struct {
	id      uint32
	name    string
	values  table  // value ids, by value
	keyOnly uint32 // value id of the entities with the key but no indexable value; 0 = none
	// exists and multi are the value ids of two entity sets without a string
	// of their own (not in values): the entities having the key, and those
	// with more than one value for it (0 until there is one). A set, not a
	// bitmap each, because most keys are rare: Backstage's flattening makes
	// a key of every string in an array (spec.dependsOn.component:x), so a
	// million entities have hundreds of thousands of keys.
	exists uint32
	multi  uint32

	// more is what reads of the key keep (sorted values, facets, text),
	// made on the first such read: most keys of a large catalog are never
	// read so, and holding all of it in every Key made the keys a tenth of
	// the heap the collector walked during an ingest.
	more atomic.Pointer[keyMore]
}

// keyMore is what a Key keeps once it is read sorted, faceted or
// searched.
type keyMore struct {
	// sortedV lists the key's values in ascending order and sortedP the id
	// of each: built on first use, then kept up to date by every commit
	// (flushSorted), so neither is rebuilt nor looked up again after a write.
	sortMu   sync.Mutex
	sortedV  []string
	sortedP  []uint32
	built    bool
	pendAdd  []uint32 // values created since the last flush
	pendDrop bool     // values dropped since the last flush

	facets facetCache
	text   textCache // the values joined, for FullText (fulltext.go)
}

// m returns k's keyMore, making it on first use (readers may race to).
func (k *Key) m() *keyMore {
	if x := k.more.Load(); x != nil {
		return x
	}
	k.more.CompareAndSwap(nil, &keyMore{})
	return k.more.Load()
}

// built returns k's keyMore if its sorted values are built, else nil.
func (k *Key) built() *keyMore {
	if x := k.more.Load(); x != nil && x.built {
		return x
	}
	return nil
}

// value is one posting list: the entities whose key has this value. Most
// values of a large catalog (names, uids, etags, descriptions) belong to one
// entity, held inline; a few more fill a block; only a value shared widely
// (a kind, a popular owner) grows a roaring bitmap.
type value struct {
	val, orig span // orig is val's span unless ownOrig
	key       uint32
	one       uint32 // inline: the entity; block: the block; bitmap: index in Index.bms
	n         uint32 // entities
	form      uint8
	ownOrig   bool
	live      bool
}

const (
	formInline = iota
	formBlock
	formBitmap
)

const valPage = 1 << 16

// Compaction thresholds of the pools, in bytes and posting ids of dead runs
// (variables for tests).
var (
	compactStrings = 32 << 20
	compactPosts   = 8 << 20
)

type doc struct {
	ref   span
	posts span
	live  bool
	odd   bool // its ref does not begin with its one kind (see kindSegments)
}

// New returns an empty index.
func New() *Index {
	return &Index{state: &state{all: roaring.New(), keys: map[string]*Key{}, dirty: map[*Key]bool{},
		nvals: 1, vals: [][]value{make([]value, valPage)},
		strs: strPool{newPool[byte]()}, posts: newPool[uint32]()}}
}

// RLock / RUnlock bracket a read.
func (ix *Index) RLock()   { ix.mu.RLock() }
func (ix *Index) RUnlock() { ix.mu.RUnlock() }

// Doc is one entity to (re)index.
type Doc struct {
	ID     uint32
	Ref    string
	Tokens catalog.FlatTokens
	Orig   catalog.Originals
}

// Staged is a Doc whose tokens were interned into posting ids: small enough
// to hold for a million entities until the store's transaction commits.
type Staged struct {
	ID       uint32
	Ref      string
	postings []uint32
	multi    []uint32 // posting ids of keyOnly/first value of keys with several values
	// superseded marks a doc staged again later in the same batch
	// (Supersede): commit does not index it, only sweeps the values it
	// alone created.
	superseded bool
}

// Supersede marks st as staged again later in the same batch of puts (by
// Restage): Commit indexes the later one only, instead of indexing st and
// then replacing it, and drops the values only st used.
func (st *Staged) Supersede() { st.superseded = true }

// Stage interns docs' tokens (creating empty posting lists for new values)
// without making them visible. Commit or Abort every staged batch.
func (ix *Index) Stage(docs []Doc) []Staged {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	out := make([]Staged, len(docs))
	for i := range docs {
		d := &docs[i]
		out[i] = Staged{ID: d.ID, Ref: d.Ref, postings: make([]uint32, 0, len(d.Tokens))}
		ix.intern(&out[i], d.Tokens, d.Orig)
	}
	return out
}

// intern appends the posting ids of toks (sorted, as catalog.FlatTokens
// are) to st, creating the values it does not have yet.
func (ix *Index) intern(st *Staged, toks catalog.FlatTokens, origs catalog.Originals) {
	// Each key's values (or its key-only token) are one run.
	for len(toks) > 0 {
		n := 1
		for n < len(toks) && toks[n].Key == toks[0].Key {
			n++
		}
		run := toks[:n]
		toks = toks[n:]
		key := run[0].Key
		k := ix.keyFor(key)
		if run[0].KeyOnly {
			if k.keyOnly == 0 {
				k.keyOnly = ix.newValue(k, "", "")
			}
			st.postings = append(st.postings, k.keyOnly)
			continue
		}
		for j, t := range run {
			s := t.Value
			h := hashOf(s)
			vid := k.values.find(h, func(vid uint32) bool { return ix.valStr(vid) == s })
			if vid == 0 {
				orig := s
				if o, ok := origs.Get(key, s); ok {
					orig = o
				}
				vid = ix.newValue(k, s, orig)
				k.values.insert(h, vid)
				ix.noteAdd(k, vid)
			}
			st.postings = append(st.postings, vid)
			if j == 0 && len(run) > 1 {
				st.multi = append(st.multi, vid)
			}
		}
	}
}

// Restage stages doc id (ref) again with the tokens of the keys drop
// selects replaced by toks (sorted; all of keys drop selects): a doc whose
// stitched keys alone changed (catalog.RestitchFinal) is staged without
// tokenising it again. The doc's tokens are prev's, a doc staged but not
// yet committed, or the committed doc's when prev is nil; ok is false if
// there is no such doc (the caller stages the whole doc).
func (ix *Index) Restage(id uint32, ref string, prev *Staged, drop func(key string) bool, toks catalog.FlatTokens, origs catalog.Originals) (Staged, bool) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	var old, oldMulti []uint32
	switch {
	case prev != nil:
		if prev.ID != id || prev.Ref != ref {
			return Staged{}, false
		}
		old, oldMulti = prev.postings, prev.multi
	case ix.live(id) && ix.Ref(id) == ref:
		old = ix.posts.get(ix.docs[id].posts)
	default:
		return Staged{}, false
	}
	st := Staged{ID: id, Ref: ref, postings: make([]uint32, 0, len(old)+len(toks))}
	dropped := func(vid uint32) bool { return drop(ix.keyByID[ix.val(vid).key].name) }
	for _, vid := range old {
		if !dropped(vid) {
			st.postings = append(st.postings, vid)
		}
	}
	if prev != nil {
		for _, vid := range oldMulti {
			if !dropped(vid) {
				st.multi = append(st.multi, vid)
			}
		}
	} else {
		// A committed doc's postings are in the order staged: each key's
		// values one run, whose first value stands for a key with several.
		ps := st.postings
		for i := 0; i < len(ps); {
			j := i + 1
			for j < len(ps) && ix.val(ps[j]).key == ix.val(ps[i]).key {
				j++
			}
			if j-i > 1 {
				st.multi = append(st.multi, ps[i])
			}
			i = j
		}
	}
	ix.intern(&st, toks, origs)
	return st, true
}

// Commit makes staged docs visible (replacing any previous doc with the same
// id) and removes deleted ids, atomically for readers.
func (ix *Index) Commit(puts []Staged, deletes []uint32) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.commit(puts, deletes)
}

// CommitWith is Commit while commit — the store's transaction commit —
// runs on another goroutine, the write lock held across both so readers see
// neither or both: at a million entities each takes seconds, and they use
// different cores. If commit fails, the index holds changes the store does
// not: it is replaced by rebuild's (from what the store holds), or emptied
// if that fails too, and commit's error is returned.
func (ix *Index) CommitWith(puts []Staged, deletes []uint32, commit func() error, rebuild func() (*Index, error)) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	done := make(chan error, 1)
	go func() { done <- commit() }()
	ix.commit(puts, deletes)
	err := <-done
	if err == nil {
		return nil
	}
	fresh, rerr := rebuild()
	if rerr != nil {
		fresh = New()
		err = fmt.Errorf("%w (and the index could not be rebuilt: %v)", err, rerr)
	}
	ix.replace(fresh)
	return err
}

func (ix *Index) commit(puts []Staged, deletes []uint32) {
	if len(puts) == 0 && len(deletes) == 0 {
		// Nothing changes (a refresh of unchanged input): the generation
		// stays, and with it every cache derived from it (facets, kind runs).
		return
	}
	var addRefs []uint32
	dropRefs := map[uint32]bool{}
	var emptied []uint32
	for _, id := range deletes {
		if ix.removeDoc(id, false, &emptied) {
			dropRefs[id] = true
		}
	}
	kindKey := ^uint32(0) // no key has this id
	if k := ix.keys["kind"]; k != nil {
		kindKey = k.id
	}
	for i := range puts {
		st := &puts[i]
		if st.superseded {
			continue // swept below
		}
		sameRef := ix.live(st.ID) && ix.Ref(st.ID) == st.Ref
		existed := ix.removeDoc(st.ID, sameRef, &emptied)
		if existed {
			if !sameRef {
				dropRefs[st.ID] = true
				existed = false
			} else {
				delete(dropRefs, st.ID)
			}
		}
		ix.addStaged(st, sameRef, kindKey)
		if !existed {
			addRefs = append(addRefs, st.ID)
		}
	}
	ix.sweep(emptied)
	for _, st := range puts {
		ix.sweep(st.postings)
	}
	ix.mergeSorted(addRefs, dropRefs)
	ix.flushDirty()
	if ix.strs.wasteful(compactStrings) {
		ix.compactStrings()
	}
	if ix.posts.wasteful(compactPosts) {
		ix.compactPosts()
	}
	ix.gen++
	ix.patchColumns(puts, deletes, ix.gen)
}

// Abort drops the posting lists a failed batch created and nothing else used.
func (ix *Index) Abort(staged []Staged) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for _, st := range staged {
		ix.sweep(st.postings)
	}
	ix.flushDirty()
}

// sweep drops the values among vids left without entities.
func (ix *Index) sweep(vids []uint32) {
	for _, vid := range vids {
		if v := ix.val(vid); v.live && v.n == 0 {
			ix.dropValue(vid)
		}
	}
}

// Apply stages and commits in one step (tests, rebuilds).
func (ix *Index) Apply(puts []Doc, deletes []uint32) {
	ix.Commit(ix.Stage(puts), deletes)
}

// Len is the number of indexed entities.
func (ix *Index) Len() int { return int(ix.all.GetCardinality()) }

// Lookup returns the id of a canonical ref. Call under RLock.
func (ix *Index) Lookup(ref string) (uint32, bool) {
	x := ix.byRef.find(hashOf(ref), func(x uint32) bool { return ix.Ref(x-1) == ref })
	return x - 1, x != 0
}

// Ref returns the ref of a live id ("" for any other). The string stays
// valid after the index changes. Call under RLock.
func (ix *Index) Ref(id uint32) string {
	if int(id) < len(ix.docs) {
		return ix.strs.str(ix.docs[id].ref)
	}
	return ""
}

func (ix *Index) live(id uint32) bool { return int(id) < len(ix.docs) && ix.docs[id].live }

// All returns every indexed id (read-only). Call under RLock.
func (ix *Index) All() *roaring.Bitmap { return ix.all }

// removeDoc unindexes id; keepRef keeps its ref for a put of the same ref.
func (ix *Index) removeDoc(id uint32, keepRef bool, emptied *[]uint32) bool {
	if !ix.live(id) {
		return false
	}
	d := &ix.docs[id]
	prevKey := ^uint32(0) // a key's values are consecutive: its sets are left once
	for _, pid := range ix.posts.get(d.posts) {
		v := ix.val(pid)
		ix.removeFrom(v, id)
		if v.key != prevKey {
			prevKey = v.key
			k := ix.keyByID[v.key]
			ix.removeFrom(ix.val(k.exists), id)
			if k.multi != 0 {
				ix.removeFrom(ix.val(k.multi), id)
			}
		}
		if v.n == 0 {
			*emptied = append(*emptied, pid)
		}
	}
	ix.posts.free(d.posts)
	if d.odd {
		ix.oddDocs--
	}
	d.posts, d.live, d.odd = span{}, false, false
	ix.all.Remove(id)
	ix.byRef.remove(hashOf(ix.Ref(id)), id+1)
	if !keepRef {
		ix.strs.free(d.ref)
		d.ref = span{}
	}
	return true
}

// addStaged indexes st; kindKey is the id of the "kind" key, to note a doc
// whose ref does not begin with its kind.
func (ix *Index) addStaged(st *Staged, sameRef bool, kindKey uint32) {
	for int(st.ID) >= len(ix.docs) {
		ix.docs = append(ix.docs, make([]doc, max(1024, len(ix.docs)/2))...)
	}
	dd := &ix.docs[st.ID]
	if !sameRef {
		dd.ref = ix.strs.putString(st.Ref)
	}
	dd.live, dd.posts = true, ix.posts.put(st.postings)
	ix.all.Add(st.ID)
	h := hashOf(st.Ref)
	if prev, ok := ix.Lookup(st.Ref); ok { // the ref moved to this id
		ix.byRef.remove(h, prev+1)
	}
	ix.byRef.insert(h, st.ID+1)
	kinds, kind := 0, ""
	prevKey := ^uint32(0) // a key's values are consecutive: its set is joined once
	for _, pid := range st.postings {
		v := ix.val(pid)
		ix.addTo(v, st.ID)
		if v.key != prevKey {
			prevKey = v.key
			ix.addTo(ix.val(ix.keyByID[v.key].exists), st.ID)
		}
		if v.key == kindKey {
			kinds, kind = kinds+1, ix.valStr(pid)
		}
	}
	dd.odd = kinds != 1 || !refOfKind(st.Ref, kind)
	if dd.odd {
		ix.oddDocs++
	}
	for _, pid := range st.multi {
		k := ix.keyByID[ix.val(pid).key]
		if k.multi == 0 {
			k.multi = ix.newSet(k)
		}
		ix.addTo(ix.val(k.multi), st.ID)
	}
}

func (ix *Index) newKey(name string) *Key {
	k := &Key{name: name}
	if n := len(ix.freeKeys); n > 0 {
		k.id = ix.freeKeys[n-1]
		ix.freeKeys = ix.freeKeys[:n-1]
		ix.keyByID[k.id] = k
	} else {
		k.id = uint32(len(ix.keyByID))
		ix.keyByID = append(ix.keyByID, k)
	}
	ix.keys[name] = k
	k.exists = ix.newSet(k)
	return k
}

// keyFor returns the key named name, made if new. A small cache in front
// of the key map answers the keys every entity has without hashing their
// names: a name's slot comes from its length and two of its bytes, and a
// hit is checked by comparing the names (equal strings of one origin, a
// constant, compare by pointer). Under the write lock.
func (ix *Index) keyFor(name string) *Key {
	slot := &ix.keyCache[keySlot(name)]
	if k := *slot; k != nil && k.name == name && ix.keyByID[k.id] == k {
		return k
	}
	k := ix.keys[name]
	if k == nil {
		k = ix.newKey(name)
	}
	*slot = k
	return k
}

// keyCacheLen is the number of keyFor's cache slots (a power of two).
const keyCacheLen = 4096

func keySlot(s string) int {
	n := len(s)
	if n == 0 {
		return 0
	}
	return (n*131 + int(s[n-1])*31 + int(s[n/2])*7 + int(s[n*3/4])) & (keyCacheLen - 1)
}

// hasMulti reports whether entity e has several values for k.
func (ix *Index) hasMulti(k *Key, e uint32) bool {
	return k.multi != 0 && ix.contains(ix.val(k.multi), e)
}

// val returns value vid's record; it moves only when the value is dropped.
func (ix *Index) val(vid uint32) *value { return &ix.vals[vid/valPage][vid%valPage] }

// valStr / origStr are a value's lower-cased and original spellings.
func (ix *Index) valStr(vid uint32) string  { return ix.strs.str(ix.val(vid).val) }
func (ix *Index) origStr(vid uint32) string { return ix.strs.str(ix.val(vid).orig) }

// lookup returns the id of k's value s, 0 if none.
func (ix *Index) lookup(k *Key, s string) uint32 {
	return k.values.find(hashOf(s), func(vid uint32) bool { return ix.valStr(vid) == s })
}

func (ix *Index) newValue(k *Key, s, orig string) uint32 {
	vid := ix.newSet(k)
	v := ix.val(vid)
	v.val = ix.strs.putString(s)
	v.orig = v.val
	if orig != s {
		v.orig, v.ownOrig = ix.strs.putString(orig), true
	}
	return vid
}

// newSet returns a new, empty value of k without a string.
func (ix *Index) newSet(k *Key) uint32 {
	var vid uint32
	if n := len(ix.free); n > 0 {
		vid = ix.free[n-1]
		ix.free = ix.free[:n-1]
	} else {
		vid = ix.nvals
		ix.nvals++
		if int(vid/valPage) == len(ix.vals) {
			ix.vals = append(ix.vals, make([]value, valPage))
		}
	}
	*ix.val(vid) = value{key: k.id, live: true}
	return vid
}

func (ix *Index) dropValue(vid uint32) {
	v := ix.val(vid)
	k := ix.keyByID[v.key]
	if vid == k.keyOnly {
		k.keyOnly = 0
	} else {
		s := ix.strs.str(v.val)
		k.values.remove(hashOf(s), vid)
		ix.noteDrop(k)
	}
	ix.freeValue(vid)
	if k.values.n == 0 && k.keyOnly == 0 {
		ix.freeValue(k.exists)
		if k.multi != 0 {
			ix.freeValue(k.multi)
		}
		delete(ix.keys, k.name)
		delete(ix.dirty, k)
		ix.keyByID[k.id] = nil
		ix.freeKeys = append(ix.freeKeys, k.id)
	}
}

// freeValue releases vid's record, strings and entity set.
func (ix *Index) freeValue(vid uint32) {
	v := ix.val(vid)
	switch v.form {
	case formBlock:
		ix.sets.release(v.one)
	case formBitmap:
		ix.bms[v.one] = nil
		ix.freeB = append(ix.freeB, v.one)
	}
	ix.strs.free(v.val)
	if v.ownOrig {
		ix.strs.free(v.orig)
	}
	*v = value{}
	ix.free = append(ix.free, vid)
}

// addTo adds entity e to v.
func (ix *Index) addTo(v *value, e uint32) {
	switch v.form {
	case formInline:
		switch {
		case v.n == 0:
			v.one, v.n = e, 1
		case v.one != e:
			b := ix.sets.alloc()
			blk := ix.sets.at(b)
			blk[0], blk[1] = v.one, e
			v.one, v.n, v.form = b, 2, formBlock
		}
	case formBlock:
		blk := ix.sets.at(v.one)
		for _, x := range blk[:v.n] {
			if x == e {
				return
			}
		}
		if v.n < blockLen {
			blk[v.n] = e
			v.n++
			return
		}
		bm := roaring.BitmapOf(blk[:]...)
		bm.Add(e)
		ix.sets.release(v.one)
		v.one, v.n, v.form = ix.newBitmap(bm), v.n+1, formBitmap
	case formBitmap:
		if ix.bms[v.one].CheckedAdd(e) {
			v.n++
		}
	}
}

// removeFrom removes entity e from v, shrinking its form as it empties.
func (ix *Index) removeFrom(v *value, e uint32) {
	switch v.form {
	case formInline:
		if v.n == 1 && v.one == e {
			v.n = 0
		}
	case formBlock:
		blk := ix.sets.at(v.one)
		for i := uint32(0); i < v.n; i++ {
			if blk[i] == e {
				v.n--
				blk[i] = blk[v.n]
				if v.n == 1 {
					ix.sets.release(v.one)
					v.one, v.form = blk[0], formInline
				}
				return
			}
		}
	case formBitmap:
		bm := ix.bms[v.one]
		if !bm.CheckedRemove(e) {
			return
		}
		if v.n--; v.n <= blockLen/2 {
			b := ix.sets.alloc()
			copy(ix.sets.at(b)[:], bm.ToArray())
			ix.bms[v.one] = nil
			ix.freeB = append(ix.freeB, v.one)
			v.one, v.form = b, formBlock
		}
	}
}

func (ix *Index) newBitmap(bm *roaring.Bitmap) uint32 {
	if n := len(ix.freeB); n > 0 {
		i := ix.freeB[n-1]
		ix.freeB = ix.freeB[:n-1]
		ix.bms[i] = bm
		return i
	}
	ix.bms = append(ix.bms, bm)
	return uint32(len(ix.bms) - 1)
}

// ids returns v's entities when it holds at most blockLen (read-only), or
// false with its bitmap.
func (ix *Index) ids(v *value) ([]uint32, *roaring.Bitmap) {
	switch v.form {
	case formInline:
		if v.n == 0 {
			return nil, nil
		}
		return []uint32{v.one}, nil
	case formBlock:
		return ix.sets.at(v.one)[:v.n], nil
	}
	return nil, ix.bms[v.one]
}

// contains reports whether e has value v.
func (ix *Index) contains(v *value, e uint32) bool {
	switch v.form {
	case formInline:
		return v.n == 1 && v.one == e
	case formBlock:
		for _, x := range ix.sets.at(v.one)[:v.n] {
			if x == e {
				return true
			}
		}
		return false
	}
	return ix.bms[v.one].Contains(e)
}

// andCard counts v's entities in m.
func (ix *Index) andCard(v *value, m *roaring.Bitmap) uint64 {
	if v.form == formBitmap {
		return ix.bms[v.one].AndCardinality(m)
	}
	n := uint64(0)
	ids, _ := ix.ids(v)
	for _, id := range ids {
		if m.Contains(id) {
			n++
		}
	}
	return n
}

// bitmap returns v's entities as a bitmap; read-only (a fresh one for a
// value without a bitmap of its own).
func (ix *Index) bitmap(v *value) *roaring.Bitmap {
	ids, bm := ix.ids(v)
	if bm != nil {
		return bm
	}
	return roaring.BitmapOf(ids...)
}

// and returns a fresh bitmap of v's entities in m.
func (ix *Index) and(v *value, m *roaring.Bitmap) *roaring.Bitmap {
	ids, bm := ix.ids(v)
	if bm != nil {
		return roaring.And(bm, m)
	}
	out := roaring.New()
	for _, id := range ids {
		if m.Contains(id) {
			out.Add(id)
		}
	}
	return out
}

// compactStrings copies the live strings into a new pool, dropping the dead.
// Strings handed out keep the old chunks alive as long as they are held.
func (ix *Index) compactStrings() {
	np := strPool{newPool[byte]()}
	for vid := uint32(1); vid < ix.nvals; vid++ {
		v := ix.val(vid)
		if !v.live {
			continue
		}
		v.val = np.put(ix.strs.get(v.val))
		if v.ownOrig {
			v.orig = np.put(ix.strs.get(v.orig))
		} else {
			v.orig = v.val
		}
	}
	for i := range ix.docs {
		if d := &ix.docs[i]; d.live {
			d.ref = np.put(ix.strs.get(d.ref))
		}
	}
	ix.strs = np
	// The keys' sorted values still alias the old chunks: point them at the
	// new ones so the old can go.
	for _, k := range ix.keyByID {
		if x := builtOf(k); x != nil {
			for i, vid := range x.sortedP {
				x.sortedV[i] = ix.valStr(vid)
			}
		}
	}
}

// compactPosts copies the live docs' posting ids into a new pool.
func (ix *Index) compactPosts() {
	np := newPool[uint32]()
	for i := range ix.docs {
		if d := &ix.docs[i]; d.live {
			d.posts = np.put(ix.posts.get(d.posts))
		}
	}
	ix.posts = np
}

// mergeSorted updates the ref-ordered id list: drops, then a sorted merge of adds.
func (ix *Index) mergeSorted(add []uint32, drop map[uint32]bool) {
	if len(add) == 0 && len(drop) == 0 {
		return
	}
	refOf := ix.Ref
	sort.Slice(add, func(i, j int) bool { return refOf(add[i]) < refOf(add[j]) })
	out := make([]uint32, 0, len(ix.sorted)+len(add))
	i := 0
	for _, id := range ix.sorted {
		if drop[id] {
			continue
		}
		r := refOf(id)
		for i < len(add) && refOf(add[i]) < r {
			out = append(out, add[i])
			i++
		}
		out = append(out, id)
	}
	out = append(out, add[i:]...)
	ix.sorted = out
}

func (ix *Index) flushDirty() {
	for k := range ix.dirty {
		ix.flushSorted(k)
	}
	clear(ix.dirty)
}

func (ix *Index) noteAdd(k *Key, vid uint32) {
	if x := k.built(); x != nil {
		ix.dirty[k] = true
		x.pendAdd = append(x.pendAdd, vid)
	}
}

func (ix *Index) noteDrop(k *Key) {
	if x := k.built(); x != nil {
		ix.dirty[k] = true
		x.pendDrop = true
	}
}

// flushSorted merges pending value changes into k's sorted value lists, and
// moves the key's facet column (if it keeps one) to the values' new
// positions. Runs under the index write lock, in the same critical section
// as every drop it merges: a value dropped since the last flush is free
// (not live) and its id not yet reused, so liveness tells what to keep.
func (ix *Index) flushSorted(k *Key) {
	x := k.built()
	if x == nil || (len(x.pendAdd) == 0 && !x.pendDrop) {
		return
	}
	mine := func(vid uint32) bool { v := ix.val(vid); return v.live && v.key == k.id }
	var add []uint32
	for _, vid := range x.pendAdd {
		if mine(vid) {
			add = append(add, vid)
		}
	}
	sort.Slice(add, func(i, j int) bool { return ix.valStr(add[i]) < ix.valStr(add[j]) })
	col := x.facets.maintained()
	var remap []uint32 // old 1-based position → new one, 0 when dropped
	if col {
		remap = make([]uint32, len(x.sortedP)+1)
	}
	outV := make([]string, 0, len(x.sortedV)+len(add))
	outP := make([]uint32, 0, len(x.sortedP)+len(add))
	push := func(vid uint32) {
		if n := len(outP); n > 0 && outP[n-1] == vid {
			return
		}
		outV, outP = append(outV, ix.valStr(vid)), append(outP, vid)
	}
	i := 0
	for pos, vid := range x.sortedP {
		if !mine(vid) {
			continue
		}
		s := x.sortedV[pos]
		for i < len(add) && ix.valStr(add[i]) < s {
			push(add[i])
			i++
		}
		push(vid)
		if col {
			remap[pos+1] = uint32(len(outP))
		}
	}
	for ; i < len(add); i++ {
		push(add[i])
	}
	x.sortedV, x.sortedP, x.pendAdd, x.pendDrop = outV, outP, nil, false
	if col {
		x.facets.remap(remap)
	}
}

// sortedValuePtrs returns sortedValues with each value's id (the page walk
// looks values up by position instead of hashing each one). Both are
// read-only. Call under RLock.
func (ix *Index) sortedValuePtrs(key *Key) ([]string, []uint32) {
	k := key.m()
	k.sortMu.Lock()
	defer k.sortMu.Unlock()
	if !k.built {
		ps := make([]uint32, 0, key.values.n)
		key.values.each(func(vid uint32) { ps = append(ps, vid) })
		vs := make([]string, len(ps))
		for i, vid := range ps {
			vs[i] = ix.valStr(vid)
		}
		sort.Sort(byValue{vs, ps})
		k.sortedV, k.sortedP, k.built = vs, ps, true
	}
	return k.sortedV, k.sortedP
}

// sortedValues returns k's values in ascending order (read-only). Call
// under RLock; builds the list on first use.
func (ix *Index) sortedValues(k *Key) []string {
	vs, _ := ix.sortedValuePtrs(k)
	return vs
}

// byValue sorts values and their ids together, by value.
type byValue struct {
	v []string
	p []uint32
}

func (b byValue) Len() int           { return len(b.v) }
func (b byValue) Less(i, j int) bool { return b.v[i] < b.v[j] }
func (b byValue) Swap(i, j int) {
	b.v[i], b.v[j] = b.v[j], b.v[i]
	b.p[i], b.p[j] = b.p[j], b.p[i]
}

// Replace makes ix hold what fresh holds (fresh must not be used after),
// atomically for readers; every cache of the old state goes with it.
func (ix *Index) Replace(fresh *Index) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.replace(fresh)
}

func (ix *Index) replace(fresh *Index) {
	gen := ix.gen
	ix.state = fresh.state
	ix.gen = max(ix.gen, gen) + 1 // caches of the old state are stale
}

// builtOf is k.built() for a key slot that may be free (nil).
func builtOf(k *Key) *keyMore {
	if k == nil {
		return nil
	}
	return k.built()
}
