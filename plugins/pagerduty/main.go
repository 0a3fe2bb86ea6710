// pagerduty is Portico's first-party PagerDuty plugin: a card with the
// service's status, who is on call now at each escalation level and the open
// incidents; the action pagerduty:incident:create; the scorecard check
// has-oncall; and a collate export that makes PagerDuty services and open
// incidents searchable. It reads the PagerDuty REST API v2 with the
// operator's API token.
//
// Plugin code: it imports pdk/go (and the plugin kit built on it) only.
package main

import (
	"encoding/json"
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
	title         = "PagerDuty"
	annServiceID  = "pagerduty.com/service-id"
	annIntegKey   = "pagerduty.com/integration-key"
	secretToken   = "token"
	vendor        = "PagerDuty"
	pageLimit     = 25
	maxPages      = 4 // at most 100 open incidents are read
	maxRows       = 20
	defaultAPIURL = "https://api.pagerduty.com"
)

type config struct {
	BaseURL string `json:"baseURL"`
	From    string `json:"from"`
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
	if c.BaseURL == "" {
		c.BaseURL = defaultAPIURL
	}
	tok, err := kit.Secret("pagerduty", secretToken, "(a PagerDuty REST API key)")
	if err != nil {
		return nil, err
	}
	return &client{base: kit.TrimURL(c.BaseURL), headers: map[string]string{
		"Authorization": "Token token=" + tok,
		"Accept":        "application/vnd.pagerduty+json;version=2",
		"Content-Type":  "application/json",
	}}, nil
}

type ref struct {
	ID      string `json:"id"`
	Summary string `json:"summary"`
	HTMLURL string `json:"html_url"`
}

type service struct {
	ID               string `json:"id"`
	Name             string `json:"name"`
	Status           string `json:"status"`
	HTMLURL          string `json:"html_url"`
	EscalationPolicy ref    `json:"escalation_policy"`
}

type oncall struct {
	Level    int  `json:"escalation_level"`
	User     ref  `json:"user"`
	Schedule *ref `json:"schedule"`
	End      string
}

type incident struct {
	ID      string `json:"id"`
	Number  int    `json:"incident_number"`
	Title   string `json:"title"`
	Status  string `json:"status"`
	Urgency string `json:"urgency"`
	Created string `json:"created_at"`
	HTMLURL string `json:"html_url"`
}

func (c *client) service(id string) (service, error) {
	var r struct {
		Service service `json:"service"`
	}
	_, err := kit.GetJSON(vendor, "service "+id, c.base+"/services/"+url.PathEscape(id), c.headers, &r)
	return r.Service, err
}

// oncalls reads who is on call now for a policy, following `more`.
func (c *client) oncalls(policy string) ([]oncall, error) {
	var all []oncall
	for page := 0; page < maxPages; page++ {
		var r struct {
			Oncalls []oncall `json:"oncalls"`
			More    bool     `json:"more"`
		}
		u := fmt.Sprintf("%s/oncalls?escalation_policy_ids%%5B%%5D=%s&limit=%d&offset=%d", c.base, url.QueryEscape(policy), pageLimit, page*pageLimit)
		if _, err := kit.GetJSON(vendor, "on-calls of escalation policy "+policy, u, c.headers, &r); err != nil {
			return nil, err
		}
		all = append(all, r.Oncalls...)
		if !r.More {
			break
		}
	}
	return all, nil
}

// openIncidents reads triggered and acknowledged incidents, following
// offset/limit/more up to maxPages; truncated says the bound was hit.
func (c *client) openIncidents(svc string) (incs []incident, truncated bool, err error) {
	for page := 0; page < maxPages; page++ {
		var r struct {
			Incidents []incident `json:"incidents"`
			More      bool       `json:"more"`
		}
		u := fmt.Sprintf("%s/incidents?service_ids%%5B%%5D=%s&statuses%%5B%%5D=triggered&statuses%%5B%%5D=acknowledged&limit=%d&offset=%d",
			c.base, url.QueryEscape(svc), pageLimit, page*pageLimit)
		if _, err := kit.GetJSON(vendor, "incidents of service "+svc, u, c.headers, &r); err != nil {
			return nil, false, err
		}
		incs = append(incs, r.Incidents...)
		if !r.More {
			return incs, false, nil
		}
	}
	return incs, true, nil
}

