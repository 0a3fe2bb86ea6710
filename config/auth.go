package config

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Auth is the auth section: how people and programs sign in (package auth).
//
//	auth:
//	  baseUrl: https://portal.example.com   # the portal's public URL (cookies, OIDC redirect)
//	  oidc:
//	    issuer: https://login.example.com    # discovery at ISSUER/.well-known/openid-configuration
//	    clientId: portico
//	    clientSecret: ${OIDC_CLIENT_SECRET}  # ${VAR} reads the environment; empty = public client (PKCE only)
//	    scopes: [openid, profile, email]     # default; openid is always sent
//	    resolver: email                      # email → User by spec.profile.email; username → User by name
//	    usernameClaim: preferred_username    # the claim the username resolver reads
//	  session: {idleTimeout: 8h, maxAge: 168h}
//	  guest: {enabled: true, role: viewer, user: user:default/guest}
//
// Backstage spreads the same settings over auth.providers.<id>.<env> and its
// sign-in resolvers (emailMatchingUserEntityProfileEmail,
// usernameMatchingUserEntityName); Portico has one OIDC provider and names the
// two resolvers email and username.
type Auth struct {
	BaseURL string      `yaml:"baseUrl"`
	OIDC    *OIDC       `yaml:"oidc"`
	Session AuthSession `yaml:"session"`
	Guest   Guest       `yaml:"guest"`
}

// OIDC is one OpenID Connect provider (authorization code flow with PKCE).
type OIDC struct {
	Issuer       string `yaml:"issuer"`
	ClientID     string `yaml:"clientId"`
	ClientSecret string `yaml:"clientSecret"`
	// RedirectURL defaults to BaseURL + "/auth/callback"; it must be registered at the provider.
	RedirectURL   string   `yaml:"redirectUrl"`
	Scopes        []string `yaml:"scopes"`
	Resolver      string   `yaml:"resolver"`
	UsernameClaim string   `yaml:"usernameClaim"`
	// Title names the provider on the sign-in page ("Sign in with Title").
	Title string `yaml:"title"`
}

// AuthSession bounds a signed-in session: it ends after IdleTimeout without a
// request and MaxAge after sign-in, whichever comes first.
type AuthSession struct {
	IdleTimeout Duration `yaml:"idleTimeout"`
	MaxAge      Duration `yaml:"maxAge"`
}

// Guest lets requests without credentials in as User with Role. Off unless
// enabled; meant for a laptop or a demo, not for a shared portal.
type Guest struct {
	Enabled bool   `yaml:"enabled"`
	Role    string `yaml:"role"`
	User    string `yaml:"user"`
}

// Auth defaults.
const (
	DefaultSessionIdleTimeout = 8 * time.Hour
	DefaultSessionMaxAge      = 7 * 24 * time.Hour
	DefaultGuestRole          = "viewer"
	DefaultGuestUser          = "user:default/guest"
	DefaultUsernameClaim      = "preferred_username"
)

// DefaultOIDCScopes are requested when auth.oidc.scopes is unset.
var DefaultOIDCScopes = []string{"openid", "profile", "email"}

// Duration is a positive duration written as a Go duration ("8h", "90m") or
// Backstage's HumanDuration mapping ({hours: 8}).
type Duration struct{ time.Duration }

// UnmarshalYAML decodes either form.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		v, err := time.ParseDuration(strings.TrimSpace(n.Value))
		if err != nil {
			return fmt.Errorf("line %d: expected a duration such as 8h or {hours: 8} but found %q", n.Line, n.Value)
		}
		d.Duration = v
	case yaml.MappingNode:
		iv, err := parseIntervalNode(n)
		if err != nil {
			return fmt.Errorf("line %d: expected a duration such as 8h or {hours: 8}: %s", n.Line,
				strings.ReplaceAll(err.Error(), "catalog.processingInterval", "duration"))
		}
		d.Duration = iv.Duration
	default:
		return fmt.Errorf("line %d: expected a duration such as 8h or {hours: 8}", n.Line)
	}
	if d.Duration <= 0 {
		return fmt.Errorf("line %d: a duration must be more than zero", n.Line)
	}
	return nil
}

var (
	authKeys = ks(map[string]*keySet{
		"baseUrl": nil,
		"oidc": ks(map[string]*keySet{"issuer": nil, "clientId": nil, "clientSecret": nil, "redirectUrl": nil,
			"scopes": nil, "resolver": nil, "usernameClaim": nil, "title": nil}),
		"session": ks(map[string]*keySet{"idleTimeout": anyKeys, "maxAge": anyKeys}),
		"guest":   ks(map[string]*keySet{"enabled": nil, "role": nil, "user": nil}),
	})
	roleName = regexp.MustCompile(`^[a-z][a-z0-9_.-]*$`)
)

