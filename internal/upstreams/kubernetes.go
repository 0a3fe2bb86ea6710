package upstreams

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Kubernetes API (https://kubernetes.io/docs/reference/kubernetes-api/):
// apps/v1 deployments and statefulsets, core/v1 pods and events, namespaced
// (/apis/apps/v1/namespaces/{ns}/deployments) or cluster-wide
// (/apis/apps/v1/deployments), with labelSelector (equality-based: k=v, k!=v,
// k), fieldSelector type=Warning for events, and limit/continue chunking.
// Served under /k8s/{cluster}. Auth: `Authorization: Bearer <token>`; errors are
// metav1.Status objects.

type object struct {
	Namespace, Name string
	Labels          map[string]string
	Doc             map[string]any
}

type cluster struct {
	name      string
	resources map[string][]object // deployments, statefulsets, pods, events
}

var statefulNames = map[string]bool{"catalog-db": true, "subscriber-db": true, "session-cache": true, "playback-events-topic": true}

func seedCluster(name string, idx int, ago func(time.Duration) string) *cluster {
	c := &cluster{name: name, resources: map[string][]object{}}
	for _, svc := range demoServices {
		if svc.K8sID == "" {
			continue
		}
		ns := svc.Namespace
		if ns == "" {
			ns = "default"
		}
		labels := map[string]string{"backstage.io/kubernetes-id": svc.K8sID, "app": svc.Name, "app.kubernetes.io/name": svc.Name}
		if strings.HasPrefix(svc.Name, "search") {
			labels["app.kubernetes.io/part-of"] = "search"
		}
		h := hash(svc.Name + name)
		replicas := 2 + int(h%3)
		if svc.Name == "transcoder-worker" {
			replicas = 120 // a worker fleet: pod lists take more than one page
		}
		image := fmt.Sprintf("registry.acmestreaming.example/%s:1.%d.%d", svc.Name, 4+h%7, h%13)
		kind, res := "Deployment", "deployments"
		if statefulNames[svc.Name] {
			kind, res = "StatefulSet", "statefulsets"
			image = fmt.Sprintf("docker.io/library/postgres:16.%d", h%5)
			if svc.Name == "session-cache" {
				image = "docker.io/library/redis:7.4.1"
			}
		}
		crash := svc.Name == hotService && idx == 0
		ready := replicas
		if crash {
			ready = replicas - 1
		}
		meta := func(n string, lbl map[string]string) map[string]any {
			return map[string]any{"name": n, "namespace": ns, "labels": lbl, "uid": fmt.Sprintf("%08x-0000-4000-8000-%012x", hash(n), h),
				"creationTimestamp": ago(240 * time.Hour)}
		}
		status := map[string]any{"replicas": replicas, "readyReplicas": ready, "availableReplicas": ready, "updatedReplicas": replicas}
		if kind == "StatefulSet" {
			status["currentReplicas"] = replicas
		}
		c.add(res, ns, svc.Name, labels, map[string]any{
			"apiVersion": "apps/v1", "kind": kind, "metadata": meta(svc.Name, labels),
			"spec": map[string]any{"replicas": replicas, "selector": map[string]any{"matchLabels": map[string]string{"app": svc.Name}},
				"template": map[string]any{"metadata": map[string]any{"labels": labels},
					"spec": map[string]any{"containers": []any{map[string]any{"name": svc.Name, "image": image}}}}},
			"status": status,
		})
		for i := 0; i < replicas; i++ {
			pod := fmt.Sprintf("%s-%x-%c%c%c%c%c", svc.Name, h%0xfffff, 'a'+rune(i), 'b'+rune(h%20), 'c', 'd'+rune(i), 'e')
			if kind == "StatefulSet" {
				pod = fmt.Sprintf("%s-%d", svc.Name, i)
			}
			cs := map[string]any{"name": svc.Name, "image": image, "ready": true, "restartCount": int(h>>uint(i)) % 2,
				"state": map[string]any{"running": map[string]any{"startedAt": ago(30 * time.Hour)}}}
			phase := "Running"
			if crash && i == 0 {
				cs = map[string]any{"name": svc.Name, "image": image, "ready": false, "restartCount": 27,
					"state":     map[string]any{"waiting": map[string]any{"reason": "CrashLoopBackOff", "message": "back-off 5m0s restarting failed container"}},
					"lastState": map[string]any{"terminated": map[string]any{"exitCode": 1, "reason": "Error"}}}
			}
			c.add("pods", ns, pod, labels, map[string]any{
				"apiVersion": "v1", "kind": "Pod", "metadata": meta(pod, labels),
				"spec":   map[string]any{"containers": []any{map[string]any{"name": svc.Name, "image": image}}, "nodeName": fmt.Sprintf("%s-node-%d", name, i)},
				"status": map[string]any{"phase": phase, "containerStatuses": []any{cs}, "startTime": ago(30 * time.Hour)},
			})
			if crash && i == 0 {
				ev := pod + ".17a1b2c3d4e5f6a7"
				c.add("events", ns, ev, nil, map[string]any{
					"apiVersion": "v1", "kind": "Event", "metadata": meta(ev, nil), "type": "Warning", "reason": "BackOff",
					"message": "Back-off restarting failed container " + svc.Name + " in pod " + pod, "count": 27,
					"involvedObject": map[string]any{"kind": "Pod", "name": pod, "namespace": ns},
					"firstTimestamp": ago(2*time.Hour + 10*time.Minute), "lastTimestamp": ago(3 * time.Minute),
				})
			}
		}
		if svc.Name == busyService {
			ev := svc.Name + ".17a1b2c3d4e5f6b8"
			c.add("events", ns, ev, nil, map[string]any{
				"apiVersion": "v1", "kind": "Event", "metadata": meta(ev, nil), "type": "Warning", "reason": "Unhealthy",
				"message": "Readiness probe failed: HTTP probe failed with statuscode: 503", "count": 4,
				"involvedObject": map[string]any{"kind": "Pod", "name": svc.Name, "namespace": ns},
				"firstTimestamp": ago(50 * time.Minute), "lastTimestamp": ago(12 * time.Minute),
			})
		}
		// A Normal event every workload has; the plugins list warnings only.
		ev := svc.Name + ".17a1b2c3d4e5f6c9"
		c.add("events", ns, ev, nil, map[string]any{
			"apiVersion": "v1", "kind": "Event", "metadata": meta(ev, nil), "type": "Normal", "reason": "ScalingReplicaSet",
			"message": "Scaled up replica set", "count": 1, "involvedObject": map[string]any{"kind": kind, "name": svc.Name, "namespace": ns},
			"firstTimestamp": ago(240 * time.Hour), "lastTimestamp": ago(240 * time.Hour),
		})
	}
	return c
}

func (c *cluster) add(res, ns, name string, labels map[string]string, doc map[string]any) {
	// Events are selected by involvedObject, not labels; they carry the
	// workload's labels here only so a labelSelector can narrow them in tests.
	c.resources[res] = append(c.resources[res], object{Namespace: ns, Name: name, Labels: labels, Doc: doc})
}

var listKinds = map[string][2]string{
	"deployments": {"apps/v1", "DeploymentList"}, "statefulsets": {"apps/v1", "StatefulSetList"},
	"pods": {"v1", "PodList"}, "events": {"v1", "EventList"},
}

func (s *Server) routeKubernetes() {
	for _, p := range []string{
		"GET /k8s/{cluster}/apis/apps/v1/namespaces/{ns}/{res}", "GET /k8s/{cluster}/apis/apps/v1/{res}",
		"GET /k8s/{cluster}/api/v1/namespaces/{ns}/{res}", "GET /k8s/{cluster}/api/v1/{res}",
	} {
		core := strings.Contains(p, "/api/v1/")
		s.mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) { s.k8sList(w, r, core) })
	}
}

