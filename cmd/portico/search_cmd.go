package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/portico-dev/portico/search"
)

func init() {
	register(command{Path: "search reindex", Summary: "rebuild the search index from the catalog (with a progress bar)", Run: runSearchReindex})
}

func runSearchReindex(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("portico search reindex", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "", "data directory (default "+"from config / env"+")")
	configPath := fs.String("config", "", "config file (search.meilisearch selects Meilisearch)")
	batch := fs.Int("batch", 1000, "documents per index write")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: portico search reindex [--config FILE] [--data DIR] [--batch N]\n\n"+
			"Drops every catalog document from the search index and indexes every\n"+
			"entity of the catalog store again, then applies and clears the store's\n"+
			"pending search outbox. With the embedded index, stop `portico serve` first\n"+
			"(one process at a time may open it).")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 || *batch <= 0 {
		fs.Usage()
		return 2
	}
	log := newLogger(stderr)
	rt, err := openRuntime(ctx, *configPath, *data, log, nil)
	if err != nil {
		fmt.Fprintln(stderr, "portico search reindex:", err)
		return 1
	}
	defer rt.store.Close()
	ix, err := openSearchIndex(ctx, rt.cfg, rt.data, log)
	if err != nil {
		fmt.Fprintln(stderr, "portico search reindex:", err)
		return 1
	}
	defer ix.Close()
	bar := newSearchBar(stderr)
	start := time.Now()
	// Changes recorded before the rebuild are covered by it; drain them after
	// so the outbox is clean (re-applying them is idempotent).
	n, err := search.Reindex(ctx, rt.store, ix, *batch, bar.update)
	bar.finish()
	if err != nil {
		fmt.Fprintln(stderr, "portico search reindex:", err)
		return 1
	}
	if _, err := (&search.Sync{Store: rt.store, Index: ix, Logger: log}).Drain(ctx); err != nil {
		fmt.Fprintln(stderr, "portico search reindex: outbox:", err)
		return 1
	}
	el := time.Since(start)
	fmt.Fprintf(stdout, "indexed %d documents into %s in %s (%.0f/s)\n", n, ix.Describe(), el.Round(time.Millisecond), float64(n)/max(el.Seconds(), 0.001))
	return 0
}

// searchBar shows reindex progress.
type searchBar struct{ *progress }

func newSearchBar(w io.Writer) *searchBar { return &searchBar{newProgress(w)} }

func (b *searchBar) update(done, total int) {
	pct := 100
	if total > 0 {
		pct = done * 100 / total
	}
	b.draw(pct, done >= total, func() string {
		return fmt.Sprintf("reindex %s %3d%% %d/%d documents  %.0f/s", bar(pct), pct, done, total, b.rate(done))
	})
}
