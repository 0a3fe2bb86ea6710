package ingest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/portico-dev/portico/catalog"
)

// Report is what processing one registered location did.
type Report struct {
	Location catalog.Location
	Result   catalog.ApplyResult
	Entities int // entities produced without errors, the generated Location entity included
	Errors   []catalog.ProcessingError
	Sources  int
	// SourcesUnchanged counts the sources skipped because nothing they
	// depend on changed since the last processing (see unchanged.go).
	SourcesUnchanged int
}

// ProcessLocation reads a registered location, stores the result in one
// Apply and schedules its next refresh. Processing errors are data (in the
// Report and the store); the error return is for store failures and
// cancellation, in which case nothing was written.
func (e *Engine) ProcessLocation(ctx context.Context, loc catalog.Location) (Report, error) {
	if e.store == nil {
		return Report{}, fmt.Errorf("ingest %s:%s: engine has no store", loc.Type, loc.Target)
	}
	unlock := e.lock(loc.ID)
	defer unlock()
	start := e.opts.Now()
	ms := &memoState{prev: e.memo(loc.ID)}
	if ms.prev != nil {
		counts, err := e.storedCounts(ctx, originKey(loc))
		if err != nil {
			e.log.Warn("count stored entities; processing every source", "location", originKey(loc), "err", err)
			ms.prev = nil
		}
		ms.counts = counts
	}
	e.forget(loc.ID) // remembered again only once this processing is stored
	var out *outcome
	// The location is read inside the store's apply, source by source, and
	// each source's entities are written while the next is read: a large
	// location is never resident at once.
	stream := func(emit func([]catalog.Processed) error) (catalog.StreamEnd, error) {
		var err error
		out, err = e.walkLocation(ctx, loc, emit, ms)
		if err != nil {
			return catalog.StreamEnd{}, err
		}
		if err := ctx.Err(); err != nil {
			return catalog.StreamEnd{}, err
		}
		keep, err := e.keepSources(ctx, loc, out)
		if err != nil {
			return catalog.StreamEnd{}, err
		}
		if e.opts.Progress != nil {
			e.opts.Progress(Progress{Location: originKey(loc), Phase: "storing", Sources: out.sources,
				SourcesKnown: out.sources, SourcesDone: out.sources,
				Documents: out.produced, Processed: out.produced, Errors: len(out.errors)})
		}
		return catalog.StreamEnd{Errors: out.errors, KeepSources: append(keep, out.unchanged...)}, nil
	}
	res, err := e.store.ApplyLocation(ctx, catalog.Apply{
		LocationID:     loc.ID,
		Stream:         stream,
		OrphanStrategy: e.opts.OrphanStrategy,
	})
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return Report{}, fmt.Errorf("ingest %s: %w", originKey(loc), cerr)
		}
		return Report{}, fmt.Errorf("ingest %s: store: %w", originKey(loc), err)
	}
	if out == nil {
		return Report{}, fmt.Errorf("ingest %s: store: the apply did not read the location's entity stream", originKey(loc))
	}
	res.Unchanged += out.skipped // not even parsed
	for _, c := range res.Conflicts {
		delete(out.memo, c.Source)
	}
	e.remember(loc.ID, out.memo)
	rep := Report{Location: loc, Result: res, Entities: out.valid,
		Errors: append(out.errors, res.Conflicts...), Sources: out.sources, SourcesUnchanged: len(out.unchanged)}
	if e.opts.Progress != nil {
		e.opts.Progress(Progress{Location: originKey(loc), Phase: "done", Sources: out.sources,
			SourcesKnown: out.sources, SourcesDone: out.sources,
			Documents: out.produced, Processed: out.produced, Errors: len(rep.Errors), Result: &res})
	}
	level := e.log.Debug
	if res.Added+res.Updated+res.Orphaned+res.Deleted > 0 || len(rep.Errors) > 0 {
		level = e.log.Info
	}
	level("processed location", "location", originKey(loc), "entities", rep.Entities,
		"added", res.Added, "updated", res.Updated, "unchanged", res.Unchanged,
		"orphaned", res.Orphaned, "deleted", res.Deleted, "errors", len(rep.Errors),
		"took", e.opts.Now().Sub(start).Round(time.Millisecond).String())
	for _, pe := range rep.Errors {
		e.log.Debug("processing error", "location", originKey(loc), "error", catalog.FormatProcessingError(pe))
	}
	if e.opts.Interval > 0 {
		if err := e.store.ScheduleRefresh(ctx, loc.ID, e.nextRefresh()); err != nil {
			e.log.Warn("schedule refresh", "location", originKey(loc), "err", err)
		}
	}
	return rep, nil
}

// nextRefresh is Interval to 1.5×Interval from now, as Backstage spreads load.
func (e *Engine) nextRefresh() time.Time {
	d := e.opts.Interval
	return e.opts.Now().Add(d + time.Duration(rand.Int64N(int64(d)/2+1)))
}

// previousSources lists the source keys of the stored entities a root
// location produced before (their managed-by-location values).
//
// Note: it relies on the filter index, which skips values over
// catalog.MaxTokenLength characters; an origin that long keeps only the
// sources that failed themselves.
func (e *Engine) previousSources(ctx context.Context, origin string) ([]string, error) {
	facet := "metadata.annotations." + catalog.AnnotationManagedByLocation
	f := catalog.Eq("metadata.annotations."+catalog.AnnotationManagedByOriginLocation, origin)
	fc, err := e.store.Facets(ctx, f, []string{facet})
	if err != nil {
		return nil, fmt.Errorf("previous sources: %w", err)
	}
	var out []string
	for _, c := range fc[facet] {
		out = append(out, c.Value)
	}
	return out, nil
}

// keepSources is out.keep plus, when part of the tree could not be read,
// every source the location produced from before that was not read now.
func (e *Engine) keepSources(ctx context.Context, loc catalog.Location, out *outcome) ([]string, error) {
	keep := out.keep
	if !out.incomplete {
		return keep, nil
	}
	prev, err := e.previousSources(ctx, originKey(loc))
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, k := range keep {
		seen[k] = true
	}
	for _, k := range prev {
		if !out.readOK[k] && !seen[k] {
			seen[k] = true
			keep = append(keep, k)
		}
	}
	return keep, nil
}
