package upstreams

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// GitHub REST (https://docs.github.com/rest/actions/workflow-runs):
// GET /repos/{owner}/{repo} and GET /repos/{owner}/{repo}/actions/runs with
// branch, per_page (max 100), page and a Link header (rel="next", "last").
// GitLab REST v4 (https://docs.gitlab.com/api/pipelines/): GET /projects/:id,
// GET /projects/:id/pipelines (ref, per_page, page; X-Next-Page, X-Page,
// X-Per-Page, X-Total, X-Total-Pages headers) and GET /projects/:id/pipelines/:pid
// for duration and user. :id is the numeric id or the URL-encoded path.

type run struct {
	ID                              int
	Branch, SHA, Status, Conclusion string
	Actor, Message, Workflow        string
	Created, Started, Updated       time.Time
}

type ghRepo struct {
	slug, branch string
	runs         []run // newest first
}

type glProject struct {
	id           int
	path, branch string
	pipes        []run
}

// seedRuns makes n runs, newest first, 47 minutes apart on main and on two
// feature branches; the hot service fails on main.
func seedRuns(svc service, base time.Time, n int) []run {
	h := hash(svc.Name)
	branches := []string{"main", "main", "feature/" + strings.Split(svc.Name, "-")[0] + "-cache", "main", "renovate/go-1.x"}
	var out []run
	for i := 0; i < n; i++ {
		created := base.Add(-time.Duration(i)*47*time.Minute - 5*time.Minute)
		dur := time.Duration(180+int(h%240)+i*7) * time.Second
		r := run{ID: int(h%100000)*1000 + n - i, Branch: branches[i%len(branches)], SHA: shortSHA(svc.Name, i),
			Status: "completed", Conclusion: "success", Actor: people[(int(h)+i)%len(people)].Email[:strings.Index(people[(int(h)+i)%len(people)].Email, "@")],
			Message: fmt.Sprintf("Change %d to %s", n-i, svc.Name), Workflow: "CI",
			Created: created, Started: created.Add(10 * time.Second), Updated: created.Add(10*time.Second + dur)}
		switch {
		case i == 0 && svc.Name != hotService:
			r.Status, r.Conclusion = "in_progress", ""
			r.Updated = base
		case svc.Name == hotService && r.Branch == "main" && i < 6:
			r.Conclusion = "failure"
		case i%9 == 4:
			r.Conclusion = "failure"
		case i%11 == 7:
			r.Conclusion = "cancelled"
		}
		out = append(out, r)
	}
	return out
}

func seedGitHub(svc service, base time.Time) *ghRepo {
	n := 12
	if svc.Name == busyService {
		n = 130 // three pages of 50
	}
	return &ghRepo{slug: svc.GitHub, branch: "main", runs: seedRuns(svc, base, n)}
}

func seedGitLab(svc service, base time.Time) *glProject {
	n := 12
	if svc.Name == "transcoder" {
		n = 75 // two pages of 50
	}
	return &glProject{id: int(hash(svc.GitLab) % 100000), path: svc.GitLab, branch: "main", pipes: seedRuns(svc, base, n)}
}

const ghWeb = "https://github.com"

func (s *Server) routeGitHub() {
	repo := func(w http.ResponseWriter, r *http.Request) *ghRepo {
		if !s.authorized(w, r, GitHub) {
			return nil
		}
		rp := s.data.gh[strings.ToLower(r.PathValue("owner")+"/"+r.PathValue("repo"))]
		if rp == nil {
			writeJSON(w, 404, vendorError(GitHub, 404))
		}
		return rp
	}
	s.mux.HandleFunc("GET /github/repos/{owner}/{repo}", func(w http.ResponseWriter, r *http.Request) {
		if rp := repo(w, r); rp != nil {
			writeJSON(w, 200, map[string]any{"id": hash(rp.slug), "name": r.PathValue("repo"), "full_name": rp.slug,
				"html_url": ghWeb + "/" + rp.slug, "default_branch": rp.branch, "private": true})
		}
	})
	s.mux.HandleFunc("GET /github/repos/{owner}/{repo}/actions/runs", func(w http.ResponseWriter, r *http.Request) {
		rp := repo(w, r)
		if rp == nil {
			return
		}
		pg := pageRuns(r, rp.runs, "branch", 30)
		items := []any{}
		for _, rn := range pg.items {
			var concl any
			if rn.Conclusion != "" {
				concl = rn.Conclusion
			}
			items = append(items, map[string]any{
				"id": rn.ID, "name": rn.Workflow, "display_title": rn.Message, "run_number": rn.ID % 1000, "event": "push",
				"head_branch": rn.Branch, "head_sha": rn.SHA, "status": rn.Status, "conclusion": concl,
				"html_url":   fmt.Sprintf("%s/%s/actions/runs/%d", ghWeb, rp.slug, rn.ID),
				"created_at": rn.Created.UTC().Format(time.RFC3339), "updated_at": rn.Updated.UTC().Format(time.RFC3339),
				"run_started_at": rn.Started.UTC().Format(time.RFC3339),
				"actor":          map[string]any{"login": rn.Actor, "type": "User"}, "triggering_actor": map[string]any{"login": rn.Actor, "type": "User"},
				"head_commit": map[string]any{"id": rn.SHA, "message": rn.Message, "timestamp": rn.Created.UTC().Format(time.RFC3339),
					"author": map[string]any{"name": rn.Actor, "email": rn.Actor + "@acmestreaming.example"}},
			})
		}
		// Link header as GitHub sends it: absolute URLs, rel next/last/first/prev.
		var links []string
		link := func(p int, rel string) {
			u := *r.URL
			q := u.Query()
			q.Set("page", strconv.Itoa(p))
			q.Set("per_page", strconv.Itoa(pg.per))
			u.RawQuery = q.Encode()
			links = append(links, fmt.Sprintf("<%s://%s%s>; rel=%q", scheme(r), r.Host, u.RequestURI(), rel))
		}
		if pg.page > 1 {
			link(pg.page-1, "prev")
			link(1, "first")
		}
		if pg.page < pg.last {
			link(pg.page+1, "next")
			link(pg.last, "last")
		}
		if len(links) > 0 {
			w.Header().Set("Link", strings.Join(links, ", "))
		}
		writeJSON(w, 200, map[string]any{"total_count": pg.total, "workflow_runs": items})
	})
}

