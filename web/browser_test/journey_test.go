package browser_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/portico-dev/portico/identity"
	"github.com/portico-dev/portico/web/ui/uitest"
)

// Chromium is Debian's package (mk/ui.mk installs it).
const chromiumPath = "/usr/bin/chromium"

// browser starts headless Chromium with a fresh profile.
func browser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") != "" || os.Getenv("PORTICO_TEST_REQUIRE_BROWSER") != "" {
			t.Fatalf("chromium is required (make test installs it): %v", err)
		}
		t.Skipf("chromium not installed at %s (run `make ui-deps`): %v", chromiumPath, err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	must(t, "start chromium", chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)))
	return ctx
}

// waitJS waits until expr is true, across page loads (an evaluation in a
// page that is being replaced fails and is retried).
func waitJS(t *testing.T, ctx context.Context, expr string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			fatalf(t, "waited in vain for %s (last error %v)", expr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func shot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100 = PNG
	must(t, "screenshot "+name, err)
	save(t, dir, name, png)
}

func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	must(t, "evaluate "+js, err)
	return v
}

// karin is the signed-in reader of the journey (the auth middleware's
// principal: her user ref and her groups as ownership claims).
var karin = identity.Principal{Kind: identity.KindUser, UserRef: "user:default/karin.larsen",
	Claims: []string{"group:default/infrastructure-team", "group:default/platform-engineering", "user:default/karin.larsen"}}

