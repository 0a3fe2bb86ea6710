package ingest

import (
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/portico-dev/portico/catalog"
)

// Options configure an Engine. Zero values take the documented defaults.
type Options struct {
	// Rules are the global catalog rules (catalog.rules). Nil is Portico's
	// default: every kind the Kinds registry knows is allowed.
	Rules []Rule
	// OrphanStrategy applies to entities a location stops producing and to
	// deleted locations. Default delete, as Backstage 4.0.
	OrphanStrategy catalog.OrphanStrategy
	// Interval is the refresh interval of Run; <= 0 disables periodic refresh.
	Interval time.Duration
	// AllowedLocationTypes limits RegisterLocation/UpdateLocation/DryRun.
	// Default [url, file].
	AllowedLocationTypes []string
	// Readonly refuses location changes through the API (catalog.readonly).
	Readonly bool
	// ConfigLocations are catalog.locations; Run and SyncConfigLocations keep
	// the store's config-origin locations equal to them.
	ConfigLocations []ConfigLocation
	// Readers override the reader of a location type ("file", "url").
	Readers map[string]Reader
	Logger  *slog.Logger
	// MaxFileBytes caps one file or URL body (default DefaultMaxFileBytes).
	MaxFileBytes int64
	// HTTPTimeout bounds one URL read (default DefaultHTTPTimeout).
	HTTPTimeout time.Duration
	// ParseLimits bound YAML parsing; MaxBytes defaults to MaxFileBytes.
	ParseLimits catalog.ParseLimits
	// ProcessTimeout bounds the synchronous processing of the API calls
	// (RegisterLocation, UpdateLocation, RefreshEntity, DryRun). Default 2m.
	ProcessTimeout time.Duration
	// Workers process documents in parallel (default 4).
	Workers int
	// Progress, when set, is called as a location is processed.
	Progress func(Progress)
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
}

// Rule is a catalog rule: Allow lists kinds (case-insensitive); Locations,
// when set, limits a global rule to those root locations.
type Rule struct {
	Allow     []string
	Locations []RuleLocation
}

// RuleLocation matches root locations of Type whose target equals Exact
// (when set) and matches the glob Pattern (when set; case-insensitive, as
// Backstage's minimatch with nocase).
type RuleLocation struct {
	Type, Exact, Pattern string
}

// ConfigLocation is one catalog.locations entry; Rules add allowed kinds for
// everything read through it (Backstage's catalog.locations[].rules).
type ConfigLocation struct {
	Type, Target string
	Rules        []string
}

// Progress reports processing of one root location. Sources are processed
// one after the other (their documents in parallel), so the totals grow as
// Location entities are followed: SourcesKnown counts every target named so
// far, SourcesDone those finished (read, failed or skipped).
type Progress struct {
	Location string // "type:target"
	// Phase is "processing", "storing" or "done".
	Phase        string
	Sources      int // files and URLs read successfully
	SourcesKnown int
	SourcesDone  int
	Documents    int // documents found so far
	Processed    int // documents processed
	Errors       int
	Result       *catalog.ApplyResult // set when Phase is done
}

// Origins of registered locations (catalog.Location.Origin).
const (
	OriginConfig = "config"
	OriginAPI    = "api"
)

// Engine ingests locations into a Store. It is safe for concurrent use; one
// location is processed by one goroutine at a time.
type Engine struct {
	store   catalog.Store
	kinds   *catalog.Kinds
	opts    Options
	log     *slog.Logger
	readers map[string]Reader
	// configRules maps "type:target" of config locations to their extra kinds.
	configRules map[string][]string

	mu     sync.Mutex
	locks  map[string]*sync.Mutex
	memos  map[string]locationMemo // by location id, see unchanged.go
	synced bool
}

