package search

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/portico-dev/portico/catalog"
)

// TypePluginPrefix starts the document type of a plugin's collated
// documents: plugin NAME's are all of type "plugin:NAME", so one plugin can
// never replace catalog documents or another plugin's.
const TypePluginPrefix = "plugin:"

// PluginType is the document type of plugin name's documents.
func PluginType(name string) string { return TypePluginPrefix + name }

// IsPluginType reports whether t is a well-formed plugin document type
// ("plugin:" and a plugin name).
func IsPluginType(t string) bool {
	name, ok := strings.CutPrefix(t, TypePluginPrefix)
	return ok && pluginNameRE.MatchString(name)
}

var pluginNameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// PluginKey is the index key of one plugin document.
func PluginKey(plugin, id string) string { return PluginType(plugin) + ":" + id }

// PluginDoc is one document a plugin's collate export returned, already
// checked against the ABI's per-document limits by the host.
type PluginDoc struct {
	ID, Type, Title, Text, Location, EntityRef string
	Fields                                     map[string]string
}

// PluginPage is one collate call's answer.
type PluginPage struct {
	Docs []PluginDoc
	Next string // "" = last page
}

// CollatingPlugin is a plugin whose collate export may be called now.
type CollatingPlugin struct {
	Name  string
	Every time.Duration // how often its documents are refreshed
}

// PluginSource is the plugin host as the collator sees it.
type PluginSource interface {
	// Collators lists the loaded plugins that export collate and were
	// granted it.
	Collators() []CollatingPlugin
	// CollatePage calls one plugin's collate export for the page at cursor
	// ("" = first) as a system call, through the host's pool and breaker.
	CollatePage(ctx context.Context, plugin, cursor string) (PluginPage, error)
}

// Defaults of PluginCollator.
const (
	DefaultMaxPluginDocs  = 10000
	DefaultCollateTimeout = 2 * time.Minute
	maxCollatePages       = 200
)

// PluginCollator indexes the documents of plugins' collate exports: every
// plugin on its own period, all pages of one run (following the cursor)
// replacing that plugin's previous set. A run that fails (a call error, a
// bad page, too many documents, the deadline) changes nothing in the index.
// Documents of a plugin that is no longer loaded or granted are removed.
type PluginCollator struct {
	Source PluginSource
	Index  Index
	// Store, when set, gives documents that name an entity that entity's
	// kind, namespace, owner and system, so filters and permission
	// conditions treat them like the entity.
	Store  CatalogReader
	Logger *slog.Logger
	// MaxDocs caps one plugin's documents per run (DefaultMaxPluginDocs).
	MaxDocs int
	// Timeout bounds one plugin's whole run, all pages (DefaultCollateTimeout).
	Timeout time.Duration
	// Tick is how often Run looks for plugins that are due (default 1m).
	Tick time.Duration

	mu   sync.Mutex
	last map[string]time.Time
}

// ErrCollate marks a plugin's documents refused by the collator (too many,
// a repeated id, a loop of cursors): the index keeps the previous set.
var ErrCollate = errors.New("plugin documents refused")

// Collect runs every page of one plugin's collate export and returns its
// documents ready for the index. Nothing is written.
func (c *PluginCollator) Collect(ctx context.Context, plugin string) ([]Document, error) {
	maxDocs := c.MaxDocs
	if maxDocs <= 0 {
		maxDocs = DefaultMaxPluginDocs
	}
	var docs []Document
	seen := map[string]bool{}
	cursors := map[string]bool{}
	cursor := ""
	for page := 0; ; page++ {
		if page == maxCollatePages {
			return nil, fmt.Errorf("%w: plugin %s: more than %d pages", ErrCollate, plugin, maxCollatePages)
		}
		p, err := c.Source.CollatePage(ctx, plugin, cursor)
		if err != nil {
			return nil, err
		}
		for _, d := range p.Docs {
			if seen[d.ID] {
				return nil, fmt.Errorf("%w: plugin %s: id %q returned twice", ErrCollate, plugin, d.ID)
			}
			seen[d.ID] = true
			docs = append(docs, pluginDocument(plugin, d))
			if len(docs) > maxDocs {
				return nil, fmt.Errorf("%w: plugin %s: more than %d documents", ErrCollate, plugin, maxDocs)
			}
		}
		if p.Next == "" {
			break
		}
		if cursors[p.Next] {
			return nil, fmt.Errorf("%w: plugin %s: cursor %q returned twice", ErrCollate, plugin, p.Next)
		}
		cursors[p.Next] = true
		cursor = p.Next
	}
	if err := c.enrich(ctx, docs); err != nil {
		return nil, err
	}
	return docs, nil
}

