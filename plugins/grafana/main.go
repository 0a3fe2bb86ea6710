// grafana is Portico's first-party Grafana plugin: a card with the
// dashboards that match the entity's grafana/dashboard-selector (as links)
// and the Grafana-managed alert rules matching grafana/alert-label-selector,
// counted by state (firing, pending, normal) with the firing ones listed.
//
// Endpoints: GET /api/search?type=dash-db&tag=… (dashboard search) and
// GET /api/prometheus/grafana/api/v1/rules (alert rules with their state,
// Prometheus rules format).
//
// Plugin code: it imports pdk/go (and the plugin kit built on it) only.
package main

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"

	pdk "github.com/portico-dev/portico/pdk/go"
	"github.com/portico-dev/portico/plugins/internal/kit"
)

const (
	title         = "Grafana"
	annDashboards = "grafana/dashboard-selector"
	annAlerts     = "grafana/alert-label-selector"
	secretToken   = "token"
	vendor        = "Grafana"
	searchLimit   = 100
	maxPages      = 3
	maxAlts       = 5
	maxRows       = 20
)

type config struct {
	URL string `json:"url"`
}

type client struct {
	base    string
	headers map[string]string
}

func newClient() (*client, error) {
	var c config
	if _, err := pdk.Config("", &c); err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	if c.URL == "" {
		return nil, kit.MissingConfig("grafana", "config.url (the Grafana base URL) is not set")
	}
	tok, err := kit.Secret("grafana", secretToken, "(a Grafana service account token)")
	if err != nil {
		return nil, err
	}
	return &client{base: kit.TrimURL(c.URL), headers: map[string]string{"Authorization": "Bearer " + tok, "Accept": "application/json"}}, nil
}

type dashboard struct {
	UID         string   `json:"uid"`
	Title       string   `json:"title"`
	URL         string   `json:"url"`
	FolderTitle string   `json:"folderTitle"`
	Tags        []string `json:"tags"`
}

var tagRE = regexp.MustCompile(`tags\s*@>\s*'([^']*)'`)

// selectorAlternatives turns a dashboard selector into tag sets: each
// `||` alternative is a set of tags that must all be present (`&&`).
// A bare word is one tag.
func selectorAlternatives(sel string) [][]string {
	var alts [][]string
	for _, alt := range strings.Split(sel, "||") {
		alt = strings.Trim(strings.TrimSpace(alt), "()")
		var tags []string
		for _, m := range tagRE.FindAllStringSubmatch(alt, -1) {
			tags = append(tags, m[1])
		}
		if len(tags) == 0 && alt != "" && !strings.ContainsAny(alt, "@=<>'") {
			tags = []string{strings.TrimSpace(alt)}
		}
		if len(tags) > 0 {
			alts = append(alts, tags)
		}
		if len(alts) == maxAlts {
			break
		}
	}
	return alts
}

