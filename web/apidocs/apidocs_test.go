package apidocs_test

import (
	"strings"
	"testing"

	"github.com/portico-dev/portico/web/apidocs"
)

func find(d *apidocs.Doc, section, name string) *apidocs.Item {
	for _, s := range d.Sections {
		if s.Title != section {
			continue
		}
		for i := range s.Items {
			if s.Items[i].Name == name {
				return &s.Items[i]
			}
		}
	}
	return nil
}

func TestOpenAPI3(t *testing.T) {
	d, err := apidocs.Render("openapi", `
openapi: 3.1.0
info: {title: Pets, version: "2"}
paths:
  /pets/{id}:
    parameters: [{name: id, in: path, required: true, schema: {type: integer, format: int64}}]
    get:
      summary: Find a pet
      parameters: [{name: fields, in: query, schema: {type: array, items: {type: string}}}]
      responses: {"200": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/Pet"}}}}}
    post:
      requestBody: {content: {application/json: {schema: {$ref: "#/components/schemas/Pet"}}}}
      responses: {"201": {description: created}}
components:
  schemas:
    Pet: {type: object, required: [name], properties: {name: {type: string}, tags: {type: array, items: {$ref: "#/components/schemas/Tag"}}}}
`)
	if err != nil {
		t.Fatal(err)
	}
	if d.Format != "OpenAPI 3.1.0" || d.Title != "Pets" || d.Version != "2" {
		t.Fatalf("head %+v", d)
	}
	op := find(d, "Operations", "/pets/{id}")
	if op == nil || op.Method != "GET" || op.Summary != "Find a pet" || len(op.Params) != 2 || op.Params[0].Type != "integer (int64)" || !op.Params[0].Required || op.Params[1].Type != "array of string" {
		t.Fatalf("get op %+v", op)
	}
	if !strings.Contains(op.Response, "200 ok (application/json Pet)") {
		t.Fatalf("response %q", op.Response)
	}
	pet := find(d, "Schemas", "Pet")
	if pet == nil || len(pet.Fields) != 2 || pet.Fields[0].Name != "name" || !pet.Fields[0].Required || pet.Fields[1].Type != "array of Tag" {
		t.Fatalf("schema %+v", pet)
	}
}

func TestSwagger2(t *testing.T) {
	d, err := apidocs.Render("openapi", `{"swagger":"2.0","info":{"title":"Old","version":"1"},"paths":{"/x":{"get":{"operationId":"getX","parameters":[{"name":"q","in":"query","type":"string"}],"responses":{"200":{"description":"ok","schema":{"$ref":"#/definitions/X"}}}}}},"definitions":{"X":{"properties":{"a":{"type":"integer"}}}}}`)
	if err != nil {
		t.Fatal(err)
	}
	op := find(d, "Operations", "/x")
	if d.Format != "OpenAPI 2.0 (Swagger)" || op == nil || op.Summary != "getX" || op.Params[0].Type != "string" || op.Response != "200 ok (X)" || find(d, "Schemas", "X") == nil {
		t.Fatalf("%+v %+v", d, op)
	}
}

func TestAsyncAPI(t *testing.T) {
	v2, err := apidocs.Render("asyncapi", `
asyncapi: 2.6.0
info: {title: Events, version: 1.0.0}
channels:
  user/signedup:
    subscribe:
      summary: A user signed up
      message: {$ref: "#/components/messages/SignedUp"}
components:
  messages:
    SignedUp: {payload: {type: object, properties: {id: {type: string}}}}
`)
	if err != nil {
		t.Fatal(err)
	}
	op := find(v2, "Operations", "user/signedup")
	if op == nil || op.Method != "subscribe" || op.Request != "SignedUp" || len(op.Fields) != 1 || find(v2, "Messages", "SignedUp") == nil {
		t.Fatalf("v2 %+v", op)
	}
	v3, err := apidocs.Render("asyncapi", `
asyncapi: 3.0.0
info: {title: Events, version: 1.0.0}
channels:
  signedUp: {address: user.signedup, messages: {SignedUp: {$ref: "#/components/messages/SignedUp"}}}
operations:
  onSignedUp: {action: receive, channel: {$ref: "#/channels/signedUp"}, messages: [{$ref: "#/channels/signedUp/messages/SignedUp"}]}
components:
  messages:
    SignedUp: {name: SignedUp, payload: {type: object}}
`)
	if err != nil {
		t.Fatal(err)
	}
	op = find(v3, "Operations", "user.signedup")
	if op == nil || op.Method != "receive" || op.Request != "SignedUp" || find(v3, "Channels", "user.signedup") == nil {
		t.Fatalf("v3 %+v %+v", op, v3.Sections)
	}
}

