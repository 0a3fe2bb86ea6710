// Package postings is the catalog stores' in-memory inverted index: for every
// token key of every entity (catalog.TokenSet of the final JSON), a
// dictionary of lower-cased value → roaring bitmap of entity ids, a bitmap of
// the entities having the key, and the original spelling of every value.
// Filters compile to bitmap algebra; counts are cardinalities; facets are
// AND-cardinalities; ordering walks a ref-sorted id list or a key's sorted
// values. It is a secondary index rebuilt from the store at open and updated
// after each committed write.
//
// It imports only catalog and roaring; it must never import a store.
package postings

import (
	"sort"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/portico-dev/portico/catalog"
)

// Index is safe for concurrent use: readers take RLock around a read (so a
// query and the record fetch that follows see one state), the writer takes
// Lock around Apply.
type Index struct {
	mu   sync.RWMutex
	all  *roaring.Bitmap
	keys map[string]*Key
	vals []*Value // by posting id; nil slots are free
	free []uint32
	docs []doc // by entity id
	// byRef maps canonical ref → id; sorted lists live ids by ref.
	byRef  map[string]uint32
	sorted []uint32
	// dirty lists keys whose sorted value list needs a merge at Commit.
	dirty map[*Key]bool
	// gen counts commits; caches derived from the index (facets) are valid
	// for one generation.
	gen uint64
	// filtered caches filtered facet answers for the current generation.
	filtered filteredFacets
}

// Key is one token key.
type Key struct {
	name    string
	values  map[string]*Value
	keyOnly *Value          // entities with the key but no indexable value
	exists  *roaring.Bitmap // entities with the key
	multi   *roaring.Bitmap // entities with more than one value for the key

	sortMu   sync.Mutex
	sortedV  []string // lazily built; kept up to date once built
	built    bool
	pendAdd  []string
	pendDrop map[string]bool

	facets facetCache
	text   textCache // the values joined, for FullText (fulltext.go)

	// sortedP holds the Value of each of sortedV, for generation sortedPGen.
	sortedP    []*Value
	sortedPGen uint64
}

// Value is one posting list: the entities whose key has this value. Most
// values of a large catalog (names, uids, etags, descriptions) belong to one
// entity, so a value holds a single id inline and only grows a bitmap for a
// second one: millions fewer heap objects for the garbage collector to scan.
type Value struct {
	id   uint32
	key  *Key
	val  string
	orig string
	one  uint32
	has1 bool
	bm   *roaring.Bitmap // nil while the value has at most one entity
}

func (v *Value) add(id uint32) {
	switch {
	case v.bm != nil:
		v.bm.Add(id)
	case !v.has1:
		v.one, v.has1 = id, true
	case v.one != id:
		v.bm, v.has1 = roaring.BitmapOf(v.one, id), false
	}
}

func (v *Value) remove(id uint32) {
	if v.bm != nil {
		v.bm.Remove(id)
	} else if v.has1 && v.one == id {
		v.has1 = false
	}
}

func (v *Value) empty() bool {
	if v.bm != nil {
		return v.bm.IsEmpty()
	}
	return !v.has1
}

func (v *Value) card() uint64 {
	if v.bm != nil {
		return v.bm.GetCardinality()
	}
	if v.has1 {
		return 1
	}
	return 0
}

func (v *Value) andCard(m *roaring.Bitmap) uint64 {
	if v.bm != nil {
		return v.bm.AndCardinality(m)
	}
	if v.has1 && m.Contains(v.one) {
		return 1
	}
	return 0
}

// bitmap returns the entities as a bitmap; read-only (a fresh one for a single id).
func (v *Value) bitmap() *roaring.Bitmap {
	if v.bm != nil {
		return v.bm
	}
	if v.has1 {
		return roaring.BitmapOf(v.one)
	}
	return roaring.New()
}

type doc struct {
	ref      string
	live     bool
	postings []uint32
}

// New returns an empty index.
func New() *Index {
	return &Index{all: roaring.New(), keys: map[string]*Key{}, byRef: map[string]uint32{}, dirty: map[*Key]bool{}}
}

// RLock / RUnlock bracket a read.
func (ix *Index) RLock()   { ix.mu.RLock() }
func (ix *Index) RUnlock() { ix.mu.RUnlock() }

// Doc is one entity to (re)index.
type Doc struct {
	ID     uint32
	Ref    string
	Tokens catalog.TokenSet
	Orig   catalog.Originals
}

