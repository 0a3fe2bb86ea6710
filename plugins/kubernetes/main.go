// kubernetes is Portico's first-party Kubernetes plugin: per configured
// cluster, the entity's Deployments and StatefulSets (ready/desired), its
// pods by phase with restart counts, the images it runs and recent warning
// events; and the scorecard check no-crashloop.
//
// Objects are found like Backstage does: the label selector of
// backstage.io/kubernetes-label-selector, else
// backstage.io/kubernetes-id=<id>; in backstage.io/kubernetes-namespace when
// set, else in every namespace the token may list.
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
	title       = "Kubernetes"
	annID       = "backstage.io/kubernetes-id"
	annSelector = "backstage.io/kubernetes-label-selector"
	annNS       = "backstage.io/kubernetes-namespace"
	vendor      = "Kubernetes"
	pageLimit   = 100
	maxPages    = 5 // at most 500 objects of a kind per cluster
	maxEvents   = 10
	maxClusters = 5 // two tables each within the card's 10
)

type clusterConfig struct {
	Name        string `json:"name"`
	URL         string `json:"url"`
	TokenSecret string `json:"tokenSecret"`
}

type config struct {
	Clusters []clusterConfig `json:"clusters"`
}

func clusters() ([]clusterConfig, error) {
	var c config
	if _, err := pdk.Config("", &c); err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	if len(c.Clusters) == 0 {
		return nil, kit.MissingConfig("kubernetes", "config.clusters is empty")
	}
	if len(c.Clusters) > maxClusters {
		c.Clusters = c.Clusters[:maxClusters]
	}
	return c.Clusters, nil
}

type target struct {
	selector, namespace string
}

func targetOf(e pdk.Entity) (target, bool) {
	t := target{selector: kit.Annotation(e, annSelector), namespace: kit.Annotation(e, annNS)}
	if t.selector == "" {
		id := kit.Annotation(e, annID)
		if id == "" {
			return t, false
		}
		t.selector = annID + "=" + id
	}
	return t, true
}

type meta struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
}

type workload struct {
	Kind     string `json:"kind"`
	Metadata meta   `json:"metadata"`
	Spec     struct {
		Replicas *int `json:"replicas"`
		Template struct {
			Spec struct {
				Containers []struct {
					Image string `json:"image"`
				} `json:"containers"`
			} `json:"spec"`
		} `json:"template"`
	} `json:"spec"`
	Status struct {
		ReadyReplicas int `json:"readyReplicas"`
	} `json:"status"`
}

type pod struct {
	Metadata meta `json:"metadata"`
	Status   struct {
		Phase             string `json:"phase"`
		ContainerStatuses []struct {
			Name         string `json:"name"`
			Image        string `json:"image"`
			RestartCount int    `json:"restartCount"`
			State        struct {
				Waiting *struct {
					Reason string `json:"reason"`
				} `json:"waiting"`
			} `json:"state"`
		} `json:"containerStatuses"`
	} `json:"status"`
}

type event struct {
	Type           string `json:"type"`
	Reason         string `json:"reason"`
	Message        string `json:"message"`
	Count          int    `json:"count"`
	LastTimestamp  string `json:"lastTimestamp"`
	EventTime      string `json:"eventTime"`
	InvolvedObject struct {
		Kind string `json:"kind"`
		Name string `json:"name"`
	} `json:"involvedObject"`
}

type client struct {
	cl      clusterConfig
	base    string
	headers map[string]string
}

func newClient(cl clusterConfig) (*client, error) {
	sec := cl.TokenSecret
	if sec == "" {
		sec = "token"
	}
	tok, err := kit.Secret("kubernetes", sec, "for cluster "+cl.Name)
	if err != nil {
		return nil, err
	}
	return &client{cl: cl, base: kit.TrimURL(cl.URL), headers: map[string]string{"Authorization": "Bearer " + tok, "Accept": "application/json"}}, nil
}

// list reads every page of a list (limit/continue), up to maxPages.
func list[T any](c *client, group, resource string, t target, q url.Values) ([]T, bool, error) {
	path := c.base + group
	if t.namespace != "" {
		path += "/namespaces/" + url.PathEscape(t.namespace)
	}
	path += "/" + resource
	q.Set("limit", strconv.Itoa(pageLimit))
	var out []T
	for page := 0; page < maxPages; page++ {
		var r struct {
			Metadata struct {
				Continue string `json:"continue"`
			} `json:"metadata"`
			Items []T `json:"items"`
		}
		if _, err := kit.GetJSON(vendor, resource+" in cluster "+c.cl.Name, path+"?"+q.Encode(), c.headers, &r); err != nil {
			return nil, false, err
		}
		out = append(out, r.Items...)
		if r.Metadata.Continue == "" {
			return out, false, nil
		}
		q.Set("continue", r.Metadata.Continue)
	}
	return out, true, nil
}

