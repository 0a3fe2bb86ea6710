# catalog/postgres: the production store. Its tests run in `make test` (they
# need PostgreSQL at PORTICO_TEST_PG_URL; CI sets PORTICO_TEST_REQUIRE_PG=1).
# `make bench` runs its Apply and read benchmarks at 100,000 entities;
# PORTICO_BENCH_ENTITIES=1000000 for a million.
BENCH_PKGS += ./catalog/postgres
