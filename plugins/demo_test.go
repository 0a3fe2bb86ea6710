package plugins_test

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// Every annotated entity of the demo catalog (examples/catalog) gets a card
// from every plugin that applies to it, against the simulators — what
// `make demo` shows — and no card fails.
func TestDemoCatalogCards(t *testing.T) {
	t.Parallel()
	var ents []json.RawMessage
	err := filepath.WalkDir(filepath.Join("..", "examples", "catalog"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, "mkdocs.yml") {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		dec := yaml.NewDecoder(f)
		for {
			var doc map[string]any
			if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
				return nil
			} else if err != nil {
				return nil // not an entity file (e.g. an OpenAPI definition)
			}
			if _, ok := doc["kind"]; !ok {
				continue
			}
			b, err := json.Marshal(doc)
			if err != nil {
				return err
			}
			ents = append(ents, b)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	envs := []*env{pdEnv(t, loadOpts{}), gfEnv(t, loadOpts{}), k8sEnv(t, loadOpts{}), ciEnv(t, loadOpts{})}
	shown := map[string]int{}
	for _, ent := range ents {
		for _, e := range envs {
			for _, ext := range e.plugin.CardsFor(ent) {
				c, err := e.card(ext.ID, ent)
				if err != nil {
					t.Errorf("%s card %s on %s: %v", e.name, ext.ID, ent[:80], err)
					continue
				}
				if c.Status != nil && c.Status.Level == "error" && strings.Contains(c.Status.Text, "token") {
					t.Errorf("%s card on demo entity refused the demo token: %+v", e.name, c.Status)
				}
				shown[ext.ID]++
			}
		}
	}
	for _, id := range []string{"pagerduty", "grafana", "kubernetes", "github-actions", "gitlab-ci"} {
		if shown[id] == 0 {
			t.Errorf("no demo entity shows card %s", id)
		}
	}
	t.Logf("demo cards rendered: %v", shown)
}
