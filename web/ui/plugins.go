package ui

import (
	"bufio"
	"bytes"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/portico-dev/portico/host"
)

// PluginInfo is one installed plugin as the admin page shows it.
type PluginInfo struct {
	Name, Version, Description, Publisher string
	ABI                                   int
	Digest                                string
	Grant                                 []string // human-readable grants
	Provides                              []string
	Calls, Errors, Timeouts               uint64
	P95                                   string // "" when there were no calls
	Parked                                bool
	Timeout                               string
	MemoryMiB                             int
}

// Plugins lists installed plugins for the admin page.
type Plugins interface {
	Installed() []PluginInfo
}

// HostPlugins adapts *host.Host to Plugins, reading health from the host's
// own metrics (Metrics counters and the WriteMetrics latency histogram).
type HostPlugins struct{ Host *host.Host }

// Installed implements Plugins.
func (hp HostPlugins) Installed() []PluginInfo {
	p95 := latencyP95(hp.Host)
	var out []PluginInfo
	for _, p := range hp.Host.Plugins() {
		m := p.Manifest()
		info := PluginInfo{
			Name: p.Name(), Version: m.Metadata.Version, Description: m.Metadata.Description, Publisher: m.Metadata.Publisher,
			Calls: p.Metrics().Calls.Load(), Errors: p.Metrics().Errors.Load(), Timeouts: p.Metrics().Timeouts.Load(),
			Parked: p.Parked(), P95: p95[p.Name()], Timeout: p.Limits().Timeout.D().String(), MemoryMiB: p.Limits().MemoryMiB,
		}
		if s := p.Source(); s != nil {
			info.Digest, info.ABI = "sha256:"+s.SHA256, s.ABI
		}
		g := p.Grant()
		if len(g.HTTP) > 0 {
			info.Grant = append(info.Grant, "http: "+strings.Join(g.HTTP, ", "))
		}
		if g.CatalogRead() {
			info.Grant = append(info.Grant, "catalog: read")
		}
		if g.Search {
			info.Grant = append(info.Grant, "search")
		}
		if g.KV {
			info.Grant = append(info.Grant, "kv")
		}
		if g.Collate {
			info.Grant = append(info.Grant, "collate (search documents)")
		}
		if len(g.Secrets) > 0 {
			info.Grant = append(info.Grant, "secrets: "+strings.Join(g.Secrets, ", "))
		}
		for _, pr := range m.Spec.Provides {
			switch {
			case pr.Card != nil:
				info.Provides = append(info.Provides, "card "+pr.Card.ID)
			case pr.Action != nil:
				info.Provides = append(info.Provides, "action "+pr.Action.ID)
			case pr.Check != nil:
				info.Provides = append(info.Provides, "check "+pr.Check.ID)
			case pr.Provider != nil:
				info.Provides = append(info.Provides, "provider")
			case pr.Route != nil:
				info.Provides = append(info.Provides, "route")
			}
		}
		out = append(out, info)
	}
	return out
}

var _ Plugins = HostPlugins{}

// latencyP95 reads portico_plugin_call_duration_seconds buckets from the
// host's Prometheus exposition and returns each plugin's 95th percentile as
// the upper bound of the bucket that holds it.
func latencyP95(h *host.Host) map[string]string {
	var buf bytes.Buffer
	if err := h.WriteMetrics(&buf); err != nil {
		return nil
	}
	type bucket struct {
		le  float64
		cum uint64
	}
	byPlugin := map[string][]bucket{}
	sc := bufio.NewScanner(&buf)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "portico_plugin_call_duration_seconds_bucket{") {
			continue
		}
		labels, val, ok := strings.Cut(strings.TrimPrefix(line, "portico_plugin_call_duration_seconds_bucket{"), "} ")
		if !ok {
			continue
		}
		var plugin, le string
		for _, kvp := range strings.Split(labels, ",") {
			k, v, _ := strings.Cut(kvp, "=")
			v, _ = strconv.Unquote(v)
			switch k {
			case "plugin":
				plugin = v
			case "le":
				le = v
			}
		}
		n, err := strconv.ParseUint(val, 10, 64)
		if err != nil {
			continue
		}
		f := math.Inf(1)
		if le != "+Inf" {
			if f, err = strconv.ParseFloat(le, 64); err != nil {
				continue
			}
		}
		byPlugin[plugin] = append(byPlugin[plugin], bucket{f, n})
	}
	out := map[string]string{}
	for name, bs := range byPlugin {
		sort.Slice(bs, func(i, j int) bool { return bs[i].le < bs[j].le })
		total := bs[len(bs)-1].cum
		if total == 0 {
			continue
		}
		want := uint64(math.Ceil(float64(total) * 0.95))
		for _, b := range bs {
			if b.cum >= want {
				if math.IsInf(b.le, 1) {
					out[name] = "> 10s"
				} else {
					out[name] = "≤ " + strconv.FormatFloat(b.le*1000, 'g', -1, 64) + " ms"
				}
				break
			}
		}
	}
	return out
}

func (u *UI) plugins(c *fiber.Ctx) error {
	var list []PluginInfo
	if u.opts.Plugins != nil {
		list = u.opts.Plugins.Installed()
	}
	return u.render(c, "plugins", struct {
		base
		Plugins    []PluginInfo
		Configured bool
	}{u.baseFor(c, "Plugins", "plugins"), list, u.opts.Plugins != nil})
}