type clusterState struct {
	name       string
	workloads  []workload
	pods       []pod
	events     []event
	truncated  bool
	statusErr  *kit.StatusError
	crashLoops []string
}

func readCluster(cl clusterConfig, t target) (*clusterState, error) {
	st := &clusterState{name: cl.Name}
	c, err := newClient(cl)
	if err != nil {
		return nil, err
	}
	sel := url.Values{"labelSelector": {t.selector}}
	var trunc bool
	err = func() error {
		for _, res := range []string{"deployments", "statefulsets"} {
			ws, tr, err := list[workload](c, "/apis/apps/v1", res, t, url.Values{"labelSelector": {t.selector}})
			if err != nil {
				return err
			}
			kind := map[string]string{"deployments": "Deployment", "statefulsets": "StatefulSet"}[res]
			for i := range ws {
				ws[i].Kind = kind
			}
			st.workloads = append(st.workloads, ws...)
			trunc = trunc || tr
		}
		ps, tr, err := list[pod](c, "/api/v1", "pods", t, sel)
		if err != nil {
			return err
		}
		st.pods, trunc = ps, trunc || tr
		evs, _, err := list[event](c, "/api/v1", "events", t, url.Values{"fieldSelector": {"type=Warning"}})
		if err != nil {
			return err
		}
		names := map[string]bool{}
		for _, w := range st.workloads {
			names[w.Metadata.Name] = true
		}
		for _, p := range st.pods {
			names[p.Metadata.Name] = true
		}
		for _, e := range evs {
			if names[e.InvolvedObject.Name] {
				st.events = append(st.events, e)
			}
		}
		sort.SliceStable(st.events, func(i, j int) bool { return evTime(st.events[i]) > evTime(st.events[j]) })
		return nil
	}()
	var se *kit.StatusError
	if errors.As(err, &se) {
		st.statusErr = se
		return st, nil
	}
	if err != nil {
		return nil, err
	}
	st.truncated = trunc
	for _, p := range st.pods {
		for _, cs := range p.Status.ContainerStatuses {
			if cs.State.Waiting != nil && cs.State.Waiting.Reason == "CrashLoopBackOff" {
				st.crashLoops = append(st.crashLoops, p.Metadata.Name+"/"+cs.Name)
			}
		}
	}
	return st, nil
}

func evTime(e event) string {
	if e.LastTimestamp != "" {
		return e.LastTimestamp
	}
	return e.EventTime
}

//go:wasmexport card
func card() int32 { return pdk.HandleCard(render) }

