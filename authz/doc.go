// Package authz decides what a principal may do, with Casbin and the
// permission names of Backstage's permission framework
// (shared/compat/backstage/REFERENCE.md §5).
//
// A Policy is data (JSON or YAML, see policy.go): roles with inheritance,
// bindings of users and groups (entity refs) to roles, and rules granting or
// denying permissions to a role or a subject, optionally under conditions
// written in Backstage's criteria shape (allOf/anyOf/not over the catalog
// rules IS_ENTITY_OWNER, IS_ENTITY_KIND, HAS_ANNOTATION, HAS_LABEL,
// HAS_METADATA, HAS_SPEC, §5.3). The policy compiles to a Casbin model
// (model.conf, embedded) and Casbin policy lines; Casbin resolves roles and
// matches permissions.
//
// An Authorizer answers a Decision — ALLOW, DENY or CONDITIONAL — for the
// principal in a request's context (package identity). Conditions become a
// catalog.Filter (Decision.Filter) that read paths AND into the store query,
// so nothing is fetched and then filtered for permission. A nil *Authorizer is
// permission.enabled: false: everything is allowed.
//
// Policies live in the catalog store's key-value space (PolicyStore,
// namespace "portico.policy"), are bootstrapped from a file, changed by
// admins through the permission API, audited (namespace "portico.audit") and
// reloaded by every replica when their version changes (Authorizer.Watch).
//
// authz imports the catalog model and identity only; never web, host or a
// store implementation.
package authz
