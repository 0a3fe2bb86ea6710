package host

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/portico-dev/portico/host/services"
)

// Manifest is a plugin's plugin.yaml (pdk/ABI.md §2). It is decoded strictly:
// an unknown field anywhere is an error.
type Manifest struct {
	APIVersion string   `yaml:"apiVersion"`
	Kind       string   `yaml:"kind"`
	Metadata   Metadata `yaml:"metadata"`
	Spec       Spec     `yaml:"spec"`
}

// Metadata names and describes a plugin.
type Metadata struct {
	Name        string `yaml:"name"`
	Version     string `yaml:"version"`
	Description string `yaml:"description,omitempty"`
	Publisher   string `yaml:"publisher,omitempty"`
}

// Spec is what the plugin is and asks for.
type Spec struct {
	ABI         int            `yaml:"abi"`
	Module      *ModuleRef     `yaml:"module,omitempty"`
	Provides    []Provide      `yaml:"provides,omitempty"`
	Permissions services.Grant `yaml:"permissions,omitempty"`
	Limits      Limits         `yaml:"limits,omitempty"`
	// Config is the JSON Schema of the operator's settings, kept as decoded.
	Config map[string]any `yaml:"config,omitempty"`
	// Requires states what the plugin needs of the portal it runs in.
	Requires *Requires `yaml:"requires,omitempty"`
}

// Requires is spec.requires. Portico is a semver range of Portico versions
// (">=0.2.0 <1.0.0", "^0.3"); host/registry refuses to install a plugin whose
// range excludes the running build.
type Requires struct {
	Portico string `yaml:"portico,omitempty"`
}

// ModuleRef points at the Wasm module inside the plugin directory and
// optionally pins its digest, which is verified before compiling.
type ModuleRef struct {
	Path   string `yaml:"path,omitempty"`
	SHA256 string `yaml:"sha256,omitempty"`
}

// Provide is one extension point; exactly one member is set.
type Provide struct {
	Card     *CardExtension `yaml:"card,omitempty"`
	Provider *ProviderPoint `yaml:"provider,omitempty"`
	Action   *IDPoint       `yaml:"action,omitempty"`
	Check    *IDPoint       `yaml:"check,omitempty"`
	Route    *RoutePoint    `yaml:"route,omitempty"`
	Collate  *CollatePoint  `yaml:"collate,omitempty"`
}

// CardExtension declares a card and the entities it applies to.
type CardExtension struct {
	ID    string `yaml:"id"`
	Title string `yaml:"title,omitempty"`
	When  *When  `yaml:"when,omitempty"`
	// CacheTTL is how long the portal may serve a rendered card before
	// asking the plugin again (host/cardcache); 0 = the portal's default.
	CacheTTL Duration `yaml:"cacheTTL,omitempty"`
}

// MaxCardCacheTTL caps a card's cacheTTL.
const MaxCardCacheTTL = 24 * time.Hour

// When selects entities: every set condition must hold.
type When struct {
	Annotation string `yaml:"annotation,omitempty"`
	Kind       string `yaml:"kind,omitempty"`
	Type       string `yaml:"type,omitempty"`
}

// ProviderPoint declares a scheduled entity provider.
type ProviderPoint struct {
	Every Duration `yaml:"every"`
}

// CollatePoint declares how often the collate export feeds the search index
// (pdk/ABI.md §3 "collate"); it also needs the collate grant.
type CollatePoint struct {
	Every Duration `yaml:"every,omitempty"`
}

// Collate schedule bounds: DefaultCollateEvery when a plugin exports collate
// without declaring `every`; MinCollateEvery is the shortest period allowed.
const (
	DefaultCollateEvery = time.Hour
	MinCollateEvery     = 5 * time.Minute
)

// CollateEvery is how often the host calls the plugin's collate export.
func (m *Manifest) CollateEvery() time.Duration {
	for _, p := range m.Spec.Provides {
		if p.Collate != nil && p.Collate.Every != 0 {
			return p.Collate.Every.D()
		}
	}
	return DefaultCollateEvery
}

