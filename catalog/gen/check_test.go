package gen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/portico-dev/portico/catalog"
)

// This file holds the checks shared by the demo catalog test and the
// generated-organisation tests. They are written from REFERENCE.md §1 on
// purpose, independently of package catalog's validator, so a bug in one is
// caught by the other.

var (
	reName      = regexp.MustCompile(`^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`)
	reDNSLabel  = regexp.MustCompile(`^[a-z0-9]+(?:-+[a-z0-9]+)*$`)
	reTag       = regexp.MustCompile(`^[a-z0-9:+#]+(-[a-z0-9:+#]+)*$`)
	reKind      = regexp.MustCompile(`^[a-zA-Z][a-z0-9A-Z]*$`)
	reRelSuffix = regexp.MustCompile(`^[a-z0-9A-Z]+$`)
)

// doc is one parsed document and where it came from.
type doc struct {
	file  string // absolute path
	index int
	v     map[string]any
}

func (d doc) String() string { return fmt.Sprintf("%s#%d", d.file, d.index) }

// loadTree parses root and follows Location targets (relative to each file)
// recursively, returning every document and failing on any unreadable file,
// YAML error, missing or repeated target.
func loadTree(t *testing.T, root string) []doc {
	t.Helper()
	var out []doc
	seen := map[string]bool{}
	var visit func(path string)
	visit = func(path string) {
		if seen[path] {
			t.Errorf("%s is the target of more than one Location", path)
			return
		}
		seen[path] = true
		docs := parseFile(t, path)
		out = append(out, docs...)
		for _, d := range docs {
			if d.v["kind"] != "Location" {
				continue
			}
			spec, _ := d.v["spec"].(map[string]any)
			var targets []string
			if s, ok := spec["target"].(string); ok {
				targets = append(targets, s)
			}
			for _, x := range asList(spec["targets"]) {
				targets = append(targets, x)
			}
			if len(targets) == 0 {
				t.Errorf("%s: Location without targets", d)
			}
			for _, target := range targets {
				if filepath.IsAbs(target) || !strings.HasPrefix(target, "./") {
					t.Errorf("%s: target %q is not relative (./…)", d, target)
					continue
				}
				visit(filepath.Join(filepath.Dir(path), target))
			}
		}
	}
	visit(root)
	return out
}

func parseFile(t *testing.T, path string) []doc {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out []doc
	for i := 0; ; i++ {
		var v map[string]any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s document %d: %v", path, i, err)
		}
		if v == nil {
			continue
		}
		out = append(out, doc{file: path, index: i, v: v})
	}
	return out
}