//go:wasmexport card
func card() int32 { return pdk.HandleCard(render) }

func render(in pdk.CardInput) (pdk.Card, error) {
	id := kit.Annotation(in.Entity, annServiceID)
	if id == "" {
		if kit.Annotation(in.Entity, annIntegKey) != "" {
			return pdk.Card{Title: title, Status: &pdk.Status{Level: pdk.LevelInfo, Text: "Integration key only"},
				Summary: "This entity has a PagerDuty integration key but no " + annServiceID + " annotation; add it to see on-call and incidents."}, nil
		}
		return pdk.Card{}, kit.NotApplicable("entity has no %s annotation", annServiceID)
	}
	c, err := newClient()
	if err != nil {
		return pdk.Card{}, err
	}
	card, err := buildCard(c, id, time.Now())
	var se *kit.StatusError
	if errors.As(err, &se) {
		if se.Auth() {
			return kit.CredentialCard(title, se, secretToken), nil
		}
		return kit.NotFoundCard(title, se, annServiceID), nil
	}
	return card, err
}

var statusLevel = map[string]string{"active": pdk.LevelOK, "warning": pdk.LevelWarning, "critical": pdk.LevelError,
	"maintenance": pdk.LevelInfo, "disabled": pdk.LevelUnknown}

func buildCard(c *client, id string, now time.Time) (pdk.Card, error) {
	svc, err := c.service(id)
	if err != nil {
		return pdk.Card{}, err
	}
	ocs, err := c.oncalls(svc.EscalationPolicy.ID)
	if err != nil {
		return pdk.Card{}, err
	}
	incs, truncated, err := c.openIncidents(id)
	if err != nil {
		return pdk.Card{}, err
	}

	level := statusLevel[svc.Status]
	if level == "" {
		level = pdk.LevelUnknown
	}
	high := 0
	for _, i := range incs {
		if i.Urgency == "high" {
			high++
		}
	}
	n := strconv.Itoa(len(incs))
	if truncated {
		n += "+"
	}
	text := svc.Status + ", " + n + " open incident"
	if len(incs) != 1 {
		text += "s"
	}
	card := pdk.Card{Title: title, Status: &pdk.Status{Level: level, Text: text}}
	card.Fields = append(card.Fields,
		pdk.Field{Label: "Service", Value: svc.Name, URL: svc.HTMLURL},
		pdk.Field{Label: "Escalation policy", Value: svc.EscalationPolicy.Summary, URL: svc.EscalationPolicy.HTMLURL})

	// On call now, one row per escalation level (several people per level
	// are joined).
	byLevel := map[int][]oncall{}
	for _, o := range ocs {
		byLevel[o.Level] = append(byLevel[o.Level], o)
	}
	levels := make([]int, 0, len(byLevel))
	for l := range byLevel {
		levels = append(levels, l)
	}
	sort.Ints(levels)
	oncallTable := pdk.Table{Title: "On call now", Columns: []string{"Level", "Who", "Schedule"}}
	for _, l := range levels {
		var who, sched []string
		seen := map[string]bool{}
		for _, o := range byLevel[l] {
			if !seen[o.User.ID] {
				seen[o.User.ID] = true
				who = append(who, o.User.Summary)
			}
			if o.Schedule != nil && o.Schedule.Summary != "" {
				sched = append(sched, o.Schedule.Summary)
			}
		}
		oncallTable.Rows = append(oncallTable.Rows, []string{strconv.Itoa(l), strings.Join(who, ", "), strings.Join(dedup(sched), ", ")})
		if l == 1 {
			card.Fields = append(card.Fields, pdk.Field{Label: "On call", Value: strings.Join(who, ", "), URL: byLevel[l][0].User.HTMLURL})
		}
	}
	if len(levels) == 0 {
		card.Fields = append(card.Fields, pdk.Field{Label: "On call", Value: "nobody"})
		if card.Status.Level == pdk.LevelOK {
			card.Status.Level = pdk.LevelWarning
		}
		card.Status.Text += ", nobody on call"
	}
	card.Tables = append(card.Tables, oncallTable)

	incTable := pdk.Table{Title: "Open incidents", Columns: []string{"#", "Title", "Urgency", "Status", "Age"}}
	for i, in := range incs {
		if i == maxRows {
			break
		}
		incTable.Rows = append(incTable.Rows, []string{strconv.Itoa(in.Number), kit.Truncate(in.Title, 120), in.Urgency, in.Status, kit.Since(now, in.Created)})
	}
	card.Tables = append(card.Tables, incTable)
	if len(incs) > maxRows {
		card.Summary = fmt.Sprintf("Showing the %d newest of %s open incidents.", maxRows, n)
	}
	if high > 0 {
		card.Badges = append(card.Badges, pdk.Badge{Label: fmt.Sprintf("%d high urgency", high), Tone: "error"})
	}
	if low := len(incs) - high; low > 0 {
		card.Badges = append(card.Badges, pdk.Badge{Label: fmt.Sprintf("%d low urgency", low), Tone: "warning"})
	}
	if svc.HTMLURL != "" {
		card.Links = append(card.Links, pdk.Link{Title: "Service in PagerDuty", URL: svc.HTMLURL})
	}
	if svc.EscalationPolicy.HTMLURL != "" {
		card.Links = append(card.Links, pdk.Link{Title: "Escalation policy", URL: svc.EscalationPolicy.HTMLURL})
	}
	for i, in := range incs {
		if i == 5 {
			break
		}
		if in.HTMLURL != "" {
			card.Links = append(card.Links, pdk.Link{Title: fmt.Sprintf("Incident #%d", in.Number), URL: in.HTMLURL})
		}
	}
	return card, nil
}

