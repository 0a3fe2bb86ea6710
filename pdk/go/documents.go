package pdk

import (
	"encoding/json"
	"net/url"
	"time"
)

// ABI is the ABI major version this PDK implements.
const ABI = 1

// PluginInfo is the plugin's own identity as installed.
type PluginInfo struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
}

// User is the user a call runs on behalf of.
type User struct {
	Ref    string   `json:"ref"`
	Claims []string `json:"claims,omitempty"`
}

// Entity is a catalog entity: the common envelope decoded, the whole
// document kept in Raw.
type Entity struct {
	APIVersion string          `json:"apiVersion"`
	Kind       string          `json:"kind"`
	Metadata   EntityMetadata  `json:"metadata"`
	Spec       map[string]any  `json:"spec,omitempty"`
	Raw        json.RawMessage `json:"-"`
}

// EntityMetadata is the part of metadata plugins usually need.
type EntityMetadata struct {
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace,omitempty"`
	Title       string            `json:"title,omitempty"`
	Description string            `json:"description,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Tags        []string          `json:"tags,omitempty"`
}

// UnmarshalJSON keeps the raw document.
func (e *Entity) UnmarshalJSON(b []byte) error {
	type plain Entity
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*e = Entity(p)
	e.Raw = append(json.RawMessage(nil), b...)
	return nil
}

// MarshalJSON writes the raw document when there is one.
func (e Entity) MarshalJSON() ([]byte, error) {
	if len(e.Raw) > 0 {
		return e.Raw, nil
	}
	type plain Entity
	return json.Marshal(plain(e))
}

// Ref is the entity's canonical ref (kind:namespace/name, lower-cased).
func (e Entity) Ref() string {
	ns := e.Metadata.Namespace
	if ns == "" {
		ns = "default"
	}
	return lower(e.Kind) + ":" + lower(ns) + "/" + lower(e.Metadata.Name)
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

// CardInput is the card export's input.
type CardInput struct {
	ABI    int        `json:"abi"`
	Plugin PluginInfo `json:"plugin"`
	User   *User      `json:"user,omitempty"`
	Card   string     `json:"card"`
	Entity Entity     `json:"entity"`
}

// Card is the declarative card a plugin returns. Strings are plain text.
type Card struct {
	Title   string   `json:"title"`
	Status  *Status  `json:"status,omitempty"`
	Summary string   `json:"summary,omitempty"`
	Fields  []Field  `json:"fields,omitempty"`
	Tables  []Table  `json:"tables,omitempty"`
	Links   []Link   `json:"links,omitempty"`
	Badges  []Badge  `json:"badges,omitempty"`
	Series  []Series `json:"series,omitempty"`
}

// Status levels.
const (
	LevelOK      = "ok"
	LevelInfo    = "info"
	LevelWarning = "warning"
	LevelError   = "error"
	LevelUnknown = "unknown"
)

// Status is a card's overall state.
type Status struct {
	Level string `json:"level"`
	Text  string `json:"text,omitempty"`
}

// Field is one label/value line.
type Field struct {
	Label string `json:"label"`
	Value string `json:"value"`
	URL   string `json:"url,omitempty"`
}

// Table is a small table of text cells.
type Table struct {
	Title   string     `json:"title,omitempty"`
	Columns []string   `json:"columns"`
	Rows    [][]string `json:"rows"`
}

// Link is an outbound link (http or https).
type Link struct {
	Title string `json:"title"`
	URL   string `json:"url"`
}

// Badge is a short label with a tone (neutral, ok, info, warning, error).
type Badge struct {
	Label string `json:"label"`
	Tone  string `json:"tone,omitempty"`
}

// Series is a named time series.
type Series struct {
	Name   string  `json:"name"`
	Unit   string  `json:"unit,omitempty"`
	Points []Point `json:"points"`
}

// Point is one time-series value.
type Point struct {
	T time.Time `json:"t"`
	V float64   `json:"v"`
}

// CardOutput is the card export's output.
type CardOutput struct {
	ABI  int  `json:"abi"`
	Card Card `json:"card"`
}

// ProvideInput is the provide export's input.
type ProvideInput struct {
	ABI      int        `json:"abi"`
	Plugin   PluginInfo `json:"plugin"`
	Provider struct {
		Every string `json:"every,omitempty"`
	} `json:"provider"`
	LastRun *time.Time `json:"lastRun,omitempty"`
}

// EntityAnnotations adds annotations to an existing entity.
type EntityAnnotations struct {
	EntityRef   string            `json:"entityRef"`
	Annotations map[string]string `json:"annotations"`
}

// ProvideOutput is the provide export's output.
type ProvideOutput struct {
	ABI         int                 `json:"abi"`
	Entities    []json.RawMessage   `json:"entities,omitempty"`
	Annotations []EntityAnnotations `json:"annotations,omitempty"`
}

// ActionInput is the action export's input.
type ActionInput struct {
	ABI    int            `json:"abi"`
	Plugin PluginInfo     `json:"plugin"`
	User   *User          `json:"user,omitempty"`
	Action string         `json:"action"`
	Input  map[string]any `json:"input,omitempty"`
	DryRun bool           `json:"dryRun,omitempty"`
}

// ActionOutput is the action export's output.
type ActionOutput struct {
	ABI      int            `json:"abi"`
	Output   map[string]any `json:"output,omitempty"`
	Messages []string       `json:"messages,omitempty"`
}

// CheckInput is the check export's input.
type CheckInput struct {
	ABI    int        `json:"abi"`
	Plugin PluginInfo `json:"plugin"`
	User   *User      `json:"user,omitempty"`
	Check  string     `json:"check"`
	Entity Entity     `json:"entity"`
}

// Check results.
const (
	Pass = "pass"
	Fail = "fail"
	Skip = "skip"
)

// CheckOutput is the check export's output.
type CheckOutput struct {
	ABI     int      `json:"abi"`
	Result  string   `json:"result"`
	Message string   `json:"message,omitempty"`
	Score   *float64 `json:"score,omitempty"`
}

// RouteInput is the route export's input.
type RouteInput struct {
	ABI     int                 `json:"abi"`
	Plugin  PluginInfo          `json:"plugin"`
	User    *User               `json:"user,omitempty"`
	Method  string              `json:"method"`
	Path    string              `json:"path"`
	Query   url.Values          `json:"query,omitempty"`
	Headers map[string][]string `json:"headers,omitempty"`
	Body    string              `json:"body,omitempty"`
}

// RouteOutput is the route export's output: JSON or plain text, never HTML.
type RouteOutput struct {
	ABI     int               `json:"abi"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers,omitempty"`
	JSON    any               `json:"json,omitempty"`
	Text    string            `json:"text,omitempty"`
}