func TestGraphQL(t *testing.T) {
	d, err := apidocs.Render("graphql", `
"""The root"""
type Query {
  "Find titles"
  titles(first: Int = 10, filter: TitleFilter!): [Title!]! @deprecated(reason: "x")
  me: User
}
type Mutation { rate(id: ID!, stars: Int!): Boolean }
type Title implements Node & Rated { id: ID! name: String }
input TitleFilter { genre: Genre }
enum Genre { DRAMA COMEDY }
union Result = Title | User
scalar Date
# a comment
`)
	if err != nil {
		t.Fatal(err)
	}
	q := find(d, "Queries", "titles")
	if q == nil || q.Response != "[Title!]!" || len(q.Params) != 2 || q.Params[1].Type != "TitleFilter!" || !q.Params[1].Required || q.Summary != "Find titles" {
		t.Fatalf("query %+v", q)
	}
	if m := find(d, "Mutations", "rate"); m == nil || m.Method != "mutation" || len(m.Params) != 2 {
		t.Fatalf("mutation %+v", m)
	}
	if ti := find(d, "Types", "Title"); ti == nil || len(ti.Fields) != 2 || ti.Fields[0].Type != "ID!" {
		t.Fatalf("type %+v", ti)
	}
	if g := find(d, "Types", "Genre"); g == nil || len(g.Fields) != 2 {
		t.Fatalf("enum %+v", g)
	}
	if u := find(d, "Types", "Result"); u == nil || len(u.Fields) != 2 {
		t.Fatalf("union %+v", u)
	}
}

func TestProto(t *testing.T) {
	d, err := apidocs.Render("grpc", `
syntax = "proto3";
package acme.jobs.v1;
import "google/protobuf/timestamp.proto";
option go_package = "x";
// Jobs runs jobs.
service Jobs {
  rpc Submit(SubmitRequest) returns (Job);
  rpc Watch(WatchRequest) returns (stream Job) { option (google.api.http) = { get: "/v1/jobs" }; }
}
message Job {
  string id = 1;
  repeated string tags = 2 [deprecated = true];
  map<string, int32> counts = 3;
  oneof source { string url = 4; bytes data = 5; }
  message Step { string name = 1; }
  enum State { UNKNOWN = 0; DONE = 1; }
  State state = 6;
}
message SubmitRequest { Job job = 1; }
message WatchRequest { string id = 1; }
`)
	if err != nil {
		t.Fatal(err)
	}
	if d.Title != "acme.jobs.v1" || d.Version != "v1" || !strings.Contains(d.Format, "proto3") {
		t.Fatalf("head %+v", d)
	}
	w := find(d, "RPCs", "Jobs.Watch")
	if w == nil || w.Request != "WatchRequest" || w.Response != "stream Job" {
		t.Fatalf("rpc %+v", w)
	}
	job := find(d, "Messages", "Job")
	if job == nil {
		t.Fatal("no Job message")
	}
	var names []string
	for _, f := range job.Fields {
		names = append(names, f.Name+":"+f.Type)
	}
	if got := strings.Join(names, " "); got != "id:string tags:repeated string counts:map<string,int32> url:string data:bytes state:State" {
		t.Fatalf("Job fields %q", got)
	}
	if find(d, "Messages", "Job.Step") == nil || find(d, "Messages", "Job.State") == nil || find(d, "Messages", "SubmitRequest") == nil {
		t.Fatalf("nested: %+v", d.Sections[1].Items)
	}
}

func TestBadInput(t *testing.T) {
	for typ, def := range map[string]string{
		"openapi":  "openapi: [unclosed",
		"asyncapi": "info: {}",
		"graphql":  `type Query { a: String """unterminated`,
		"grpc":     "nothing here",
		"soap":     "<wsdl/>",
	} {
		if _, err := apidocs.Render(typ, def); err == nil {
			t.Errorf("%s: no error for %q", typ, def)
		}
	}
	if _, err := apidocs.Render("openapi", "openapi: 3.0.0\n"+strings.Repeat("#", apidocs.MaxDefinition)); err == nil {
		t.Error("oversized definition accepted")
	}
}
