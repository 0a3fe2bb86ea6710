package kit

import (
	"encoding/json"
	"reflect"
	"testing"
)

// The request document is valid JSON that reads back as written, whatever
// the URL and headers hold.
func TestRequestMeta(t *testing.T) {
	headers := map[string]string{"Authorization": "Bearer a\"b\\c", "X-Ctl": "tab\there\x01\x7f", "Ünï": "çødé ✓"}
	url := "https://example.com/api?q=\"x\"&n=\n"
	var got struct {
		URL     string            `json:"url"`
		Method  string            `json:"method"`
		Headers map[string]string `json:"headers"`
	}
	b := requestMeta("POST", url, headers)
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	if got.URL != url || got.Method != "POST" || !reflect.DeepEqual(got.Headers, headers) {
		t.Fatalf("read back %+v from %s", got, b)
	}
	var none map[string]any
	if err := json.Unmarshal(requestMeta("GET", "u", nil), &none); err != nil || len(none["headers"].(map[string]any)) != 0 {
		t.Fatalf("no headers: %+v %v", none, err)
	}
}
