package ingest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portico-dev/portico/catalog"
)

var ctx = context.Background()

// offlineURLs refuses github.com at once (these machines cannot reach it and
// tests must not wait for a timeout); other URLs go to the real reader.
type offlineURLs struct{ next Reader }

func (o offlineURLs) Read(ctx context.Context, target string) ([]Source, error) {
	if strings.Contains(target, "://github.com/") {
		return nil, errors.New("GET " + target + ": network unreachable (offline test reader)")
	}
	return o.next.Read(ctx, target)
}

func testKinds(t *testing.T) *catalog.Kinds {
	t.Helper()
	k, err := catalog.NewKinds([]catalog.KindSchema{{Path: "../schemas/kinds/AiResource.v1alpha1.schema.json"}})
	if err != nil {
		t.Fatalf("NewKinds: %v", err)
	}
	return k
}

func newEngine(t *testing.T, st catalog.Store, opts Options) *Engine {
	t.Helper()
	if opts.Readers == nil {
		opts.Readers = map[string]Reader{"url": offlineURLs{next: &URLReader{}}}
	}
	return New(st, testKinds(t), opts)
}

// addLocation registers a location directly in the store and processes it.
func addLocation(t *testing.T, e *Engine, st catalog.Store, typ, target string, rules ...string) (catalog.Location, Report) {
	t.Helper()
	loc, err := st.AddLocation(ctx, catalog.Location{Type: typ, Target: target, Origin: OriginAPI,
		EntityRef: catalog.GeneratedLocationRef(typ, target), Rules: rules})
	if err != nil {
		t.Fatalf("AddLocation %s:%s: %v", typ, target, err)
	}
	return loc, process(t, e, loc)
}

func process(t *testing.T, e *Engine, loc catalog.Location) Report {
	t.Helper()
	r, err := e.ProcessLocation(ctx, loc)
	if err != nil {
		t.Fatalf("ProcessLocation %s:%s: %v", loc.Type, loc.Target, err)
	}
	return r
}

// get returns the stored entity or nil when absent.
func get(t *testing.T, st catalog.Store, ref string) *catalog.Entity {
	t.Helper()
	rec, err := st.EntityByRef(ctx, ref, catalog.Filter{})
	var nf *catalog.NotFoundError
	if errors.As(err, &nf) {
		return nil
	}
	if err != nil {
		t.Fatalf("EntityByRef %s: %v", ref, err)
	}
	e, err := rec.Entity()
	if err != nil {
		t.Fatalf("decode %s: %v", ref, err)
	}
	return e
}

func mustGet(t *testing.T, st catalog.Store, ref string) *catalog.Entity {
	t.Helper()
	e := get(t, st, ref)
	if e == nil {
		t.Fatalf("entity %s is not stored", ref)
	}
	return e
}

func all(t *testing.T, st catalog.Store) []*catalog.Entity {
	t.Helper()
	p, err := st.QueryEntities(ctx, catalog.Query{})
	if err != nil {
		t.Fatalf("QueryEntities: %v", err)
	}
	out := make([]*catalog.Entity, 0, len(p.Items))
	for i := range p.Items {
		e, err := p.Items[i].Entity()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

// writeFile writes content under dir and returns the absolute path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func component(name string, extra ...string) string {
	s := "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: " + name +
		"\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a\n"
	for _, x := range extra {
		s += x + "\n"
	}
	return s
}

func findError(errs []catalog.ProcessingError, substr string) *catalog.ProcessingError {
	for i := range errs {
		if strings.Contains(errs[i].Message, substr) {
			return &errs[i]
		}
	}
	return nil
}

func hasRelation(e *catalog.Entity, typ, target string) bool {
	for _, r := range e.Relations {
		if r.Type == typ && r.TargetRef == target {
			return true
		}
	}
	return false
}

func statusErrors(e *catalog.Entity) []catalog.StatusItem {
	if e.Status == nil {
		return nil
	}
	var out []catalog.StatusItem
	for _, it := range e.Status.Items {
		if it.Level == "error" {
			out = append(out, it)
		}
	}
	return out
}
