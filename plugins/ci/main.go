// ci is Portico's first-party CI plugin: recent GitHub Actions workflow runs
// (github.com/project-slug) and GitLab CI pipelines (gitlab.com/project-slug)
// per branch with status, conclusion, duration, commit, actor and link, the
// success rate of the default branch, and the scorecard check ci-passing.
//
// Plugin code: it imports pdk/go (and the plugin kit built on it) only.
package main

import (
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	pdk "github.com/portico-dev/portico/pdk/go"
	"github.com/portico-dev/portico/plugins/internal/kit"
)

const (
	annGitHub    = "github.com/project-slug"
	annGitLab    = "gitlab.com/project-slug"
	secretGitHub = "github-token"
	secretGitLab = "gitlab-token"
	perPage      = 50
	maxPages     = 2 // at most 100 runs are read
	maxBranches  = 10
	maxDetails   = 5 // GitLab pipeline details fetched for duration and user
)

type config struct {
	GitHub struct {
		APIURL string `json:"apiURL"`
	} `json:"github"`
	GitLab struct {
		APIURL string `json:"apiURL"`
	} `json:"gitlab"`
}

// run is a workflow run or pipeline, vendor-neutral.
type run struct {
	Branch, Status, Conclusion, SHA, Actor, URL, Name string
	Created                                           time.Time
	Duration                                          time.Duration
	id                                                string
}

func (r run) done() bool { return r.Status == "completed" }

type source struct {
	vendor, slug, secret, annotation, web, defaultBranch string
	runs                                                 []run
	truncated                                            bool
}

func loadConfig() (config, error) {
	var c config
	if _, err := pdk.Config("", &c); err != nil {
		return c, fmt.Errorf("read config: %w", err)
	}
	if c.GitHub.APIURL == "" {
		c.GitHub.APIURL = "https://api.github.com"
	}
	if c.GitLab.APIURL == "" {
		c.GitLab.APIURL = "https://gitlab.com/api/v4"
	}
	return c, nil
}

// ---- GitHub Actions ----