// pluginDocument turns a plugin's document into an index document.
func pluginDocument(plugin string, d PluginDoc) Document {
	doc := Document{
		Key: PluginKey(plugin, d.ID), Type: PluginType(plugin), Title: d.Title, Text: d.Text,
		Location: d.Location, EntityType: d.Type,
	}
	if len(d.Fields) > 0 {
		doc.Fields = make(map[string]string, len(d.Fields))
		for k, v := range d.Fields {
			doc.Fields[k] = v
		}
	}
	if d.EntityRef != "" {
		if r, err := catalog.ParseRef(d.EntityRef, catalog.RefContext{}); err == nil {
			doc.Ref = r.String()
			if doc.Location == "" {
				doc.Location = EntityLocation(r)
			}
		}
	}
	kw := []string{plugin, d.Type}
	keys := make([]string, 0, len(d.Fields))
	for k := range d.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if v := d.Fields[k]; len(v) <= 200 && !strings.Contains(v, "://") {
			kw = append(kw, v)
		}
	}
	doc.Keywords = strings.TrimSpace(strings.Join(kw, " "))
	return doc
}

// enrich copies kind, namespace, owner and system of the entities documents
// name; a document naming an absent entity keeps only its ref.
func (c *PluginCollator) enrich(ctx context.Context, docs []Document) error {
	if c.Store == nil {
		return nil
	}
	var refs []string
	at := map[string][]int{}
	for i, d := range docs {
		if d.Ref == "" {
			continue
		}
		if _, ok := at[d.Ref]; !ok {
			refs = append(refs, d.Ref)
		}
		at[d.Ref] = append(at[d.Ref], i)
	}
	for start := 0; start < len(refs); start += 500 {
		part := refs[start:min(start+500, len(refs))]
		recs, err := c.Store.EntitiesByRefs(ctx, part, catalog.Filter{})
		if err != nil {
			return fmt.Errorf("read entities of plugin documents: %w", err)
		}
		for i, rec := range recs {
			if rec == nil {
				continue
			}
			e, err := RecordDocument(rec)
			if err != nil {
				continue
			}
			for _, j := range at[part[i]] {
				d := &docs[j]
				d.Kind, d.Namespace, d.Owner, d.System = e.Kind, e.Namespace, e.Owner, e.System
				d.OwnedBy = append([]string(nil), e.OwnedBy...)
			}
		}
	}
	return nil
}

// CollatePlugin refreshes one plugin's documents: it collects every page,
// then replaces the plugin's previous documents with them. On any error the
// index is left as it was. It returns how many documents the plugin has.
func (c *PluginCollator) CollatePlugin(ctx context.Context, plugin string) (int, error) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultCollateTimeout
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	docs, err := c.Collect(cctx, plugin)
	if err != nil {
		return 0, err
	}
	if err := ReplaceType(ctx, c.Index, PluginType(plugin), docs); err != nil {
		return 0, err
	}
	return len(docs), nil
}

