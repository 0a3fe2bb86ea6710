package gen

import (
	"strconv"
	"strings"
)

// Counts is how many entities of each kind an organisation of N holds. Only the
// root Location that WriteDir adds is outside N.
type Counts struct {
	Groups, Users, Domains, Systems, Components, APIs, Resources int
}

// Total is the number of entities the counts describe.
func (c Counts) Total() int {
	return c.Groups + c.Users + c.Domains + c.Systems + c.Components + c.APIs + c.Resources
}

// share is the distribution in per-mille; components take the rounding rest.
var share = Counts{Groups: 20, Users: 150, Domains: 2, Systems: 18, Components: 500, APIs: 150, Resources: 160}

// CountsFor splits n entities over the kinds. From n >= 7 every kind has at
// least one entity; below that kinds are filled in the order a real
// organisation needs them (an owner group first, then what it owns).
func CountsFor(n int) Counts {
	if n <= 0 {
		return Counts{}
	}
	if n < 7 {
		var c Counts
		order := []*int{&c.Groups, &c.Components, &c.Users, &c.Domains, &c.Systems, &c.APIs, &c.Resources}
		for i := 0; i < n; i++ {
			*order[i]++
		}
		return c
	}
	c := Counts{
		Groups:    n * share.Groups / 1000,
		Users:     n * share.Users / 1000,
		Domains:   n * share.Domains / 1000,
		Systems:   n * share.Systems / 1000,
		APIs:      n * share.APIs / 1000,
		Resources: n * share.Resources / 1000,
	}
	for _, p := range []*int{&c.Groups, &c.Users, &c.Domains, &c.Systems, &c.APIs, &c.Resources} {
		if *p == 0 {
			*p = 1
		}
	}
	c.Components = n - (c.Groups + c.Users + c.Domains + c.Systems + c.APIs + c.Resources)
	return c
}

// plan holds everything needed to compute any entity of the organisation from
// its kind and index alone, so entities can be generated one by one and still
// reference each other.
type plan struct {
	seed uint64
	Counts
	depts, teams int // groups: index 0 is the organisation, then departments, then teams
	company      string
}

func newPlan(n int, seed int64) *plan {
	p := &plan{seed: mix(uint64(seed) ^ 0x9e3779b97f4a7c15), Counts: CountsFor(n)}
	if p.Groups >= 3 {
		p.depts = max(1, (p.Groups-1)/12)
	}
	if p.Groups > 1 {
		p.teams = p.Groups - 1 - p.depts
	}
	p.company = companies[p.seed%uint64(len(companies))]
	return p
}

// Kind tags that keep the random streams of different kinds apart.
const (
	tagGroup uint64 = iota + 1
	tagUser
	tagDomain
	tagSystem
	tagComponent
	tagAPI
	tagResource
	tagPerm
	tagSystemOwner
	tagComponentSystem
	tagComponentOwner
	tagComponentType
)

// mix is splitmix64's finaliser: a cheap, well-spread bijection of uint64.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// hash gives a deterministic value for (seed, tag, i).
func (p *plan) hash(tag uint64, i int) uint64 {
	return mix(p.seed ^ mix(tag<<40^uint64(i)))
}

// rng is a splitmix64 stream; each entity gets its own, seeded from its kind
// and index, so the output does not depend on generation order.
type rng struct{ s uint64 }

func (p *plan) rng(tag uint64, i int) *rng { return &rng{s: p.hash(tag, i)} }

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	return mix(r.s)
}

// intn returns a value in [0, n); n must be > 0.
func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

// chance is true with probability pct/100.
func (r *rng) chance(pct int) bool { return r.intn(100) < pct }

func pick[T any](r *rng, list []T) T { return list[r.intn(len(list))] }

// perm maps i in [0, n) to a permutation of [0, n): an affine map with a
// multiplier coprime to n. It scatters the word combinations so neighbouring
// entities do not share a prefix.
func (p *plan) perm(tag uint64, i, n int) int {
	if n <= 1 {
		return 0
	}
	mult := 0
	for _, m := range []int{7919, 104729, 1299709, 15485863, 179424673} {
		if gcd(m, n) == 1 {
			mult = m % n
			break
		}
	}
	if mult == 0 {
		mult = 1
	}
	off := int(p.hash(tagPerm, int(tag)) % uint64(n))
	return int((int64(i)*int64(mult) + int64(off)) % int64(n))
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// compose turns i into a combination of one word from each list, joined by
// sep, with "-k" appended once every combination is used. The lists' lengths
// must be pairwise coprime (a test checks it): then, by the Chinese remainder
// theorem, i mod P (P the product of the lengths) maps one-to-one onto the
// word tuple (i mod len(list) for each list), so distinct i give distinct
// names, and every word changes from one i to the next.
func compose(i int, sep string, lists ...[]string) string {
	var b strings.Builder
	p := 1
	for n, l := range lists {
		if n > 0 {
			b.WriteString(sep)
		}
		b.WriteString(l[i%len(l)])
		p *= len(l)
	}
	if k := i / p; k > 0 {
		b.WriteByte('-')
		b.WriteString(strconv.Itoa(k + 1))
	}
	return b.String()
}