// New returns an engine over store. kinds validates documents; store may be
// nil for an engine used only for DryRun and ValidateEntity.
func New(store catalog.Store, kinds *catalog.Kinds, opts Options) *Engine {
	if opts.OrphanStrategy == "" {
		opts.OrphanStrategy = catalog.OrphanDelete
	}
	if opts.AllowedLocationTypes == nil {
		opts.AllowedLocationTypes = []string{"url", "file"}
	}
	if opts.MaxFileBytes <= 0 {
		opts.MaxFileBytes = DefaultMaxFileBytes
	}
	if opts.HTTPTimeout <= 0 {
		opts.HTTPTimeout = DefaultHTTPTimeout
	}
	if opts.ParseLimits.MaxBytes <= 0 {
		opts.ParseLimits.MaxBytes = opts.MaxFileBytes
	}
	if opts.ProcessTimeout <= 0 {
		opts.ProcessTimeout = 2 * time.Minute
	}
	if opts.Workers <= 0 {
		opts.Workers = 4
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	readers := map[string]Reader{
		"file": &FileReader{MaxBytes: opts.MaxFileBytes},
		"url":  &URLReader{Timeout: opts.HTTPTimeout, MaxBytes: opts.MaxFileBytes},
	}
	for t, r := range opts.Readers {
		readers[t] = r
	}
	cr := map[string][]string{}
	for _, l := range opts.ConfigLocations {
		cr[l.Type+":"+l.Target] = l.Rules
	}
	return &Engine{store: store, kinds: kinds, opts: opts, log: log.With("component", "ingest"),
		readers: readers, configRules: cr, locks: map[string]*sync.Mutex{}, memos: map[string]locationMemo{}}
}

// allowed reports whether the rules let root produce an entity of kind.
func (e *Engine) allowed(kind string, root catalog.Location) bool {
	if e.opts.Rules == nil {
		return true
	}
	for _, r := range e.opts.Rules {
		if len(r.Locations) > 0 && !matchRuleLocation(r.Locations, root) {
			continue
		}
		if containsFold(r.Allow, kind) {
			return true
		}
	}
	return containsFold(e.locationRules(root), kind)
}

func (e *Engine) locationRules(root catalog.Location) []string {
	if r, ok := e.configRules[root.Type+":"+root.Target]; ok {
		return r
	}
	return root.Rules
}

func matchRuleLocation(ls []RuleLocation, root catalog.Location) bool {
	for _, l := range ls {
		if l.Type != root.Type || (l.Exact != "" && l.Exact != root.Target) {
			continue
		}
		if l.Pattern != "" {
			re, err := globRegexp(l.Pattern, true)
			if err != nil || !re.MatchString(root.Target) {
				continue
			}
		}
		return true
	}
	return false
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// lock serialises processing of one location.
func (e *Engine) lock(id string) func() {
	e.mu.Lock()
	m := e.locks[id]
	if m == nil {
		m = &sync.Mutex{}
		e.locks[id] = m
	}
	e.mu.Unlock()
	m.Lock()
	return m.Unlock
}

// normalizeLocation checks an API-given type and target: an allowed type, an
// http(s) URL for url, a path (made absolute) for file.
func (e *Engine) normalizeLocation(typ, target string) (string, string, error) {
	typ, target = strings.TrimSpace(typ), strings.TrimSpace(target)
	if !containsFold(e.opts.AllowedLocationTypes, typ) {
		return "", "", catalog.Inputf("Registered locations must be of an allowed type %s", quoteList(e.opts.AllowedLocationTypes))
	}
	if target == "" {
		return "", "", catalog.Inputf("location target must have a value")
	}
	switch typ {
	case "url":
		u, err := url.Parse(target)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return "", "", catalog.Inputf("url location target %q is not an http or https URL", target)
		}
	case "file":
		if isURL(target) {
			return "", "", catalog.Inputf("file location target %q is a URL; register it with type url", target)
		}
		abs, err := filepath.Abs(strings.TrimPrefix(target, "file:"))
		if err != nil {
			return "", "", catalog.Inputf("file location target %q: %v", target, err)
		}
		target = abs
	default:
		if e.readers[typ] == nil {
			return "", "", catalog.Inputf("unknown location type %q", typ)
		}
	}
	return typ, target, nil
}

func quoteList(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(q, ",") + "]"
}

func (e *Engine) readonlyError() error {
	return &catalog.NotAllowedError{Msg: "This operation not allowed in readonly mode"}
}