// Staged is a Doc whose tokens were interned into posting ids: small enough
// to hold for a million entities until the store's transaction commits.
type Staged struct {
	ID       uint32
	Ref      string
	postings []uint32
	multi    []uint32 // posting ids of keyOnly/first value of keys with several values
}

// Stage interns docs' tokens (creating empty posting lists for new values)
// without making them visible. Commit or Abort every staged batch.
func (ix *Index) Stage(docs []Doc) []Staged {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	out := make([]Staged, len(docs))
	for i := range docs {
		d := &docs[i]
		st := Staged{ID: d.ID, Ref: d.Ref, postings: make([]uint32, 0, len(d.Tokens)+4)}
		for key, vs := range d.Tokens {
			k := ix.keys[key]
			if k == nil {
				k = &Key{name: key, values: map[string]*Value{}, exists: roaring.New(), multi: roaring.New()}
				ix.keys[key] = k
			}
			if len(vs) == 0 {
				if k.keyOnly == nil {
					k.keyOnly = ix.newValue(k, "", "")
				}
				st.postings = append(st.postings, k.keyOnly.id)
				continue
			}
			for j, s := range vs {
				v := k.values[s]
				if v == nil {
					orig := s
					if o, ok := d.Orig[key][s]; ok {
						orig = o
					}
					v = ix.newValue(k, s, orig)
					k.values[s] = v
					ix.noteAdd(k, s)
				}
				st.postings = append(st.postings, v.id)
				if j == 0 && len(vs) > 1 {
					st.multi = append(st.multi, v.id)
				}
			}
		}
		out[i] = st
	}
	return out
}

// Commit makes staged docs visible (replacing any previous doc with the same
// id) and removes deleted ids, atomically for readers.
func (ix *Index) Commit(puts []Staged, deletes []uint32) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	var addRefs []uint32
	dropRefs := map[uint32]bool{}
	var emptied []*Value
	for _, id := range deletes {
		if ix.removeDoc(id, &emptied) {
			dropRefs[id] = true
		}
	}
	for i := range puts {
		st := &puts[i]
		existed := ix.removeDoc(st.ID, &emptied)
		if existed {
			if ix.docs[st.ID].ref != st.Ref {
				dropRefs[st.ID] = true
				existed = false
			} else {
				delete(dropRefs, st.ID)
			}
		}
		ix.addStaged(st)
		if !existed {
			addRefs = append(addRefs, st.ID)
		}
	}
	ix.sweep(emptied)
	for _, st := range puts {
		ix.sweepPostings(st.postings)
	}
	ix.mergeSorted(addRefs, dropRefs)
	ix.flushDirty()
	ix.gen++
}

// Abort drops the posting lists a failed batch created and nothing else used.
func (ix *Index) Abort(staged []Staged) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for _, st := range staged {
		ix.sweepPostings(st.postings)
	}
	ix.flushDirty()
}

func (ix *Index) sweepPostings(pids []uint32) {
	for _, pid := range pids {
		if v := ix.vals[pid]; v != nil && v.empty() {
			ix.dropValue(v)
		}
	}
}