func (s *Server) k8sList(w http.ResponseWriter, r *http.Request, core bool) {
	if !s.authorized(w, r, Kubernetes) {
		return
	}
	c := s.data.k8s[r.PathValue("cluster")]
	res := r.PathValue("res")
	kinds, ok := listKinds[res]
	if c == nil || !ok || core != (kinds[0] == "v1") {
		writeJSON(w, 404, vendorError(Kubernetes, 404))
		return
	}
	q := r.URL.Query()
	sel, err := parseSelector(q.Get("labelSelector"))
	if err != nil {
		st := vendorError(Kubernetes, 400).(map[string]any)
		st["message"] = "unable to parse requirement: " + err.Error()
		writeJSON(w, 400, st)
		return
	}
	fieldType := ""
	if fs := q.Get("fieldSelector"); fs != "" {
		if v, ok := strings.CutPrefix(fs, "type="); ok && res == "events" {
			fieldType = v
		} else {
			writeJSON(w, 400, vendorError(Kubernetes, 400))
			return
		}
	}
	ns := r.PathValue("ns")
	var all []any
	for _, o := range c.resources[res] {
		if (ns != "" && o.Namespace != ns) || !sel.matches(o.Labels) {
			continue
		}
		if fieldType != "" && o.Doc["type"] != fieldType {
			continue
		}
		all = append(all, o.Doc)
	}
	offset := 0
	if cont := q.Get("continue"); cont != "" {
		b, err := base64.RawURLEncoding.DecodeString(cont)
		n, err2 := strconv.Atoi(strings.TrimPrefix(string(b), "off:"))
		if err != nil || err2 != nil || n < 0 || n > len(all) {
			st := vendorError(Kubernetes, 410).(map[string]any)
			st["message"] = "The provided continue parameter is too old to display a consistent list result."
			st["reason"] = "Expired"
			writeJSON(w, 410, st)
			return
		}
		offset = n
	}
	limit := intParam(r, "limit", len(all)+1, 1<<20)
	end := min(offset+limit, len(all))
	meta := map[string]any{"resourceVersion": "123456"}
	if end < len(all) {
		meta["continue"] = base64.RawURLEncoding.EncodeToString([]byte("off:" + strconv.Itoa(end)))
		meta["remainingItemCount"] = len(all) - end
	}
	items := []any{}
	if offset < len(all) {
		items = all[offset:end]
	}
	writeJSON(w, 200, map[string]any{"apiVersion": kinds[0], "kind": kinds[1], "metadata": meta, "items": items})
}

