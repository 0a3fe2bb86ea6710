package upstreams

import (
	"fmt"
	"net/http"
	"strings"
)

// Grafana HTTP API (https://grafana.com/docs/grafana/latest/developers/http_api/):
//   - GET /api/search?type=dash-db&tag=…&limit=…&page=… (Folder/Dashboard Search API)
//   - GET /api/prometheus/grafana/api/v1/rules — Grafana-managed alert rules with
//     their evaluation state in the Prometheus rules API shape
//     ({"status":"success","data":{"groups":[{"rules":[{"state":"firing|pending|inactive",…}]}]}}),
//     the endpoint Grafana's own alert list uses.
// Auth: `Authorization: Bearer <service account token>`.

const gfWeb = "https://grafana.acmestreaming.example"

type gfDashboard struct {
	ID         int
	UID, Title string
	Tags       []string
	Folder     string
}

type gfRule struct {
	Name, State, Group, Folder string
	Labels                     map[string]string
	ActiveAgo                  string
}

type gfData struct {
	dashboards []gfDashboard
	rules      []gfRule
}

func seedGrafana() gfData {
	var d gfData
	id := 100
	for _, svc := range demoServices {
		if svc.K8sID == "" || svc.Namespace == "" {
			continue
		}
		id++
		d.dashboards = append(d.dashboards, gfDashboard{ID: id, UID: svc.Name, Title: titleOf(svc.Name) + " overview", Tags: []string{svc.Name, "service"}, Folder: svc.Namespace})
		id++
		d.dashboards = append(d.dashboards, gfDashboard{ID: id, UID: svc.Name + "-slo", Title: titleOf(svc.Name) + " SLOs", Tags: []string{svc.Name, "slo"}, Folder: svc.Namespace})
		lbl := func(sev string) map[string]string {
			return map[string]string{"service": svc.Name, "severity": sev, "team": svc.Namespace}
		}
		states := []string{"inactive", "inactive", "inactive"}
		if svc.Name == hotService {
			states = []string{"firing", "pending", "inactive"}
		}
		if svc.Name == busyService {
			states = []string{"inactive", "pending", "inactive"}
		}
		for i, n := range []string{"High error rate", "Latency p99 above SLO", "Pod restarts"} {
			sev := []string{"critical", "warning", "info"}[i]
			d.rules = append(d.rules, gfRule{Name: n + " (" + svc.Name + ")", State: states[i], Group: svc.Name, Folder: svc.Namespace, Labels: lbl(sev)})
		}
	}
	return d
}

func (s *Server) routeGrafana() {
	s.mux.HandleFunc("GET /grafana/api/search", func(w http.ResponseWriter, r *http.Request) {
		if !s.authorized(w, r, Grafana) {
			return
		}
		q := r.URL.Query()
		if t := q.Get("type"); t != "" && t != "dash-db" {
			writeJSON(w, 200, []any{})
			return
		}
		tags := q["tag"]
		query := strings.ToLower(q.Get("query"))
		var all []any
		for _, d := range s.data.gf.dashboards {
			if !hasAll(d.Tags, tags) || (query != "" && !strings.Contains(strings.ToLower(d.Title), query)) {
				continue
			}
			slug := strings.ReplaceAll(strings.ToLower(d.Title), " ", "-")
			all = append(all, map[string]any{
				"id": d.ID, "uid": d.UID, "title": d.Title, "uri": "db/" + slug, "url": "/d/" + d.UID + "/" + slug,
				"slug": "", "type": "dash-db", "tags": d.Tags, "isStarred": false, "folderTitle": d.Folder,
				"folderUid": d.Folder, "folderUrl": "/dashboards/f/" + d.Folder + "/",
			})
		}
		limit := intParam(r, "limit", 1000, 5000)
		page := intParam(r, "page", 1, 1<<20)
		out := []any{}
		if start := (page - 1) * limit; start < len(all) {
			out = all[start:min(start+limit, len(all))]
		}
		writeJSON(w, 200, out)
	})
	s.mux.HandleFunc("GET /grafana/api/prometheus/grafana/api/v1/rules", func(w http.ResponseWriter, r *http.Request) {
		if !s.authorized(w, r, Grafana) {
			return
		}
		groups := map[string]map[string]any{}
		var order []string
		for _, rl := range s.data.gf.rules {
			g := groups[rl.Group]
			if g == nil {
				g = map[string]any{"name": rl.Group, "file": rl.Folder, "rules": []any{}, "interval": 60, "lastEvaluation": s.ts(0), "evaluationTime": 0.01}
				groups[rl.Group] = g
				order = append(order, rl.Group)
			}
			alerts := []any{}
			if rl.State != "inactive" {
				st := map[string]string{"firing": "Alerting", "pending": "Pending"}[rl.State]
				alerts = append(alerts, map[string]any{"labels": rl.Labels, "annotations": map[string]string{"summary": rl.Name},
					"state": st, "activeAt": s.ts(17 * 60e9), "value": "1e+00"})
			}
			g["rules"] = append(g["rules"].([]any), map[string]any{
				"name": rl.Name, "query": fmt.Sprintf("[{\"refId\":\"A\",\"expr\":\"%s\"}]", rl.Group), "labels": rl.Labels,
				"health": "ok", "type": "alerting", "state": rl.State, "alerts": alerts,
				"annotations":    map[string]string{"runbook_url": gfWeb + "/runbooks/" + rl.Group},
				"lastEvaluation": s.ts(0), "evaluationTime": 0.002,
			})
		}
		out := []any{}
		for _, n := range order {
			out = append(out, groups[n])
		}
		writeJSON(w, 200, map[string]any{"status": "success", "data": map[string]any{"groups": out}})
	})
}

func hasAll(have, want []string) bool {
	for _, w := range want {
		found := false
		for _, h := range have {
			if h == w {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}
