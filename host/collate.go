package host

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/portico-dev/portico/catalog"
)

// Limits of the collate export (pdk/ABI.md §3 "collate"). A page that breaks
// one is a bad output of that call: nothing of it is indexed.
const (
	// CollatePageLimit is the most documents one collate call may return
	// (the host sends it as the input's limit).
	CollatePageLimit = 500
	// MaxCollateCursor bounds the opaque cursor a plugin hands back.
	MaxCollateCursor = 1024
	maxDocID         = 256
	maxDocTitle      = 512
	maxDocText       = 16 << 10
	maxDocLocation   = 2048
	maxDocType       = 64
	maxDocFields     = 20
	maxDocFieldValue = 1024
)

// SearchDocument is one document of a collate page (collate.output.json).
type SearchDocument struct {
	ID        string            `json:"id"`
	Type      string            `json:"type,omitempty"`
	Title     string            `json:"title"`
	Text      string            `json:"text,omitempty"`
	Location  string            `json:"location,omitempty"`
	EntityRef string            `json:"entityRef,omitempty"`
	Fields    map[string]string `json:"fields,omitempty"`
}

// CollatePage is one collate call's output: documents and, when there are
// more, the cursor of the next page.
type CollatePage struct {
	Documents []SearchDocument `json:"documents"`
	Next      string           `json:"next,omitempty"`
}

var (
	docTypeRE  = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)
	fieldKeyRE = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_]{0,63}$`)
	// reservedFields are the names search results already use.
	reservedFields = map[string]bool{"title": true, "text": true, "location": true, "kind": true, "namespace": true,
		"name": true, "type": true, "componentType": true, "lifecycle": true, "owner": true, "system": true,
		"tags": true, "authorization": true, "entityRef": true, "id": true, "plugin": true}
)

// CanCollate reports whether the host may call the plugin's collate export:
// the module exports it and the operator granted collate.
func (p *Plugin) CanCollate() bool { return p.exports["collate"] && p.grant.Collate }

// Collate calls the collate export for one page (cursor "" is the first) as
// a system call and returns the validated page. A plugin without the grant
// gets ErrPermission without being called.
func (p *Plugin) Collate(ctx context.Context, cursor string) (*CollatePage, error) {
	if !p.grant.Collate {
		return nil, &CallError{Plugin: p.Name(), Export: "collate", Kind: ErrPermission, Detail: "collate not granted to plugin " + p.Name()}
	}
	req := map[string]any{"limit": CollatePageLimit}
	if cursor != "" {
		req["cursor"] = cursor
	}
	b, err := p.Input(ctx, map[string]any{"collate": req})
	if err != nil {
		return nil, fmt.Errorf("plugin %s: collate input: %w", p.Name(), err)
	}
	out, err := p.Call(ctx, "collate", b)
	if err != nil {
		return nil, err
	}
	bad := func(format string, args ...any) error {
		return &CallError{Plugin: p.Name(), Export: "collate", Kind: ErrBadOutput, Detail: fmt.Sprintf(format, args...)}
	}
	var doc struct {
		Documents *[]SearchDocument `json:"documents"`
		Next      string            `json:"next"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		return nil, bad("output does not match collate.output.json: %v", err)
	}
	if doc.Documents == nil {
		return nil, bad("output has no documents list")
	}
	page := &CollatePage{Documents: *doc.Documents, Next: doc.Next}
	if err := page.Validate(); err != nil {
		return nil, bad("%v", err)
	}
	return page, nil
}

// Validate checks a collate page against the limits of pdk/ABI.md.
func (pg *CollatePage) Validate() error {
	if n := len(pg.Documents); n > CollatePageLimit {
		return fmt.Errorf("%d documents in one page, limit %d (return the rest through next)", n, CollatePageLimit)
	}
	if len(pg.Next) > MaxCollateCursor {
		return fmt.Errorf("next cursor is %d bytes, limit %d", len(pg.Next), MaxCollateCursor)
	}
	seen := make(map[string]bool, len(pg.Documents))
	for i := range pg.Documents {
		d := &pg.Documents[i]
		if err := d.validate(); err != nil {
			return fmt.Errorf("documents[%d] (id %q): %w", i, truncate(d.ID, 64), err)
		}
		if seen[d.ID] {
			return fmt.Errorf("documents[%d]: duplicate id %q", i, d.ID)
		}
		seen[d.ID] = true
	}
	return nil
}

func (d *SearchDocument) validate() error {
	text := func(name, v string, max int, required bool) error {
		switch {
		case required && strings.TrimSpace(v) == "":
			return fmt.Errorf("%s is required", name)
		case len(v) > max:
			return fmt.Errorf("%s is %d bytes, limit %d", name, len(v), max)
		case !utf8.ValidString(v):
			return fmt.Errorf("%s is not valid UTF-8", name)
		}
		return nil
	}
	if err := text("id", d.ID, maxDocID, true); err != nil {
		return err
	}
	if err := text("title", d.Title, maxDocTitle, true); err != nil {
		return err
	}
	if err := text("text", d.Text, maxDocText, false); err != nil {
		return err
	}
	if d.Type != "" && (len(d.Type) > maxDocType || !docTypeRE.MatchString(d.Type)) {
		return fmt.Errorf("type %q must be lower-case letters, digits and dashes (at most %d)", truncate(d.Type, 80), maxDocType)
	}
	if d.EntityRef != "" {
		r, err := catalog.ParseRef(d.EntityRef, catalog.RefContext{})
		if err != nil || r.Kind == "" {
			return fmt.Errorf("entityRef %q is not a full entity ref (kind:namespace/name)", truncate(d.EntityRef, 80))
		}
	}
	switch {
	case d.Location == "" && d.EntityRef == "":
		return fmt.Errorf("location is required without an entityRef")
	case len(d.Location) > maxDocLocation:
		return fmt.Errorf("location is %d bytes, limit %d", len(d.Location), maxDocLocation)
	case d.Location != "" && !httpURL(d.Location) && !(strings.HasPrefix(d.Location, "/") && !strings.HasPrefix(d.Location, "//")):
		return fmt.Errorf("location %q must be an http(s) URL or a path starting with /", truncate(d.Location, 80))
	}
	if len(d.Fields) > maxDocFields {
		return fmt.Errorf("%d fields, limit %d", len(d.Fields), maxDocFields)
	}
	for k, v := range d.Fields {
		if !fieldKeyRE.MatchString(k) || reservedFields[k] {
			return fmt.Errorf("field name %q must match %s and not be one of the result's own names", truncate(k, 80), fieldKeyRE)
		}
		if err := text("fields."+k, v, maxDocFieldValue, false); err != nil {
			return err
		}
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
