# Authorization (authz): `make bench` runs BenchmarkAuthzCatalog, list and
# facet reads with an ownership condition vs unconditioned on SQLite at
# 100,000 entities (PORTICO_BENCH_AUTHZ_ENTITIES to change), and the
# fuzzers' seed corpora run with the tests.
BENCH_PKGS += ./authz

.PHONY: authz-fuzz fuzz
# Fuzz the policy, condition and API-token parsers and the fast YAML path
# briefly (FUZZTIME each). The seed corpora run with `make test` anyway.
FUZZTIME ?= 30s
authz-fuzz fuzz:
	$(GO) test ./authz -run '^$$' -fuzz FuzzParsePolicy -fuzztime $(FUZZTIME)
	$(GO) test ./authz -run '^$$' -fuzz FuzzParseCriteria -fuzztime $(FUZZTIME)
	$(GO) test ./auth -run '^$$' -fuzz FuzzParseToken -fuzztime $(FUZZTIME)
	$(GO) test ./catalog -run '^$$' -fuzz FuzzFastDecode -fuzztime $(FUZZTIME)