func (c *client) dashboards(sel string) ([]dashboard, error) {
	seen := map[string]bool{}
	var out []dashboard
	for _, tags := range selectorAlternatives(sel) {
		q := url.Values{"type": {"dash-db"}, "tag": tags, "limit": {fmt.Sprint(searchLimit)}}
		for page := 1; page <= maxPages; page++ {
			q.Set("page", fmt.Sprint(page))
			var ds []dashboard
			if _, err := kit.GetJSON(vendor, "dashboards tagged "+strings.Join(tags, "+"), c.base+"/api/search?"+q.Encode(), c.headers, &ds); err != nil {
				return nil, err
			}
			for _, d := range ds {
				if !seen[d.UID] {
					seen[d.UID] = true
					out = append(out, d)
				}
			}
			if len(ds) < searchLimit {
				break
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Title < out[j].Title })
	return out, nil
}

type rule struct {
	Name   string `json:"name"`
	State  string `json:"state"`
	Health string `json:"health"`
	Type   string `json:"type"`
	// RawLabels are decoded (into Labels) only for rules that may match the
	// selector: decoding every rule's label map was a large part of a card.
	RawLabels kit.Raw           `json:"labels"`
	Labels    map[string]string `json:"-"`
	Alerts    []struct {
		ActiveAt string `json:"activeAt"`
	} `json:"alerts"`
	group string
}

// mayMatch is a cheap pre-check of a rule's labels text: false only when a
// wanted value (plain: letters, digits, '-', '_', '.', ':', '/') does not
// occur in it as a JSON string, so the rule cannot match.
func mayMatch(raw []byte, want map[string]string) bool {
	for _, v := range want {
		plain := v != ""
		for _, r := range v {
			plain = plain && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.:/", r))
		}
		if plain && !bytes.Contains(raw, []byte(`"`+v+`"`)) {
			return false
		}
	}
	return true
}

// rules returns the alerting rules whose labels match want.
func (c *client) rules(want map[string]string) ([]rule, error) {
	var r struct {
		Status string `json:"status"`
		Data   struct {
			Groups []struct {
				Name  string `json:"name"`
				File  string `json:"file"`
				Rules []rule `json:"rules"`
			} `json:"groups"`
		} `json:"data"`
	}
	if _, err := kit.GetJSON(vendor, "alert rules", c.base+"/api/prometheus/grafana/api/v1/rules", c.headers, &r); err != nil {
		return nil, err
	}
	if r.Status != "success" {
		return nil, &kit.UpstreamError{Vendor: vendor, Msg: "Grafana answered status " + r.Status + " for alert rules"}
	}
	var out []rule
	for _, g := range r.Data.Groups {
		for _, rl := range g.Rules {
			if rl.Type != "" && rl.Type != "alerting" || !mayMatch(rl.RawLabels, want) {
				continue
			}
			if len(rl.RawLabels) > 0 {
				if err := kit.Decode(rl.RawLabels, &rl.Labels); err != nil {
					return nil, &kit.UpstreamError{Vendor: vendor, Msg: "Grafana sent malformed labels for rule " + rl.Name}
				}
			}
			if !matches(rl.Labels, want) {
				continue
			}
			rl.group = g.File + "/" + g.Name
			out = append(out, rl)
		}
	}
	return out, nil
}

// parseLabels reads "k=v,k2=v2".
func parseLabels(s string) map[string]string {
	m := map[string]string{}
	for _, p := range strings.Split(s, ",") {
		if k, v, ok := strings.Cut(p, "="); ok && strings.TrimSpace(k) != "" {
			m[strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(v), `"'`)
		}
	}
	return m
}

func matches(labels, want map[string]string) bool {
	for k, v := range want {
		if labels[k] != v {
			return false
		}
	}
	return true
}

//go:wasmexport card
func card() int32 { return pdk.HandleCard(render) }

func render(in pdk.CardInput) (pdk.Card, error) {
	dsel, asel := kit.Annotation(in.Entity, annDashboards), kit.Annotation(in.Entity, annAlerts)
	if dsel == "" && asel == "" {
		return pdk.Card{}, kit.NotApplicable("entity has neither %s nor %s", annDashboards, annAlerts)
	}
	c, err := newClient()
	if err != nil {
		return pdk.Card{}, err
	}
	card, err := build(c, dsel, asel)
	var se *kit.StatusError
	if errors.As(err, &se) {
		if se.Auth() {
			return kit.CredentialCard(title, se, secretToken), nil
		}
		return kit.NotFoundCard(title, se, annDashboards), nil
	}
	return card, err
}

func build(c *client, dsel, asel string) (pdk.Card, error) {
	card := pdk.Card{Title: title, Status: &pdk.Status{Level: pdk.LevelOK}}
	var parts []string
	if dsel != "" {
		ds, err := c.dashboards(dsel)
		if err != nil {
			return pdk.Card{}, err
		}
		parts = append(parts, plural(len(ds), "dashboard"))
		for i, d := range ds {
			if i == maxRows {
				card.Summary = fmt.Sprintf("Showing %d of %d matching dashboards.", maxRows, len(ds))
				break
			}
			name := d.Title
			if d.FolderTitle != "" {
				name = d.FolderTitle + " / " + d.Title
			}
			card.Links = append(card.Links, pdk.Link{Title: name, URL: c.base + d.URL})
		}
	}
	if asel != "" {
		want := parseLabels(asel)
		rs, err := c.rules(want)
		if err != nil {
			return pdk.Card{}, err
		}
		count := map[string]int{}
		firing := pdk.Table{Title: "Firing alerts", Columns: []string{"Rule", "Severity", "Group"}}
		pending := pdk.Table{Title: "Pending alerts", Columns: []string{"Rule", "Severity", "Group"}}
		for _, r := range rs {
			state := r.State
			if state == "inactive" || state == "" {
				state = "normal"
			}
			count[state]++
			row := []string{r.Name, r.Labels["severity"], r.group}
			switch {
			case state == "firing" && len(firing.Rows) < maxRows:
				firing.Rows = append(firing.Rows, row)
			case state == "pending" && len(pending.Rows) < maxRows:
				pending.Rows = append(pending.Rows, row)
			}
		}
		card.Fields = append(card.Fields,
			pdk.Field{Label: "Firing", Value: fmt.Sprint(count["firing"])},
			pdk.Field{Label: "Pending", Value: fmt.Sprint(count["pending"])},
			pdk.Field{Label: "Normal", Value: fmt.Sprint(count["normal"])})
		card.Tables = append(card.Tables, firing)
		if len(pending.Rows) > 0 {
			card.Tables = append(card.Tables, pending)
		}
		switch {
		case count["firing"] > 0:
			card.Status.Level = pdk.LevelError
			card.Badges = append(card.Badges, pdk.Badge{Label: plural(count["firing"], "firing alert"), Tone: "error"})
		case count["pending"] > 0:
			card.Status.Level = pdk.LevelWarning
		}
		if count["pending"] > 0 {
			card.Badges = append(card.Badges, pdk.Badge{Label: fmt.Sprintf("%d pending", count["pending"]), Tone: "warning"})
		}
		parts = append([]string{fmt.Sprintf("%d firing, %d pending, %d normal", count["firing"], count["pending"], count["normal"])}, parts...)
		q := url.Values{}
		for k, v := range want {
			q.Add("search", "label:"+k+"="+v)
		}
		card.Links = append([]pdk.Link{{Title: "Alert rules in Grafana", URL: c.base + "/alerting/list?" + q.Encode()}}, card.Links...)
	}
	card.Status.Text = strings.Join(parts, "; ")
	return card, nil
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func main() {}
