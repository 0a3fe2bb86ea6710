package host_test

import (
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The collate export's schemas (added to ABI 1 with the export) agree with
// the host's rules on real-looking documents.
func TestCollateSchemas(t *testing.T) {
	schema := abiSchemas(t)
	validate(t, schema("collate.input.json"), []byte(`{"abi":1,"plugin":{"name":"pagerduty","version":"1.0.0"},"collate":{"limit":500,"cursor":"incidents:100"}}`), "collate input")
	validate(t, schema("collate.output.json"), []byte(`{"abi":1,"documents":[
		{"id":"service:PNC0AQK","type":"service","title":"License Service (PagerDuty service)","text":"critical","location":"https://acme.pagerduty.com/service-directory/PNC0AQK","entityRef":"component:default/license-service","fields":{"status":"critical"}},
		{"id":"incident:Q1","title":"#1 Down","entityRef":"component:default/license-service"},
		{"id":"x","title":"Portal page","location":"/catalog/default/component/x"}],"next":"incidents:0"}`), "collate output")
	validate(t, schema("collate.output.json"), []byte(`{"abi":1,"documents":null}`), "collate output, null list")
	validate(t, schema("host.portico_search_v1.request.json"), []byte(`{"abi":1,"term":"x","types":["plugin:pagerduty"]}`), "search request with types")
	validate(t, schema("host.portico_search_v1.response.json"), []byte(`{"abi":1,"results":[{"ref":"","kind":"","title":"#1 Down","type":"plugin:pagerduty","location":"https://x"}]}`), "search response with a plugin document")
	for name, doc := range map[string]string{
		"no title":       `{"abi":1,"documents":[{"id":"a","location":"/x"}]}`,
		"no location":    `{"abi":1,"documents":[{"id":"a","title":"A"}]}`,
		"bad location":   `{"abi":1,"documents":[{"id":"a","title":"A","location":"javascript:x"}]}`,
		"bad type":       `{"abi":1,"documents":[{"id":"a","title":"A","location":"/x","type":"Bad Type"}]}`,
		"reserved field": `{"abi":1,"documents":[{"id":"a","title":"A","location":"/x","fields":{"title":"t"}}]}`,
		"no documents":   `{"abi":1}`,
	} {
		v, _ := jsonschema.UnmarshalJSON(strings.NewReader(doc))
		if schema("collate.output.json").Validate(v) == nil {
			t.Errorf("collate.output.json accepts a document with %s", name)
		}
	}
}