func dedup(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

//go:wasmexport check
func check() int32 { return pdk.HandleCheck(runCheck) }

func runCheck(in pdk.CheckInput) (pdk.CheckOutput, error) {
	if in.Check != "has-oncall" {
		return pdk.CheckOutput{}, fmt.Errorf("unknown check %q", in.Check)
	}
	id := kit.Annotation(in.Entity, annServiceID)
	if id == "" {
		return pdk.CheckOutput{Result: pdk.Skip, Message: "no " + annServiceID + " annotation"}, nil
	}
	c, err := newClient()
	if err != nil {
		return pdk.CheckOutput{}, err
	}
	svc, err := c.service(id)
	if err != nil {
		return pdk.CheckOutput{}, err
	}
	ocs, err := c.oncalls(svc.EscalationPolicy.ID)
	if err != nil {
		return pdk.CheckOutput{}, err
	}
	for _, o := range ocs {
		if o.Level == 1 {
			return pdk.CheckOutput{Result: pdk.Pass, Message: o.User.Summary + " is on call for " + svc.Name}, nil
		}
	}
	return pdk.CheckOutput{Result: pdk.Fail, Message: "nobody is on call at level 1 of " + svc.EscalationPolicy.Summary}, nil
}

//go:wasmexport action
func action() int32 { return pdk.HandleAction(runAction) }

type createInput struct {
	ServiceID string `json:"serviceId"`
	EntityRef string `json:"entityRef"`
	Title     string `json:"title"`
	Urgency   string `json:"urgency"`
	Details   string `json:"details"`
}

func runAction(in pdk.ActionInput) (pdk.ActionOutput, error) {
	if in.Action != "pagerduty:incident:create" {
		return pdk.ActionOutput{}, fmt.Errorf("unknown action %q", in.Action)
	}
	var ci createInput
	b, _ := json.Marshal(in.Input)
	if err := json.Unmarshal(b, &ci); err != nil {
		return pdk.ActionOutput{}, fmt.Errorf("input: %w", err)
	}
	if ci.ServiceID == "" && ci.EntityRef != "" {
		e, err := pdk.CatalogGet(ci.EntityRef)
		if err != nil {
			return pdk.ActionOutput{}, fmt.Errorf("read %s: %w", ci.EntityRef, err)
		}
		ci.ServiceID = kit.Annotation(e, annServiceID)
		if ci.ServiceID == "" {
			return pdk.ActionOutput{}, kit.NotApplicable("%s has no %s annotation", ci.EntityRef, annServiceID)
		}
	}
	switch {
	case ci.ServiceID == "":
		return pdk.ActionOutput{}, errors.New("input.serviceId or input.entityRef is required")
	case strings.TrimSpace(ci.Title) == "":
		return pdk.ActionOutput{}, errors.New("input.title is required")
	case ci.Urgency != "" && ci.Urgency != "high" && ci.Urgency != "low":
		return pdk.ActionOutput{}, fmt.Errorf("input.urgency must be high or low, got %q", ci.Urgency)
	}
	if ci.Urgency == "" {
		ci.Urgency = "high"
	}
	if in.DryRun {
		return pdk.ActionOutput{Output: map[string]any{"serviceId": ci.ServiceID, "title": ci.Title, "urgency": ci.Urgency},
			Messages: []string{"dry run: would create a " + ci.Urgency + " urgency incident on PagerDuty service " + ci.ServiceID}}, nil
	}
	c, err := newClient()
	if err != nil {
		return pdk.ActionOutput{}, err
	}
	var cfg config
	_, _ = pdk.Config("", &cfg)
	if cfg.From == "" {
		return pdk.ActionOutput{}, kit.MissingConfig("pagerduty", "config.from (the email of the PagerDuty user creating incidents) is not set")
	}
	body := map[string]any{"incident": map[string]any{
		"type": "incident", "title": ci.Title, "urgency": ci.Urgency,
		"service": map[string]any{"id": ci.ServiceID, "type": "service_reference"},
	}}
	if ci.Details != "" {
		body["incident"].(map[string]any)["body"] = map[string]any{"type": "incident_body", "details": ci.Details}
	}
	bb, _ := json.Marshal(body)
	h := map[string]string{"From": cfg.From}
	for k, v := range c.headers {
		h[k] = v
	}
	var r struct {
		Incident incident `json:"incident"`
	}
	if _, err := kit.SendJSON(vendor, "new incident on service "+ci.ServiceID, "POST", c.base+"/incidents", h, bb, &r); err != nil {
		var se *kit.StatusError
		if errors.As(err, &se) && se.Auth() {
			return pdk.ActionOutput{}, fmt.Errorf("PagerDuty refused the API token (%d): the operator should check the plugin secret %q", se.Status, secretToken)
		}
		return pdk.ActionOutput{}, err
	}
	return pdk.ActionOutput{
		Output:   map[string]any{"id": r.Incident.ID, "number": r.Incident.Number, "url": r.Incident.HTMLURL, "status": r.Incident.Status},
		Messages: []string{fmt.Sprintf("created incident #%d %s", r.Incident.Number, r.Incident.HTMLURL)},
	}, nil
}

//go:wasmexport collate
func collate() int32 { return pdk.HandleCollate(runCollate) }

// Collate cursors: "services:<offset>" then "incidents:<offset>", one
// PagerDuty page (collatePage items) per call.
const collatePage = 100

func runCollate(in pdk.CollateInput) (pdk.CollateOutput, error) {
	what, offset := "services", 0
	if in.Collate.Cursor != "" {
		w, o, ok := strings.Cut(in.Collate.Cursor, ":")
		n, err := strconv.Atoi(o)
		if !ok || err != nil || n < 0 || (w != "services" && w != "incidents") {
			return pdk.CollateOutput{}, fmt.Errorf("bad cursor %q", in.Collate.Cursor)
		}
		what, offset = w, n
	}
	limit := collatePage
	if in.Collate.Limit > 0 && in.Collate.Limit < limit {
		limit = in.Collate.Limit
	}
	c, err := newClient()
	if err != nil {
		return pdk.CollateOutput{}, err
	}
	var out pdk.CollateOutput
	var more bool
	if what == "services" {
		var r struct {
			Services []service `json:"services"`
			More     bool      `json:"more"`
		}
		u := fmt.Sprintf("%s/services?limit=%d&offset=%d", c.base, limit, offset)
		if _, err := kit.GetJSON(vendor, "services", u, c.headers, &r); err != nil {
			return pdk.CollateOutput{}, err
		}
		ids := make([]string, len(r.Services))
		for i, s := range r.Services {
			ids[i] = s.ID
		}
		refs := entityRefs(ids)
		for _, s := range r.Services {
			out.Documents = append(out.Documents, pdk.SearchDocument{
				ID: "service:" + s.ID, Type: "service", Title: s.Name + " (PagerDuty service)",
				Text:     fmt.Sprintf("PagerDuty service %s is %s; escalation policy %s.", s.Name, s.Status, s.EscalationPolicy.Summary),
				Location: s.HTMLURL, EntityRef: refs[s.ID],
				Fields: map[string]string{"status": s.Status, "escalationPolicy": s.EscalationPolicy.Summary, "pagerdutyId": s.ID},
			})
		}
		more = r.More
	} else {
		var r struct {
			Incidents []struct {
				incident
				Service ref `json:"service"`
			} `json:"incidents"`
			More bool `json:"more"`
		}
		u := fmt.Sprintf("%s/incidents?statuses%%5B%%5D=triggered&statuses%%5B%%5D=acknowledged&limit=%d&offset=%d", c.base, limit, offset)
		if _, err := kit.GetJSON(vendor, "open incidents", u, c.headers, &r); err != nil {
			return pdk.CollateOutput{}, err
		}
		var ids []string
		for _, in := range r.Incidents {
			ids = append(ids, in.Service.ID)
		}
		refs := entityRefs(dedup(ids))
		for _, in := range r.Incidents {
			out.Documents = append(out.Documents, pdk.SearchDocument{
				ID: "incident:" + in.ID, Type: "incident", Title: fmt.Sprintf("#%d %s", in.Number, kit.Truncate(in.Title, 200)),
				Text:     fmt.Sprintf("%s %s urgency PagerDuty incident on %s, opened %s.", in.Status, in.Urgency, in.Service.Summary, in.Created),
				Location: in.HTMLURL, EntityRef: refs[in.Service.ID],
				Fields: map[string]string{"status": in.Status, "urgency": in.Urgency, "service": in.Service.Summary,
					"incidentNumber": strconv.Itoa(in.Number)},
			})
		}
		more = r.More
	}
	switch {
	case more:
		out.Next = fmt.Sprintf("%s:%d", what, offset+limit)
	case what == "services":
		out.Next = "incidents:0"
	}
	return out, nil
}

// entityRefs maps PagerDuty service ids to the catalog entities annotated
// with them. Without catalog access (not granted, or nothing visible to a
// system call) documents simply name no entity.
func entityRefs(ids []string) map[string]string {
	refs := map[string]string{}
	if len(ids) == 0 {
		return refs
	}
	anyIDs := make([]any, len(ids))
	for i, id := range ids {
		anyIDs[i] = id
	}
	p, err := pdk.CatalogQuery(pdk.Query{Filter: map[string]any{"metadata.annotations." + annServiceID: map[string]any{"$in": anyIDs}}, Limit: 500})
	if err != nil {
		return refs
	}
	for _, e := range p.Items {
		if id := e.Metadata.Annotations[annServiceID]; id != "" {
			if _, dup := refs[id]; !dup {
				refs[id] = e.Ref()
			}
		}
	}
	return refs
}

func main() {}
