package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/portico-dev/portico/config"
	"github.com/portico-dev/portico/host"
	"github.com/portico-dev/portico/host/registry"
	"github.com/portico-dev/portico/host/services"
	"github.com/portico-dev/portico/web/pluginadmin"
)

// The plugin registry subcommands (host/registry does the work). They use
// the same data directory as `portico serve --data`; a running server picks
// up every change from the lockfile without a restart.

func init() {
	for _, c := range []command{
		{Path: "plugin publish", Summary: "publish a plugin directory as an OCI artifact", Run: runPluginPublish},
		{Path: "plugin install", Summary: "install a plugin from a registry or OCI layout", Run: runPluginInstall},
		{Path: "plugin list", Summary: "list installed plugins", Run: runPluginList},
		{Path: "plugin upgrade", Summary: "upgrade an installed plugin", Run: runPluginUpgrade},
		{Path: "plugin grant", Summary: "grant permissions to an installed plugin", Run: runPluginGrant},
		{Path: "plugin remove", Summary: "remove an installed plugin", Run: runPluginRemove},
		{Path: "plugin inspect", Summary: "show a published plugin without installing it", Run: runPluginInspect},
		{Path: "plugin keygen", Summary: "write an ed25519 keypair for signing plugins", Run: runPluginKeygen},
	} {
		register(c)
	}
}

const registryFlagsUsage = `
REF is HOST[:PORT]/REPO[:TAG|@sha256:…] or oci:PATH[:TAG|@sha256:…] (an OCI
image layout on disk). Without TAG, install and upgrade pick the highest
semver tag this Portico can run. Registry credentials: PORTICO_REGISTRY_USERNAME
and PORTICO_REGISTRY_PASSWORD, else ~/.docker/config.json.

flags:
  --data DIR          data directory (as portico serve --data)
  --config FILE       config file (its trust section and server.data)
  --plain-http        talk HTTP, not HTTPS, to the registry
  --grant KEY=VALUE   grant a permission (repeatable): http=HOST, catalog=read,
                      search=true, kv=true, secret=NAME
  --yes               grant every permission the plugin asks for
  --sign KEYFILE      (publish) sign with a key from portico plugin keygen
`

// regArgs are the parsed arguments of a registry subcommand.
type regArgs struct {
	pos                  []string
	data, config, sign   string
	plainHTTP, yes, help bool
	grants               []string
}

