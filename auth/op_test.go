package auth_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"net"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// testOP is a real OpenID Provider (zitadel/oidc's op package) on a loopback
// port, over the in-memory storage below. Its login page signs in, without a
// form, whichever account the test put in Account.
type testOP struct {
	URL   string
	store *opStorage
}

type opAccount struct {
	Subject, Email, Username string
	EmailVerified            bool
}

func startOP(t *testing.T, clientID, secret string, redirectURIs, postLogout []string) *testOP {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	issuer := "http://" + ln.Addr().String()
	st := &opStorage{
		key: key, keyID: "k1", codeTTL: time.Minute,
		client:   &opClient{id: clientID, secret: secret, redirects: redirectURIs, postLogout: postLogout},
		requests: map[string]*opAuthRequest{}, codes: map[string]opCode{},
	}
	var cryptoKey [32]byte
	_, _ = rand.Read(cryptoKey[:])
	provider, err := op.NewOpenIDProvider(issuer, &op.Config{CryptoKey: cryptoKey, CodeMethodS256: true, AuthMethodPost: true}, st, op.WithAllowInsecure())
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Query().Get("authRequestID")
		if err := st.complete(id); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		http.Redirect(w, r, issuer+"/authorize/callback?id="+url.QueryEscape(id), http.StatusFound)
	})
	mux.Handle("/", provider)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return &testOP{URL: issuer, store: st}
}

// opStorage implements op.Storage in memory.
type opStorage struct {
	mu       sync.Mutex
	key      *rsa.PrivateKey
	keyID    string
	client   *opClient
	account  opAccount
	requests map[string]*opAuthRequest
	codes    map[string]opCode
	codeTTL  time.Duration
	skew     time.Duration // added to the clock that ages codes
	ended    []string      // subjects whose session TerminateSession ended
	// challenges records each auth request's PKCE method.
	challenges []string
}

type opCode struct {
	requestID string
	issued    time.Time
}

func (s *opStorage) setAccount(a opAccount)  { s.mu.Lock(); s.account = a; s.mu.Unlock() }
func (s *opStorage) setSkew(d time.Duration) { s.mu.Lock(); s.skew = d; s.mu.Unlock() }

func (s *opStorage) complete(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.requests[id]
	if !ok {
		return errors.New("unknown auth request")
	}
	r.subject, r.done, r.authTime = s.account.Subject, true, time.Now()
	return nil
}

type opAuthRequest struct {
	id       string
	req      oidc.AuthRequest
	subject  string
	done     bool
	authTime time.Time
}

func (a *opAuthRequest) GetID() string                      { return a.id }
func (a *opAuthRequest) GetACR() string                     { return "" }
func (a *opAuthRequest) GetAMR() []string                   { return []string{"pwd"} }
func (a *opAuthRequest) GetAudience() []string              { return []string{a.req.ClientID} }
func (a *opAuthRequest) GetAuthTime() time.Time             { return a.authTime }
func (a *opAuthRequest) GetClientID() string                { return a.req.ClientID }
func (a *opAuthRequest) GetNonce() string                   { return a.req.Nonce }
func (a *opAuthRequest) GetRedirectURI() string             { return a.req.RedirectURI }
func (a *opAuthRequest) GetScopes() []string                { return a.req.Scopes }
func (a *opAuthRequest) GetState() string                   { return a.req.State }
func (a *opAuthRequest) GetSubject() string                 { return a.subject }
func (a *opAuthRequest) Done() bool                         { return a.done }
func (a *opAuthRequest) GetResponseMode() oidc.ResponseMode { return a.req.ResponseMode }
func (a *opAuthRequest) GetResponseType() oidc.ResponseType { return a.req.ResponseType }
func (a *opAuthRequest) GetCodeChallenge() *oidc.CodeChallenge {
	if a.req.CodeChallenge == "" {
		return nil
	}
	return &oidc.CodeChallenge{Challenge: a.req.CodeChallenge, Method: a.req.CodeChallengeMethod}
}

func (s *opStorage) CreateAuthRequest(_ context.Context, r *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := &opAuthRequest{id: rand.Text(), req: *r}
	s.requests[a.id] = a
	s.challenges = append(s.challenges, string(r.CodeChallengeMethod))
	return a, nil
}

func (s *opStorage) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.requests[id]; ok {
		return a, nil
	}
	return nil, errors.New("auth request not found")
}

func (s *opStorage) AuthRequestByCode(_ context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.codes[code]
	if !ok {
		return nil, errors.New("code not found (never issued or already used)")
	}
	if time.Now().Add(s.skew).Sub(c.issued) > s.codeTTL {
		return nil, errors.New("code expired")
	}
	a, ok := s.requests[c.requestID]
	if !ok {
		return nil, errors.New("auth request gone")
	}
	return a, nil
}

