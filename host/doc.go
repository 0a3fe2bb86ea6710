// Package host is Portico's WebAssembly plugin host: it reads plugin
// manifests, verifies and compiles modules once (through a shared on-disk
// compilation cache), serves calls from a bounded pool of instances per
// plugin under per-call deadlines and memory, output and HTTP limits, parks
// plugins that keep failing, and counts calls for /metrics.
//
// Plugins reach the core only through the host functions of their ABI version
// (host/abi/v1, …), which call the small interfaces of host/services; cmd
// wires those to the real catalog, search and settings. pdk/ABI.md is the
// contract with plugins; RATIONALE.md explains the choices.
//
// It must never import web, catalog/sqlite, catalog/postgres or search
// implementations.
package host
