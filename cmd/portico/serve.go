package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/portico-dev/portico/authz"
	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/catalog/ingest"
	"github.com/portico-dev/portico/catalog/postgres"
	"github.com/portico-dev/portico/catalog/sqlite"
	"github.com/portico-dev/portico/config"
	"github.com/portico-dev/portico/web"
)

// The engine is the web API's ingestion (POST /locations, /refresh, …).
var _ web.Ingest = (*ingest.Engine)(nil)

func init() {
	register(command{Path: "serve", Summary: "run the portal (catalog API and UI)", Run: runServe})
}

// runtime is what serve and `catalog import` share: the config, the store,
// the kinds and the ingestion engine built from them.
type runtime struct {
	cfg    *config.Config
	data   string
	store  catalog.Store
	kinds  *catalog.Kinds
	engine *ingest.Engine
	log    *slog.Logger
	// authz decides permissions; nil when permission.enabled is false (authz_wiring.go).
	authz *authz.Authorizer
}

// loadConfig loads --config (may be empty) with the process environment.
func loadConfig(path string) (*config.Config, error) {
	return config.Load(path, os.Environ())
}

// dataDir applies the precedence flag > env > file > default.
func dataDir(flagValue string, cfg *config.Config) string {
	switch {
	case flagValue != "":
		return flagValue
	case cfg.Server.Data != "":
		return cfg.Server.Data
	}
	return config.DefaultData
}

// openStore opens PostgreSQL when database.url names it, else the embedded
// SQLite store in the data directory.
func openStore(ctx context.Context, cfg *config.Config, data string, log *slog.Logger) (catalog.Store, string, error) {
	switch {
	case cfg.Database.IsPostgres():
		s, err := postgres.Open(ctx, cfg.Database.URL, postgres.WithLogger(log))
		if err != nil {
			return nil, "", fmt.Errorf("open postgres store: %w", err)
		}
		return s, "postgres " + redactURL(cfg.Database.URL), nil
	case cfg.Database.URL != "":
		return nil, "", fmt.Errorf("database.url %q: expected empty (embedded store) or a postgres:// URL", redactURL(cfg.Database.URL))
	}
	s, err := sqlite.Open(ctx, data)
	if err != nil {
		return nil, "", fmt.Errorf("open embedded store in %s: %w", data, err)
	}
	return s, "sqlite " + data, nil
}

// redactURL hides a password in a database URL for logs.
func redactURL(u string) string {
	at := strings.LastIndexByte(u, '@')
	scheme := strings.Index(u, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return u
	}
	userinfo := u[scheme+3 : at]
	if name, _, ok := strings.Cut(userinfo, ":"); ok {
		return u[:scheme+3] + name + ":***" + u[at:]
	}
	return u
}

// buildKinds registers the built-in kinds and catalog.kinds.
func buildKinds(cfg *config.Config) (*catalog.Kinds, error) {
	var ks []catalog.KindSchema
	for _, k := range cfg.Catalog.Kinds {
		ks = append(ks, catalog.KindSchema{Path: k.Schema})
	}
	kinds, err := catalog.NewKinds(ks)
	if err != nil {
		return nil, fmt.Errorf("catalog.kinds: %w", err)
	}
	return kinds, nil
}

// engineOptions turns the catalog config into ingestion options.
func engineOptions(cfg *config.Config, log *slog.Logger) ingest.Options {
	c := cfg.Catalog
	opts := ingest.Options{
		OrphanStrategy:       catalog.OrphanStrategy(c.OrphanStrategy),
		AllowedLocationTypes: c.AllowedLocationTypes,
		Readonly:             c.Readonly,
		Logger:               log,
	}
	if !c.ProcessingInterval.Disabled {
		opts.Interval = c.ProcessingInterval.Duration
	}
	if c.Rules != nil {
		opts.Rules = []ingest.Rule{}
		for _, r := range c.Rules {
			ir := ingest.Rule{Allow: r.Allow}
			for _, l := range r.Locations {
				ir.Locations = append(ir.Locations, ingest.RuleLocation{Type: l.Type, Exact: l.Exact, Pattern: l.Pattern})
			}
			opts.Rules = append(opts.Rules, ir)
		}
	}
	for _, l := range c.Locations {
		opts.ConfigLocations = append(opts.ConfigLocations, ingest.ConfigLocation{
			Type: l.Type, Target: l.Target, Rules: config.AllowedKinds(l.Rules)})
	}
	return opts
}

