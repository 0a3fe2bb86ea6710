package upstreams

import (
	"fmt"
	"hash/fnv"
	"strings"
	"time"
)

// service is one demo catalog component with the annotations the plugins read.
type service struct {
	Name, Namespace, PagerDutyID, GitHub, GitLab, K8sID, LabelSelector string
}

// demoServices mirrors the annotations of examples/catalog (pagerduty.com/service-id,
// backstage.io/kubernetes-*, github.com/ and gitlab.com/project-slug).
var demoServices = []service{
	{"account-web", "web", "P9W1HJX", "acme-streaming/account-web", "", "account-web", ""},
	{"artwork-service", "content", "", "acme-streaming/artwork-service", "", "artwork-service", ""},
	{"catalog-db", "", "", "", "", "catalog-db", ""},
	{"catalog-service", "content", "PHGZAZP", "acme-streaming/catalog-service", "", "catalog-service", ""},
	{"content-admin-gateway", "content", "PD1D99P", "acme-streaming/content-admin-gateway", "", "content-admin-gateway", ""},
	{"content-admin-web", "content", "PNSTDE9", "acme-streaming/content-admin-web", "", "content-admin-web", ""},
	{"developer-portal", "platform", "", "acme-streaming/developer-portal", "", "developer-portal", ""},
	{"entitlements-service", "subscriber", "P0KX0QH", "acme-streaming/entitlements-service", "", "entitlements-service", ""},
	{"events-router", "data", "PJAQ9V6", "acme-streaming/events-router", "", "events-router", ""},
	{"feature-flags-service", "platform", "P5DN4PP", "acme-streaming/feature-flags-service", "", "feature-flags-service", ""},
	{"go-service-kit", "", "", "acme-streaming/go-service-kit", "", "", ""},
	{"identity-service", "identity", "PWL20LD", "acme-streaming/identity-service", "", "identity-service", ""},
	{"legacy-ftp-ingest", "default", "PT4RRKH", "", "media/legacy-ftp-ingest", "legacy-ftp-ingest", ""},
	{"legacy-playback-gateway", "playback", "P6GL0GU", "acme-streaming/legacy-playback-gateway", "", "legacy-playback-gateway", ""},
	{"license-service", "playback", "PNC0AQK", "acme-streaming/license-service", "", "license-service", ""},
	{"media-ingest-service", "media", "PR6TH6Q", "", "media/media-ingest-service", "media-ingest-service", ""},
	{"media-toolkit", "", "", "", "media/media-toolkit", "", ""},
	{"packager", "media", "PSWCE2L", "", "media/packager", "packager", ""},
	{"playback-events-topic", "data", "", "", "", "playback-events-topic", ""},
	{"playback-service", "playback", "PP3ANZ5", "acme-streaming/playback-service", "", "playback-service", ""},
	{"player-android", "", "", "acme-streaming/player-android", "", "", ""},
	{"player-web-sdk", "", "", "acme-streaming/player-web-sdk", "", "", ""},
	{"recommendations-service", "subscriber", "", "acme-streaming/recommendations-service", "", "recommendations-service", ""},
	{"search-indexer", "content", "PS8NNPA", "acme-streaming/search-indexer", "", "search-indexer", "app.kubernetes.io/name=search-indexer,app.kubernetes.io/part-of=search"},
	{"search-service", "content", "PHKGXEZ", "acme-streaming/search-service", "", "search-service", ""},
	{"session-cache", "playback", "", "", "", "session-cache", ""},
	{"storefront-bff", "web", "P4YB6KR", "acme-streaming/storefront-bff", "", "storefront-bff", ""},
	{"storefront-web", "web", "PKTFP42", "acme-streaming/storefront-web", "", "storefront-web", ""},
	{"subscriber-db", "subscriber", "", "", "", "subscriber-db", ""},
	{"subscriptions-service", "subscriber", "P7SFGSH", "acme-streaming/subscriptions-service", "", "subscriptions-service", ""},
	{"telemetry-collector", "playback", "P1SGX8V", "acme-streaming/telemetry-collector", "", "telemetry-collector", "app=telemetry-collector"},
	{"transcoder", "media", "P7Z7PHN", "", "media/transcoder", "transcoder", ""},
	{"transcoder-worker", "media", "P4QLPB5", "", "media/transcoder-worker", "transcoder-worker", "app.kubernetes.io/name=transcoder-worker"},
	{"warehouse-loader", "data", "P6ZLXG6", "acme-streaming/warehouse-loader", "", "warehouse-loader", ""},
}

// Seeded with character: license-service is on fire (incidents, firing
// alerts, a crash-looping pod, red CI on main); playback-service has many
// incidents (pagination); stateful names get StatefulSets.
const (
	hotService  = "license-service"
	busyService = "playback-service"
)

type seed struct {
	pd  pdData
	gf  gfData
	k8s map[string]*cluster
	gh  map[string]*ghRepo // "owner/repo"
	gl  map[string]*glProject
}

func hash(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32()
}

func newSeed(base time.Time, clusters []string) *seed {
	sd := &seed{k8s: map[string]*cluster{}, gh: map[string]*ghRepo{}, gl: map[string]*glProject{}}
	ago := func(d time.Duration) string { return base.Add(-d).UTC().Format(time.RFC3339) }
	sd.pd = seedPagerDuty(ago)
	sd.gf = seedGrafana()
	for i, c := range clusters {
		sd.k8s[c] = seedCluster(c, i, ago)
	}
	for _, svc := range demoServices {
		if svc.GitHub != "" {
			sd.gh[strings.ToLower(svc.GitHub)] = seedGitHub(svc, base)
		}
		if svc.GitLab != "" {
			sd.gl[svc.GitLab] = seedGitLab(svc, base)
		}
	}
	return sd
}

var people = []struct{ ID, Name, Email string }{
	{"PU1A2B3", "Ada Lovelace", "ada@acmestreaming.example"},
	{"PU2C3D4", "Grace Hopper", "grace@acmestreaming.example"},
	{"PU3E4F5", "Alan Turing", "alan@acmestreaming.example"},
	{"PU4G5H6", "Katherine Johnson", "katherine@acmestreaming.example"},
	{"PU5J6K7", "Edsger Dijkstra", "edsger@acmestreaming.example"},
	{"PU6L7M8", "Barbara Liskov", "barbara@acmestreaming.example"},
}

func titleOf(name string) string {
	parts := strings.Split(name, "-")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, " ")
}

func shortSHA(name string, i int) string {
	return fmt.Sprintf("%08x%032x", hash(name)+uint32(i), i*7919)[:40]
}