func github(cfg config, slug string) (*source, error) {
	src := &source{vendor: "GitHub", slug: slug, secret: secretGitHub, annotation: annGitHub}
	tok, err := kit.Secret("ci", secretGitHub, "")
	if err != nil {
		return nil, err
	}
	base := kit.TrimURL(cfg.GitHub.APIURL)
	h := map[string]string{"Authorization": "Bearer " + tok, "Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
	var repo struct {
		DefaultBranch string `json:"default_branch"`
		HTMLURL       string `json:"html_url"`
	}
	if _, err := kit.GetJSON("GitHub", "repository "+slug, base+"/repos/"+slug, h, &repo); err != nil {
		return nil, err
	}
	src.defaultBranch, src.web = repo.DefaultBranch, repo.HTMLURL
	next := fmt.Sprintf("%s/repos/%s/actions/runs?per_page=%d&page=1", base, slug, perPage)
	for page := 1; next != ""; page++ {
		if page > maxPages {
			src.truncated = true
			break
		}
		var r struct {
			Total int `json:"total_count"`
			Runs  []struct {
				ID         int64   `json:"id"`
				Name       string  `json:"name"`
				Branch     string  `json:"head_branch"`
				SHA        string  `json:"head_sha"`
				Status     string  `json:"status"`
				Conclusion *string `json:"conclusion"`
				HTMLURL    string  `json:"html_url"`
				Created    string  `json:"created_at"`
				Started    string  `json:"run_started_at"`
				Updated    string  `json:"updated_at"`
				Actor      struct {
					Login string `json:"login"`
				} `json:"actor"`
			} `json:"workflow_runs"`
		}
		res, err := kit.GetJSON("GitHub", "workflow runs of "+slug, next, h, &r)
		if err != nil {
			return nil, err
		}
		for _, x := range r.Runs {
			rn := run{Branch: x.Branch, Status: x.Status, SHA: x.SHA, Actor: x.Actor.Login, URL: x.HTMLURL, Name: x.Name, id: strconv.FormatInt(x.ID, 10)}
			if x.Conclusion != nil {
				rn.Conclusion = *x.Conclusion
			}
			rn.Created, _ = time.Parse(time.RFC3339, x.Created)
			start, e1 := time.Parse(time.RFC3339, x.Started)
			end, e2 := time.Parse(time.RFC3339, x.Updated)
			if e1 == nil && e2 == nil && rn.done() {
				rn.Duration = end.Sub(start)
			}
			src.runs = append(src.runs, rn)
		}
		// Follow the Link header when the host passes headers; otherwise
		// page on while total_count says there is more.
		next = ""
		if link, ok := res.Header["link"]; ok {
			next = linkNext(link)
		} else if page*perPage < r.Total && len(r.Runs) == perPage {
			next = fmt.Sprintf("%s/repos/%s/actions/runs?per_page=%d&page=%d", base, slug, perPage, page+1)
		}
	}
	return src, nil
}

// linkNext returns the rel="next" URL of an RFC 8288 Link header.
func linkNext(h string) string {
	for _, part := range strings.Split(h, ",") {
		segs := strings.Split(part, ";")
		if len(segs) < 2 {
			continue
		}
		u := strings.Trim(strings.TrimSpace(segs[0]), "<>")
		for _, p := range segs[1:] {
			if strings.ReplaceAll(strings.TrimSpace(p), " ", "") == `rel="next"` {
				return u
			}
		}
	}
	return ""
}

// ---- GitLab CI ----

func gitlab(cfg config, slug string) (*source, error) {
	src := &source{vendor: "GitLab", slug: slug, secret: secretGitLab, annotation: annGitLab}
	tok, err := kit.Secret("ci", secretGitLab, "")
	if err != nil {
		return nil, err
	}
	base := kit.TrimURL(cfg.GitLab.APIURL)
	h := map[string]string{"PRIVATE-TOKEN": tok, "Accept": "application/json"}
	id := url.PathEscape(slug)
	var proj struct {
		DefaultBranch string `json:"default_branch"`
		WebURL        string `json:"web_url"`
	}
	if _, err := kit.GetJSON("GitLab", "project "+slug, base+"/projects/"+id, h, &proj); err != nil {
		return nil, err
	}
	src.defaultBranch, src.web = proj.DefaultBranch, proj.WebURL
	type pipeline struct {
		ID       int64    `json:"id"`
		Ref      string   `json:"ref"`
		SHA      string   `json:"sha"`
		Status   string   `json:"status"`
		WebURL   string   `json:"web_url"`
		Created  string   `json:"created_at"`
		Duration *float64 `json:"duration"`
		User     *struct {
			Username string `json:"username"`
		} `json:"user"`
	}
	page := 1
	for {
		if page > maxPages {
			src.truncated = true
			break
		}
		var ps []pipeline
		res, err := kit.GetJSON("GitLab", "pipelines of "+slug, fmt.Sprintf("%s/projects/%s/pipelines?per_page=%d&page=%d", base, id, perPage, page), h, &ps)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			rn := run{Branch: p.Ref, SHA: p.SHA, URL: p.WebURL, Name: "pipeline", id: strconv.FormatInt(p.ID, 10)}
			rn.Status, rn.Conclusion = gitlabStatus(p.Status)
			rn.Created, _ = time.Parse(time.RFC3339, p.Created)
			src.runs = append(src.runs, rn)
		}
		// X-Next-Page when the host passes headers; else a full page means more.
		if n, ok := res.Header["x-next-page"]; ok {
			if strings.TrimSpace(n) == "" {
				break
			}
			next, err := strconv.Atoi(strings.TrimSpace(n))
			if err != nil || next <= page {
				break
			}
			page = next
		} else {
			if len(ps) < perPage {
				break
			}
			page++
		}
	}
	// Duration and user come from the pipeline itself, for the newest
	// pipeline of each shown branch (bounded).
	seen := map[string]bool{}
	fetched := 0
	for i, rn := range src.runs {
		if seen[rn.Branch] || fetched == maxDetails {
			continue
		}
		seen[rn.Branch] = true
		fetched++
		var p pipeline
		if _, err := kit.GetJSON("GitLab", "pipeline "+rn.id, base+"/projects/"+id+"/pipelines/"+rn.id, h, &p); err != nil {
			return nil, err
		}
		if p.Duration != nil {
			src.runs[i].Duration = time.Duration(*p.Duration * float64(time.Second))
		}
		if p.User != nil {
			src.runs[i].Actor = p.User.Username
		}
	}
	return src, nil
}