// openRuntime loads everything serve and import need. Close the store when done.
func openRuntime(ctx context.Context, configPath, dataFlag string, log *slog.Logger, tweak func(*ingest.Options)) (*runtime, error) {
	cfg, err := loadConfig(configPath)
	if err != nil {
		return nil, err
	}
	kinds, err := buildKinds(cfg)
	if err != nil {
		return nil, err
	}
	data := dataDir(dataFlag, cfg)
	st, desc, err := openStore(ctx, cfg, data, log)
	if err != nil {
		return nil, err
	}
	log.Info("catalog store open", "store", desc)
	opts := engineOptions(cfg, log)
	if tweak != nil {
		tweak(&opts)
	}
	return &runtime{cfg: cfg, data: data, store: st, kinds: kinds, engine: ingest.New(st, kinds, opts), log: log}, nil
}

func newLogger(w io.Writer) *slog.Logger {
	level := slog.LevelInfo
	if v := os.Getenv("PORTICO_LOG_LEVEL"); strings.EqualFold(v, "debug") {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

func runServe(ctx context.Context, args []string, _, stderr io.Writer) int {
	fs := flag.NewFlagSet("portico serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "", "address to listen on (default "+config.DefaultListen+"; env PORTICO_SERVER_LISTEN; config server.listen)")
	data := fs.String("data", "", "data directory of the embedded store (default "+config.DefaultData+"; env PORTICO_SERVER_DATA; config server.data)")
	configPath := fs.String("config", "", "config file (YAML shaped like Backstage's app-config)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "portico serve: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	log := newLogger(stderr)
	if err := serve(ctx, *configPath, *listen, *data, log); err != nil {
		log.Error("serve", "err", err)
		return 1
	}
	return 0
}

// serve runs until ctx ends (SIGINT/SIGTERM), then shuts down gracefully.
func serve(ctx context.Context, configPath, listenFlag, dataFlag string, log *slog.Logger) error {
	rt, err := openRuntime(ctx, configPath, dataFlag, log, nil)
	if err != nil {
		return err
	}
	defer rt.store.Close()
	addr := rt.cfg.Server.Listen
	if listenFlag != "" {
		addr = listenFlag
	}

	start := time.Now()
	if err := rt.engine.SyncConfigLocations(ctx); err != nil {
		log.Error("sync config locations", "err", err)
	}
	st, err := rt.engine.ProcessAll(ctx)
	if err != nil {
		log.Error("initial processing", "err", err)
	}
	if ctx.Err() != nil {
		return nil
	}
	log.Info("catalog processed", "locations", st.Locations, "entities", st.Entities, "errors", st.Errors,
		"added", st.Result.Added, "updated", st.Result.Updated, "unchanged", st.Result.Unchanged,
		"orphaned", st.Result.Orphaned, "deleted", st.Result.Deleted,
		"took", time.Since(start).Round(time.Millisecond).String(),
		"refresh", rt.cfg.Catalog.ProcessingInterval.String())

	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	runDone := make(chan struct{})
	go func() {
		defer close(runDone)
		if err := rt.engine.Run(runCtx); err != nil {
			log.Error("refresh loop", "err", err)
		}
	}()

	if err := wireAuthz(runCtx, rt); err != nil { // permissions, before any area reads rt.authz
		stopRun()
		<-runDone
		return err
	}
	app := web.New(withAuth(rt, web.Options{ // sign-in, sessions, tokens, guest (auth_wiring.go)
		Store:         rt.store,
		Ingest:        rt.engine,
		Logger:        log,
		ReadOnly:      rt.cfg.Catalog.Readonly,
		LocationTypes: rt.cfg.Catalog.AllowedLocationTypes,
		Areas:         []web.Area{uiArea(rt), permissionArea(rt)},
		Authz:         rt.authz,
	}))
	_ = wireSearch(runCtx, rt, app) // /api/search, portico_search_v1, catalog→index outbox sync (search_wiring.go)
	// Plugin host, installed plugins, /api/admin/plugins (plugin_registry_cmd.go).
	defer startPlugins(ctx, rt, app)()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		stopRun()
		<-runDone
		return fmt.Errorf("listen %s: %w", addr, err)
	}
	log.Info("portico listening", "url", "http://"+ln.Addr().String(), "data", rt.data)
	served := make(chan error, 1)
	go func() { served <- app.Listener(ln) }()

	select {
	case err = <-served:
		// the server stopped by itself
	case <-ctx.Done():
		log.Info("shutting down")
		if serr := app.ShutdownWithTimeout(10 * time.Second); serr != nil {
			log.Warn("shutdown", "err", serr)
		}
		err = <-served
	}
	stopRun()
	<-runDone
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("serve %s: %w", addr, err)
	}
	return nil
}
