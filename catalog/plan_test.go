package catalog

import (
	"errors"
	"strings"
	"testing"
)

func planEntity(kind, name, source string) *Entity {
	e := &Entity{APIVersion: "backstage.io/v1alpha1", Kind: kind, Metadata: Metadata{Name: name}}
	if source != "" {
		e.Metadata.Annotations = map[string]string{AnnotationManagedByLocation: source}
	}
	return e
}

func TestPlanApply(t *testing.T) {
	stored := map[string]*StoredEntity{
		"component:default/same":    {ID: 1, UID: "u1", Ref: "component:default/same", LocationID: "L", Hash: "h1"},
		"component:default/changed": {ID: 2, UID: "u2", Ref: "component:default/changed", LocationID: "L", Hash: "old"},
		"component:default/gone":    {ID: 3, UID: "u3", Ref: "component:default/gone", LocationID: "L", Hash: "x"},
		"component:default/kept":    {ID: 4, UID: "u4", Ref: "component:default/kept", LocationID: "L", SourceKey: "url:k", Hash: "x"},
		"component:default/theirs":  {ID: 5, UID: "u5", Ref: "component:default/theirs", LocationID: "M", Hash: "x"},
		"component:default/dead":    {ID: 6, UID: "u6", Ref: "component:default/dead", LocationID: "D", Hash: "x"},
		"component:default/invalid": {ID: 7, UID: "u7", Ref: "component:default/invalid", LocationID: "L", Hash: "x"},
		"component:default/orphan":  {ID: 8, UID: "u8", Ref: "component:default/orphan", LocationID: "L", Hash: "x", Orphan: true},
	}
	a := Apply{LocationID: "L", KeepSources: []string{"url:k"}, Entities: []Processed{
		{Entity: planEntity("Component", "Same", ""), Hash: "h1"},
		{Entity: planEntity("Component", "changed", ""), Hash: "new"},
		{Entity: planEntity("Component", "new", ""), Hash: "n", Relations: []RelationRow{{Source: "Component:default/New", Type: "ownedBy", Target: "group:default/g"}}},
		{Entity: planEntity("Component", "theirs", "url:mine"), Hash: "t"},
		{Entity: planEntity("Component", "dead", ""), Hash: "d"},
		{Entity: planEntity("Component", "invalid", ""), KeepPrevious: true, Errors: []ProcessingError{{Name: "InputError", Message: "x"}}},
		{Entity: planEntity("Component", "unknown", ""), KeepPrevious: true, Errors: []ProcessingError{{Name: "InputError", Message: "x"}}},
		{Entity: planEntity("Component", "new", ""), Hash: "dup"},
	}}
	alive := func(id string) bool { return id == "L" || id == "M" }
	p, err := PlanApply(PlanInput{Apply: a, Stored: stored, LocationAlive: alive, Describe: func(id string) string { return "loc-" + id }})
	if err != nil {
		t.Fatal(err)
	}
	byRef := map[string]EntityWrite{}
	for _, w := range p.Writes {
		byRef[w.Ref] = w
	}
	if len(p.Writes) != 4 {
		t.Fatalf("writes: %+v", p.Writes)
	}
	if w := byRef["component:default/changed"]; w.Prev == nil || w.UID != "u2" || w.Hash != "new" {
		t.Fatalf("changed: %+v", w)
	}
	if w := byRef["component:default/new"]; w.Prev != nil || w.UID == "" || len(w.Relations) != 1 || w.Relations[0].Source != "component:default/new" {
		t.Fatalf("new: %+v", w)
	}
	if w := byRef["component:default/dead"]; w.Prev == nil || w.Prev.LocationID != "D" {
		t.Fatalf("take-over from a dead location: %+v", w)
	}
	if w := byRef["component:default/invalid"]; !w.KeepBody || w.Errors == "" {
		t.Fatalf("keep previous: %+v", w)
	}
	if p.Unchanged != 1 {
		t.Fatalf("unchanged: %d", p.Unchanged)
	}
	if len(p.Conflicts) != 2 || !strings.Contains(p.Conflicts[0].Message+p.Conflicts[1].Message, "loc-M") {
		t.Fatalf("conflicts: %+v", p.Conflicts)
	}
	var orphans []string
	for _, o := range p.Orphan {
		orphans = append(orphans, o.Ref)
	}
	if strings.Join(orphans, ",") != "component:default/gone" {
		t.Fatalf("orphans (kept source and existing orphan excluded): %v", orphans)
	}
	r := p.Result()
	if r.Added != 1 || r.Updated != 3 || r.Unchanged != 1 || r.Orphaned != 1 || len(p.LocationErrors) != 2 {
		t.Fatalf("result: %+v", r)
	}
	a.OrphanStrategy = OrphanDelete
	p, _ = PlanApply(PlanInput{Apply: a, Stored: stored, LocationAlive: alive})
	if len(p.Delete) != 2 || len(p.Orphan) != 0 {
		t.Fatalf("delete strategy: %+v %+v", p.Delete, p.Orphan)
	}
	_, err = PlanApply(PlanInput{Apply: Apply{LocationID: "L", Entities: []Processed{{}}}})
	var ie *InputError
	if !errors.As(err, &ie) {
		t.Fatalf("nil entity: %v", err)
	}
}

func TestChangedRelationSources(t *testing.T) {
	old := []RelationRow{{"a", "ownedBy", "g1"}, {"g1", "ownerOf", "a"}, {"a", "partOf", "s"}}
	nw := []RelationRow{{"a", "ownedBy", "g2"}, {"g2", "ownerOf", "a"}, {"a", "partOf", "s"}}
	if got := strings.Join(ChangedRelationSources(old, nw), ","); got != "a,g1,g2" {
		t.Fatalf("changed: %s", got)
	}
	if got := ChangedRelationSources(old, old); len(got) != 0 {
		t.Fatalf("unchanged rows: %v", got)
	}
	if got := GeneratedLocationRef("url", "https://example.com/catalog-info.yaml"); got != "location:default/generated-94fde8d1a3274d54a87afa4868abb452412d59c6" {
		t.Fatalf("generated location ref: %s", got)
	}
}
