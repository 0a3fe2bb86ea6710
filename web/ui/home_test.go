package ui_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/identity"
	"github.com/portico-dev/portico/web/ui"
)

var jane = identity.Principal{Kind: identity.KindUser, UserRef: "user:default/jane",
	Claims: []string{"group:default/team-a", "user:default/jane"}}

// The header shows who reads the page: a signed-in user with a sign-out
// form carrying the CSRF token, a guest or nobody with a sign-in link.
func TestHeaderShowsTheReader(t *testing.T) {
	e := newEnv(t, "catalog.yaml", ui.Options{})
	for _, path := range []string{"/", "/catalog", "/catalog/default/component/svc-a", "/plugins", "/search?term=x", "/catalog/default/component/nope"} {
		_, body := e.get(path)
		contains(t, "anonymous "+path, body, `class="signin" href="/auth/login?redirect=`, `<form class="search" role="search" action="/catalog"`)
		lacks(t, "anonymous "+path, body, "Sign out", "Signed in as")
	}
	e.as(jane)
	for _, path := range []string{"/", "/catalog", "/catalog/default/component/svc-a", "/plugins", "/catalog/default/component/nope"} {
		_, body := e.get(path)
		contains(t, "jane "+path, body, `Signed in as <a href="/catalog/default/user/jane" data-user="user:default/jane">jane</a>`,
			`<form method="post" action="/auth/logout" class="signout"><input type="hidden" name="_csrf" value="`+testCSRF+`">`)
		lacks(t, "jane "+path, body, `class="signin"`)
	}
	e.as(identity.Principal{Kind: identity.KindGuest, UserRef: "user:default/guest"})
	body := e.mustGet("/")
	contains(t, "guest", body, `<span class="user guest" data-user="user:default/guest">Guest</span>`, `class="signin"`)
	lacks(t, "guest", body, "Sign out", "Owned by me")
}

// "Owned by me and my groups" follows the principal's ownership claims, and
// nothing of the old ?as= parameter is left.
func TestHomeOwnedByMe(t *testing.T) {
	e := newEnv(t, "catalog.yaml", ui.Options{})
	body := e.mustGet("/?as=user:default/jane")
	lacks(t, "anonymous with ?as=", body, "Owned by me and my groups")
	body = e.as(jane).mustGet("/")
	contains(t, "jane's home", body, "Owned by me and my groups", "Service A", "svc-c", `href="/catalog/default/group/team-a"`)
	// Claims decide: without team-a among them only jane's own entity shows.
	body = e.as(identity.Principal{Kind: identity.KindUser, UserRef: "user:default/jane", Claims: []string{"user:default/jane"}}).mustGet("/")
	mine := section(body, `id="mine"`)
	contains(t, "jane without groups", mine, "svc-c")
	lacks(t, "jane without groups", mine, "Service A")
}

// section returns the element that starts at marker up to its list's end.
func section(body, marker string) string {
	i := strings.Index(body, marker)
	if i < 0 {
		return ""
	}
	j := strings.Index(body[i:], "</ul>")
	if j < 0 {
		return body[i:]
	}
	return body[i : i+j]
}

var recentItem = regexp.MustCompile(`<a href="(/catalog/[^"]+)">`)

// The home page lists recently changed entities (newest first), and under
// catalog health the entities with processing errors and the orphans,
// each linked, all under the reader's filter.
func TestHomeRecentAndHealthLists(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "c.yaml")
	doc := func(name, owner string) string {
		return "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: " + name + "}\nspec: {type: service, lifecycle: production, owner: " + owner + "}\n"
	}
	write := func(docs ...string) {
		t.Helper()
		if err := os.WriteFile(file, []byte(strings.Join(docs, "---\n")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(doc("steady", "team-a"), doc("flaky", "team-a"), doc("leaving", "team-b"))
	var restrict catalog.Filter
	e := newEnv(t, file, ui.Options{FilterFor: func(*fiber.Ctx) (catalog.Filter, error) { return restrict, nil }})
	time.Sleep(5 * time.Millisecond) // distinct change times (the store keeps milliseconds)
	// flaky breaks (its stored body stays, its status gets the error);
	// leaving is no longer produced and becomes an orphan.
	write(doc("steady", "team-a"), strings.Replace(doc("flaky", "team-a"), "owner: team-a}", `owner: team-a, dependsOn: ["component:default/"]}`, 1))
	if _, err := e.eng.ProcessAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	body := e.mustGet("/")
	recent := recentItem.FindAllStringSubmatch(section(body, `id="recent"`), -1)
	if len(recent) < 3 {
		t.Fatalf("recently changed lists %d entities: %s", len(recent), section(body, `id="recent"`))
	}
	if recent[len(recent)-1][1] == "/catalog/default/component/flaky" {
		t.Fatalf("flaky changed last but is listed last: %v", recent)
	}
	errs := section(body, `id="with-errors"`)
	contains(t, "with errors", errs, `href="/catalog/default/component/flaky"`, "Entity reference")
	lacks(t, "with errors", errs, "steady", "leaving")
	orphans := section(body, `id="orphans"`)
	contains(t, "orphans", orphans, `href="/catalog/default/component/leaving"`)
	lacks(t, "orphans", orphans, "flaky", "steady")

	// A reader who may see only team-a's entities sees nothing of team-b.
	restrict = catalog.Eq("relations.ownedby", "group:default/team-a")
	body = e.mustGet("/")
	lacks(t, "team-a reader", body, "/catalog/default/component/leaving")
	contains(t, "team-a reader", section(body, `id="with-errors"`), "flaky")
	// The counts are the reader's too: two entities, one with errors, no
	// orphan (the orphan is team-b's).
	contains(t, "team-a reader's counts", body, "<dt>Entities</dt><dd>2</dd>", "<dt>With processing errors</dt><dd>1</dd>", "<dt>Orphans</dt><dd>0</dd>")
	restrict = catalog.Filter{}
	contains(t, "everyone's counts", e.mustGet("/"), "<dt>Orphans</dt><dd>1</dd>")
}