type requirement struct {
	key, op, val string
}

type selector []requirement

func parseSelector(s string) (selector, error) {
	var sel selector
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		switch {
		case strings.Contains(part, "!="):
			k, v, _ := strings.Cut(part, "!=")
			sel = append(sel, requirement{strings.TrimSpace(k), "!=", strings.TrimSpace(v)})
		case strings.Contains(part, "="):
			k, v, _ := strings.Cut(part, "=")
			sel = append(sel, requirement{strings.TrimSpace(k), "=", strings.TrimPrefix(strings.TrimSpace(v), "=")})
		case strings.HasPrefix(part, "!"):
			sel = append(sel, requirement{part[1:], "!", ""})
		case strings.ContainsAny(part, " ()"):
			return nil, fmt.Errorf("set-based requirement %q is not supported by the simulator", part)
		default:
			sel = append(sel, requirement{part, "exists", ""})
		}
	}
	return sel, nil
}

func (sel selector) matches(labels map[string]string) bool {
	for _, rq := range sel {
		v, ok := labels[rq.key]
		switch rq.op {
		case "=":
			if !ok || v != rq.val {
				return false
			}
		case "!=":
			if ok && v == rq.val {
				return false
			}
		case "!":
			if ok {
				return false
			}
		case "exists":
			if !ok {
				return false
			}
		}
	}
	return true
}