// expandSecrets resolves a `${VAR}` client secret from env (KEY=VALUE strings);
// a missing variable is an error, never an empty secret.
func (a *Auth) expandSecrets(env []string) error {
	if a.OIDC == nil {
		return nil
	}
	m := envRef.FindStringSubmatch(a.OIDC.ClientSecret)
	if m == nil {
		return nil
	}
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == m[1] {
			a.OIDC.ClientSecret = v
			return nil
		}
	}
	return fmt.Errorf("auth.oidc.clientSecret: environment variable %s is not set", m[1])
}

// finish applies defaults and validates; listen is server.listen, the base URL
// when auth.baseUrl is unset.
func (a *Auth) finish(listen string) error {
	if a.Session.IdleTimeout.Duration == 0 {
		a.Session.IdleTimeout.Duration = DefaultSessionIdleTimeout
	}
	if a.Session.MaxAge.Duration == 0 {
		a.Session.MaxAge.Duration = DefaultSessionMaxAge
	}
	if a.Session.IdleTimeout.Duration > a.Session.MaxAge.Duration {
		return fmt.Errorf("auth.session: idleTimeout (%s) is longer than maxAge (%s)", a.Session.IdleTimeout.Duration, a.Session.MaxAge.Duration)
	}
	if g := &a.Guest; g.Enabled || g.Role != "" || g.User != "" {
		if g.Role == "" {
			g.Role = DefaultGuestRole
		}
		if !roleName.MatchString(g.Role) {
			return fmt.Errorf("auth.guest.role: %q is not a role name (lower-case letters, digits, . _ -)", g.Role)
		}
		if g.User == "" {
			g.User = DefaultGuestUser
		}
		kind, rest, ok := strings.Cut(g.User, ":")
		ns, name, ok2 := strings.Cut(rest, "/")
		if !ok || !ok2 || !strings.EqualFold(kind, "user") || ns == "" || name == "" || strings.ContainsAny(name, "/:") {
			return fmt.Errorf("auth.guest.user: expected a user ref such as user:default/guest but found %q", g.User)
		}
		g.User = strings.ToLower(g.User)
	}
	if a.BaseURL == "" {
		a.BaseURL = "http://" + listen
	}
	a.BaseURL = strings.TrimRight(a.BaseURL, "/")
	u, err := url.Parse(a.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return fmt.Errorf("auth.baseUrl: expected the portal's URL such as https://portal.example.com but found %q", a.BaseURL)
	}
	if a.OIDC == nil {
		return nil
	}
	if u.Scheme == "http" && !IsLoopbackURL(a.BaseURL) {
		return fmt.Errorf("auth.baseUrl %q: sign-in needs https unless the portal runs on localhost (session cookies are Secure)", a.BaseURL)
	}
	o := a.OIDC
	if o.Issuer == "" || o.ClientID == "" {
		return fmt.Errorf("auth.oidc: issuer and clientId are required")
	}
	if iu, err := url.Parse(o.Issuer); err != nil || (iu.Scheme != "https" && !(iu.Scheme == "http" && IsLoopbackURL(o.Issuer))) {
		return fmt.Errorf("auth.oidc.issuer: expected an https URL but found %q", o.Issuer)
	}
	if o.RedirectURL == "" {
		o.RedirectURL = a.BaseURL + "/auth/callback"
	} else if ru, err := url.Parse(o.RedirectURL); err != nil || ru.Path != "/auth/callback" {
		return fmt.Errorf("auth.oidc.redirectUrl: expected a URL ending in /auth/callback but found %q", o.RedirectURL)
	}
	if len(o.Scopes) == 0 {
		o.Scopes = append([]string(nil), DefaultOIDCScopes...)
	}
	switch o.Resolver {
	case "":
		o.Resolver = "email"
	case "email", "username":
	default:
		return fmt.Errorf("auth.oidc.resolver: expected email or username but found %q", o.Resolver)
	}
	if o.UsernameClaim == "" {
		o.UsernameClaim = DefaultUsernameClaim
	}
	return nil
}

// IsLoopbackURL reports whether u is an http(s) URL on localhost or a loopback IP.
func IsLoopbackURL(u string) bool {
	p, err := url.Parse(u)
	if err != nil {
		return false
	}
	h := p.Hostname()
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
