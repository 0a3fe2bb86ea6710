package ui

import (
	"context"
	"fmt"
	"sort"

	"github.com/gofiber/fiber/v2"

	"github.com/portico-dev/portico/catalog"
)

// homeListLimit is how many entries each home list shows.
const homeListLimit = 10

// recentView is one entry of a home list.
type recentView struct {
	catalog.RecentChange
	URL string
}

// home: search, what the reader owns, recently changed entities and catalog
// health (counts, then the entities with processing errors and the orphans,
// each linked). Every list is read under the reader's filter.
func (u *UI) home(c *fiber.Ctx) error {
	ctx := c.UserContext()
	perm, err := u.filter(c)
	if err != nil {
		return err
	}
	locs, err := u.opts.Store.Locations(ctx)
	if err != nil {
		return fmt.Errorf("locations: %w", err)
	}
	var failing []catalog.Location
	for _, l := range locs {
		if len(l.Errors) > 0 {
			failing = append(failing, l)
		}
	}
	h, withErrors, err := u.health(ctx, perm, len(failing))
	if err != nil {
		return err
	}
	b := u.baseFor(c, "Home", "home")
	p := viewer(c)
	var mine []*entityView
	owners := ownerClaims(p)
	if len(owners) > 0 {
		page, err := u.opts.Store.QueryEntities(ctx, catalog.Query{
			Filter: catalog.And(perm, catalog.Eq("relations.ownedby", owners...)),
			Order:  []catalog.Order{{Field: "metadata.name"}}, Limit: 20,
		})
		if err != nil {
			return fmt.Errorf("owned entities: %w", err)
		}
		for _, r := range page.Items {
			if v, err := viewOf(r); err == nil {
				mine = append(mine, v)
			}
		}
	}
	lists := map[catalog.RecentOnly][]recentView{}
	for _, only := range []catalog.RecentOnly{catalog.RecentAll, catalog.RecentWithErrors, catalog.RecentOrphans} {
		var rs []catalog.RecentChange
		if only == catalog.RecentWithErrors && withErrors != nil {
			rs = withErrors[:min(len(withErrors), homeListLimit)] // the same order: the head of health's read
		} else if rs, err = u.opts.Store.RecentlyChanged(ctx, catalog.RecentQuery{Filter: perm, Limit: homeListLimit, Only: only}); err != nil {
			return fmt.Errorf("recent changes: %w", err)
		}
		for _, r := range rs {
			lists[only] = append(lists[only], recentView{RecentChange: r, URL: EntityURL(r.Ref)})
		}
	}
	score := 100
	if h.Entities > 0 {
		score = 100 - (100*(h.WithErrors+h.Orphans)+h.Entities-1)/h.Entities
	}
	return u.render(c, "home", struct {
		base
		ShowMine  bool
		Health    catalog.Health
		Score     int
		Mine      []*entityView
		Groups    []string
		Recent    []recentView
		Errors    []recentView
		Orphans   []recentView
		Refreshed []catalog.Location
		Failing   []catalog.Location
	}{b, len(owners) > 0, h, max(score, 0), mine, groupClaims(p), lists[catalog.RecentAll], lists[catalog.RecentWithErrors],
		lists[catalog.RecentOrphans], recentLocations(locs), failing})
}

// health counts the catalog's problems as the reader may see them: the
// store's counts for a reader who sees everything, else counts under the
// reader's filter (entities with errors from the list read, capped at
// catalog.MaxRecentLimit, which it also returns so that home shows its head
// instead of reading it again; nil when not read). Failing locations are not
// entities: every reader gets the count of all of them, failingLocations
// (home has read the locations; the store's unfiltered counts are not read
// for a filtered reader).
func (u *UI) health(ctx context.Context, perm catalog.Filter, failingLocations int) (catalog.Health, []catalog.RecentChange, error) {
	if perm.IsZero() {
		h, err := u.opts.Store.Health(ctx)
		if err != nil {
			return h, nil, fmt.Errorf("catalog health: %w", err)
		}
		return h, nil, nil
	}
	h := catalog.Health{LocationsFailing: failingLocations}
	var err error
	count := func(f catalog.Filter) (int, error) {
		p, err := u.opts.Store.QueryEntities(ctx, catalog.Query{Filter: f, Limit: 1, CountTotal: true})
		return p.TotalItems, err
	}
	if h.Entities, err = count(perm); err != nil {
		return h, nil, fmt.Errorf("catalog health: %w", err)
	}
	if h.Orphans, err = count(catalog.And(perm, catalog.Eq("metadata.annotations."+catalog.AnnotationOrphan, "true"))); err != nil {
		return h, nil, fmt.Errorf("catalog health: %w", err)
	}
	errs, err := u.opts.Store.RecentlyChanged(ctx, catalog.RecentQuery{Filter: perm, Only: catalog.RecentWithErrors, Limit: catalog.MaxRecentLimit})
	if err != nil {
		return h, nil, fmt.Errorf("catalog health: %w", err)
	}
	if errs == nil {
		errs = []catalog.RecentChange{} // read, and empty
	}
	h.WithErrors = len(errs)
	return h, errs, nil
}

// recentLocations orders locations by their last refresh, newest first.
func recentLocations(all []catalog.Location) []catalog.Location {
	locs := append([]catalog.Location(nil), all...)
	sort.SliceStable(locs, func(i, j int) bool { return locs[i].RefreshedAt.After(locs[j].RefreshedAt) })
	if len(locs) > 5 {
		locs = locs[:5]
	}
	return locs
}
