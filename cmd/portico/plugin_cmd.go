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
	"time"

	"github.com/portico-dev/portico/host"
	"github.com/portico-dev/portico/host/services"
)

func init() {
	register(command{
		Path:    "plugin run",
		Summary: "run one export of a plugin (DIR or .wasm) and print its output",
		Run:     runPlugin,
	})
}

const pluginRunUsage = `usage: portico plugin run DIR|WASM EXPORT [INPUT.json|-] [flags]

Runs one export of a plugin in a local host and prints its output. A failed
call prints the error and exits 1. Without INPUT, standard exports get
{"abi":1} plus plugin and user.

flags:
  --grant KEY=VALUE   grant a capability (repeatable; replaces the manifest's
                      permissions): http=HOST, catalog=read, search=true,
                      kv=true, collate=true, secret=NAME
  --secret NAME=VALUE set a secret for the plugin (repeatable)
  --config FILE.json  the operator config object for the plugin
  --entities FILE     JSON entity or array of entities for catalog functions
  --user REF          call as this user (e.g. user:default/jane)
  --cache-dir DIR     compilation cache (default: user cache dir)
`

type pluginRunArgs struct {
	path, export, input string
	grant               *services.Grant
	secrets             map[string]string
	config, entities    string
	user, cacheDir      string
}

func parsePluginRunArgs(args []string) (*pluginRunArgs, error) {
	a := &pluginRunArgs{secrets: map[string]string{}}
	pos, err := scanFlags(args, nil, func(name, val string) error {
		switch name {
		case "grant":
			if a.grant == nil {
				a.grant = &services.Grant{}
			}
			return addGrant(a.grant, val)
		case "secret":
			k, v, ok := strings.Cut(val, "=")
			if !ok || k == "" {
				return fmt.Errorf("--secret wants NAME=VALUE, got %q", val)
			}
			a.secrets[k] = v
		case "config":
			a.config = val
		case "entities":
			a.entities = val
		case "user":
			a.user = val
		case "cache-dir":
			a.cacheDir = val
		default:
			return fmt.Errorf("unknown flag --%s", name)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(pos) < 2 || len(pos) > 3 {
		return nil, errors.New("want DIR|WASM EXPORT [INPUT.json]")
	}
	a.path, a.export = pos[0], pos[1]
	if len(pos) == 3 {
		a.input = pos[2]
	}
	return a, nil
}

func addGrant(g *services.Grant, kv string) error {
	k, v, ok := strings.Cut(kv, "=")
	if !ok {
		return fmt.Errorf("--grant wants KEY=VALUE, got %q", kv)
	}
	switch k {
	case "http":
		g.HTTP = append(g.HTTP, v)
	case "catalog":
		g.Catalog = v
	case "search":
		g.Search = v == "true"
	case "kv":
		g.KV = v == "true"
	case "collate":
		g.Collate = v == "true"
	case "secret", "secrets":
		g.Secrets = append(g.Secrets, v)
	default:
		return fmt.Errorf("unknown grant %q (http, catalog, search, kv, collate, secret)", k)
	}
	return nil
}

func runPlugin(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	for _, a := range args {
		if a == "-h" || a == "--help" {
			fmt.Fprint(stdout, pluginRunUsage)
			return 0
		}
	}
	a, err := parsePluginRunArgs(args)
	if err != nil {
		fmt.Fprintf(stderr, "portico plugin run: %v\n\n%s", err, pluginRunUsage)
		return 2
	}
	out, err := a.run(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "portico plugin run: %v\n", err)
		return 1
	}
	stdout.Write(out)
	if len(out) > 0 && out[len(out)-1] != '\n' {
		fmt.Fprintln(stdout)
	}
	return 0
}

func (a *pluginRunArgs) run(ctx context.Context) ([]byte, error) {
	mem := services.NewMemory()
	src, err := host.ReadSource(a.path)
	if err != nil {
		return nil, err
	}
	name := src.Manifest.Metadata.Name
	for k, v := range a.secrets {
		mem.SetSecret(name, k, v)
	}
	if a.config != "" {
		b, err := os.ReadFile(a.config)
		if err != nil {
			return nil, err
		}
		if err := src.Manifest.ValidateConfig(b); err != nil {
			return nil, fmt.Errorf("--config %s: %w", a.config, err)
		}
		mem.SetConfig(name, b)
	}
	if a.entities != "" {
		if err := loadEntities(mem, a.entities); err != nil {
			return nil, err
		}
	}
	cache := a.cacheDir
	if cache == "" {
		if d, err := os.UserCacheDir(); err == nil {
			cache = filepath.Join(d, "portico", "wasm-cache")
		}
	}
	h, err := host.New(host.Options{CacheDir: cache, Services: mem.Set()})
	if err != nil {
		return nil, err
	}
	defer h.Close(context.WithoutCancel(ctx))
	p, err := h.LoadSource(ctx, src, host.LoadOptions{Grant: a.grant})
	if err != nil {
		return nil, err
	}
	if a.user != "" {
		ctx = services.WithCaller(ctx, services.Caller{UserRef: a.user, Claims: []string{a.user}})
	}
	input, err := a.readInput(ctx, p)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	out, err := p.Call(ctx, a.export, input)
	if err != nil {
		return nil, fmt.Errorf("%w (after %s)", err, time.Since(start).Round(time.Millisecond))
	}
	return out, nil
}

var standardExports = map[string]bool{"card": true, "provide": true, "action": true, "check": true, "route": true, "collate": true}

// readInput reads INPUT (a file or - for stdin). For a standard export an
// object input gets abi, plugin and user filled in.
func (a *pluginRunArgs) readInput(ctx context.Context, p *host.Plugin) ([]byte, error) {
	var raw []byte
	var err error
	switch a.input {
	case "":
		if !standardExports[a.export] {
			return nil, nil
		}
		raw = []byte("{}")
	case "-":
		raw, err = io.ReadAll(os.Stdin)
	default:
		raw, err = os.ReadFile(a.input)
	}
	if err != nil {
		return nil, err
	}
	if !standardExports[a.export] {
		return raw, nil
	}
	var fields map[string]any
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, fmt.Errorf("input for %s must be a JSON object: %w", a.export, err)
	}
	return p.Input(ctx, fields)
}

func loadEntities(mem *services.Memory, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var many []json.RawMessage
	if err := json.Unmarshal(b, &many); err != nil {
		many = []json.RawMessage{b}
	}
	for _, e := range many {
		if err := mem.AddEntity(e); err != nil {
			return fmt.Errorf("--entities %s: %w", path, err)
		}
	}
	return nil
}
