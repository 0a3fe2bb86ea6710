package authz

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/portico-dev/portico/catalog"
)

// Key-value namespaces of the catalog store that hold the policy and its
// audit trail. Plugin namespaces are plugin names, which cannot contain a dot.
const (
	NamespacePolicy = "portico.policy"
	NamespaceAudit  = "portico.audit"
	keyCurrent      = "current"
)

// StoredPolicy is the policy as kept in the store: one key, so the version
// and the document change together.
type StoredPolicy struct {
	Version   int64           `json:"version"`
	UpdatedAt time.Time       `json:"updatedAt"`
	UpdatedBy string          `json:"updatedBy"`
	Policy    json.RawMessage `json:"policy"`
}

// AuditEntry is one policy change: who, when, before and after.
type AuditEntry struct {
	ID      string          `json:"id"`
	At      time.Time       `json:"at"`
	Who     string          `json:"who"`
	Action  string          `json:"action"` // bootstrap | update
	Version int64           `json:"version"`
	Before  json.RawMessage `json:"before"` // null for a bootstrap
	After   json.RawMessage `json:"after"`
}

// PolicyStore keeps the policy and its audit trail in a catalog store's KV.
type PolicyStore struct {
	KV  catalog.KV
	Now func() time.Time // nil: time.Now
}

func (s *PolicyStore) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Load returns the stored policy; ok is false when none was stored yet.
func (s *PolicyStore) Load(ctx context.Context) (StoredPolicy, bool, error) {
	b, ok, err := s.KV.KVGet(ctx, NamespacePolicy, keyCurrent)
	if err != nil || !ok {
		return StoredPolicy{}, false, err
	}
	var sp StoredPolicy
	if err := json.Unmarshal(b, &sp); err != nil {
		return StoredPolicy{}, false, fmt.Errorf("authz: stored policy: %w", err)
	}
	return sp, true, nil
}

// save writes p as the next version after prev and records the change.
func (s *PolicyStore) save(ctx context.Context, p *Policy, who, action string, prev *StoredPolicy) (StoredPolicy, error) {
	next := StoredPolicy{Version: 1, UpdatedAt: s.now(), UpdatedBy: who, Policy: p.JSON()}
	var before json.RawMessage = []byte("null")
	if prev != nil {
		next.Version = prev.Version + 1
		before = prev.Policy
	}
	b, _ := json.Marshal(next)
	// The audit entry goes first: a change that is not audited must not happen.
	if err := s.audit(ctx, AuditEntry{At: next.UpdatedAt, Who: who, Action: action, Version: next.Version, Before: before, After: next.Policy}); err != nil {
		return StoredPolicy{}, err
	}
	if err := s.KV.KVSet(ctx, NamespacePolicy, keyCurrent, b); err != nil {
		return StoredPolicy{}, fmt.Errorf("authz: store policy: %w", err)
	}
	return next, nil
}

// audit keys sort newest first: the inverted nanosecond time, then a random
// suffix so two replicas writing in the same nanosecond do not collide.
func (s *PolicyStore) audit(ctx context.Context, e AuditEntry) error {
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	e.ID = fmt.Sprintf("%019d-%s", math.MaxInt64-e.At.UnixNano(), hex.EncodeToString(rnd[:]))
	b, _ := json.Marshal(e)
	if err := s.KV.KVSet(ctx, NamespaceAudit, e.ID, b); err != nil {
		return fmt.Errorf("authz: audit: %w", err)
	}
	return nil
}

