package host

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/portico-dev/portico/host/services"
)

// Card is the declarative card document of pdk/ABI.md §3 (card.json). Every
// string is plain text; the renderer escapes it.
type Card struct {
	Title   string       `json:"title"`
	Status  *CardStatus  `json:"status,omitempty"`
	Summary string       `json:"summary,omitempty"`
	Fields  []CardField  `json:"fields,omitempty"`
	Tables  []CardTable  `json:"tables,omitempty"`
	Links   []CardLink   `json:"links,omitempty"`
	Badges  []CardBadge  `json:"badges,omitempty"`
	Series  []CardSeries `json:"series,omitempty"`
}

// CardStatus is a card's overall state.
type CardStatus struct {
	Level string `json:"level"`
	Text  string `json:"text,omitempty"`
}

// CardField is one label/value line.
type CardField struct {
	Label string `json:"label"`
	Value string `json:"value"`
	URL   string `json:"url,omitempty"`
}

// CardTable is a table of text cells.
type CardTable struct {
	Title   string     `json:"title,omitempty"`
	Columns []string   `json:"columns"`
	Rows    [][]string `json:"rows"`
}

// CardLink is an http(s) link.
type CardLink struct {
	Title string `json:"title"`
	URL   string `json:"url"`
}

// CardBadge is a short label with a tone.
type CardBadge struct {
	Label string `json:"label"`
	Tone  string `json:"tone,omitempty"`
}

// CardSeries is a time series.
type CardSeries struct {
	Name   string      `json:"name"`
	Unit   string      `json:"unit,omitempty"`
	Points []CardPoint `json:"points"`
}

// CardPoint is one time-series value.
type CardPoint struct {
	T time.Time `json:"t"`
	V float64   `json:"v"`
}

var (
	levels = map[string]bool{"ok": true, "info": true, "warning": true, "error": true, "unknown": true}
	tones  = map[string]bool{"": true, "neutral": true, "ok": true, "info": true, "warning": true, "error": true}
)

// Validate checks a card against card.json's rules and limits.
func (c *Card) Validate() error {
	var errs []error
	bad := func(f string, a ...any) { errs = append(errs, fmt.Errorf(f, a...)) }
	if c.Title == "" {
		bad("title is required")
	}
	if c.Status != nil && !levels[c.Status.Level] {
		bad("status.level %q is not one of ok, info, warning, error, unknown", c.Status.Level)
	}
	if len(c.Fields) > 100 || len(c.Tables) > 10 || len(c.Links) > 100 || len(c.Badges) > 50 || len(c.Series) > 20 {
		bad("too many fields, tables, links, badges or series")
	}
	for i, f := range c.Fields {
		if f.URL != "" && !httpURL(f.URL) {
			bad("fields[%d].url must be http or https", i)
		}
	}
	for i, t := range c.Tables {
		if len(t.Columns) > 20 || len(t.Rows) > 200 {
			bad("tables[%d] is larger than 200 rows x 20 columns", i)
		}
		for _, r := range t.Rows {
			if len(r) > 20 {
				bad("tables[%d] has a row wider than 20 cells", i)
				break
			}
		}
	}
	for i, l := range c.Links {
		if !httpURL(l.URL) {
			bad("links[%d].url must be http or https", i)
		}
	}
	for i, b := range c.Badges {
		if !tones[b.Tone] {
			bad("badges[%d].tone %q is not a tone", i, b.Tone)
		}
	}
	for i, s := range c.Series {
		if len(s.Points) > 2000 {
			bad("series[%d] has more than 2000 points", i)
		}
	}
	return errors.Join(errs...)
}

func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// inputHead carries the fields every export input has.
type inputHead struct {
	ABI    int               `json:"abi"`
	Plugin map[string]string `json:"plugin"`
	User   *services.Caller  `json:"user,omitempty"`
}

func (p *Plugin) head(ctx context.Context) inputHead {
	h := inputHead{ABI: 1, Plugin: map[string]string{"name": p.Name(), "version": p.Manifest().Metadata.Version}}
	if c := services.CallerFrom(ctx); !c.IsSystem() {
		h.User = &c
	}
	return h
}

// Card calls the card export for an entity, as the caller in ctx, and
// returns the validated card.
func (p *Plugin) Card(ctx context.Context, cardID string, entity json.RawMessage) (*Card, error) {
	in, err := json.Marshal(struct {
		inputHead
		Card   string          `json:"card"`
		Entity json.RawMessage `json:"entity"`
	}{p.head(ctx), cardID, entity})
	if err != nil {
		return nil, fmt.Errorf("plugin %s: card input: %w", p.Name(), err)
	}
	out, err := p.Call(ctx, "card", in)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Card *Card `json:"card"`
	}
	if err := json.Unmarshal(out, &doc); err != nil || doc.Card == nil {
		return nil, &CallError{Plugin: p.Name(), Export: "card", Kind: ErrBadOutput, Detail: "output has no card object"}
	}
	if err := doc.Card.Validate(); err != nil {
		return nil, &CallError{Plugin: p.Name(), Export: "card", Kind: ErrBadOutput, Detail: err.Error()}
	}
	return doc.Card, nil
}

// Input builds an export's input document from the common head (abi,
// plugin, user from ctx) and the export-specific fields.
func (p *Plugin) Input(ctx context.Context, fields map[string]any) ([]byte, error) {
	h := p.head(ctx)
	doc := map[string]any{"abi": h.ABI, "plugin": h.Plugin}
	if h.User != nil {
		doc["user"] = h.User
	}
	for k, v := range fields {
		if k == "abi" || k == "plugin" || k == "user" {
			continue
		}
		doc[k] = v
	}
	return json.Marshal(doc)
}

// Matches reports whether a card's `when` selects the entity: every set
// condition must hold (annotation present, kind and spec.type equal
// case-insensitively). A card without `when` applies to every entity.
func (c *CardExtension) Matches(entity json.RawMessage) bool {
	if c.When == nil {
		return true
	}
	var e struct {
		Kind     string `json:"kind"`
		Metadata struct {
			Annotations map[string]string `json:"annotations"`
		} `json:"metadata"`
		Spec struct {
			Type string `json:"type"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(entity, &e); err != nil {
		return false
	}
	w := c.When
	if w.Annotation != "" {
		if _, ok := e.Metadata.Annotations[w.Annotation]; !ok {
			return false
		}
	}
	if w.Kind != "" && !strings.EqualFold(w.Kind, e.Kind) {
		return false
	}
	if w.Type != "" && !strings.EqualFold(w.Type, e.Spec.Type) {
		return false
	}
	return true
}

// CardsFor returns the plugin's cards that apply to an entity, in manifest
// order (what an entity page asks the plugin to render).
func (p *Plugin) CardsFor(entity json.RawMessage) []*CardExtension {
	var out []*CardExtension
	for _, pr := range p.Manifest().Spec.Provides {
		if pr.Card != nil && pr.Card.Matches(entity) {
			out = append(out, pr.Card)
		}
	}
	return out
}
