package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPluginSettings(t *testing.T) {
	dir := t.TempDir()
	write := func(body string) string {
		p := filepath.Join(dir, "portico.yaml")
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Setenv("PD_TOKEN", "s3cret")
	cfg, err := Load(write(`
plugins:
  pagerduty:
    config: {baseURL: http://127.0.0.1:7070/pagerduty}
    secrets: {token: "${PD_TOKEN}", literal: abc}
    allowHTTP: [127.0.0.1]
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := cfg.PluginSettings()
	if err != nil {
		t.Fatal(err)
	}
	pd := s["pagerduty"]
	if pd.Secrets["token"] != "s3cret" || pd.Secrets["literal"] != "abc" || pd.Config["baseURL"] != "http://127.0.0.1:7070/pagerduty" || len(pd.AllowHTTP) != 1 {
		t.Fatalf("settings = %+v", pd)
	}

	for _, tc := range []struct{ body, want string }{
		{"plugins:\n  pagerduty:\n    confg: {}\n", "confg"},
		{"plugins:\n  pagerduty:\n    secrets: {token: \"${NOT_SET_ANYWHERE_X}\"}\n", "NOT_SET_ANYWHERE_X"},
	} {
		cfg, err := Load(write(tc.body), nil)
		if err == nil {
			_, err = cfg.PluginSettings()
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want it to name %q", tc.body, err, tc.want)
		}
	}
}
