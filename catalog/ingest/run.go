package ingest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/portico-dev/portico/catalog"
)

// Stats sums the reports of several locations.
type Stats struct {
	Locations int
	Entities  int
	Errors    int
	Result    catalog.ApplyResult
}

func (s *Stats) add(r Report) {
	s.Locations++
	s.Entities += r.Entities
	s.Errors += len(r.Errors)
	s.Result.Added += r.Result.Added
	s.Result.Updated += r.Result.Updated
	s.Result.Unchanged += r.Result.Unchanged
	s.Result.Orphaned += r.Result.Orphaned
	s.Result.Deleted += r.Result.Deleted
}

// SyncConfigLocations makes the store's config-origin locations equal to
// Options.ConfigLocations: missing ones are added, ones no longer configured
// are deleted (their entities orphaned or deleted per strategy). Locations
// registered through the API are never touched.
func (e *Engine) SyncConfigLocations(ctx context.Context) error {
	e.mu.Lock()
	e.synced = true
	e.mu.Unlock()
	have, err := e.store.Locations(ctx)
	if err != nil {
		return fmt.Errorf("sync config locations: %w", err)
	}
	byKey := map[string]catalog.Location{}
	for _, l := range have {
		byKey[originKey(l)] = l
	}
	want := map[string]bool{}
	var errs []error
	for _, cl := range e.opts.ConfigLocations {
		k := cl.Type + ":" + cl.Target
		want[k] = true
		if _, ok := byKey[k]; ok {
			continue
		}
		_, err := e.store.AddLocation(ctx, catalog.Location{
			Type: cl.Type, Target: cl.Target, Origin: OriginConfig, Rules: cl.Rules,
			EntityRef:   catalog.GeneratedLocationRef(cl.Type, cl.Target),
			NextRefresh: e.opts.Now(),
		})
		var ce *catalog.ConflictError
		if err != nil && !errors.As(err, &ce) {
			errs = append(errs, fmt.Errorf("add config location %s: %w", k, err))
		} else if err == nil {
			e.log.Info("added config location", "location", k)
		}
	}
	for _, l := range have {
		if l.Origin != OriginConfig || want[originKey(l)] {
			continue
		}
		if err := e.store.DeleteLocation(ctx, l.ID, e.opts.OrphanStrategy); err != nil {
			errs = append(errs, fmt.Errorf("remove config location %s: %w", originKey(l), err))
			continue
		}
		e.log.Info("removed config location no longer configured", "location", originKey(l))
	}
	return errors.Join(errs...)
}

// ProcessAll processes every registered location once, config and API alike.
func (e *Engine) ProcessAll(ctx context.Context) (Stats, error) {
	locs, err := e.store.Locations(ctx)
	if err != nil {
		return Stats{}, fmt.Errorf("process all: %w", err)
	}
	var st Stats
	var errs []error
	for _, l := range locs {
		r, err := e.ProcessLocation(ctx, l)
		if err != nil {
			errs = append(errs, err)
			if ctx.Err() != nil {
				break
			}
			continue
		}
		st.add(r)
	}
	return st, errors.Join(errs...)
}

// RefreshDue processes the locations whose refresh time has come.
func (e *Engine) RefreshDue(ctx context.Context) (Stats, error) {
	var st Stats
	for {
		locs, err := e.store.LocationsDue(ctx, e.opts.Now(), 16)
		if err != nil {
			return st, fmt.Errorf("refresh: %w", err)
		}
		if len(locs) == 0 {
			return st, nil
		}
		for _, l := range locs {
			r, err := e.ProcessLocation(ctx, l)
			if err != nil {
				if ctx.Err() != nil {
					return st, err
				}
				e.log.Warn("refresh location", "location", originKey(l), "err", err)
				// try again after an interval rather than in a hot loop
				_ = e.store.ScheduleRefresh(ctx, l.ID, e.nextRefresh())
				continue
			}
			st.add(r)
		}
	}
}

// Run keeps the catalog fresh until ctx ends: it syncs the config locations
// (unless SyncConfigLocations already ran) and then, every poll, processes the
// locations that are due. With Interval <= 0 it only syncs and waits.
func (e *Engine) Run(ctx context.Context) error {
	e.mu.Lock()
	synced := e.synced
	e.mu.Unlock()
	if !synced {
		if err := e.SyncConfigLocations(ctx); err != nil {
			e.log.Error("sync config locations", "err", err)
		}
	}
	if e.opts.Interval <= 0 {
		<-ctx.Done()
		return nil
	}
	poll := min(max(e.opts.Interval/4, time.Second), 30*time.Second)
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		if _, err := e.RefreshDue(ctx); err != nil && ctx.Err() == nil {
			e.log.Error("refresh", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