func render(in pdk.CardInput) (pdk.Card, error) {
	t, ok := targetOf(in.Entity)
	if !ok {
		return pdk.Card{}, kit.NotApplicable("entity has neither %s nor %s", annID, annSelector)
	}
	cls, err := clusters()
	if err != nil {
		return pdk.Card{}, err
	}
	now := time.Now()
	card := pdk.Card{Title: title, Status: &pdk.Status{Level: pdk.LevelOK}}
	var notes []string
	worst := 0
	rank := map[string]int{pdk.LevelOK: 0, pdk.LevelInfo: 1, pdk.LevelWarning: 2, pdk.LevelError: 3}
	raise := func(l string) {
		if rank[l] > worst {
			worst = rank[l]
			card.Status.Level = l
		}
	}
	found := false
	for _, cl := range cls {
		st, err := readCluster(cl, t)
		if err != nil {
			return pdk.Card{}, err
		}
		if st.statusErr != nil {
			msg := "token rejected (" + strconv.Itoa(st.statusErr.Status) + "): the operator should check secret " + secretName(cl)
			if st.statusErr.Status == 404 {
				msg = "namespace or API not found (404)"
			}
			card.Fields = append(card.Fields, pdk.Field{Label: cl.Name, Value: msg})
			raise(pdk.LevelError)
			notes = append(notes, cl.Name+": "+msg)
			continue
		}
		if len(st.workloads) == 0 && len(st.pods) == 0 {
			card.Fields = append(card.Fields, pdk.Field{Label: cl.Name, Value: "no workloads match " + t.selector})
			continue
		}
		found = true
		wt := pdk.Table{Title: cl.Name + ": workloads", Columns: []string{"Kind", "Namespace", "Name", "Ready", "Images"}}
		for _, w := range st.workloads {
			desired := 1
			if w.Spec.Replicas != nil {
				desired = *w.Spec.Replicas
			}
			var imgs []string
			for _, ct := range w.Spec.Template.Spec.Containers {
				imgs = append(imgs, ct.Image)
			}
			wt.Rows = append(wt.Rows, []string{w.Kind, w.Metadata.Namespace, w.Metadata.Name, fmt.Sprintf("%d/%d", w.Status.ReadyReplicas, desired), strings.Join(imgs, ", ")})
			if w.Status.ReadyReplicas < desired {
				raise(pdk.LevelWarning)
			}
		}
		phases := map[string]int{}
		restarts := 0
		for _, p := range st.pods {
			phases[p.Status.Phase]++
			for _, cs := range p.Status.ContainerStatuses {
				restarts += cs.RestartCount
			}
		}
		var ph []string
		for _, k := range []string{"Running", "Pending", "Succeeded", "Failed", "Unknown"} {
			if phases[k] > 0 {
				ph = append(ph, fmt.Sprintf("%s %d", k, phases[k]))
			}
		}
		card.Fields = append(card.Fields,
			pdk.Field{Label: cl.Name + " pods", Value: strings.Join(ph, ", ")},
			pdk.Field{Label: cl.Name + " restarts", Value: strconv.Itoa(restarts)})
		if len(st.crashLoops) > 0 {
			card.Fields = append(card.Fields, pdk.Field{Label: cl.Name + " crash-looping", Value: strings.Join(st.crashLoops, ", ")})
			card.Badges = append(card.Badges, pdk.Badge{Label: cl.Name + ": CrashLoopBackOff", Tone: "error"})
			notes = append(notes, fmt.Sprintf("%s: %d crash-looping", cl.Name, len(st.crashLoops)))
			raise(pdk.LevelError)
		}
		if phases["Failed"] > 0 || phases["Pending"] > 0 {
			raise(pdk.LevelWarning)
		}
		if st.truncated {
			card.Badges = append(card.Badges, pdk.Badge{Label: cl.Name + ": first 500 objects only", Tone: "info"})
		}
		card.Tables = append(card.Tables, wt)
		if len(st.events) > 0 {
			et := pdk.Table{Title: cl.Name + ": recent warning events", Columns: []string{"Age", "Object", "Reason", "Count", "Message"}}
			for i, e := range st.events {
				if i == maxEvents {
					break
				}
				et.Rows = append(et.Rows, []string{kit.Since(now, evTime(e)), e.InvolvedObject.Kind + "/" + e.InvolvedObject.Name, e.Reason, strconv.Itoa(e.Count), kit.Truncate(e.Message, 200)})
			}
			card.Tables = append(card.Tables, et)
			raise(pdk.LevelWarning)
		}
	}
	if !found && worst == 0 {
		card.Status.Level = pdk.LevelUnknown
		notes = append(notes, "no workloads found")
	}
	if len(notes) == 0 {
		notes = append(notes, "all workloads ready")
		if worst > 0 {
			notes = []string{"some workloads need attention"}
		}
	}
	card.Status.Text = strings.Join(notes, "; ")
	return card, nil
}

func secretName(cl clusterConfig) string {
	if cl.TokenSecret == "" {
		return "token"
	}
	return cl.TokenSecret
}

//go:wasmexport check
func check() int32 { return pdk.HandleCheck(runCheck) }

func runCheck(in pdk.CheckInput) (pdk.CheckOutput, error) {
	if in.Check != "no-crashloop" {
		return pdk.CheckOutput{}, fmt.Errorf("unknown check %q", in.Check)
	}
	t, ok := targetOf(in.Entity)
	if !ok {
		return pdk.CheckOutput{Result: pdk.Skip, Message: "no " + annID + " or " + annSelector + " annotation"}, nil
	}
	cls, err := clusters()
	if err != nil {
		return pdk.CheckOutput{}, err
	}
	var bad []string
	for _, cl := range cls {
		st, err := readCluster(cl, t)
		if err != nil {
			return pdk.CheckOutput{}, err
		}
		if st.statusErr != nil {
			return pdk.CheckOutput{}, fmt.Errorf("cluster %s: %w", cl.Name, st.statusErr)
		}
		for _, c := range st.crashLoops {
			bad = append(bad, cl.Name+":"+c)
		}
	}
	if len(bad) > 0 {
		return pdk.CheckOutput{Result: pdk.Fail, Message: "crash-looping: " + strings.Join(bad, ", ")}, nil
	}
	return pdk.CheckOutput{Result: pdk.Pass, Message: "no container is in CrashLoopBackOff"}, nil
}

func main() {}