// IDPoint declares an action or a check by id.
type IDPoint struct {
	ID string `yaml:"id"`
}

// RoutePoint declares an HTTP route prefix under /api/plugins/<name>.
type RoutePoint struct {
	Path string `yaml:"path"`
}

// Limits bound one plugin. Zero values take the defaults of DefaultLimits.
type Limits struct {
	MemoryMiB       int      `yaml:"memoryMiB,omitempty"`
	Timeout         Duration `yaml:"timeout,omitempty"`
	OutputKiB       int      `yaml:"outputKiB,omitempty"`
	HTTPResponseKiB int      `yaml:"httpResponseKiB,omitempty"`
	Instances       int      `yaml:"instances,omitempty"`
}

// DefaultLimits apply to every limit a manifest leaves out (and to a bare .wasm).
var DefaultLimits = Limits{
	MemoryMiB:       64,
	Timeout:         Duration(5 * time.Second),
	OutputKiB:       1024,
	HTTPResponseKiB: 4096,
	Instances:       4,
}

// Caps are the largest limits a manifest may ask for.
var maxLimits = Limits{
	MemoryMiB:       1024,
	Timeout:         Duration(60 * time.Second),
	OutputKiB:       64 * 1024,
	HTTPResponseKiB: 64 * 1024,
	Instances:       64,
}

// withDefaults fills zero limits from DefaultLimits.
func (l Limits) withDefaults() Limits {
	if l.MemoryMiB == 0 {
		l.MemoryMiB = DefaultLimits.MemoryMiB
	}
	if l.Timeout == 0 {
		l.Timeout = DefaultLimits.Timeout
	}
	if l.OutputKiB == 0 {
		l.OutputKiB = DefaultLimits.OutputKiB
	}
	if l.HTTPResponseKiB == 0 {
		l.HTTPResponseKiB = DefaultLimits.HTTPResponseKiB
	}
	if l.Instances == 0 {
		l.Instances = DefaultLimits.Instances
	}
	return l
}