// The journey: home (signed in: owned by me, recently changed, health) →
// the header search box → search page → facet → keyboard to a result →
// catalog list → facet → entity with plugin cards (one of which never
// answers) → follow a relation → back to the entity → graph with blast
// radius → an API and one of its operations; plus the plugins admin, dark
// theme and phone-sized pages.
func TestPortalJourney(t *testing.T) {
	p := uitest.Start(t, uitest.Options{Hello: true, FirstParty: true, Slow: true, Search: true, As: &karin})
	ctx := browser(t)
	dir := screenshotDir(t)
	t.Logf("screenshots in %s", dir)

	// Home: who is signed in, what they own, what changed lately.
	must(t, "home", chromedp.Do(ctx, chromedp.Navigate(p.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#home-q"))))
	if h := eval[string](t, ctx, `document.querySelector("h1").textContent`); h != "Home" {
		fatalf(t, "home heading %q", h)
	}
	if who := eval[string](t, ctx, `document.querySelector(".who .user").textContent`); !strings.Contains(who, "karin.larsen") {
		fatalf(t, "header shows %q, not the signed-in user", who)
	}
	if tok := eval[string](t, ctx, `document.querySelector("form.signout input[name=_csrf]").value`); tok != uitest.CSRFToken {
		fatalf(t, "sign-out form carries CSRF token %q", tok)
	}
	mine := eval[int](t, ctx, `document.querySelectorAll("#mine li").length`)
	recent := eval[int](t, ctx, `document.querySelectorAll("#recent li a[href^='/catalog/']").length`)
	if mine == 0 || recent == 0 {
		fatalf(t, "home lists %d owned and %d recently changed entities", mine, recent)
	}
	shot(t, ctx, dir, "home")

	// "/" focuses the header search box; typing and Enter opens the search page.
	must(t, "slash", chromedp.Do(ctx, chromedp.KeyEvent("/")))
	if id := eval[string](t, ctx, `document.activeElement.id`); id != "q" {
		fatalf(t, "'/' focuses %q, not the header search box", id)
	}
	// (The DevTools key event also types the "/" as a separate character
	// event, which a real key press whose keydown was handled does not.)
	eval[bool](t, ctx, `(document.getElementById("q").value = "") === ""`)
	must(t, "search", chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#q"), "identity\r"),
		chromedp.WaitVisible(chromedp.CSS("#search-results")),
	))
	if loc := eval[string](t, ctx, `location.pathname + location.search`); !strings.HasPrefix(loc, "/search?term=identity") {
		fatalf(t, "the header box went to %s", loc)
	}
	marks := eval[int](t, ctx, `document.querySelectorAll("#search-results mark").length`)
	if marks == 0 {
		t.Error("no highlighted match on the search page")
	}

	// A facet narrows the results; the state is in the URL.
	must(t, "search facet", chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`a.facet-value[data-facet="kind"][data-value="component"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a.facet-value.selected[data-facet="kind"][data-value="component"]`)),
	))
	if loc := eval[string](t, ctx, `decodeURIComponent(location.search)`); !strings.Contains(loc, "filters[kind]=component") || !strings.Contains(loc, "term=identity") {
		fatalf(t, "search facet state not in the URL: %s", loc)
	}
	hrefs := eval[[]string](t, ctx, `[...document.querySelectorAll("#search-results a.result-link")].map(a => a.getAttribute("href"))`)
	if len(hrefs) == 0 {
		t.Fatal("no results after the kind facet")
	}
	for _, h := range hrefs {
		if !strings.HasPrefix(h, "/catalog/default/component/") {
			fatalf(t, "kind=component lists %s", h)
		}
	}
	shot(t, ctx, dir, "search")

	// Keyboard: j / ArrowDown move to the next result, k back, Enter opens.
	must(t, "j", chromedp.Do(ctx, chromedp.KeyEvent("j")))
	first := eval[string](t, ctx, `document.activeElement.getAttribute("href")`)
	if first != hrefs[0] {
		fatalf(t, "j focuses %q, want the first result %q", first, hrefs[0])
	}
	if len(hrefs) > 1 {
		must(t, "down", chromedp.Do(ctx, chromedp.KeyEvent(kb.ArrowDown)))
		if got := eval[string](t, ctx, `document.activeElement.getAttribute("href")`); got != hrefs[1] {
			fatalf(t, "ArrowDown focuses %q, want %q", got, hrefs[1])
		}
		must(t, "k", chromedp.Do(ctx, chromedp.KeyEvent("k")))
	}
	if n := eval[int](t, ctx, `document.querySelectorAll("li.result.active").length`); n != 1 {
		fatalf(t, "%d results marked active", n)
	}
	must(t, "enter", chromedp.Do(ctx, chromedp.KeyEvent(kb.Enter)))
	waitJS(t, ctx, `location.pathname === `+strconvQuote(hrefs[0])+` && !!document.querySelector("#h-about")`)

	// The catalog list's text filter.
	must(t, "list", chromedp.Do(ctx, chromedp.Navigate(p.URL+"/catalog?q=service"), chromedp.WaitVisible(chromedp.CSS("table.entities"))))

	// Filter by the kind facet; the state goes into the URL.
	must(t, "facet", chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`a.facet-value[data-facet="kind"][data-value="Component"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a.facet-value.selected[data-value="Component"]`)),
	))
	if loc := eval[string](t, ctx, `location.search`); !strings.Contains(loc, "kind=Component") || !strings.Contains(loc, "q=service") {
		fatalf(t, "facet state not in the URL: %s", loc)
	}
	kinds := eval[[]string](t, ctx, `[...document.querySelectorAll("table.entities tbody tr td:nth-child(2)")].map(td => td.textContent)`)
	if len(kinds) == 0 {
		t.Fatal("no entities listed after the facet")
	}
	for _, k := range kinds {
		if k != "Component" {
			fatalf(t, "facet kind=Component lists a %s", k)
		}
	}
	shot(t, ctx, dir, "catalog")

	// Open an entity; every plugin card renders in its own slot; the one
	// that never answers shows its error card.
	must(t, "entity", chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`a.row-link[href="/catalog/default/component/identity-service"]`)),
		chromedp.WaitVisible(chromedp.CSS("#h-cards")),
	))
	waitJS(t, ctx, `document.querySelectorAll(".card-slot[aria-busy=true]").length === 0`)
	states := eval[map[string]string](t, ctx, `Object.fromEntries([...document.querySelectorAll(".card-slot article.card")].map(a => [a.dataset.plugin, a.dataset.state]))`)
	t.Logf("card states: %v", states)
	for _, name := range p.Loaded {
		want := "fresh"
		if name == "slow-card" {
			want = "error"
		}
		if name == "assemblyscript-hello" || name == "c-hello" || name == "rust-hello" || name == "go-hello" || name == "slow-card" ||
			name == "pagerduty" || name == "grafana" || name == "kubernetes" || name == "ci" {
			if got := states[name]; got != want {
				fatalf(t, "card of %s: state %q, want %q (all: %v)", name, got, want, states)
			}
		}
	}
	slowText := eval[string](t, ctx, `document.querySelector('article.card[data-plugin="slow-card"] .card-error').textContent`)
	if !strings.Contains(slowText, "did not answer") {
		fatalf(t, "slow card error %q does not say it timed out", slowText)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll("script").length`); n != 1 {
		fatalf(t, "%d script elements on the page; only the portal's own is allowed", n)
	}
	shot(t, ctx, dir, "entity")

	// Follow a relation: the owner group; then back to the service through
	// its owned entities.
	must(t, "relation", chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`section.relations a[href="/catalog/default/group/infrastructure-team"]`)),
		chromedp.WaitVisible(chromedp.CSS("#h-org")),
	))
	shot(t, ctx, dir, "group")
	must(t, "owned entity", chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#h-org ~ .entity-grid a[href="/catalog/default/component/identity-service"]`)),
		chromedp.WaitVisible(chromedp.CSS("#h-about")),
	))

	// The graph and the blast radius.
	must(t, "graph", chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`.actions a[href$="/graph"]`)),
		chromedp.WaitVisible(chromedp.CSS("svg.graph")),
	))
	hl := eval[int](t, ctx, `document.querySelectorAll("svg.graph g.node.hl").length`)
	rows := eval[int](t, ctx, `document.querySelectorAll("table.blast tbody tr").length`)
	owners := eval[string](t, ctx, `document.querySelector("#blast-radius").textContent`)
	if hl == 0 || rows == 0 || !strings.Contains(owners, "Owners to notify") {
		fatalf(t, "blast radius not shown: %d highlighted nodes, %d rows", hl, rows)
	}
	shot(t, ctx, dir, "graph")
	// The depth control reloads the graph with the choice in the URL.
	must(t, "depth", chromedp.Do(ctx,
		// SetValue dispatches input and change events: the select submits.
		chromedp.SetValue(chromedp.CSS("#depth"), "1"),
	))
	waitJS(t, ctx, `location.search.includes("depth=1") && document.readyState === "complete" && !!document.querySelector("svg.graph")`)

	// An API and one of its operations.
	must(t, "api", chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`table.blast a[href="/catalog/default/api/identity-api"]`)),
		chromedp.WaitVisible(chromedp.CSS("#h-api")),
		chromedp.Click(chromedp.CSS("details.op summary")),
		chromedp.WaitVisible(chromedp.CSS("details.op[open] .op-body")),
	))
	opText := eval[string](t, ctx, `document.querySelector("details.op[open]").textContent`)
	if !strings.Contains(opText, "/v4/") {
		fatalf(t, "operation not readable: %q", opText)
	}
	shot(t, ctx, dir, "api")

	// Plugins admin.
	must(t, "plugins", chromedp.Do(ctx, chromedp.Navigate(p.URL+"/plugins"), chromedp.WaitVisible(chromedp.CSS("table.plugins"))))
	listed := eval[int](t, ctx, `document.querySelectorAll("table.plugins tbody tr").length`)
	if listed != len(p.Loaded) {
		fatalf(t, "plugins page lists %d plugins, want %d", listed, len(p.Loaded))
	}
	shot(t, ctx, dir, "plugins")

	// Dark theme through the toggle, kept across pages.
	must(t, "theme", chromedp.Do(ctx,
		chromedp.Navigate(p.URL+"/catalog/default/component/identity-service"),
		chromedp.WaitVisible(chromedp.CSS("#theme-toggle")),
		chromedp.Click(chromedp.CSS("#theme-toggle")),
	))
	theme := eval[string](t, ctx, `document.documentElement.dataset.theme`)
	if theme != "dark" && theme != "light" {
		fatalf(t, "theme toggle set %q", theme)
	}
	if theme != "dark" {
		must(t, "theme again", chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#theme-toggle"))))
	}
	waitJS(t, ctx, `document.querySelectorAll(".card-slot[aria-busy=true]").length === 0`)
	shot(t, ctx, dir, "entity-dark")

	// A phone: no horizontal scrolling of the page itself.
	must(t, "phone", chromedp.Do(ctx, chromedp.EmulateViewport(390, 844), chromedp.Navigate(p.URL+"/catalog?kind=Component"), chromedp.WaitVisible(chromedp.CSS("table.entities"))))
	overflow := eval[bool](t, ctx, `document.documentElement.scrollWidth > window.innerWidth + 1`)
	if overflow {
		t.Error("the catalog list scrolls horizontally on a phone")
	}
	shot(t, ctx, dir, "catalog-phone")
	must(t, "phone search", chromedp.Do(ctx, chromedp.Navigate(p.URL+"/search?term=playback"), chromedp.WaitVisible(chromedp.CSS("#result-count"))))
	if eval[bool](t, ctx, `document.documentElement.scrollWidth > window.innerWidth + 1`) {
		t.Error("the search page scrolls horizontally on a phone")
	}
	shot(t, ctx, dir, "search-phone")
}

func strconvQuote(s string) string { return strconv.Quote(s) }

// Keyboard: the skip link comes first and every facet is reachable with Tab.
func TestKeyboardNavigation(t *testing.T) {
	p := uitest.Start(t, uitest.Options{})
	ctx := browser(t)
	must(t, "list", chromedp.Do(ctx, chromedp.Navigate(p.URL+"/catalog"), chromedp.WaitVisible(chromedp.CSS("table.entities"))))
	must(t, "tab", chromedp.Do(ctx, chromedp.KeyEvent("\t")))
	if first := eval[string](t, ctx, `document.activeElement.className`); first != "skip" {
		fatalf(t, "first Tab focuses %q, want the skip link", first)
	}
	seen := map[string]bool{}
	for i := 0; i < 80; i++ {
		must(t, "tab", chromedp.Do(ctx, chromedp.KeyEvent("\t")))
		seen[eval[string](t, ctx, `document.activeElement.className || document.activeElement.tagName`)] = true
	}
	for _, want := range []string{"facet-value", "row-link"} {
		if !seen[want] && !seen[want+" selected"] {
			fatalf(t, "Tab never reached a %s: %v", want, seen)
		}
	}
}
