# End-to-end catalog benchmarks (catalog/catalogbench): one process per store and
# size, so peak RSS belongs to that case. Override the sizes or stores:
#   make bench-catalog CATALOG_BENCH_SIZES="100000" CATALOG_BENCH_STORES=sqlite
CATALOG_BENCH_SIZES  ?= 100000 1000000
CATALOG_BENCH_STORES ?= sqlite postgres
BENCH_TARGETS += bench-catalog
BENCH_PKGS += ./catalog

.PHONY: bench-catalog
bench-catalog:
	@mkdir -p bench-results bin
	$(GO) test -c -o bin/catalogbench.test ./catalog/catalogbench
	@rm -f bench-results/catalog.txt
	@for s in $(CATALOG_BENCH_STORES); do for n in $(CATALOG_BENCH_SIZES); do \
	  PORTICO_BENCH_STORES=$$s PORTICO_BENCH_ENTITIES=$$n bin/catalogbench.test \
	    -test.run '^$$' -test.bench Catalog -test.benchtime 1x -test.timeout 120m \
	    | tee -a bench-results/catalog.txt || exit 1; \
	done; done
