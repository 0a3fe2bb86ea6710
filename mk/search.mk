# search/: the search index (embedded bleve by default, Meilisearch by config).
# Its tests run in `make test`: the conformance suite against bleve and against
# search/meili/meilifake (the real meilisearch-go client over HTTP); set
# PORTICO_TEST_MEILI_URL (and PORTICO_TEST_MEILI_KEY) to run it against a real
# Meilisearch too. `make bench` runs the embedded index at 100,000 documents
# (two corpora, "worst" and "zipf": see search/bleve/bench_test.go);
# PORTICO_BENCH_SEARCH_1M=1 adds the 1,000,000-document run;
# PORTICO_BENCH_SEARCH_DIR=/some/dir keeps the built indexes and reuses them
# (iterate on queries without rebuilding 1M documents), and
# PORTICO_BENCH_SEARCH_SLOW=1 logs the slowest 1% of the queries.
BENCH_PKGS += ./search/bleve

.PHONY: search-test search-bench search-reindex

search-test:
	$(GO) test -count=1 ./search/... ./web/searchapi/ ./config/
	$(GO) test -count=1 -run 'SearchOutbox|Conformance' ./catalog/sqlite/ ./catalog/postgres/
	$(GO) test -count=1 -run 'Search' ./cmd/portico/

search-bench:
	@mkdir -p bench-results
	$(GO) test -run '^$$' -bench 'Search' -benchtime 3000x -timeout 60m ./search/bleve | tee bench-results/search.txt

# Rebuild the index of the demo data directory (stop `portico serve` first).
search-reindex: build
	$(BIN) search reindex --config examples/portico.yaml
