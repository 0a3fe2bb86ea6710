// Package apidocs renders API entity definitions (spec.definition) into one
// small document model the portal shows: OpenAPI 2 and 3 (operations,
// parameters, schemas), AsyncAPI 2 and 3 (channels, operations, messages),
// GraphQL SDL (types, queries, mutations, subscriptions) and gRPC proto
// (services, rpcs, messages). The parsers are deliberately small: they read
// what a reader needs to understand an API, not everything a spec allows.
//
// It owns no HTTP and must never import web, host or a catalog store.
package apidocs

import (
	"fmt"
	"sort"
	"strings"
)

// MaxDefinition is the largest definition rendered (bytes).
const MaxDefinition = 2 << 20

// Doc is a rendered API definition.
type Doc struct {
	Format      string // e.g. "OpenAPI 3.0.3", "GraphQL SDL"
	Title       string
	Version     string
	Description string
	Sections    []Section
}

// Section is a titled list of items ("Operations", "Schemas", "Channels"…).
type Section struct {
	Title string
	Items []Item
}

// Item is one operation, channel, type, rpc or message.
type Item struct {
	ID       string // stable anchor id
	Method   string // GET, send, query, rpc, type, message…
	Name     string // path, channel, field or type name
	Summary  string
	Params   []Field // parameters or arguments
	Fields   []Field // properties of a schema or message
	Request  string
	Response string
}

// Field is one parameter, argument or property.
type Field struct {
	Name        string
	In          string // path, query, header, body… (parameters)
	Type        string
	Required    bool
	Description string
}

// Render parses a definition of the given spec.type of an API entity
// (openapi, asyncapi, graphql, grpc; case-insensitive). An unknown type or an
// unreadable definition is an error the page shows next to the raw view.
func Render(apiType, definition string) (*Doc, error) {
	if len(definition) > MaxDefinition {
		return nil, fmt.Errorf("definition is %d bytes; the renderer reads at most %d", len(definition), MaxDefinition)
	}
	switch strings.ToLower(strings.TrimSpace(apiType)) {
	case "openapi", "swagger":
		return OpenAPI(definition)
	case "asyncapi":
		return AsyncAPI(definition)
	case "graphql":
		return GraphQL(definition)
	case "grpc", "proto", "protobuf":
		return Proto(definition)
	}
	return nil, fmt.Errorf("no renderer for API type %q (known: openapi, asyncapi, graphql, grpc)", apiType)
}

func anchor(parts ...string) string {
	var b strings.Builder
	for i, p := range parts {
		if i > 0 {
			b.WriteByte('-')
		}
		for _, r := range strings.ToLower(p) {
			switch {
			case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
				b.WriteRune(r)
			default:
				b.WriteByte('_')
			}
		}
	}
	return b.String()
}

func sortedKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func str(m map[string]any, k string) string {
	if s, ok := m[k].(string); ok {
		return s
	}
	return ""
}

func obj(m map[string]any, k string) map[string]any {
	if o, ok := m[k].(map[string]any); ok {
		return o
	}
	return nil
}
