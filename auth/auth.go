package auth

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/config"
)

// Options builds a Service.
type Options struct {
	Config config.Auth // finished by config.Load (defaults applied)
	Store  catalog.Store
	Logger *slog.Logger
	// HTTPClient talks to the OpenID Provider; nil: a client with a 30 s timeout.
	HTTPClient *http.Client
	// Now is the clock (tests); nil: time.Now.
	Now func() time.Time
}

// Service authenticates requests: Middleware identifies every request, Mount
// adds the sign-in routes (/auth/…) and /api/auth/me.
type Service struct {
	cfg      config.Auth
	log      *slog.Logger
	now      func() time.Time
	res      Resolver
	sessions *sessions
	tokens   Tokens
	oidc     *oidcClient // nil unless auth.oidc is configured
	secure   bool        // cookies carry Secure

	claimsMu sync.Mutex
	claims   map[string]cachedClaims
}

type cachedClaims struct {
	claims []string
	exists bool
	at     time.Time
}

// claimsTTL is how long a user's resolved claims are reused: a membership
// change in the catalog reaches signed-in users and tokens within it.
const claimsTTL = time.Minute

// New builds the Service. It does not contact the OpenID Provider: discovery
// happens on the first sign-in, so the portal starts while the provider is down.
func New(opts Options) *Service {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	cfg := opts.Config
	touch := cfg.Session.IdleTimeout.Duration / 10
	if touch > time.Minute {
		touch = time.Minute
	}
	s := &Service{
		cfg:      cfg,
		log:      log,
		now:      now,
		res:      Resolver{Store: opts.Store},
		sessions: &sessions{kv: opts.Store, idle: cfg.Session.IdleTimeout.Duration, maxAge: cfg.Session.MaxAge.Duration, now: now, touchEv: touch},
		tokens:   Tokens{KV: opts.Store, Now: now},
		secure:   !config.IsLoopbackURL(cfg.BaseURL) || !isHTTP(cfg.BaseURL),
		claims:   map[string]cachedClaims{},
	}
	if cfg.OIDC != nil {
		s.oidc = &oidcClient{cfg: *cfg.OIDC, baseURL: cfg.BaseURL, http: hc}
	}
	return s
}

func isHTTP(u string) bool { return len(u) >= 7 && u[:7] == "http://" }

// Sweep deletes expired sessions and stale sign-ins (at most limit of each).
func (s *Service) Sweep(ctx context.Context, limit int) error { return s.sessions.sweep(ctx, limit) }

// Mount adds the sign-in routes and GET /api/auth/me.
func (s *Service) Mount(r fiber.Router) {
	r.Get("/auth/sign-in", s.signInPage)
	r.Get("/auth/login", s.login)
	r.Get("/auth/callback", s.callback)
	r.Get("/auth/logout", s.logoutPage)
	r.Post("/auth/logout", s.logout)
	r.Get("/api/auth/me", s.me)
}

// me answers the request's principal (Backstage's identity response carries
// the same two facts: userEntityRef and ownershipEntityRefs).
func (s *Service) me(c *fiber.Ctx) error {
	p, _ := c.Locals("principal").(interface{ Anonymous() bool })
	if p == nil || p.Anonymous() {
		return unauthenticated("no credentials")
	}
	return c.JSON(c.Locals("principal"))
}

// userClaims returns userRef's claims and whether the User entity exists,
// cached for claimsTTL.
func (s *Service) userClaims(ctx context.Context, userRef string) ([]string, bool, error) {
	now := s.now()
	s.claimsMu.Lock()
	cc, ok := s.claims[userRef]
	s.claimsMu.Unlock()
	if ok && now.Sub(cc.at) < claimsTTL && !now.Before(cc.at) {
		return cc.claims, cc.exists, nil
	}
	return s.resolveClaims(ctx, userRef)
}

// resolveClaims reads userRef's claims from the catalog and caches them.
func (s *Service) resolveClaims(ctx context.Context, userRef string) ([]string, bool, error) {
	now := s.now()
	claims, exists, err := s.res.claims(ctx, userRef)
	if err != nil {
		return nil, false, err
	}
	s.claimsMu.Lock()
	if len(s.claims) > 10000 {
		clear(s.claims)
	}
	s.claims[userRef] = cachedClaims{claims: claims, exists: exists, at: now}
	s.claimsMu.Unlock()
	return claims, exists, nil
}
