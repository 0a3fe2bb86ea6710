package catalogapi

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/portico-dev/portico/authz"
	"github.com/portico-dev/portico/catalog"
)

// readFilter is what the caller may read (catalog.entity.read), to AND into
// every entity query: the zero filter when allowed outright, a filter that
// matches nothing on DENY.
func (a *api) readFilter(c *fiber.Ctx) catalog.Filter {
	return a.authz.ReadFilter(c.UserContext())
}

// require answers 403 unless perm (a basic permission) is allowed.
func (a *api) require(c *fiber.Ctx, perm string) error {
	return a.authz.Require(c.UserContext(), perm)
}

// locationsReadable reports whether the caller may read locations
// (catalog.location.read). Denied reads answer empty or 404, as Backstage's
// AuthorizedLocationService.
func (a *api) locationsReadable(c *fiber.Ctx) bool {
	return a.authz.Decide(c.UserContext(), authz.CatalogLocationRead).Result == authz.Allow
}

// requireOnEntity checks an entity permission (delete, refresh) on one
// entity: DENY is 403 outright; otherwise a hidden or missing entity is
// notFound, and one the caller may read but whose conditions it does not
// meet is 403. find reads the entity with a filter.
func (a *api) requireOnEntity(c *fiber.Ctx, perm string, find func(ctx context.Context, f catalog.Filter) error, notFound error) error {
	ctx := c.UserContext()
	d := a.authz.Decide(ctx, perm)
	if d.Result != authz.Deny {
		if err := find(ctx, a.readFilter(c)); isNotFound(err) {
			return notFound
		} else if err != nil {
			return err
		}
	}
	return d.RequireOn(ctx, perm, func(ctx context.Context, f catalog.Filter) (bool, error) {
		err := find(ctx, f)
		if isNotFound(err) {
			return false, nil
		}
		return err == nil, err
	})
}

// visibleAncestry applies catalog.entity.read to an ancestry answer, item by
// item in the store (EntitiesByRefs with the read filter), as Backstage
// authorizes each item by its ref: a root the caller may not read is 403
// (Backstage's NotAllowedError); an item it may not read is pruned together
// with everything above it, and parent refs name only kept items.
func (a *api) visibleAncestry(c *fiber.Ctx, root string, items []catalog.AncestryItem) ([]catalog.AncestryItem, error) {
	f := a.readFilter(c)
	if f.IsZero() {
		return items, nil
	}
	refs := make([]string, len(items))
	byRef := make(map[string]int, len(items))
	for i, it := range items {
		refs[i] = it.Record.Ref
		byRef[it.Record.Ref] = i
	}
	recs, err := a.store.EntitiesByRefs(c.UserContext(), refs, f)
	if err != nil {
		return nil, err
	}
	visible := map[string]bool{}
	for i, r := range recs {
		if r != nil {
			visible[refs[i]] = true
		}
	}
	if !visible[root] {
		return nil, &catalog.NotAllowedError{Msg: "You are not allowed to read the ancestry of " + root}
	}
	// Keep what is reachable from the root through visible items only.
	keep := map[string]bool{root: true}
	queue := []string{root}
	for len(queue) > 0 {
		ref := queue[0]
		queue = queue[1:]
		i, ok := byRef[ref]
		if !ok {
			continue
		}
		for _, p := range items[i].ParentEntityRefs {
			if visible[p] && !keep[p] {
				keep[p] = true
				queue = append(queue, p)
			}
		}
	}
	out := make([]catalog.AncestryItem, 0, len(keep))
	for _, it := range items {
		if !keep[it.Record.Ref] {
			continue
		}
		var parents []string
		for _, p := range it.ParentEntityRefs {
			if keep[p] {
				parents = append(parents, p)
			}
		}
		it.ParentEntityRefs = parents
		out = append(out, it)
	}
	return out, nil
}
