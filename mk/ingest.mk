# Ingestion engine (catalog/ingest): its benchmark (reading, parsing,
# validating and relating entities, without a store) runs in `make bench`.
BENCH_PKGS += ./catalog/ingest