func (ix *Index) sweep(vs []*Value) {
	for _, v := range vs {
		if ix.vals[v.id] == v && v.empty() {
			ix.dropValue(v)
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
	id, ok := ix.byRef[ref]
	return id, ok
}

// Ref returns the ref of an id. Call under RLock.
func (ix *Index) Ref(id uint32) string {
	if int(id) < len(ix.docs) {
		return ix.docs[id].ref
	}
	return ""
}

// All returns every indexed id (read-only). Call under RLock.
func (ix *Index) All() *roaring.Bitmap { return ix.all }

func (ix *Index) removeDoc(id uint32, emptied *[]*Value) bool {
	if int(id) >= len(ix.docs) || !ix.docs[id].live {
		return false
	}
	d := &ix.docs[id]
	for _, pid := range d.postings {
		v := ix.vals[pid]
		v.remove(id)
		v.key.exists.Remove(id)
		v.key.multi.Remove(id)
		if v.empty() {
			*emptied = append(*emptied, v)
		}
	}
	d.postings = nil
	d.live = false
	ix.all.Remove(id)
	if ix.byRef[d.ref] == id {
		delete(ix.byRef, d.ref)
	}
	return true
}

func (ix *Index) dropValue(v *Value) {
	k := v.key
	if v == k.keyOnly {
		k.keyOnly = nil
	} else {
		delete(k.values, v.val)
		ix.noteDrop(k, v.val)
	}
	ix.vals[v.id] = nil
	ix.free = append(ix.free, v.id)
	if len(k.values) == 0 && k.keyOnly == nil {
		delete(ix.keys, k.name)
	}
}

func (ix *Index) addStaged(st *Staged) {
	for int(st.ID) >= len(ix.docs) {
		ix.docs = append(ix.docs, make([]doc, max(1024, len(ix.docs)/2))...)
	}
	dd := &ix.docs[st.ID]
	dd.ref, dd.live, dd.postings = st.Ref, true, st.postings
	ix.all.Add(st.ID)
	ix.byRef[st.Ref] = st.ID
	for _, pid := range st.postings {
		v := ix.vals[pid]
		v.add(st.ID)
		v.key.exists.Add(st.ID)
	}
	for _, pid := range st.multi {
		ix.vals[pid].key.multi.Add(st.ID)
	}
}

func (ix *Index) newValue(k *Key, s, orig string) *Value {
	v := &Value{key: k, val: s, orig: orig}
	if n := len(ix.free); n > 0 {
		v.id = ix.free[n-1]
		ix.free = ix.free[:n-1]
		ix.vals[v.id] = v
	} else {
		v.id = uint32(len(ix.vals))
		ix.vals = append(ix.vals, v)
	}
	return v
}

// mergeSorted updates the ref-ordered id list: drops, then a sorted merge of adds.
func (ix *Index) mergeSorted(add []uint32, drop map[uint32]bool) {
	if len(add) == 0 && len(drop) == 0 {
		return
	}
	refOf := func(id uint32) string { return ix.docs[id].ref }
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
		k.flushSorted()
	}
	clear(ix.dirty)
}

func (ix *Index) noteAdd(k *Key, s string) {
	if k.built {
		ix.dirty[k] = true
		k.pendAdd = append(k.pendAdd, s)
		if k.pendDrop != nil {
			delete(k.pendDrop, s)
		}
	}
}

func (ix *Index) noteDrop(k *Key, s string) {
	if k.built {
		ix.dirty[k] = true
		if k.pendDrop == nil {
			k.pendDrop = map[string]bool{}
		}
		k.pendDrop[s] = true
	}
}

// flushSorted merges pending value changes into the sorted value list.
// Runs under the index write lock.
func (k *Key) flushSorted() {
	if !k.built || (len(k.pendAdd) == 0 && len(k.pendDrop) == 0) {
		return
	}
	var add []string
	for _, s := range k.pendAdd {
		if _, ok := k.values[s]; ok {
			add = append(add, s)
		}
	}
	sort.Strings(add)
	out := make([]string, 0, len(k.sortedV)+len(add))
	i := 0
	for _, s := range k.sortedV {
		if _, ok := k.values[s]; !ok || k.pendDrop[s] && k.values[s] == nil {
			continue
		}
		for i < len(add) && add[i] <= s {
			if add[i] != s && (len(out) == 0 || out[len(out)-1] != add[i]) {
				out = append(out, add[i])
			}
			i++
		}
		out = append(out, s)
	}
	for ; i < len(add); i++ {
		if len(out) == 0 || out[len(out)-1] != add[i] {
			out = append(out, add[i])
		}
	}
	k.sortedV, k.pendAdd, k.pendDrop = out, nil, nil
}

// sortedValues returns the key's values in ascending order (read-only).
// Called under RLock; builds the list on first use.
// sortedValuePtrs returns sortedValues with each value's posting list,
// cached for the index generation gen (the page walk looks values up by
// position instead of hashing each one).
func (k *Key) sortedValuePtrs(gen uint64) ([]string, []*Value) {
	vs := k.sortedValues()
	k.sortMu.Lock()
	defer k.sortMu.Unlock()
	if k.sortedP == nil || k.sortedPGen != gen || len(k.sortedP) != len(vs) {
		ps := make([]*Value, len(vs))
		for i, s := range vs {
			ps[i] = k.values[s]
		}
		k.sortedP, k.sortedPGen = ps, gen
	}
	return vs, k.sortedP
}

func (k *Key) sortedValues() []string {
	k.sortMu.Lock()
	defer k.sortMu.Unlock()
	if !k.built {
		vs := make([]string, 0, len(k.values))
		for s := range k.values {
			vs = append(vs, s)
		}
		sort.Strings(vs)
		k.sortedV, k.built = vs, true
	}
	return k.sortedV
}
