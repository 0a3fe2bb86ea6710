package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/portico-dev/portico/catalog"
)

// Key-value namespaces in the catalog store.
const (
	SessionNamespace = "portico.sessions"
	TokenNamespace   = "portico.tokens"
)

// Session is a signed-in user's server-side session. The cookie carries only
// the random ID; the store keys the record by the ID's SHA-256, so a copy of
// the database does not hand out live sessions.
type Session struct {
	UserRef  string    `json:"userRef"`
	CSRF     string    `json:"csrf"`
	Created  time.Time `json:"created"`
	LastSeen time.Time `json:"lastSeen"`
	// IDToken is the provider's ID token, sent back as id_token_hint on logout.
	IDToken string `json:"idToken,omitempty"`
	// Subject and Issuer name the OIDC account that signed in.
	Subject string `json:"sub,omitempty"`
	Issuer  string `json:"iss,omitempty"`
}

// sessions stores Sessions and pending sign-ins in the KV.
type sessions struct {
	kv      catalog.KV
	idle    time.Duration
	maxAge  time.Duration
	now     func() time.Time
	touchEv time.Duration // LastSeen is rewritten at most this often
}

const (
	sessionPrefix = "s/"
	loginPrefix   = "login/"
	// loginTTL bounds the time between /auth/login and /auth/callback.
	loginTTL = 10 * time.Minute
)

// randomID returns n random bytes, base64url without padding.
func randomID(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("auth: crypto/rand failed: " + err.Error()) // never on a supported platform
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashKey(prefix, id string) string {
	sum := sha256.Sum256([]byte(id))
	return prefix + hex.EncodeToString(sum[:])
}

// credentialID is the non-secret name of a session in audit logs.
func credentialID(id string) string { return "session:" + hashKey("", id)[:16] }

// create stores a new session and returns its ID (the cookie value).
func (s *sessions) create(ctx context.Context, sess Session) (string, Session, error) {
	now := s.now()
	sess.Created, sess.LastSeen = now, now
	sess.CSRF = randomID(32)
	id := randomID(32)
	if err := s.put(ctx, id, sess); err != nil {
		return "", Session{}, err
	}
	return id, sess, nil
}

func (s *sessions) put(ctx context.Context, id string, sess Session) error {
	b, err := json.Marshal(sess)
	if err != nil {
		return err
	}
	if err := s.kv.KVSet(ctx, SessionNamespace, hashKey(sessionPrefix, id), b); err != nil {
		return fmt.Errorf("store session: %w", err)
	}
	return nil
}

// get returns the live session id names; ok is false when it is unknown or
// expired (an expired one is deleted). It refreshes LastSeen.
func (s *sessions) get(ctx context.Context, id string) (Session, bool, error) {
	if id == "" || len(id) > 100 {
		return Session{}, false, nil
	}
	key := hashKey(sessionPrefix, id)
	b, ok, err := s.kv.KVGet(ctx, SessionNamespace, key)
	if err != nil || !ok {
		return Session{}, false, err
	}
	var sess Session
	if err := json.Unmarshal(b, &sess); err != nil {
		return Session{}, false, s.kv.KVDelete(ctx, SessionNamespace, key)
	}
	now := s.now()
	if s.expired(sess, now) {
		return Session{}, false, s.kv.KVDelete(ctx, SessionNamespace, key)
	}
	if now.Sub(sess.LastSeen) >= s.touchEv {
		sess.LastSeen = now
		if err := s.put(ctx, id, sess); err != nil {
			return Session{}, false, err
		}
	}
	return sess, true, nil
}

func (s *sessions) expired(sess Session, now time.Time) bool {
	return now.Sub(sess.LastSeen) >= s.idle || now.Sub(sess.Created) >= s.maxAge
}

// delete ends a session server-side.
func (s *sessions) delete(ctx context.Context, id string) error {
	if id == "" {
		return nil
	}
	return s.kv.KVDelete(ctx, SessionNamespace, hashKey(sessionPrefix, id))
}

// sweep deletes up to limit expired sessions and stale sign-ins; a session
// nobody presents again would otherwise stay in the store.
func (s *sessions) sweep(ctx context.Context, limit int) error {
	now := s.now()
	for _, prefix := range []string{sessionPrefix, loginPrefix} {
		keys, err := s.kv.KVList(ctx, SessionNamespace, prefix, limit)
		if err != nil {
			return err
		}
		for _, k := range keys {
			b, ok, err := s.kv.KVGet(ctx, SessionNamespace, k)
			if err != nil || !ok {
				continue
			}
			stale := true
			if prefix == sessionPrefix {
				var sess Session
				stale = json.Unmarshal(b, &sess) != nil || s.expired(sess, now)
			} else {
				var l pendingLogin
				stale = json.Unmarshal(b, &l) != nil || now.Sub(l.Created) >= loginTTL
			}
			if stale {
				if err := s.kv.KVDelete(ctx, SessionNamespace, k); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// pendingLogin is what /auth/login remembers for /auth/callback, keyed by the
// state's hash: the nonce, the PKCE verifier and where to go afterwards.
type pendingLogin struct {
	Nonce    string    `json:"nonce"`
	Verifier string    `json:"verifier"`
	Redirect string    `json:"redirect"`
	Created  time.Time `json:"created"`
}

func (s *sessions) putLogin(ctx context.Context, state string, l pendingLogin) error {
	l.Created = s.now()
	b, err := json.Marshal(l)
	if err != nil {
		return err
	}
	return s.kv.KVSet(ctx, SessionNamespace, hashKey(loginPrefix, state), b)
}

// takeLogin returns and deletes the pending sign-in of state: a state works
// once, and only within loginTTL.
func (s *sessions) takeLogin(ctx context.Context, state string) (pendingLogin, bool, error) {
	if state == "" || len(state) > 100 {
		return pendingLogin{}, false, nil
	}
	key := hashKey(loginPrefix, state)
	b, ok, err := s.kv.KVGet(ctx, SessionNamespace, key)
	if err != nil || !ok {
		return pendingLogin{}, false, err
	}
	if err := s.kv.KVDelete(ctx, SessionNamespace, key); err != nil {
		return pendingLogin{}, false, err
	}
	var l pendingLogin
	if json.Unmarshal(b, &l) != nil || s.now().Sub(l.Created) >= loginTTL {
		return pendingLogin{}, false, nil
	}
	return l, true, nil
}
