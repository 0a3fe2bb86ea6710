# Authorization (authz): `make bench` runs BenchmarkAuthzCatalog, list and
# facet reads with an ownership condition vs unconditioned on SQLite at
# 100,000 entities (PORTICO_BENCH_AUTHZ_ENTITIES to change), and the
# fuzzers' seed corpora run with the tests.
BENCH_PKGS += ./authz

.PHONY: authz-fuzz
# Fuzz the policy and condition parsers briefly (FUZZTIME each).
FUZZTIME ?= 30s
authz-fuzz:
	$(GO) test ./authz -run '^$$' -fuzz FuzzParsePolicy -fuzztime $(FUZZTIME)
	$(GO) test ./authz -run '^$$' -fuzz FuzzParseCriteria -fuzztime $(FUZZTIME)