// gitlabStatus maps a pipeline status onto Actions' status/conclusion.
func gitlabStatus(s string) (status, conclusion string) {
	switch s {
	case "success":
		return "completed", "success"
	case "failed":
		return "completed", "failure"
	case "canceled":
		return "completed", "cancelled"
	case "skipped":
		return "completed", "skipped"
	case "manual":
		return "waiting", ""
	case "running":
		return "in_progress", ""
	}
	return "queued", ""
}

// ---- card ----

//go:wasmexport card
func card() int32 { return pdk.HandleCard(render) }

func load(in pdk.Entity, cardID string) (*source, error) {
	cfg, err := loadConfig()
	if err != nil {
		return nil, err
	}
	switch cardID {
	case "github-actions":
		slug := kit.Annotation(in, annGitHub)
		if slug == "" {
			return nil, kit.NotApplicable("entity has no %s annotation", annGitHub)
		}
		return github(cfg, slug)
	case "gitlab-ci":
		slug := kit.Annotation(in, annGitLab)
		if slug == "" {
			return nil, kit.NotApplicable("entity has no %s annotation", annGitLab)
		}
		return gitlab(cfg, slug)
	}
	return nil, fmt.Errorf("unknown card %q", cardID)
}

func render(in pdk.CardInput) (pdk.Card, error) {
	title := map[string]string{"github-actions": "GitHub Actions", "gitlab-ci": "GitLab CI"}[in.Card]
	src, err := load(in.Entity, in.Card)
	var se *kit.StatusError
	if errors.As(err, &se) {
		if se.Auth() {
			return kit.CredentialCard(title, se, map[string]string{"GitHub": secretGitHub, "GitLab": secretGitLab}[se.Vendor]), nil
		}
		return kit.NotFoundCard(title, se, map[string]string{"GitHub": annGitHub, "GitLab": annGitLab}[se.Vendor]), nil
	}
	if err != nil {
		return pdk.Card{}, err
	}
	return build(title, src, time.Now()), nil
}