// Duration is a time.Duration written as "2s", "15m" in YAML.
type Duration time.Duration

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return fmt.Errorf("line %d: duration must be a string like 2s: %w", n.Line, err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML implements yaml.Marshaler.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

const (
	manifestAPIVersion = "portico.dev/v1"
	manifestKind       = "Plugin"
	// ManifestFile is the manifest's file name inside a plugin directory.
	ManifestFile = "plugin.yaml"
	// DefaultModuleFile is the module's file name when spec.module.path is absent.
	DefaultModuleFile = "plugin.wasm"
)

var (
	nameRE   = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	sha256RE = regexp.MustCompile(`^[0-9a-f]{64}$`)
	hostRE   = regexp.MustCompile(`^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$`)
)

// ParseManifest decodes and validates a plugin.yaml strictly.
func ParseManifest(b []byte) (*Manifest, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("manifest: empty document")
		}
		return nil, fmt.Errorf("manifest: %w", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("manifest: more than one YAML document")
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

// Validate checks a manifest's values (ParseManifest already calls it).
func (m *Manifest) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if m.APIVersion != manifestAPIVersion {
		bad("apiVersion must be %q, got %q", manifestAPIVersion, m.APIVersion)
	}
	if m.Kind != manifestKind {
		bad("kind must be %q, got %q", manifestKind, m.Kind)
	}
	if !nameRE.MatchString(m.Metadata.Name) {
		bad("metadata.name %q must be 1-63 lower-case letters, digits and dashes", m.Metadata.Name)
	}
	if m.Spec.ABI < 1 {
		bad("spec.abi must be a positive ABI major version, got %d", m.Spec.ABI)
	}
	if mod := m.Spec.Module; mod != nil {
		if mod.Path != "" && (strings.HasPrefix(mod.Path, "/") || strings.Contains(mod.Path, "..") || strings.Contains(mod.Path, "\\")) {
			bad("spec.module.path %q must be a relative path inside the plugin directory", mod.Path)
		}
		if mod.SHA256 != "" && !sha256RE.MatchString(mod.SHA256) {
			bad("spec.module.sha256 must be 64 lower-case hex digits")
		}
	}
	for i, p := range m.Spec.Provides {
		n := 0
		for _, set := range []bool{p.Card != nil, p.Provider != nil, p.Action != nil, p.Check != nil, p.Route != nil, p.Collate != nil} {
			if set {
				n++
			}
		}
		if n != 1 {
			bad("spec.provides[%d] must name exactly one of card, provider, action, check, route, collate", i)
			continue
		}
		switch {
		case p.Card != nil && p.Card.ID == "":
			bad("spec.provides[%d].card.id is required", i)
		case p.Card != nil && (p.Card.CacheTTL < 0 || p.Card.CacheTTL.D() > MaxCardCacheTTL):
			bad("spec.provides[%d].card.cacheTTL must be between 0 and %s", i, MaxCardCacheTTL)
		case p.Action != nil && p.Action.ID == "":
			bad("spec.provides[%d].action.id is required", i)
		case p.Check != nil && p.Check.ID == "":
			bad("spec.provides[%d].check.id is required", i)
		case p.Provider != nil && p.Provider.Every.D() < time.Minute:
			bad("spec.provides[%d].provider.every must be at least 1m", i)
		case p.Route != nil && !strings.HasPrefix(p.Route.Path, "/"):
			bad("spec.provides[%d].route.path must start with /", i)
		case p.Collate != nil && p.Collate.Every != 0 && p.Collate.Every.D() < MinCollateEvery:
			bad("spec.provides[%d].collate.every must be at least %s", i, MinCollateEvery)
		}
	}
	if err := ValidateGrant(m.Spec.Permissions); err != nil {
		bad("spec.permissions: %v", err)
	}
	l := m.Spec.Limits
	for _, c := range []struct {
		name     string
		val, max int64
	}{
		{"memoryMiB", int64(l.MemoryMiB), int64(maxLimits.MemoryMiB)},
		{"timeout", int64(l.Timeout), int64(maxLimits.Timeout)},
		{"outputKiB", int64(l.OutputKiB), int64(maxLimits.OutputKiB)},
		{"httpResponseKiB", int64(l.HTTPResponseKiB), int64(maxLimits.HTTPResponseKiB)},
		{"instances", int64(l.Instances), int64(maxLimits.Instances)},
	} {
		if c.val < 0 || c.val > c.max {
			bad("spec.limits.%s out of range (max %v)", c.name, c.max)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("manifest %s: %w", m.Metadata.Name, err)
	}
	return nil
}

// ValidateGrant checks the shape of a grant (or of requested permissions).
func ValidateGrant(g services.Grant) error {
	var errs []error
	for _, h := range g.HTTP {
		if net.ParseIP(h) != nil {
			continue
		}
		if !hostRE.MatchString(h) && h != "*" {
			errs = append(errs, fmt.Errorf("http host %q must be a lower-case host name, a *.domain glob or an IP literal", h))
		}
	}
	switch g.Catalog {
	case "", "none", "read":
	default:
		errs = append(errs, fmt.Errorf("catalog must be read or none, got %q", g.Catalog))
	}
	for _, s := range g.Secrets {
		if s == "" {
			errs = append(errs, errors.New("secret names must not be empty"))
		}
	}
	return errors.Join(errs...)
}

// bareManifest is the manifest given to a .wasm without one.
func bareManifest(name string) *Manifest {
	return &Manifest{
		APIVersion: manifestAPIVersion,
		Kind:       manifestKind,
		Metadata:   Metadata{Name: name, Version: "0.0.0"},
		Spec:       Spec{ABI: 1},
	}
}

// sanitizeName turns a file base name into a valid plugin name.
func sanitizeName(s string) string {
	s = strings.ToLower(s)
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	out := strings.Trim(b.String(), "-")
	if len(out) > 63 {
		out = strings.Trim(out[:63], "-")
	}
	if out == "" {
		out = "plugin"
	}
	return out
}
