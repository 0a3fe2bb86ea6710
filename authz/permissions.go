package authz

import (
	"sort"
	"strings"
)

// Permission names. The catalog ones are Backstage's
// (plugins/catalog-common/src/permissions.ts, REFERENCE.md §5.1); the rest
// are Portico's own.
const (
	CatalogEntityRead      = "catalog.entity.read"
	CatalogEntityCreate    = "catalog.entity.create"
	CatalogEntityDelete    = "catalog.entity.delete"
	CatalogEntityRefresh   = "catalog.entity.refresh"
	CatalogEntityValidate  = "catalog.entity.validate"
	CatalogLocationRead    = "catalog.location.read"
	CatalogLocationCreate  = "catalog.location.create"
	CatalogLocationDelete  = "catalog.location.delete"
	CatalogLocationAnalyze = "catalog.location.analyze"

	SearchQuery   = "search.query"
	PluginRead    = "plugin.read"
	PluginInstall = "plugin.install"
	PluginGrant   = "plugin.grant"
	PolicyRead    = "policy.read"
	PolicyEdit    = "policy.edit"
)

// ResourceEntity is the resource type of entity permissions.
const ResourceEntity = "catalog-entity"

// PermissionInfo describes one permission as Backstage's metadata endpoint
// does: {type, name, attributes: {action}, resourceType?}.
type PermissionInfo struct {
	Type         string            `json:"type"` // basic | resource
	Name         string            `json:"name"`
	Attributes   map[string]string `json:"attributes"`
	ResourceType string            `json:"resourceType,omitempty"`
}

// Conditional reports whether a CONDITIONAL decision makes sense for the
// permission: only entity resource permissions take conditions.
func (p PermissionInfo) Conditional() bool { return p.ResourceType == ResourceEntity }

func basic(name, action string) PermissionInfo {
	attrs := map[string]string{}
	if action != "" {
		attrs["action"] = action
	}
	return PermissionInfo{Type: "basic", Name: name, Attributes: attrs}
}

func resource(name, action string) PermissionInfo {
	p := basic(name, action)
	p.Type, p.ResourceType = "resource", ResourceEntity
	return p
}

var permissions = map[string]PermissionInfo{
	CatalogEntityRead:      resource(CatalogEntityRead, "read"),
	CatalogEntityCreate:    basic(CatalogEntityCreate, "create"),
	CatalogEntityDelete:    resource(CatalogEntityDelete, "delete"),
	CatalogEntityRefresh:   resource(CatalogEntityRefresh, "update"),
	CatalogEntityValidate:  basic(CatalogEntityValidate, ""),
	CatalogLocationRead:    basic(CatalogLocationRead, "read"),
	CatalogLocationCreate:  basic(CatalogLocationCreate, "create"),
	CatalogLocationDelete:  basic(CatalogLocationDelete, "delete"),
	CatalogLocationAnalyze: basic(CatalogLocationAnalyze, ""),
	SearchQuery:            basic(SearchQuery, "read"),
	PluginRead:             basic(PluginRead, "read"),
	PluginInstall:          basic(PluginInstall, "create"),
	PluginGrant:            basic(PluginGrant, "update"),
	PolicyRead:             basic(PolicyRead, "read"),
	PolicyEdit:             basic(PolicyEdit, "update"),
}

// Permissions lists every known permission, sorted by name.
func Permissions() []PermissionInfo {
	out := make([]PermissionInfo, 0, len(permissions))
	for _, p := range permissions {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Lookup returns a known permission.
func Lookup(name string) (PermissionInfo, bool) {
	p, ok := permissions[name]
	return p, ok
}

// patternMatches reports whether a permission pattern ("catalog.entity.read",
// "catalog.*", "*") matches name: a trailing '*' matches any rest, as
// Casbin's keyMatch, which the model uses for the same patterns.
func patternMatches(pattern, name string) bool {
	if prefix, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(name, prefix)
	}
	return pattern == name
}

// validPattern reports whether a permission pattern names at least one known
// permission and has '*' only at its end.
func validPattern(pattern string) bool {
	if strings.Contains(strings.TrimSuffix(pattern, "*"), "*") {
		return false
	}
	for name := range permissions {
		if patternMatches(pattern, name) {
			return true
		}
	}
	return false
}
