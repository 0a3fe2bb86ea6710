package upstreams

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"time"
)

// PagerDuty REST API v2 (https://developer.pagerduty.com/api-reference/):
// GET /services (list), GET /services/{id}, GET /oncalls, GET /incidents (classic offset/limit
// pagination with `more`), POST /incidents (needs a From header). Auth header
// `Authorization: Token token=…`.

const pdWeb = "https://acmestreaming.pagerduty.example"

type pdService struct {
	ID, Name, Status, Policy string
	LastIncident             string
}

type pdIncident struct {
	ID, Title, Status, Urgency, Created, Service string
	Number                                       int
}

type pdOncall struct {
	Policy string
	Level  int
	User   int // index into people
	Sched  string
}

type pdData struct {
	services  map[string]*pdService
	incidents []*pdIncident
	oncalls   []pdOncall
}

func seedPagerDuty(ago func(time.Duration) string) pdData {
	d := pdData{services: map[string]*pdService{}}
	n := 1000
	for _, svc := range demoServices {
		if svc.PagerDutyID == "" {
			continue
		}
		h := hash(svc.Name)
		ep := fmt.Sprintf("PEP%04d", h%10000)
		s := &pdService{ID: svc.PagerDutyID, Name: titleOf(svc.Name), Status: "active", Policy: ep, LastIncident: ago(time.Duration(24+h%200) * time.Hour)}
		d.services[s.ID] = s
		// Three escalation levels; identity-service has nobody on call at all.
		if svc.Name != "identity-service" {
			for lvl := 1; lvl <= 3; lvl++ {
				d.oncalls = append(d.oncalls, pdOncall{Policy: ep, Level: lvl, User: int(h+uint32(lvl)) % len(people), Sched: fmt.Sprintf("PSC%04d", (h+uint32(lvl))%10000)})
			}
		}
		add := func(title, status, urgency string, age time.Duration) {
			n++
			d.incidents = append(d.incidents, &pdIncident{ID: fmt.Sprintf("Q%06dX", n), Number: n, Title: title, Status: status,
				Urgency: urgency, Created: ago(age), Service: s.ID})
			s.LastIncident = ago(age)
		}
		switch svc.Name {
		case hotService:
			s.Status = "critical"
			add("License issuance p99 above 2s", "triggered", "high", 2*time.Hour+13*time.Minute)
			add("DRM key server certificate expires in 7 days", "acknowledged", "low", 26*time.Hour+5*time.Minute)
		case busyService:
			s.Status = "warning"
			for i := 0; i < 57; i++ {
				add(fmt.Sprintf("Playback start failures in region %d", i+1), "acknowledged", "low", time.Duration(i+1)*37*time.Minute)
			}
		}
	}
	return d
}

