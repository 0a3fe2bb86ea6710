package catalog

import "testing"

func TestReverseRelation(t *testing.T) {
	pairs := [][2]string{{RelationOwnedBy, RelationOwnerOf}, {RelationConsumesAPI, RelationAPIConsumedBy},
		{RelationProvidesAPI, RelationAPIProvidedBy}, {RelationDependsOn, RelationDependencyOf},
		{RelationParentOf, RelationChildOf}, {RelationMemberOf, RelationHasMember}, {RelationPartOf, RelationHasPart}}
	for _, p := range pairs {
		for _, d := range [][2]string{p, {p[1], p[0]}} {
			if got, ok := ReverseRelation(d[0]); !ok || got != d[1] {
				t.Errorf("ReverseRelation(%s) = %q, %v; want %s", d[0], got, ok, d[1])
			}
		}
	}
	if got, ok := ReverseRelation("custom"); ok {
		t.Errorf("ReverseRelation(custom) = %q, true", got)
	}
	// Every pair EmitRelations writes is a type and its reverse.
	e := &Entity{APIVersion: "backstage.io/v1alpha1", Kind: "Component", Metadata: Metadata{Name: "c"},
		Spec: map[string]any{"owner": "g", "system": "s", "dependsOn": []any{"component:d"}, "providesApis": []any{"a"}}}
	rows, _ := EmitRelations(e)
	for i := 0; i < len(rows); i += 2 {
		if rev, _ := ReverseRelation(rows[i].Type); rev != rows[i+1].Type || rows[i].Source != rows[i+1].Target || rows[i].Target != rows[i+1].Source {
			t.Errorf("rows %v and %v are not a pair", rows[i], rows[i+1])
		}
	}
}