// runPage is one page of a run list as both vendors page it.
type runPage struct {
	items                  []run
	total, per, page, last int // last: the number of pages, at least 1
}

// pageRuns keeps the runs of the branch named by the query parameter
// branchParam (all when absent) and cuts the page that page and per_page
// (default defPer, at most 100) ask for.
func pageRuns(r *http.Request, runs []run, branchParam string, defPer int) runPage {
	branch := r.URL.Query().Get(branchParam)
	var all []run
	for _, rn := range runs {
		if branch == "" || rn.Branch == branch {
			all = append(all, rn)
		}
	}
	pg := runPage{total: len(all), per: intParam(r, "per_page", defPer, 100), page: intParam(r, "page", 1, 1<<20)}
	pg.last = max(1, (len(all)+pg.per-1)/pg.per)
	if start := (pg.page - 1) * pg.per; start < len(all) {
		pg.items = all[start:min(start+pg.per, len(all))]
	}
	return pg
}

func scheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

const glWeb = "https://gitlab.acmestreaming.example"

func (s *Server) routeGitLab() {
	project := func(w http.ResponseWriter, r *http.Request) *glProject {
		if !s.authorized(w, r, GitLab) {
			return nil
		}
		id, _ := url.PathUnescape(r.PathValue("id"))
		for _, p := range s.data.gl {
			if p.path == id || strconv.Itoa(p.id) == id {
				return p
			}
		}
		writeJSON(w, 404, map[string]any{"message": "404 Project Not Found"})
		return nil
	}
	pipeline := func(p *glProject, rn run, detail bool) map[string]any {
		status := map[string]string{"success": "success", "failure": "failed", "cancelled": "canceled"}[rn.Conclusion]
		if rn.Status != "completed" {
			status = "running"
		}
		m := map[string]any{"id": rn.ID, "iid": rn.ID % 1000, "project_id": p.id, "sha": rn.SHA, "ref": rn.Branch, "status": status,
			"source": "push", "created_at": rn.Created.UTC().Format(time.RFC3339), "updated_at": rn.Updated.UTC().Format(time.RFC3339),
			"web_url": fmt.Sprintf("%s/%s/-/pipelines/%d", glWeb, p.path, rn.ID)}
		if detail {
			m["started_at"] = rn.Started.UTC().Format(time.RFC3339)
			m["user"] = map[string]any{"username": rn.Actor, "name": rn.Actor}
			if rn.Status == "completed" {
				m["finished_at"] = rn.Updated.UTC().Format(time.RFC3339)
				m["duration"] = int(rn.Updated.Sub(rn.Started) / time.Second)
			} else {
				m["duration"] = nil
			}
		}
		return m
	}
	s.mux.HandleFunc("GET /gitlab/api/v4/projects/{id}", func(w http.ResponseWriter, r *http.Request) {
		if p := project(w, r); p != nil {
			writeJSON(w, 200, map[string]any{"id": p.id, "path_with_namespace": p.path, "default_branch": p.branch, "web_url": glWeb + "/" + p.path})
		}
	})
	s.mux.HandleFunc("GET /gitlab/api/v4/projects/{id}/pipelines", func(w http.ResponseWriter, r *http.Request) {
		p := project(w, r)
		if p == nil {
			return
		}
		pg := pageRuns(r, p.pipes, "ref", 20)
		items := []any{}
		for _, rn := range pg.items {
			items = append(items, pipeline(p, rn, false))
		}
		next := ""
		if pg.page < pg.last {
			next = strconv.Itoa(pg.page + 1)
		}
		w.Header().Set("X-Next-Page", next)
		w.Header().Set("X-Page", strconv.Itoa(pg.page))
		w.Header().Set("X-Per-Page", strconv.Itoa(pg.per))
		w.Header().Set("X-Total", strconv.Itoa(pg.total))
		w.Header().Set("X-Total-Pages", strconv.Itoa(pg.last))
		writeJSON(w, 200, items)
	})
	s.mux.HandleFunc("GET /gitlab/api/v4/projects/{id}/pipelines/{pid}", func(w http.ResponseWriter, r *http.Request) {
		p := project(w, r)
		if p == nil {
			return
		}
		for _, rn := range p.pipes {
			if strconv.Itoa(rn.ID) == r.PathValue("pid") {
				writeJSON(w, 200, pipeline(p, rn, true))
				return
			}
		}
		writeJSON(w, 404, map[string]any{"message": "404 Not found"})
	})
}
