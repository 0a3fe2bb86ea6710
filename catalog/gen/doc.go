// Package gen generates realistic, deterministic software organisations in
// Backstage's descriptor format: groups in a hierarchy, users, domains,
// systems, components, APIs with real definitions and resources, with every
// relation pointing at an entity of the same organisation. It serves demos,
// load tests and the catalog benchmarks (`portico dev generate`).
//
// Entities are computed from (seed, kind, index) alone, so an organisation of a
// million entities streams to disk without being held in memory, and the same
// seed always gives byte-identical output.
//
// It depends only on the catalog model and must never import a store, web,
// host or authz.
package gen
