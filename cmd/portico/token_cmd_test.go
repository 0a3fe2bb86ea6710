package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

const janeUser = "apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata:\n  name: jane\nspec:\n  profile: {email: jane@acme.example}\n  memberOf: [team-a]\n" +
	"---\napiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: team-a\nspec:\n  type: team\n  children: []\n"

func tokenCLI(t *testing.T, want int, args ...string) (string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	if code := dispatch(context.Background(), args, &out, &errb); code != want {
		t.Fatalf("portico %s: code %d, want %d\n%s%s", strings.Join(args, " "), code, want, out.String(), errb.String())
	}
	return out.String(), errb.String()
}

// TestTokenCLI: serve without guest refuses anonymous API calls with 401;
// `token create` prints a token once that works as a Bearer token; `token
// list` shows it without its secret; `token revoke` ends it.
func TestTokenCLI(t *testing.T) {
	dir := t.TempDir()
	writeTestFile(t, dir, "catalog/org.yaml", janeUser+"---\n"+goodComponent)
	cfg := writeTestFile(t, dir, "portico.yaml",
		"server:\n  data: ./data\ncatalog:\n  processingInterval: false\n  locations:\n    - type: file\n      target: catalog/org.yaml\n")
	addr := freeAddr(t)
	logs := serveUntilCleanup(t, cfg, addr)
	base := "http://" + addr
	get := func(token string) (int, string) {
		req, _ := http.NewRequest("GET", base+"/api/catalog/entities/by-name/component/default/svc", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, string(b)
	}
	code, raw := get("")
	var eb struct {
		Error struct{ Name string }
	}
	if code != 401 || json.Unmarshal([]byte(raw), &eb) != nil || eb.Error.Name != "AuthenticationError" {
		t.Fatalf("anonymous call: %d %s\n%s", code, raw, logs.String())
	}
	if !strings.Contains(logs.String(), "no sign-in configured") {
		t.Errorf("serve did not warn that only tokens work:\n%s", logs.String())
	}

	tok, info := tokenCLI(t, 0, "token", "create", "--user", "jane", "--config", cfg, "--ttl", "7d", "--scope", "catalog.entity.read")
	tok = strings.TrimSpace(tok)
	if !strings.HasPrefix(tok, "ptk_") || strings.Count(tok, "\n") != 0 || !strings.Contains(info, "for user:default/jane") ||
		!strings.Contains(info, "only time the token is shown") {
		t.Fatalf("create printed %q / %q", tok, info)
	}
	if code, raw := get(tok); code != 200 || !strings.Contains(raw, `"name":"svc"`) {
		t.Errorf("with the token: %d %s", code, raw)
	}
	list, _ := tokenCLI(t, 0, "token", "list", "--config", cfg)
	id := tok[4:28]
	if !strings.Contains(list, id) || !strings.Contains(list, "user:default/jane") || !strings.Contains(list, "active") ||
		!strings.Contains(list, "catalog.entity.read") || strings.Contains(list, tok[29:]) {
		t.Errorf("list:\n%s", list)
	}
	out, _ := tokenCLI(t, 0, "token", "revoke", id, "--config", cfg)
	if !strings.Contains(out, "revoked token "+id) {
		t.Errorf("revoke: %s", out)
	}
	if code, raw := get(tok); code != 401 || !strings.Contains(raw, "revoked") {
		t.Errorf("revoked token: %d %s", code, raw)
	}
	if list, _ := tokenCLI(t, 0, "token", "list", "--config", cfg); !strings.Contains(list, "revoked") {
		t.Errorf("list after revoke:\n%s", list)
	}

	// Bad input: a clear message, nothing stored.
	_, e := tokenCLI(t, 2, "token", "create", "--config", cfg)
	if !strings.Contains(e, "want --user REF") {
		t.Errorf("no --user: %s", e)
	}
	_, e = tokenCLI(t, 2, "token", "create", "--user", "jane", "--ttl", "soon", "--config", cfg)
	if !strings.Contains(e, `--ttl "soon"`) {
		t.Errorf("bad ttl: %s", e)
	}
	_, e = tokenCLI(t, 1, "token", "create", "--user", "nobody", "--config", cfg)
	if !strings.Contains(e, "no User entity user:default/nobody in the catalog") {
		t.Errorf("unknown user: %s", e)
	}
	_, e = tokenCLI(t, 1, "token", "create", "--user", "group:default/team-a", "--config", cfg)
	if !strings.Contains(e, "is not a user ref") {
		t.Errorf("group ref: %s", e)
	}
	_, e = tokenCLI(t, 1, "token", "revoke", "0123456789abcdef01234567", "--config", cfg)
	if !strings.Contains(e, "no API token with id") {
		t.Errorf("unknown id: %s", e)
	}
	if list, _ := tokenCLI(t, 0, "token", "list", "--config", cfg); strings.Count(list, "\n") != 2 {
		t.Errorf("failed commands stored tokens:\n%s", list)
	}
}