func (s *opStorage) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[code] = opCode{requestID: id, issued: time.Now()}
	return nil
}

func (s *opStorage) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.requests, id)
	for c, v := range s.codes {
		if v.requestID == id {
			delete(s.codes, c)
		}
	}
	return nil
}

func (s *opStorage) CreateAccessToken(context.Context, op.TokenRequest) (string, time.Time, error) {
	return rand.Text(), time.Now().Add(5 * time.Minute), nil
}

func (s *opStorage) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, errors.New("refresh tokens are not issued")
}

func (s *opStorage) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, op.ErrInvalidRefreshToken
}

func (s *opStorage) TerminateSession(_ context.Context, userID, _ string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ended = append(s.ended, userID)
	return nil
}

func (s *opStorage) RevokeToken(context.Context, string, string, string) *oidc.Error { return nil }

func (s *opStorage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}

type opKey struct {
	id  string
	key any
}

func (k opKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k opKey) Algorithm() jose.SignatureAlgorithm          { return jose.RS256 }
func (k opKey) Key() any                                    { return k.key }
func (k opKey) ID() string                                  { return k.id }
func (k opKey) Use() string                                 { return "sig" }

func (s *opStorage) SigningKey(context.Context) (op.SigningKey, error) {
	return opKey{id: s.keyID, key: s.key}, nil
}

func (s *opStorage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (s *opStorage) KeySet(context.Context) ([]op.Key, error) {
	return []op.Key{opKey{id: s.keyID, key: &s.key.PublicKey}}, nil
}

func (s *opStorage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	if id != s.client.id {
		return nil, errors.New("unknown client")
	}
	return s.client, nil
}

func (s *opStorage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	if id != s.client.id || secret != s.client.secret {
		return errors.New("wrong client credentials")
	}
	return nil
}

func (s *opStorage) userinfo(ui *oidc.UserInfo, subject string, scopes []string) {
	s.mu.Lock()
	a := s.account
	s.mu.Unlock()
	if subject != a.Subject {
		return
	}
	ui.Subject = subject
	for _, sc := range scopes {
		switch sc {
		case oidc.ScopeEmail:
			ui.Email, ui.EmailVerified = a.Email, oidc.Bool(a.EmailVerified)
			if !a.EmailVerified { // oidc.Bool(false) is omitted; say it outright
				ui.AppendClaims("email_verified", false)
			}
		case oidc.ScopeProfile:
			ui.PreferredUsername = a.Username
		}
	}
}

func (s *opStorage) SetUserinfoFromScopes(_ context.Context, ui *oidc.UserInfo, userID, _ string, scopes []string) error {
	s.userinfo(ui, userID, scopes)
	return nil
}

func (s *opStorage) SetUserinfoFromToken(_ context.Context, ui *oidc.UserInfo, _, subject, _ string) error {
	s.userinfo(ui, subject, []string{oidc.ScopeEmail, oidc.ScopeProfile})
	return nil
}

func (s *opStorage) SetIntrospectionFromToken(context.Context, *oidc.IntrospectionResponse, string, string, string) error {
	return nil
}

func (s *opStorage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

func (s *opStorage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("no client keys")
}

func (s *opStorage) ValidateJWTProfileScopes(_ context.Context, _ string, scopes []string) ([]string, error) {
	return scopes, nil
}

func (s *opStorage) Health(context.Context) error { return nil }

type opClient struct {
	id, secret            string
	redirects, postLogout []string
}

func (c *opClient) GetID() string                       { return c.id }
func (c *opClient) RedirectURIs() []string              { return c.redirects }
func (c *opClient) PostLogoutRedirectURIs() []string    { return c.postLogout }
func (c *opClient) ApplicationType() op.ApplicationType { return op.ApplicationTypeWeb }
func (c *opClient) AuthMethod() oidc.AuthMethod         { return oidc.AuthMethodBasic }
func (c *opClient) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *opClient) GrantTypes() []oidc.GrantType         { return []oidc.GrantType{oidc.GrantTypeCode} }
func (c *opClient) LoginURL(id string) string            { return "/login?authRequestID=" + url.QueryEscape(id) }
func (c *opClient) AccessTokenType() op.AccessTokenType  { return op.AccessTokenTypeBearer }
func (c *opClient) IDTokenLifetime() time.Duration       { return 5 * time.Minute }
func (c *opClient) DevMode() bool                        { return true }
func (c *opClient) IsScopeAllowed(string) bool           { return false }
func (c *opClient) IDTokenUserinfoClaimsAssertion() bool { return false }
func (c *opClient) ClockSkew() time.Duration             { return 0 }
func (c *opClient) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *opClient) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

var _ op.Storage = (*opStorage)(nil)
