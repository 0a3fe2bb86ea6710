package registry

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is a semantic version (major.minor.patch[-pre][+build]).
type Version struct {
	Major, Minor, Patch int
	Pre                 string
}

// ParseVersion parses a semantic version; a leading "v" is accepted.
func ParseVersion(s string) (Version, error) {
	v, parts, err := parsePartial(s)
	if err != nil {
		return Version{}, err
	}
	if parts != 3 {
		return Version{}, fmt.Errorf("version %q: want MAJOR.MINOR.PATCH", s)
	}
	return v, nil
}

// parsePartial parses 1, 1.2 or 1.2.3 (with optional pre-release) and says
// how many numeric parts were given.
func parsePartial(s string) (Version, int, error) {
	in := s
	s = strings.TrimPrefix(strings.TrimSpace(s), "v")
	if i := strings.IndexByte(s, '+'); i >= 0 {
		s = s[:i]
	}
	var v Version
	if i := strings.IndexByte(s, '-'); i >= 0 {
		v.Pre, s = s[i+1:], s[:i]
		if v.Pre == "" {
			return Version{}, 0, fmt.Errorf("version %q: empty pre-release", in)
		}
	}
	nums := strings.Split(s, ".")
	if len(nums) > 3 || s == "" {
		return Version{}, 0, fmt.Errorf("version %q: want MAJOR.MINOR.PATCH", in)
	}
	dst := []*int{&v.Major, &v.Minor, &v.Patch}
	for i, n := range nums {
		x, err := strconv.Atoi(n)
		if err != nil || x < 0 || (len(n) > 1 && n[0] == '0') {
			return Version{}, 0, fmt.Errorf("version %q: %q is not a number", in, n)
		}
		*dst[i] = x
	}
	return v, len(nums), nil
}

func (v Version) String() string {
	s := fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
	if v.Pre != "" {
		s += "-" + v.Pre
	}
	return s
}

// Compare returns -1, 0 or 1. A pre-release sorts before its release;
// pre-release identifiers compare as semver 2.0 says.
func (v Version) Compare(o Version) int {
	for _, d := range [][2]int{{v.Major, o.Major}, {v.Minor, o.Minor}, {v.Patch, o.Patch}} {
		if d[0] != d[1] {
			if d[0] < d[1] {
				return -1
			}
			return 1
		}
	}
	switch {
	case v.Pre == o.Pre:
		return 0
	case v.Pre == "":
		return 1
	case o.Pre == "":
		return -1
	}
	a, b := strings.Split(v.Pre, "."), strings.Split(o.Pre, ".")
	for i := 0; i < len(a) && i < len(b); i++ {
		if c := comparePreID(a[i], b[i]); c != 0 {
			return c
		}
	}
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	}
	return 0
}

func comparePreID(a, b string) int {
	x, errA := strconv.Atoi(a)
	y, errB := strconv.Atoi(b)
	switch {
	case errA == nil && errB == nil:
		if x == y {
			return 0
		}
		if x < y {
			return -1
		}
		return 1
	case errA == nil:
		return -1
	case errB == nil:
		return 1
	}
	return strings.Compare(a, b)
}

// Range is a version range as written in spec.requires.portico: alternatives
// separated by "||", each a space-separated list of comparators that must all
// hold. A comparator is OP VERSION with OP one of >=, >, <=, <, = (or none),
// ^ (same major; same minor below 1.0) or ~ (same minor); VERSION may be
// partial (1, 1.2). "*" or "" matches every version.
type Range struct {
	src  string
	alts [][]comparator
}

type comparator struct {
	op string
	v  Version
}

// ParseRange parses a version range.
func ParseRange(s string) (Range, error) {
	r := Range{src: strings.TrimSpace(s)}
	if r.src == "" || r.src == "*" {
		return r, nil
	}
	for _, alt := range strings.Split(r.src, "||") {
		var cs []comparator
		for _, tok := range strings.Fields(alt) {
			c, err := parseComparator(tok)
			if err != nil {
				return Range{}, fmt.Errorf("version range %q: %w", s, err)
			}
			cs = append(cs, c...)
		}
		if len(cs) == 0 {
			return Range{}, fmt.Errorf("version range %q: empty alternative", s)
		}
		r.alts = append(r.alts, cs)
	}
	return r, nil
}

func parseComparator(tok string) ([]comparator, error) {
	op := ""
	for _, p := range []string{">=", "<=", ">", "<", "=", "^", "~"} {
		if strings.HasPrefix(tok, p) {
			op, tok = p, tok[len(p):]
			break
		}
	}
	if tok == "*" || tok == "x" {
		return nil, nil
	}
	v, n, err := parsePartial(tok)
	if err != nil {
		return nil, err
	}
	switch op {
	case "^":
		upper := Version{Major: v.Major + 1}
		if v.Major == 0 && n > 1 {
			upper = Version{Minor: v.Minor + 1}
		}
		return []comparator{{">=", v}, {"<", upper}}, nil
	case "~":
		upper := Version{Major: v.Major, Minor: v.Minor + 1}
		if n == 1 {
			upper = Version{Major: v.Major + 1}
		}
		return []comparator{{">=", v}, {"<", upper}}, nil
	case "", "=":
		if n < 3 { // 1.2 means 1.2.x
			upper := Version{Major: v.Major + 1}
			if n == 2 {
				upper = Version{Major: v.Major, Minor: v.Minor + 1}
			}
			return []comparator{{">=", v}, {"<", upper}}, nil
		}
		return []comparator{{"=", v}}, nil
	}
	return []comparator{{op, v}}, nil
}

// Contains reports whether v is in the range. A pre-release version of the
// build (0.1.0-dev) is compared on its numbers, so a development build
// satisfies ranges written for its release.
func (r Range) Contains(v Version) bool {
	if len(r.alts) == 0 {
		return true
	}
	v.Pre = ""
	for _, alt := range r.alts {
		ok := true
		for _, c := range alt {
			d := v.Compare(c.v)
			switch c.op {
			case ">=":
				ok = d >= 0
			case ">":
				ok = d > 0
			case "<=":
				ok = d <= 0
			case "<":
				ok = d < 0
			case "=":
				ok = d == 0
			}
			if !ok {
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func (r Range) String() string { return r.src }
