package registry

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/portico-dev/portico/host"
	"github.com/portico-dev/portico/host/services"
)

// Live keeps a host's plugins in step with the lockfile: what is installed
// is loaded (replacing an older version; calls in flight finish on it), what
// was removed is unloaded. A plugin that fails to load keeps its previous
// version running.
type Live struct {
	Host    *host.Host
	Manager *Manager
	// Amend, when set, adjusts the grant a plugin is loaded with. serve uses
	// it for the operator's config (plugins.NAME.allowHTTP in the config
	// file): the operator who writes the config grants that too.
	Amend func(name string, g services.Grant) services.Grant

	mu     sync.Mutex
	loaded map[string]string // name → digest|grant that is loaded
	stamp  string
}

// Reconcile loads, replaces and unloads plugins to match the lockfile.
func (l *Live) Reconcile(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.loaded == nil {
		l.loaded = map[string]string{}
	}
	lf, err := l.Manager.ReadLock()
	if err != nil {
		return err
	}
	log := l.Manager.log()
	var errs []error
	for _, name := range sortedNames(lf) {
		e := lf.Plugins[name]
		g := e.Granted
		if l.Amend != nil {
			g = l.Amend(name, g)
		}
		key := e.Digest + "|" + FormatGrant(g)
		if l.loaded[name] == key {
			continue
		}
		if _, err := l.Host.Load(ctx, l.Manager.Dir(e), host.LoadOptions{Grant: &g, Replace: true}); err != nil {
			errs = append(errs, fmt.Errorf("load plugin %s %s: %w", name, e.Version, err))
			log.Error("plugin load failed; the previous version (if any) keeps running", "name", name, "version", e.Version, "err", err)
			continue
		}
		l.loaded[name] = key
		log.Info("plugin loaded", "name", name, "version", e.Version, "digest", e.Digest, "granted", FormatGrant(g))
	}
	for name := range l.loaded {
		if lf.Plugins[name] != nil {
			continue
		}
		if err := l.Host.Unload(ctx, name); err != nil {
			errs = append(errs, fmt.Errorf("unload plugin %s: %w", name, err))
		}
		delete(l.loaded, name)
		log.Info("plugin unloaded", "name", name)
	}
	return errors.Join(errs...)
}

// Watch reconciles whenever the lockfile changes (a CLI install next to a
// running server), checking every interval, until ctx ends.
func (l *Live) Watch(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		st, err := os.Stat(l.Manager.LockPath())
		stamp := "absent"
		if err == nil {
			stamp = fmt.Sprint(st.ModTime().UnixNano(), st.Size())
		}
		l.mu.Lock()
		changed := stamp != l.stamp
		l.stamp = stamp
		l.mu.Unlock()
		if changed {
			if err := l.Reconcile(ctx); err != nil {
				l.Manager.log().Warn("plugin reconcile", "err", err)
			}
		}
	}
}