func (s *Server) routePagerDuty() {
	s.mux.HandleFunc("GET /pagerduty/services", func(w http.ResponseWriter, r *http.Request) {
		if !s.authorized(w, r, PagerDuty) {
			return
		}
		ids := make([]string, 0, len(s.data.pd.services))
		for id := range s.data.pd.services {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		all := make([]any, 0, len(ids))
		for _, id := range ids {
			all = append(all, s.pdService(s.data.pd.services[id]))
		}
		s.pdPage(w, r, "services", all)
	})
	s.mux.HandleFunc("GET /pagerduty/services/{id}", func(w http.ResponseWriter, r *http.Request) {
		if !s.authorized(w, r, PagerDuty) {
			return
		}
		svc := s.data.pd.services[r.PathValue("id")]
		if svc == nil {
			writeJSON(w, 404, vendorError(PagerDuty, 404))
			return
		}
		writeJSON(w, 200, map[string]any{"service": s.pdService(svc)})
	})
	s.mux.HandleFunc("GET /pagerduty/oncalls", func(w http.ResponseWriter, r *http.Request) {
		if !s.authorized(w, r, PagerDuty) {
			return
		}
		policies := setOf(r.URL.Query()["escalation_policy_ids[]"])
		var all []any
		for _, o := range s.data.pd.oncalls {
			if len(policies) > 0 && !policies[o.Policy] {
				continue
			}
			p := people[o.User]
			all = append(all, map[string]any{
				"escalation_level":  o.Level,
				"start":             s.ts(20 * time.Hour),
				"end":               s.base.Add(4 * time.Hour).UTC().Format(time.RFC3339),
				"user":              ref("user_reference", p.ID, p.Name, "/users/"),
				"schedule":          ref("schedule_reference", o.Sched, fmt.Sprintf("Level %d rotation", o.Level), "/schedules/"),
				"escalation_policy": ref("escalation_policy_reference", o.Policy, "Escalation policy "+o.Policy, "/escalation_policies/"),
			})
		}
		s.pdPage(w, r, "oncalls", all)
	})
	s.mux.HandleFunc("GET /pagerduty/incidents", func(w http.ResponseWriter, r *http.Request) {
		if !s.authorized(w, r, PagerDuty) {
			return
		}
		q := r.URL.Query()
		svcs, statuses, urg := setOf(q["service_ids[]"]), setOf(q["statuses[]"]), setOf(q["urgencies[]"])
		s.mu.Lock()
		incs := append([]*pdIncident(nil), s.data.pd.incidents...)
		s.mu.Unlock()
		sort.SliceStable(incs, func(i, j int) bool { return incs[i].Created > incs[j].Created })
		var all []any
		for _, in := range incs {
			if (len(svcs) > 0 && !svcs[in.Service]) || (len(statuses) > 0 && !statuses[in.Status]) || (len(urg) > 0 && !urg[in.Urgency]) {
				continue
			}
			all = append(all, s.pdIncident(in))
		}
		s.pdPage(w, r, "incidents", all)
	})
	s.mux.HandleFunc("POST /pagerduty/incidents", func(w http.ResponseWriter, r *http.Request) {
		if !s.authorized(w, r, PagerDuty) {
			return
		}
		if r.Header.Get("From") == "" {
			writeJSON(w, 400, map[string]any{"error": map[string]any{"message": "Invalid Input Provided", "code": 2001, "errors": []string{"From header is required"}}})
			return
		}
		var body struct {
			Incident struct {
				Type    string `json:"type"`
				Title   string `json:"title"`
				Urgency string `json:"urgency"`
				Service struct {
					ID   string `json:"id"`
					Type string `json:"type"`
				} `json:"service"`
			} `json:"incident"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Incident.Type != "incident" || body.Incident.Title == "" {
			writeJSON(w, 400, map[string]any{"error": map[string]any{"message": "Invalid Input Provided", "code": 2001}})
			return
		}
		svc := s.data.pd.services[body.Incident.Service.ID]
		if svc == nil {
			writeJSON(w, 400, map[string]any{"error": map[string]any{"message": "Invalid Input Provided", "code": 2001, "errors": []string{"Service not found"}}})
			return
		}
		urgency := body.Incident.Urgency
		if urgency != "low" {
			urgency = "high"
		}
		s.mu.Lock()
		s.incSeq++
		in := &pdIncident{ID: fmt.Sprintf("QNEW%04dX", s.incSeq), Number: 9000 + s.incSeq, Title: body.Incident.Title,
			Status: "triggered", Urgency: urgency, Created: s.now().UTC().Format(time.RFC3339), Service: svc.ID}
		s.data.pd.incidents = append(s.data.pd.incidents, in)
		s.mu.Unlock()
		writeJSON(w, 201, map[string]any{"incident": s.pdIncident(in)})
	})
}

func (s *Server) pdService(svc *pdService) map[string]any {
	return map[string]any{
		"id": svc.ID, "type": "service", "summary": svc.Name, "name": svc.Name, "status": svc.Status,
		"self": "https://api.pagerduty.com/services/" + svc.ID, "html_url": pdWeb + "/service-directory/" + svc.ID,
		"escalation_policy":       ref("escalation_policy_reference", svc.Policy, "Escalation policy "+svc.Policy, "/escalation_policies/"),
		"last_incident_timestamp": svc.LastIncident, "alert_creation": "create_alerts_and_incidents",
	}
}

func (s *Server) pdIncident(in *pdIncident) map[string]any {
	svc := s.data.pd.services[in.Service]
	return map[string]any{
		"id": in.ID, "type": "incident", "summary": fmt.Sprintf("[#%d] %s", in.Number, in.Title), "title": in.Title,
		"incident_number": in.Number, "status": in.Status, "urgency": in.Urgency, "created_at": in.Created,
		"html_url": pdWeb + "/incidents/" + in.ID, "self": "https://api.pagerduty.com/incidents/" + in.ID,
		"service": ref("service_reference", svc.ID, svc.Name, "/service-directory/"),
	}
}

func ref(typ, id, summary, path string) map[string]any {
	return map[string]any{"id": id, "type": typ, "summary": summary, "html_url": pdWeb + path + id}
}

// pdPage serves PagerDuty's classic pagination: offset, limit (max 100), more.
func (s *Server) pdPage(w http.ResponseWriter, r *http.Request, key string, all []any) {
	limit := intParam(r, "limit", 25, 100)
	offset := intParam(r, "offset", 0, 1<<30)
	page := []any{}
	if offset < len(all) {
		end := min(offset+limit, len(all))
		page = all[offset:end]
	}
	total := any(nil)
	if r.URL.Query().Get("total") == "true" {
		total = len(all)
	}
	writeJSON(w, 200, map[string]any{key: page, "limit": limit, "offset": offset, "more": offset+limit < len(all), "total": total})
}

func setOf(vs []string) map[string]bool {
	m := map[string]bool{}
	for _, v := range vs {
		m[v] = true
	}
	return m
}