func parseRegArgs(args []string, allowed ...string) (*regArgs, error) {
	a := &regArgs{}
	ok := map[string]bool{}
	for _, f := range allowed {
		ok[f] = true
	}
	ok["help"] = true
	var err error
	a.pos, err = scanFlags(args, map[string]bool{"plain-http": true, "yes": true, "help": true}, func(name, val string) error {
		if !ok[name] {
			return fmt.Errorf("unknown flag --%s", name)
		}
		switch name {
		case "help":
			a.help = true
		case "yes":
			a.yes = true
		case "plain-http":
			a.plainHTTP = true
		case "data":
			a.data = val
		case "config":
			a.config = val
		case "sign":
			a.sign = val
		case "grant":
			a.grants = append(a.grants, val)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i, p := range a.pos { // -h is the one short flag
		if p == "-h" {
			a.help = true
			a.pos = append(a.pos[:i:i], a.pos[i+1:]...)
			break
		}
	}
	return a, nil
}

// newManager builds the registry manager of the data directory.
func newManager(cfg *config.Config, data string, plainHTTP bool) (*registry.Manager, error) {
	trust, err := trustFromConfig(cfg.Trust)
	if err != nil {
		return nil, err
	}
	return &registry.Manager{
		Data: data,
		Remote: registry.Remote{PlainHTTP: plainHTTP,
			Username: os.Getenv("PORTICO_REGISTRY_USERNAME"), Password: os.Getenv("PORTICO_REGISTRY_PASSWORD")},
		Trust:  trust,
		Compat: registry.Compat{ABIs: host.SupportedABIs(), HostVersion: version},
	}, nil
}

func trustFromConfig(t config.Trust) (registry.Trust, error) {
	out := registry.Trust{Require: t.Require}
	for _, k := range t.Keys {
		pub, err := registry.DecodePublicKey(k.PublicKey)
		if err != nil {
			return out, fmt.Errorf("trust.keys %s: %w", k.Name, err)
		}
		out.Keys = append(out.Keys, registry.TrustedKey{Name: k.Name, Public: pub})
	}
	return out, nil
}

// regCommand runs body with the manager; usage errors exit 2, failures 1.
func regCommand(name, usage string, nPos [2]int, flags []string, body func(ctx context.Context, a *regArgs, m *registry.Manager, out io.Writer) error) func(context.Context, []string, io.Writer, io.Writer) int {
	return func(ctx context.Context, args []string, stdout, stderr io.Writer) int {
		a, err := parseRegArgs(args, flags...)
		if err == nil && a.help {
			fmt.Fprint(stdout, usage+registryFlagsUsage)
			return 0
		}
		if err == nil && (len(a.pos) < nPos[0] || len(a.pos) > nPos[1]) {
			err = fmt.Errorf("wrong number of arguments")
		}
		if err != nil {
			fmt.Fprintf(stderr, "portico %s: %v\n\n%s", name, err, usage)
			return 2
		}
		cfg, err := loadConfig(a.config)
		if err != nil {
			fmt.Fprintf(stderr, "portico %s: %v\n", name, err)
			return 1
		}
		m, err := newManager(cfg, dataDir(a.data, cfg), a.plainHTTP)
		if err != nil {
			fmt.Fprintf(stderr, "portico %s: %v\n", name, err)
			return 1
		}
		m.Logger = newLogger(io.Discard)
		if err := body(ctx, a, m, stdout); err != nil {
			fmt.Fprintf(stderr, "portico %s: %v\n", name, err)
			return 1
		}
		return 0
	}
}

var runPluginPublish = regCommand("plugin publish", "usage: portico plugin publish DIR REF [--sign KEYFILE] [--plain-http]\n",
	[2]int{2, 2}, []string{"sign", "plain-http", "config", "data"},
	func(ctx context.Context, a *regArgs, m *registry.Manager, out io.Writer) error {
		ref, err := registry.ParseRef(a.pos[1])
		if err != nil {
			return err
		}
		var s *registry.Signer
		if a.sign != "" {
			if s, err = registry.LoadSigner(a.sign); err != nil {
				return err
			}
		}
		p, err := registry.Publish(ctx, m.Remote, a.pos[0], ref, s)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "published %s %s to %s\ndigest %s\n", p.Name, p.Version, p.Ref, p.Digest)
		if p.Signed {
			fmt.Fprintf(out, "signed with %s\n", p.KeyID)
		}
		return nil
	})

var runPluginInstall = regCommand("plugin install", "usage: portico plugin install [REF] [--grant KEY=VALUE]... [--yes] [--plain-http] [--data DIR]\n\nWithout REF, re-fetches every plugin of the lockfile missing from the data\ndirectory, by its pinned digest.\n",
	[2]int{0, 1}, []string{"grant", "yes", "plain-http", "config", "data"},
	func(ctx context.Context, a *regArgs, m *registry.Manager, out io.Writer) error {
		if len(a.pos) == 0 {
			names, err := m.Restore(ctx)
			fmt.Fprintf(out, "restored %d plugin(s) from the lockfile %s\n", len(names), strings.Join(names, " "))
			return err
		}
		res, err := m.Install(ctx, registry.Request{Ref: a.pos[0], Grants: a.grants, All: a.yes})
		if err != nil {
			return err
		}
		printResult(out, "installed", res)
		return nil
	})

var runPluginUpgrade = regCommand("plugin upgrade", "usage: portico plugin upgrade NAME [REF] [--grant KEY=VALUE]... [--yes] [--plain-http] [--data DIR]\n",
	[2]int{1, 2}, []string{"grant", "yes", "plain-http", "config", "data"},
	func(ctx context.Context, a *regArgs, m *registry.Manager, out io.Writer) error {
		req := registry.Request{Grants: a.grants, All: a.yes}
		if len(a.pos) == 2 {
			req.Ref = a.pos[1]
		}
		res, err := m.Upgrade(ctx, a.pos[0], req)
		if err != nil {
			return err
		}
		if res.Pending != nil {
			printResult(out, "running", res)
			return fmt.Errorf("%s %s asks for more than was granted (%s); %s keeps running until you run: portico plugin grant %s %s",
				res.Pending.Name, res.Pending.Version, registry.FormatGrant(res.NotGranted), res.Entry.Version,
				res.Pending.Name, grantFlags(res.NotGranted))
		}
		if !res.Changed {
			printResult(out, "already at", res)
			return nil
		}
		printResult(out, "upgraded", res)
		return nil
	})

var runPluginGrant = regCommand("plugin grant", "usage: portico plugin grant NAME [--grant KEY=VALUE]... [--yes] [--data DIR]\n\nAdds permissions; a pending upgrade they cover takes over.\n",
	[2]int{1, 1}, []string{"grant", "yes", "config", "data"},
	func(ctx context.Context, a *regArgs, m *registry.Manager, out io.Writer) error {
		if len(a.grants) == 0 && !a.yes {
			return errors.New("give --grant KEY=VALUE or --yes")
		}
		res, err := m.Grant(ctx, a.pos[0], registry.Request{Grants: a.grants, All: a.yes})
		if err != nil {
			return err
		}
		printResult(out, "granted", res)
		if res.Pending != nil {
			return fmt.Errorf("pending %s still needs %s", res.Pending.Version, registry.FormatGrant(res.NotGranted))
		}
		return nil
	})

var runPluginRemove = regCommand("plugin remove", "usage: portico plugin remove NAME [--data DIR]\n",
	[2]int{1, 1}, []string{"config", "data"},
	func(ctx context.Context, a *regArgs, m *registry.Manager, out io.Writer) error {
		if err := m.Remove(ctx, a.pos[0]); err != nil {
			return err
		}
		fmt.Fprintf(out, "removed %s\n", a.pos[0])
		return nil
	})

var runPluginList = regCommand("plugin list", "usage: portico plugin list [--data DIR]\n",
	[2]int{0, 0}, []string{"config", "data"},
	func(ctx context.Context, a *regArgs, m *registry.Manager, out io.Writer) error {
		es, err := m.List()
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tVERSION\tDIGEST\tABI\tGRANTED\tSIGNER\tPENDING")
		for _, e := range es {
			pending := "-"
			if e.Pending != nil {
				pending = e.Pending.Version
			}
			signer := e.Signer
			if signer == "" {
				signer = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", e.Name, e.Version, e.Digest, e.ABI, registry.FormatGrant(e.Granted), signer, pending)
		}
		return tw.Flush()
	})

var runPluginInspect = regCommand("plugin inspect", "usage: portico plugin inspect REF [--plain-http]\n",
	[2]int{1, 1}, []string{"plain-http", "config", "data"},
	func(ctx context.Context, a *regArgs, m *registry.Manager, out io.Writer) error {
		art, err := m.Inspect(ctx, a.pos[0])
		if err != nil {
			return err
		}
		mf := art.Manifest
		fmt.Fprintf(out, "ref:         %s\ndigest:      %s\nname:        %s\nversion:     %s\nabi:         %d\npermissions: %s\n",
			art.Ref, art.Digest, mf.Metadata.Name, mf.Metadata.Version, mf.Spec.ABI, registry.FormatGrant(mf.Spec.Permissions))
		if mf.Spec.Requires != nil && mf.Spec.Requires.Portico != "" {
			fmt.Fprintf(out, "requires:    portico %s\n", mf.Spec.Requires.Portico)
		}
		sig := "unsigned"
		if art.Signature != "" {
			sig = "signed by " + art.SignerKey
		}
		fmt.Fprintf(out, "signature:   %s\n", sig)
		return nil
	})

func runPluginKeygen(_ context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 || strings.HasPrefix(args[0], "-") {
		fmt.Fprint(stderr, "usage: portico plugin keygen KEYFILE\n\nWrites the private key to KEYFILE (mode 0600) and the public key to\nKEYFILE.pub, the value for trust.keys[].publicKey.\n")
		if len(args) == 1 && (args[0] == "-h" || args[0] == "--help") {
			return 0
		}
		return 2
	}
	if err := os.MkdirAll(filepath.Dir(args[0]), 0o755); err != nil {
		fmt.Fprintf(stderr, "portico plugin keygen: %v\n", err)
		return 1
	}
	pub, err := registry.GenerateKey(args[0])
	if err != nil {
		fmt.Fprintf(stderr, "portico plugin keygen: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "wrote %s and %s.pub (%s)\ntrust:\n  keys:\n    - {name: %s, publicKey: %s}\n",
		args[0], args[0], registry.KeyID(pub), strings.TrimSuffix(filepath.Base(args[0]), filepath.Ext(args[0])), registry.EncodePublicKey(pub))
	return 0
}

func printResult(out io.Writer, verb string, res *registry.Result) {
	e := res.Entry
	fmt.Fprintf(out, "%s %s %s (%s)\n", verb, e.Name, e.Version, e.Digest)
	fmt.Fprintf(out, "  asks for: %s\n  granted:  %s\n", registry.FormatGrant(e.Requested), registry.FormatGrant(e.Granted))
	if p := res.Pending; p != nil {
		fmt.Fprintf(out, "  pending:  %s (%s) asks for %s\n", p.Version, p.Digest, registry.FormatGrant(p.Requested))
	} else if ng := registry.FormatGrant(res.NotGranted); ng != "none" {
		fmt.Fprintf(out, "  not granted: %s (portico plugin grant %s %s)\n", ng, e.Name, grantFlags(res.NotGranted))
	}
	if e.Signer != "" {
		fmt.Fprintf(out, "  signed by: %s\n", e.Signer)
	}
}

func grantFlags(g services.Grant) string {
	s := registry.FormatGrant(g)
	var out []string
	for _, p := range strings.Split(s, ",") {
		out = append(out, "--grant "+p)
	}
	return strings.Join(out, " ")
}

// servePlugins is serve's plugin host: created on first use (the UI asks for
// it through uiHost while serve builds the app), then started by startPlugins.
type servePlugins struct {
	once   sync.Once
	host   *host.Host
	err    error
	search swapSearch
	// settings is the config's plugins section, read once with the host.
	settings map[string]config.PluginSettings
}

// swapSearch answers portico_search_v1 from the catalog store until a search
// index is wired with setPluginSearch.
type swapSearch struct {
	fallback services.Search
	cur      atomic.Pointer[services.Search]
}

func (s *swapSearch) Search(ctx context.Context, as services.Caller, q services.SearchQuery) ([]services.SearchResult, error) {
	if p := s.cur.Load(); p != nil {
		return (*p).Search(ctx, as, q)
	}
	return s.fallback.Search(ctx, as, q)
}

var _ services.Search = (*swapSearch)(nil)

// setPluginSearch makes serve's plugins search with s (e.g. the search
// index's services.Search from wireSearch).
func setPluginSearch(rt *runtime, s services.Search) {
	if s == nil || pluginHost(rt) == nil {
		return
	}
	servePluginsMu.Lock()
	sp := servePluginsOf[rt]
	servePluginsMu.Unlock()
	sp.search.cur.Store(&s)
}

var (
	servePluginsMu sync.Mutex
	servePluginsOf = map[*runtime]*servePlugins{}
)

func init() { uiHost = pluginHost }

// pluginHost returns serve's plugin host for rt (nil when it cannot start).
func pluginHost(rt *runtime) *host.Host {
	servePluginsMu.Lock()
	sp := servePluginsOf[rt]
	if sp == nil {
		sp = &servePlugins{}
		servePluginsOf[rt] = sp
	}
	servePluginsMu.Unlock()
	sp.once.Do(func() {
		// Plugin settings and secrets come from the config's plugins section;
		// config.Load has already rejected a malformed one.
		mem := services.NewMemory()
		settings, err := rt.cfg.PluginSettings()
		if err != nil {
			rt.log.Error("plugin settings", "err", err)
		}
		for name, ps := range settings {
			if ps.Config != nil {
				b, err := json.Marshal(ps.Config)
				if err != nil {
					rt.log.Error("plugin settings", "plugin", name, "err", err)
					continue
				}
				mem.SetConfig(name, b)
			}
			for k, v := range ps.Secrets {
				mem.SetSecret(name, k, v)
			}
		}
		sp.settings = settings
		// Plugin catalog reads carry the caller's permissions (authz_wiring.go).
		sp.search.fallback = &services.StoreCatalog{Store: rt.store, Visible: callerFilterFor(rt.authz)}
		sp.host, sp.err = host.New(host.Options{
			CacheDir: filepath.Join(rt.data, "cache", "wasm"),
			Logger:   rt.log,
			Services: services.Set{
				Catalog: &services.StoreCatalog{Store: rt.store, Visible: callerFilterFor(rt.authz)},
				Search:  &sp.search,
				KV:      rt.store,
				Config:  mem,
				Secrets: mem,
				Logger:  rt.log,
			},
		})
		if sp.err != nil {
			rt.log.Error("plugin host", "err", sp.err)
		}
	})
	return sp.host
}

// startPlugins loads the installed plugins of the data directory into serve's
// host, follows the lockfile (CLI installs take effect without a restart) and
// mounts the admin API on app. It returns the function that stops it all.
func startPlugins(ctx context.Context, rt *runtime, app *fiber.App) (stop func()) {
	h := pluginHost(rt)
	if h == nil {
		return func() {}
	}
	m, err := newManager(rt.cfg, rt.data, false)
	if err != nil {
		rt.log.Error("plugin registry", "err", err)
		return func() { _ = h.Close(context.Background()) }
	}
	m.Logger = rt.log
	live := &registry.Live{Host: h, Manager: m, Amend: func(name string, g services.Grant) services.Grant {
		return amendGrant(rt, name, g)
	}}
	if names, err := m.Restore(ctx); err != nil || len(names) > 0 {
		rt.log.Info("restore plugins from the lockfile", "restored", names, "err", err)
	}
	if err := live.Reconcile(ctx); err != nil {
		rt.log.Error("load installed plugins", "err", err)
	}
	pluginadmin.New(pluginadmin.Options{Manager: m, Live: live, Logger: rt.log, Authz: rt.authz}).Mount(app)
	// Per-plugin calls, errors, timeouts and latency histograms for Prometheus.
	app.Get("/metrics", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, "text/plain; version=0.0.4; charset=utf-8")
		return h.WriteMetrics(c.Response().BodyWriter())
	})
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		live.Watch(wctx, time.Second)
	}()
	return func() {
		cancel()
		<-done
		_ = h.Close(context.Background())
		servePluginsMu.Lock()
		delete(servePluginsOf, rt)
		servePluginsMu.Unlock()
	}
}

// amendGrant adds the operator's plugins.NAME.allowHTTP hosts to a plugin's
// install grant.
func amendGrant(rt *runtime, name string, g services.Grant) services.Grant {
	servePluginsMu.Lock()
	sp := servePluginsOf[rt]
	servePluginsMu.Unlock()
	if sp == nil {
		return g
	}
	extra := sp.settings[name].AllowHTTP
	if len(extra) == 0 {
		return g
	}
	g.HTTP = append(append([]string(nil), g.HTTP...), extra...)
	return g
}