// Audit returns up to limit policy changes, newest first.
func (s *PolicyStore) Audit(ctx context.Context, limit int) ([]AuditEntry, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	keys, err := s.KV.KVList(ctx, NamespaceAudit, "", limit)
	if err != nil {
		return nil, fmt.Errorf("authz: audit: %w", err)
	}
	out := make([]AuditEntry, 0, len(keys))
	for _, k := range keys {
		b, ok, err := s.KV.KVGet(ctx, NamespaceAudit, k)
		if err != nil {
			return nil, fmt.Errorf("authz: audit %s: %w", k, err)
		}
		if !ok {
			continue
		}
		var e AuditEntry
		if err := json.Unmarshal(b, &e); err != nil {
			return nil, fmt.Errorf("authz: audit %s: %w", k, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// Open returns an authorizer whose policy lives in store: the stored policy
// when there is one, else bootstrap (DefaultPolicy when nil), which is then
// stored as version 1 and audited as a "bootstrap" by "portico". A stored
// policy wins over the file: after the first start the file only seeds new
// stores, and admins change the policy through the API.
func Open(ctx context.Context, store *PolicyStore, bootstrap *Policy) (*Authorizer, error) {
	if bootstrap == nil {
		bootstrap = DefaultPolicy()
	}
	sp, ok, err := store.Load(ctx)
	if err != nil {
		return nil, err
	}
	a := &Authorizer{store: store}
	if !ok {
		if sp, err = store.save(ctx, bootstrap, "portico", "bootstrap", nil); err != nil {
			return nil, err
		}
		return a, a.set(bootstrap, sp.Version)
	}
	p, err := ParsePolicy(sp.Policy)
	if err != nil {
		return nil, fmt.Errorf("authz: stored policy version %d: %w", sp.Version, err)
	}
	return a, a.set(p, sp.Version)
}

// Store returns the policy store (nil for an in-memory authorizer).
func (a *Authorizer) Store() *PolicyStore { return a.store }

// Update validates p, stores it as the next version (audited as who) and
// applies it. With expectVersion > 0 the update fails with a ConflictError
// when the stored version is another (someone changed it meanwhile).
func (a *Authorizer) Update(ctx context.Context, p *Policy, who string, expectVersion int64) (int64, error) {
	if err := p.Validate(); err != nil {
		return 0, &catalog.InputError{Msg: err.Error()}
	}
	c, err := compile(p, 0) // the version is set when it is known
	if err != nil {
		return 0, &catalog.InputError{Msg: err.Error()}
	}
	if a.store == nil {
		_, v := a.Policy()
		c.version = v + 1
		a.cur.Store(c)
		return c.version, nil
	}
	sp, ok, err := a.store.Load(ctx)
	if err != nil {
		return 0, err
	}
	var prev *StoredPolicy
	if ok {
		prev = &sp
	}
	if expectVersion > 0 && (prev == nil || prev.Version != expectVersion) {
		cur := int64(0)
		if prev != nil {
			cur = prev.Version
		}
		return 0, catalog.Conflictf("The policy changed meanwhile: version %d, expected %d", cur, expectVersion)
	}
	next, err := a.store.save(ctx, p, who, "update", prev)
	if err != nil {
		return 0, err
	}
	c.version = next.Version
	a.cur.Store(c)
	return next.Version, nil
}

// Reload reads the stored policy and applies it when its version differs
// from the current one. It reports whether it changed anything.
func (a *Authorizer) Reload(ctx context.Context) (bool, error) {
	if a.store == nil {
		return false, nil
	}
	sp, ok, err := a.store.Load(ctx)
	if err != nil || !ok {
		return false, err
	}
	if _, v := a.Policy(); v == sp.Version {
		return false, nil
	}
	p, err := ParsePolicy(sp.Policy)
	if err != nil {
		return false, fmt.Errorf("authz: stored policy version %d: %w", sp.Version, err)
	}
	return true, a.set(p, sp.Version)
}

// Watch reloads the policy every interval until ctx ends, so every replica
// on one store follows a change made through any of them. A policy that
// fails to load keeps the last good one in force (and is logged).
func (a *Authorizer) Watch(ctx context.Context, interval time.Duration, log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		changed, err := a.Reload(ctx)
		switch {
		case err != nil:
			log.Error("permission policy reload", "err", err)
		case changed:
			_, v := a.Policy()
			log.Info("permission policy reloaded", "version", v)
		}
	}
}
