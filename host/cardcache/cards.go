package cardcache

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/portico-dev/portico/host"
	"github.com/portico-dev/portico/host/services"
)

// viewerKey is the cache identity of a caller: its ref and claims, which
// decide what its plugin calls may read. The system caller is "".
func viewerKey(c services.Caller) string {
	if c.IsSystem() {
		return ""
	}
	return c.UserRef + "|" + strings.Join(c.Claims, ",")
}

// ErrNotApplicable is returned by Cards.Card when the plugin says the card
// does not apply to the entity: the page shows no card.
var ErrNotApplicable = errors.New("card does not apply to this entity")

// Cards renders plugin cards through a Cache using each card's manifest
// cacheTTL, and always yields something to show: the fresh card, the last
// good card with a "stale since" badge, or an error card saying why.
type Cards struct {
	cache *Cache[*host.Card]
	now   func() time.Time
}

// NewCards returns a card renderer over a new cache.
func NewCards(o Options) *Cards {
	o = o.withDefaults()
	return &Cards{cache: New[*host.Card](o), now: o.Now}
}

// Cache is the underlying cache (for Invalidate and Len).
func (c *Cards) Cache() *Cache[*host.Card] { return c.cache }

// Card renders p's card cardID for the entity (entityRef is its canonical
// ref, the cache key) as the caller in ctx. The returned card is never nil
// unless the error is ErrNotApplicable or the card id is unknown.
func (c *Cards) Card(ctx context.Context, p *host.Plugin, cardID, entityRef string, entity json.RawMessage) (*host.Card, Result[*host.Card], error) {
	ext := cardExt(p, cardID)
	if ext == nil {
		return nil, Result[*host.Card]{}, fmt.Errorf("plugin %s has no card %q", p.Name(), cardID)
	}
	if !ext.Matches(entity) {
		return nil, Result[*host.Card]{}, ErrNotApplicable
	}
	key := Key{Plugin: p.Name(), Card: cardID, Entity: entityRef, Viewer: viewerKey(services.CallerFrom(ctx))}
	res, err := c.cache.Get(ctx, key, ext.CacheTTL.D(), func(ctx context.Context) (*host.Card, error) {
		return p.Card(ctx, cardID, entity)
	})
	if IsNotApplicable(res.Err) {
		return nil, res, ErrNotApplicable
	}
	title := ext.Title
	if title == "" {
		title = cardID
	}
	switch {
	case err != nil:
		return ErrorCard(title, err, p.Limits().Timeout.D()), res, nil
	case res.Stale():
		return StaleCard(res.Card, res.StaleSince, res.Err), res, nil
	}
	return res.Card, res, nil
}

func cardExt(p *host.Plugin, id string) *host.CardExtension {
	for _, pr := range p.Manifest().Spec.Provides {
		if pr.Card != nil && pr.Card.ID == id {
			return pr.Card
		}
	}
	return nil
}

// StaleCard returns a copy of card with a warning badge "stale since
// HH:MM:SS UTC" and the reason in its summary.
func StaleCard(card *host.Card, since time.Time, reason error) *host.Card {
	cp := *card
	cp.Badges = append([]host.CardBadge{{Label: "stale since " + since.UTC().Format("15:04:05") + " UTC", Tone: "warning"}}, card.Badges...)
	if len(cp.Badges) > 50 {
		cp.Badges = cp.Badges[:50]
	}
	why := "refreshing it failed"
	if reason != nil {
		why = Reason(reason, 0)
	}
	cp.Summary = strings.TrimSpace("Showing the last good card: " + why + ". " + card.Summary)
	return &cp
}

// ErrorCard is the card shown when a card cannot be rendered and there is
// no good card to fall back on.
func ErrorCard(title string, err error, timeout time.Duration) *host.Card {
	return &host.Card{Title: title, Status: &host.CardStatus{Level: "error", Text: Reason(err, timeout)}}
}

// Reason says in plain words why a card call failed.
func Reason(err error, timeout time.Duration) string {
	var ce *host.CallError
	switch {
	case errors.Is(err, host.ErrTimeout):
		if timeout > 0 {
			return fmt.Sprintf("the plugin did not answer within %s (it or its upstream service is slow or down)", timeout)
		}
		return "the plugin did not answer in time (it or its upstream service is slow or down)"
	case errors.Is(err, host.ErrParked):
		return "the plugin failed repeatedly and is paused for a moment"
	case errors.Is(err, host.ErrPermission):
		return "the plugin was refused network access: " + detail(err)
	case errors.As(err, &ce) && ce.Detail != "":
		return strings.TrimPrefix(detail(err), "unavailable: ")
	}
	return detail(err)
}

func detail(err error) string {
	var ce *host.CallError
	s := err.Error()
	if errors.As(err, &ce) && ce.Detail != "" {
		s = ce.Detail
	}
	// A failed outbound request ends the call with the HTTP client's error
	// (pdk/ABI.md §4); keep its first line, without the runtime's notes.
	s, _, _ = strings.Cut(s, "\n")
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "(recovered by wazero)"))
	for _, m := range []string{"connection refused", "no such host", "connection reset", "network is unreachable", "i/o timeout", "tls:"} {
		if strings.Contains(s, m) {
			s = "the upstream service could not be reached: " + s
			break
		}
	}
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
