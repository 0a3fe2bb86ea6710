package storetest

import (
	"math/rand"
	"os"
	"strconv"
	"testing"

	"github.com/portico-dev/portico/catalog"
)

// BenchSize is a benchmark's catalog size: the positive integer in the
// environment variable env, 100,000 when it is unset.
func BenchSize(b *testing.B, env string) int {
	if v := os.Getenv(env); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("%s=%q: want a positive integer", env, v)
		}
		return n
	}
	return 100_000
}

// Generate returns n varied, deterministic entities (kinds, namespaces, mixed
// case values, tags, labels, annotations, missing fields, relations) for
// oracle tests and benchmarks. Entities come with their relation rows.
func Generate(seed int64, n int) []catalog.Processed {
	rng := rand.New(rand.NewSource(seed))
	kinds := []string{"Component", "Component", "Component", "API", "Resource", "System", "Group", "User"}
	types := []string{"service", "Service", "website", "library", "Production-DB", ""}
	lifecycles := []string{"production", "experimental", "deprecated", ""}
	tagPool := []string{"java", "go", "Python", "data", "frontend", "critical"}
	nss := []string{"", "", "", "Other", "platform"}
	out := make([]catalog.Processed, 0, n)
	for i := 0; i < n; i++ {
		kind := kinds[rng.Intn(len(kinds))]
		name := []string{"svc", "web", "lib", "user", "team", "db"}[rng.Intn(6)] + "-" + itoa(i)
		if rng.Intn(7) == 0 {
			name = "Mixed-" + name
		}
		e := E(kind, nss[rng.Intn(len(nss))], name)
		e.Spec = map[string]any{}
		if t := types[rng.Intn(len(types))]; t != "" {
			e.Spec["type"] = t
		}
		if lc := lifecycles[rng.Intn(len(lifecycles))]; lc != "" {
			e.Spec["lifecycle"] = lc
		}
		owner := "group:default/team-" + []string{"a", "b", "c", "d"}[rng.Intn(4)]
		if rng.Intn(5) > 0 {
			e.Spec["owner"] = owner
		}
		if rng.Intn(3) == 0 {
			var tags []string
			for _, tg := range tagPool {
				if rng.Intn(3) == 0 {
					tags = append(tags, tg)
				}
			}
			e.Metadata.Tags = tags
		}
		if rng.Intn(4) == 0 {
			e.Metadata.Labels = map[string]string{"tier": itoa(rng.Intn(3)), "Env": []string{"Prod", "dev"}[rng.Intn(2)]}
		}
		if rng.Intn(2) == 0 {
			e.Metadata.Description = []string{"Handles PAYMENTS", "the search frontend", "A data pipeline", "legacy thing"}[rng.Intn(4)]
		}
		e.Metadata.Annotations = map[string]string{catalog.AnnotationManagedByLocation: "url:https://example.com/gen/" + itoa(i%10) + ".yaml"}
		if rng.Intn(3) == 0 {
			e.Metadata.Annotations["github.com/project-slug"] = "acme/" + name
		}
		if rng.Intn(10) == 0 {
			e.Spec["ports"] = []any{float64(80 + rng.Intn(3)), true}
		}
		if rng.Intn(12) == 0 {
			e.Spec["nothing"] = nil
			e.Spec["empty"] = map[string]any{}
		}
		r := e.Ref().String()
		p := catalog.Processed{Entity: e}
		if _, ok := e.Spec["owner"]; ok {
			p.Relations = append(p.Relations,
				catalog.RelationRow{Source: r, Type: "ownedBy", Target: owner},
				catalog.RelationRow{Source: owner, Type: "ownerOf", Target: r})
		}
		if rng.Intn(3) == 0 {
			sys := "system:default/sys-" + itoa(rng.Intn(5))
			p.Relations = append(p.Relations,
				catalog.RelationRow{Source: r, Type: "partOf", Target: sys},
				catalog.RelationRow{Source: sys, Type: "hasPart", Target: r})
		}
		out = append(out, p)
	}
	return out
}
