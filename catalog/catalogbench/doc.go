// Package catalogbench holds the catalog's end-to-end benchmarks: a generated
// organisation is ingested through the real engine from one Location into each
// store, then the read paths the REST API uses are timed. It has no API; see
// bench_test.go and docs/benchmarks.md. It must never be imported.
package catalogbench
