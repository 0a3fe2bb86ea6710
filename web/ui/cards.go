package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/portico-dev/portico/host"
	"github.com/portico-dev/portico/host/cardcache"
	"github.com/portico-dev/portico/host/services"
)

// CardSlot is one plugin card that applies to an entity.
type CardSlot struct {
	Plugin string
	Card   string
	Title  string
}

// CardState says what a rendered card is.
type CardState string

const (
	CardFresh CardState = "fresh"
	// CardStale: the last good card, served because refreshing it failed.
	CardStale CardState = "stale"
	// CardError: no card could be rendered; the card says why.
	CardError CardState = "error"
)

// Cards is what the entity page needs from the plugin host. cmd wires it to
// the real host with HostCards; tests may use any implementation.
type Cards interface {
	// Slots lists the cards that apply to the entity (its stitched JSON).
	Slots(ctx context.Context, entity json.RawMessage) []CardSlot
	// Render renders one card for the entity as the caller in ctx. It returns
	// ErrNoCard when the card does not (or no longer) apply; any other error
	// is shown as an error card.
	Render(ctx context.Context, slot CardSlot, ref string, entity json.RawMessage) (*host.Card, CardState, error)
}

// ErrNoCard: the card does not apply to the entity; the slot is removed.
var ErrNoCard = errors.New("card does not apply")

// HostCards adapts a *host.Host (with host/cardcache for TTLs and stale
// cards) to Cards.
type HostCards struct {
	Host  *host.Host
	Cache *cardcache.Cards // nil: a new cache with default options
}

// NewHostCards returns Cards over h; nil h gives nil (no plugin cards).
func NewHostCards(h *host.Host) Cards {
	if h == nil {
		return nil
	}
	return &HostCards{Host: h, Cache: cardcache.NewCards(cardcache.Options{})}
}

// Slots implements Cards.
func (hc *HostCards) Slots(_ context.Context, entity json.RawMessage) []CardSlot {
	var out []CardSlot
	for _, p := range hc.Host.Plugins() {
		for _, ext := range p.CardsFor(entity) {
			t := ext.Title
			if t == "" {
				t = ext.ID
			}
			out = append(out, CardSlot{Plugin: p.Name(), Card: ext.ID, Title: t})
		}
	}
	return out
}

// Render implements Cards.
func (hc *HostCards) Render(ctx context.Context, s CardSlot, ref string, entity json.RawMessage) (*host.Card, CardState, error) {
	p := hc.Host.Plugin(s.Plugin)
	if p == nil {
		return nil, CardError, fmt.Errorf("%w: plugin %s is not installed", ErrNoCard, s.Plugin)
	}
	if hc.Cache == nil {
		hc.Cache = cardcache.NewCards(cardcache.Options{})
	}
	card, res, err := hc.Cache.Card(ctx, p, s.Card, ref, entity)
	switch {
	case errors.Is(err, cardcache.ErrNotApplicable):
		return nil, CardError, ErrNoCard
	case err != nil:
		return nil, CardError, err
	case res.Stale():
		return card, CardStale, nil
	case res.Err != nil:
		return card, CardError, nil
	}
	return card, CardFresh, nil
}

var _ Cards = (*HostCards)(nil)

// cardView is one card as the partial template shows it.
type cardView struct {
	Slot   CardSlot
	State  CardState
	Card   *host.Card
	ErrMsg string
	Level  string
}

func (cv cardView) Status() string {
	if cv.Card != nil && cv.Card.Status != nil {
		return cv.Card.Status.Level
	}
	return ""
}

// cardFragment renders one plugin card as an HTML fragment (fetched by the
// entity page's script, or opened directly without script).
func (u *UI) cardFragment(c *fiber.Ctx) error {
	if u.opts.Cards == nil {
		return fiber.NewError(fiber.StatusNotFound, "no plugins are configured")
	}
	ref, _, rec, err := u.entityOf(c)
	if err != nil {
		return err
	}
	var slot *CardSlot
	for _, s := range u.opts.Cards.Slots(c.UserContext(), rec.JSON) {
		if s.Plugin == c.Params("plugin") && s.Card == c.Params("card") {
			slot = &s
			break
		}
	}
	if slot == nil {
		return fiber.NewError(fiber.StatusNotFound, fmt.Sprintf("no card %s/%s for %s", c.Params("plugin"), c.Params("card"), ref))
	}
	cv := u.renderCard(c, *slot, ref, rec.JSON)
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return u.pages["_partials"].ExecuteTemplate(c.Response().BodyWriter(), "card", cv)
}

// renderCard calls the plugin under the card deadline; whatever happens the
// result is something to show.
func (u *UI) renderCard(c *fiber.Ctx, s CardSlot, ref string, entity json.RawMessage) cardView {
	ctx, cancel := context.WithTimeout(c.UserContext(), u.opts.CardTimeout)
	defer cancel()
	if p := viewer(c); p.UserRef != "" {
		ctx = services.WithCaller(ctx, services.Caller{UserRef: p.UserRef, Claims: ownerClaims(p)})
	}
	type result struct {
		card  *host.Card
		state CardState
		err   error
	}
	done := make(chan result, 1)
	go func() {
		card, state, err := u.opts.Cards.Render(ctx, s, ref, entity)
		done <- result{card, state, err}
	}()
	select {
	case r := <-done:
		switch {
		case errors.Is(r.err, ErrNoCard):
			return cardView{Slot: s, State: CardError, ErrMsg: "This card does not apply to this entity."}
		case r.err != nil:
			return cardView{Slot: s, State: CardError, ErrMsg: r.err.Error()}
		case r.card == nil:
			return cardView{Slot: s, State: CardError, ErrMsg: "The plugin returned no card."}
		}
		cv := cardView{Slot: s, State: r.state, Card: r.card}
		if r.state == CardError && r.card.Status != nil {
			cv.ErrMsg = r.card.Status.Text
		}
		return cv
	case <-ctx.Done():
		u.log.Warn("plugin card timed out", "plugin", s.Plugin, "card", s.Card, "entity", ref)
		return cardView{Slot: s, State: CardError, ErrMsg: fmt.Sprintf("The plugin did not answer within %s.", u.opts.CardTimeout.Round(time.Millisecond))}
	}
}