// ReplaceType makes docs the only documents of docType: it upserts them,
// then deletes the type's other documents.
func ReplaceType(ctx context.Context, idx Index, docType string, docs []Document) error {
	keep := make(map[string]bool, len(docs))
	for i := range docs {
		if docs[i].Type != docType {
			return fmt.Errorf("replace %s: document %s has type %s", docType, docs[i].Key, docs[i].Type)
		}
		keep[docs[i].Key] = true
	}
	if len(docs) == 0 {
		if err := idx.DeleteType(ctx, docType); err != nil {
			return fmt.Errorf("replace %s: %w", docType, err)
		}
		return nil
	}
	if err := idx.Upsert(ctx, docs); err != nil {
		return fmt.Errorf("replace %s: %w", docType, err)
	}
	stale, err := typeKeys(ctx, idx, docType, keep)
	if err != nil {
		return fmt.Errorf("replace %s: %w", docType, err)
	}
	if err := idx.Delete(ctx, stale); err != nil {
		return fmt.Errorf("replace %s: %w", docType, err)
	}
	return nil
}

// typeKeys lists the keys of docType's documents that are not in keep.
func typeKeys(ctx context.Context, idx Index, docType string, keep map[string]bool) ([]string, error) {
	var stale []string
	for off := 0; ; off += MaxLimit {
		res, err := idx.Search(ctx, Query{Types: []string{docType}, Offset: off, Limit: MaxLimit})
		if err != nil {
			return nil, err
		}
		for _, h := range res.Hits {
			if !keep[h.Doc.Key] {
				stale = append(stale, h.Doc.Key)
			}
		}
		if len(res.Hits) < MaxLimit || off+len(res.Hits) >= res.Total {
			return stale, nil
		}
	}
}

// Prune removes the documents of plugins that no longer collate (unloaded,
// or their grant or export gone).
func (c *PluginCollator) Prune(ctx context.Context) error {
	live := map[string]bool{}
	for _, p := range c.Source.Collators() {
		live[PluginType(p.Name)] = true
	}
	// Every document type, by facet (the types are few: the catalog, docs
	// and one per collating plugin).
	res, err := c.Index.Search(ctx, Query{Limit: 1, Facets: []string{FieldDocType}})
	if err != nil {
		return fmt.Errorf("list plugin document types: %w", err)
	}
	var errs []error
	for _, fc := range res.Facets[FieldDocType] {
		if !strings.HasPrefix(fc.Value, TypePluginPrefix) || live[fc.Value] {
			continue
		}
		if err := c.Index.DeleteType(ctx, fc.Value); err != nil {
			errs = append(errs, err)
			continue
		}
		c.logger().Info("removed search documents of a plugin that no longer collates", "type", fc.Value, "documents", fc.Count)
	}
	return errors.Join(errs...)
}

func (c *PluginCollator) logger() *slog.Logger {
	if c.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Logger
}

// RunDue collates every plugin whose period has passed since its last run
// (a plugin never collated is due) and prunes departed plugins. A failing
// plugin is logged and retried at its next period; the others go on.
func (c *PluginCollator) RunDue(ctx context.Context, now time.Time) {
	for _, p := range c.Source.Collators() {
		if !c.due(p, now) {
			continue
		}
		n, err := c.CollatePlugin(ctx, p.Name)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			c.logger().Warn("plugin search documents not updated; the previous ones stay", "plugin", p.Name, "err", err)
			continue
		}
		c.logger().Info("plugin search documents updated", "plugin", p.Name, "documents", n)
	}
	if err := c.Prune(ctx); err != nil && ctx.Err() == nil {
		c.logger().Warn("prune plugin search documents", "err", err)
	}
}

// due reports whether p's period has passed since its last run and, if so,
// records now as its last run.
func (c *PluginCollator) due(p CollatingPlugin, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if last, ok := c.last[p.Name]; ok && now.Sub(last) < p.Every {
		return false
	}
	if c.last == nil {
		c.last = map[string]time.Time{}
	}
	c.last[p.Name] = now
	return true
}

// Run calls RunDue every Tick until ctx ends.
func (c *PluginCollator) Run(ctx context.Context) {
	tick := c.Tick
	if tick <= 0 {
		tick = time.Minute
	}
	for {
		c.RunDue(ctx, time.Now())
		t := time.NewTimer(tick)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}