// Error is a host function's error document (pdk/ABI.md §5).
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Error codes.
const (
	CodePermissionDenied = "permission_denied"
	CodeNotFound         = "not_found"
	CodeInvalidArgument  = "invalid_argument"
	CodeTooLarge         = "too_large"
	CodeUnavailable      = "unavailable"
	CodeInternal         = "internal"
)

// IsCode reports whether err is a host error with the given code.
func IsCode(err error, code string) bool {
	e, ok := err.(*Error)
	return ok && e.Code == code
}

// Query is a catalog query (portico_catalog_query_v1).
type Query struct {
	Filter   map[string]any `json:"filter,omitempty"`
	FullText *FullText      `json:"fullText,omitempty"`
	Order    []Order        `json:"order,omitempty"`
	Limit    int            `json:"limit,omitempty"`
	Cursor   string         `json:"cursor,omitempty"`
}

// FullText is a case-insensitive substring search.
type FullText struct {
	Term   string   `json:"term"`
	Fields []string `json:"fields,omitempty"`
}

// Order is one sort key.
type Order struct {
	Field string `json:"field"`
	Order string `json:"order,omitempty"`
}

// Page is one page of a catalog query.
type Page struct {
	Items []Entity `json:"items"`
	Next  string   `json:"next,omitempty"`
}

// SearchResult is one search hit. Type and Location are set for documents
// that are not catalog entities (SearchTypes with "plugin:NAME").
type SearchResult struct {
	Ref      string `json:"ref"`
	Kind     string `json:"kind"`
	Title    string `json:"title"`
	Text     string `json:"text,omitempty"`
	Type     string `json:"type,omitempty"`
	Location string `json:"location,omitempty"`
}

// CollateInput is the collate export's input: which page the host wants.
type CollateInput struct {
	ABI     int        `json:"abi"`
	Plugin  PluginInfo `json:"plugin"`
	Collate struct {
		// Cursor is the Next of the previous page ("" on the first page).
		Cursor string `json:"cursor,omitempty"`
		// Limit is the most documents this page may hold.
		Limit int `json:"limit"`
	} `json:"collate"`
}

// SearchDocument is one document a plugin adds to the search index.
// ID (unique within the plugin) and Title are required, and Location unless
// EntityRef is set (the entity's page is used then).
type SearchDocument struct {
	ID        string            `json:"id"`
	Type      string            `json:"type,omitempty"` // e.g. "incident"; lower-case, digits, dashes
	Title     string            `json:"title"`
	Text      string            `json:"text,omitempty"`
	Location  string            `json:"location,omitempty"` // http(s) URL or a portal path "/…"
	EntityRef string            `json:"entityRef,omitempty"`
	Fields    map[string]string `json:"fields,omitempty"`
}

// CollateOutput is one page of the collate export: documents, and Next when
// there are more (the host calls again with it as the cursor).
type CollateOutput struct {
	ABI       int              `json:"abi"`
	Documents []SearchDocument `json:"documents"`
	Next      string           `json:"next,omitempty"`
}