func asList(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, x := range l {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

func str(m map[string]any, k string) string { s, _ := m[k].(string); return s }

// refFields are the spec fields holding refs, with their default target kind
// (REFERENCE.md §1.4); "" means the ref must carry its kind.
var refFields = map[string]map[string]string{
	"Component": {"owner": "Group", "system": "System", "subcomponentOf": "Component", "providesApis": "API", "consumesApis": "API", "dependsOn": "", "dependencyOf": ""},
	"API":       {"owner": "Group", "system": "System"},
	"Resource":  {"owner": "Group", "system": "System", "dependsOn": "", "dependencyOf": ""},
	"System":    {"owner": "Group", "domain": "Domain"},
	"Domain":    {"owner": "Group", "subdomainOf": "Domain"},
	"User":      {"memberOf": "Group"},
	"Group":     {"parent": "Group", "children": "Group", "members": "User"},
}

var requiredSpec = map[string][]string{
	"Component": {"type", "lifecycle", "owner"},
	"API":       {"type", "lifecycle", "owner", "definition"},
	"Resource":  {"type", "owner"},
	"System":    {"owner"},
	"Domain":    {"owner"},
	"Group":     {"type"},
}

// checkSet validates every document by REFERENCE.md §1.2/§1.3, checks that
// every spec ref resolves inside the set and that the group hierarchy is
// consistent both ways. It returns the entities per kind (Locations included).
func checkSet(t *testing.T, docs []doc) map[string]int {
	t.Helper()
	counts := map[string]int{}
	byRef := map[string]doc{}
	for _, d := range docs {
		kind := str(d.v, "kind")
		counts[kind]++
		checkEnvelope(t, d)
		meta, _ := d.v["metadata"].(map[string]any)
		ns := str(meta, "namespace")
		if ns == "" {
			ns = catalog.DefaultNamespace
		}
		ref := catalog.Ref{Kind: kind, Namespace: ns, Name: str(meta, "name")}.String()
		if prev, dup := byRef[ref]; dup {
			t.Errorf("%s: %s already defined at %s", d, ref, prev)
		}
		byRef[ref] = d
	}
	for _, d := range docs {
		kind := str(d.v, "kind")
		spec, _ := d.v["spec"].(map[string]any)
		meta, _ := d.v["metadata"].(map[string]any)
		ns := str(meta, "namespace")
		for field, defKind := range refFields[kind] {
			var refs []string
			switch v := spec[field].(type) {
			case nil:
				continue
			case string:
				refs = []string{v}
			case []any:
				refs = asList(v)
			default:
				t.Errorf("%s: spec.%s is %T", d, field, v)
			}
			for _, s := range refs {
				r, err := catalog.ParseRef(s, catalog.RefContext{DefaultKind: defKind, DefaultNamespace: ns})
				if err != nil {
					t.Errorf("%s: spec.%s: %v", d, field, err)
					continue
				}
				if _, ok := byRef[r.String()]; !ok {
					t.Errorf("%s: spec.%s %q → %s does not exist in the set", d, field, s, r)
				}
			}
		}
	}
	// parent/children agree both ways.
	for _, d := range docs {
		if str(d.v, "kind") != "Group" {
			continue
		}
		spec, _ := d.v["spec"].(map[string]any)
		name := str(d.v["metadata"].(map[string]any), "name")
		if p := str(spec, "parent"); p != "" {
			pd, ok := byRef["group:default/"+strings.ToLower(p)]
			if ok && !contains(asList(pd.v["spec"].(map[string]any)["children"]), name) {
				t.Errorf("%s: parent %s does not list %s among its children", d, p, name)
			}
		}
		for _, c := range asList(spec["children"]) {
			cd, ok := byRef["group:default/"+strings.ToLower(c)]
			if ok && str(cd.v["spec"].(map[string]any), "parent") != name {
				t.Errorf("%s: child %s has parent %q", d, c, str(cd.v["spec"].(map[string]any), "parent"))
			}
		}
	}
	return counts
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func checkEnvelope(t *testing.T, d doc) {
	t.Helper()
	for k := range d.v {
		switch k {
		case "apiVersion", "kind", "metadata", "spec":
		default:
			t.Errorf("%s: unknown root field %q", d, k)
		}
	}
	if str(d.v, "apiVersion") != "backstage.io/v1alpha1" {
		t.Errorf("%s: apiVersion %v", d, d.v["apiVersion"])
	}
	kind := str(d.v, "kind")
	if !reKind.MatchString(kind) {
		t.Errorf("%s: kind %q", d, kind)
	}
	meta, ok := d.v["metadata"].(map[string]any)
	if !ok {
		t.Errorf("%s: no metadata", d)
		return
	}
	if n := str(meta, "name"); len(n) > 63 || !reName.MatchString(n) {
		t.Errorf("%s: metadata.name %q is not valid", d, n)
	}
	if ns, ok := meta["namespace"]; ok {
		if s, _ := ns.(string); len(s) > 63 || !reDNSLabel.MatchString(s) {
			t.Errorf("%s: namespace %v", d, ns)
		}
	}
	for _, field := range []string{"labels", "annotations"} {
		m, _ := meta[field].(map[string]any)
		for k, v := range m {
			if !validKey(k) {
				t.Errorf("%s: %s key %q", d, field, k)
			}
			s, ok := v.(string)
			if !ok {
				t.Errorf("%s: %s.%s is %T, not a string", d, field, k, v)
			}
			if field == "labels" && s != "" && (len(s) > 63 || !reName.MatchString(s)) {
				t.Errorf("%s: labels.%s value %q", d, k, s)
			}
		}
	}
	for i, tag := range asList(meta["tags"]) {
		if len(tag) > 63 || !reTag.MatchString(tag) {
			t.Errorf("%s: tags.%d %q", d, i, tag)
		}
	}
	links, _ := meta["links"].([]any)
	for i, l := range links {
		m, _ := l.(map[string]any)
		if u := str(m, "url"); !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
			t.Errorf("%s: links.%d.url %q", d, i, u)
		}
	}
	spec, ok := d.v["spec"].(map[string]any)
	if !ok {
		t.Errorf("%s: no spec", d)
		return
	}
	for _, f := range requiredSpec[kind] {
		if spec[f] == nil || spec[f] == "" {
			t.Errorf("%s: spec.%s is required", d, f)
		}
	}
	if kind == "Group" {
		if _, ok := spec["children"].([]any); !ok {
			t.Errorf("%s: spec.children must be a list", d)
		}
	}
	if kind == "User" {
		if _, ok := spec["memberOf"].([]any); !ok {
			t.Errorf("%s: spec.memberOf must be a list", d)
		}
	}
}

// validKey checks a label or annotation key: [dns-subdomain/]object-name.
func validKey(k string) bool {
	prefix, name, found := strings.Cut(k, "/")
	if !found {
		name, prefix = prefix, ""
	} else if strings.Contains(name, "/") || len(prefix) > 253 {
		return false
	}
	if found {
		for _, label := range strings.Split(prefix, ".") {
			if len(label) > 63 || !reDNSLabel.MatchString(label) {
				return false
			}
		}
	}
	return len(name) <= 63 && reName.MatchString(name)
}

// checkWithCatalog runs every file through catalog.ParseDocuments and
// (*catalog.Kinds).Check, the validator ingestion uses, after resolving
// $text placeholders from disk.
func checkWithCatalog(t *testing.T, files []string) int {
	t.Helper()
	kinds, err := catalog.NewKinds(nil)
	if err != nil {
		t.Fatalf("NewKinds: %v", err)
	}
	n := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs, err := catalog.ParseDocuments("file:"+f, data, catalog.ParseLimits{})
		if err != nil {
			t.Errorf("ParseDocuments %s: %v", f, err)
			continue
		}
		for i := range docs {
			d := &docs[i]
			if d.Err != nil {
				t.Errorf("%s#%d: %s", f, d.Index, catalog.FormatProcessingError(*d.Err))
				continue
			}
			n++
			if spec, ok := d.Value["spec"].(map[string]any); ok {
				resolved, err := catalog.ResolvePlaceholders(t.Context(), spec, f, fileReader{})
				if err != nil {
					t.Errorf("%s#%d: placeholders: %v", f, d.Index, err)
					continue
				}
				d.Value["spec"] = resolved
			}
			_, errs := kinds.Check(d.Value)
			for _, e := range errs {
				t.Errorf("%s#%d: %s", f, d.Index, catalog.FormatProcessingError(e))
			}
		}
	}
	return n
}

type fileReader struct{}

func (fileReader) ReadSource(_ context.Context, target string) ([]byte, error) {
	if !filepath.IsAbs(target) {
		return nil, fmt.Errorf("not a local file: %s", target)
	}
	return os.ReadFile(target)
}

func filesOf(docs []doc) []string {
	seen := map[string]bool{}
	var out []string
	for _, d := range docs {
		if !seen[d.file] {
			seen[d.file] = true
			out = append(out, d.file)
		}
	}
	sort.Strings(out)
	return out
}
