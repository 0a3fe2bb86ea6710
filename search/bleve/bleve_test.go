package bleve

import (
	"context"
	"testing"

	"github.com/portico-dev/portico/search"
	"github.com/portico-dev/portico/search/indextest"
)

func TestConformance(t *testing.T) {
	indextest.Run(t, func(t *testing.T) search.Index {
		ix, err := Open(context.Background(), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return ix
	})
}

func TestReopenKeepsDocuments(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ix, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Upsert(ctx, []search.Document{indextest.Doc("Component", "payments", "Payments", "")}); err != nil {
		t.Fatal(err)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	ix, err = Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	res, err := ix.Search(ctx, search.Query{Term: "paymnts"})
	if err != nil || res.Total != 1 {
		t.Fatalf("after reopen: %+v, %v", res, err)
	}
}