func build(title string, src *source, now time.Time) pdk.Card {
	c := pdk.Card{Title: title, Status: &pdk.Status{Level: pdk.LevelUnknown, Text: "no runs yet"}}
	// Newest run per branch, default branch first, then by recency.
	latest := map[string]run{}
	var branches []string
	for _, r := range src.runs {
		if _, ok := latest[r.Branch]; !ok {
			latest[r.Branch] = r
			branches = append(branches, r.Branch)
		}
	}
	sort.SliceStable(branches, func(i, j int) bool {
		if (branches[i] == src.defaultBranch) != (branches[j] == src.defaultBranch) {
			return branches[i] == src.defaultBranch
		}
		return latest[branches[i]].Created.After(latest[branches[j]].Created)
	})
	t := pdk.Table{Title: "Latest run per branch", Columns: []string{"Branch", "Status", "Conclusion", "Duration", "Commit", "Actor", "Age"}}
	for i, b := range branches {
		if i == maxBranches {
			break
		}
		r := latest[b]
		dur := ""
		if r.Duration > 0 {
			dur = r.Duration.Round(time.Second).String()
		}
		sha := r.SHA
		if len(sha) > 7 {
			sha = sha[:7]
		}
		t.Rows = append(t.Rows, []string{b, r.Status, r.Conclusion, dur, sha, r.Actor, kit.Age(now.Sub(r.Created))})
		if r.URL != "" {
			c.Links = append(c.Links, pdk.Link{Title: "Latest run on " + b, URL: r.URL})
		}
	}
	c.Tables = append(c.Tables, t)

	ok, done := 0, 0
	var lastDone *run
	for i, r := range src.runs {
		if r.Branch != src.defaultBranch || !r.done() || r.Conclusion == "cancelled" || r.Conclusion == "skipped" {
			continue
		}
		done++
		if r.Conclusion == "success" {
			ok++
		}
		if lastDone == nil {
			lastDone = &src.runs[i]
		}
	}
	if done > 0 {
		rate := ok * 100 / done
		c.Fields = append(c.Fields, pdk.Field{Label: "Success rate (" + src.defaultBranch + ")", Value: fmt.Sprintf("%d%% of %d finished runs", rate, done)})
		tone := "ok"
		if rate < 80 {
			tone = "warning"
		}
		if rate < 50 {
			tone = "error"
		}
		c.Badges = append(c.Badges, pdk.Badge{Label: fmt.Sprintf("%s %d%%", src.defaultBranch, rate), Tone: tone})
	}
	if lastDone != nil {
		if lastDone.Conclusion == "success" {
			c.Status = &pdk.Status{Level: pdk.LevelOK, Text: src.defaultBranch + " is passing"}
		} else {
			c.Status = &pdk.Status{Level: pdk.LevelError, Text: src.defaultBranch + " is failing (" + lastDone.Conclusion + ")"}
		}
	}
	c.Fields = append([]pdk.Field{{Label: "Project", Value: src.slug, URL: src.web}}, c.Fields...)
	if src.truncated {
		c.Summary = fmt.Sprintf("Based on the %d most recent runs.", len(src.runs))
	}
	return c
}

// ---- check ----

//go:wasmexport check
func check() int32 { return pdk.HandleCheck(runCheck) }

func runCheck(in pdk.CheckInput) (pdk.CheckOutput, error) {
	if in.Check != "ci-passing" {
		return pdk.CheckOutput{}, fmt.Errorf("unknown check %q", in.Check)
	}
	var ids []string
	if kit.Annotation(in.Entity, annGitHub) != "" {
		ids = append(ids, "github-actions")
	}
	if kit.Annotation(in.Entity, annGitLab) != "" {
		ids = append(ids, "gitlab-ci")
	}
	if len(ids) == 0 {
		return pdk.CheckOutput{Result: pdk.Skip, Message: "no " + annGitHub + " or " + annGitLab + " annotation"}, nil
	}
	var msgs []string
	result := pdk.Skip
	for _, id := range ids {
		src, err := load(in.Entity, id)
		if err != nil {
			return pdk.CheckOutput{}, err
		}
		var last *run
		for i, r := range src.runs {
			if r.Branch == src.defaultBranch && r.done() && r.Conclusion != "cancelled" && r.Conclusion != "skipped" {
				last = &src.runs[i]
				break
			}
		}
		switch {
		case last == nil:
			msgs = append(msgs, src.vendor+": no finished run on "+src.defaultBranch)
		case last.Conclusion == "success":
			msgs = append(msgs, src.vendor+": "+src.defaultBranch+" passed")
			if result == pdk.Skip {
				result = pdk.Pass
			}
		default:
			msgs = append(msgs, src.vendor+": "+src.defaultBranch+" "+last.Conclusion)
			result = pdk.Fail
		}
	}
	return pdk.CheckOutput{Result: result, Message: strings.Join(msgs, "; ")}, nil
}

func main() {}
