// Package web owns Portico's HTTP surface: the Fiber application, the one HTTP
// error mapper (errors.go), request logging, /healthz, and the mounting of
// each area's routes (today the catalog REST API from web/catalogapi; HTML
// pages, auth, plugins and search mount the same way later).
//
// It must never be imported by catalog, authz, search or host: dependencies
// point from web to them, never back.
package web
