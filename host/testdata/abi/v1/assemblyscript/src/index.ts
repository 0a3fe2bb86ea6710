// Conformance plugin for ABI v1 in AssemblyScript, built once with
// pdk/assemblyscript and frozen as ../plugin.wasm. A port of
// ../../go-conformance/src/main.go: the same exports and host calls with the
// same results, so one fixture drives both.
// Do not change its behaviour: build a new corpus plugin instead.
//
// Built with: asc src/index.ts --outFile plugin.wasm --use abort=src/index/myAbort
//   --optimize --path pdk/assemblyscript/node_modules --transform pdk/assemblyscript/transform.mjs
import * as portico from "../../../../../../pdk/assemblyscript/assembly/index";
import { Card, JSONValue, Kind, Level, Query, Reply, Series, Table, Tone } from "../../../../../../pdk/assemblyscript/assembly/index";

function myAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  portico.abort(message, fileName, line, column);
}

function code(r: Reply): string {
  return r.ok ? "ok" : r.code;
}

function str(v: JSONValue, path: string): string {
  const s = v.strAt(path);
  return s == null ? "" : s;
}

function entityRef(e: JSONValue): string {
  let ns = str(e, "metadata.namespace");
  if (ns.length == 0) ns = "default";
  return (str(e, "kind") + ":" + ns + "/" + str(e, "metadata.name")).toLowerCase();
}

function failReply(r: Reply): i32 {
  return portico.fail(r.code + ": " + r.message);
}

export function card(): i32 {
  const input = portico.readInput();
  if (input == null) return portico.fail("bad input");
  let entity = input.get("entity");
  if (entity == null) entity = JSONValue.object();
  const name = str(entity, "metadata.name");
  const c = new Card("Conformance: " + name);
  let owner = str(entity, "spec.owner");
  if (owner.length > 0) {
    if (!owner.includes(":")) owner = "group:" + owner;
    const g = portico.catalogGet(owner);
    if (!g.ok) {
      c.field("Owner", g.code);
    } else {
      let title = str(g.doc, "entity.metadata.title");
      if (title.length == 0) title = str(g.doc, "entity.metadata.name");
      c.field("Owner", title);
    }
  }
  const cfg = portico.configGet("greeting");
  const gfound = cfg.ok && cfg.found;
  const greeting = gfound ? str(cfg.doc, "value") : "";
  c.field("Greeting", greeting + " " + (gfound ? "true" : "false") + " " + code(cfg));
  const tok = portico.secretGet("token");
  const tfound = tok.ok && tok.found;
  const t = tfound ? str(tok.doc, "value") : "";
  c.field("Token length", String.UTF8.byteLength(t).toString() + " " + (tfound ? "true" : "false") + " " + code(tok));
  const ref = entityRef(entity);
  const key = "visits/" + ref;
  let visits = "";
  let res = portico.kvGet(key);
  if (res.ok) {
    const v = res.valueString();
    visits = (v == null ? "" : v) + "|";
    res = portico.kvSet(key, visits);
  }
  c.field("Visits", String.UTF8.byteLength(visits).toString() + " " + code(res));
  const user = input.strAt("user.ref");
  c.field("User", user == null ? "system" : user);
  portico.logAttrs("info", "card rendered", JSONValue.object().setString("entity", ref));
  c.status(Level.Ok, "card " + str(input, "card"));
  const desc = str(entity, "metadata.description");
  if (desc.length > 0) c.summary(desc);
  c.link("Docs", "https://example.com/" + name);
  c.badge(str(entity, "kind"), Tone.Neutral);
  const table = new Table("Labels", ["Key", "Value"]);
  const labels = entity.at("metadata.labels");
  if (labels != null && labels.kind == Kind.Object) {
    const keys = labels.keys.slice(0);
    keys.sort((a: string, b: string): i32 => (a < b ? -1 : a > b ? 1 : 0));
    for (let i = 0; i < keys.length; i++) {
      const v = labels.get(keys[i]);
      if (v != null && v.kind == Kind.String) table.row([keys[i], v.text]);
    }
  }
  c.table(table);
  c.series(new Series("requests", "rps").point("2026-01-01T00:00:00Z", 1).point("2026-01-01T01:00:00Z", 2.5));
  return c.output();
}

function componentQuery(cursor: string): Query {
  const q = new Query();
  q.filter = JSONValue.object().setString("kind", "component");
  q.limit = 2;
  q.cursor = cursor;
  return q;
}

function annotate(out: JSONValue, page: Reply, seen: string): void {
  const items = page.get("items");
  if (items == null) return;
  for (let i = 0; i < items.items.length; i++) {
    out.push(
      JSONValue.object()
        .setString("entityRef", entityRef(items.items[i]))
        .set("annotations", JSONValue.object().setString("conformance/seen", seen)),
    );
  }
}

export function provide(): i32 {
  const page = portico.catalogQuery(componentQuery(""));
  if (!page.ok) return failReply(page);
  const ann = JSONValue.array();
  annotate(ann, page, "true");
  const next = page.doc.strAt("next");
  if (next != null && next.length > 0) {
    const p2 = portico.catalogQuery(componentQuery(next));
    if (!p2.ok) return failReply(p2);
    annotate(ann, p2, "page2");
  }
  const res = JSONValue.parse(
    '{"apiVersion":"backstage.io/v1alpha1","kind":"Resource","metadata":{"name":"conformance-db"},"spec":{"type":"database","owner":"team-a"}}',
  )!;
  return portico.writeDocument(portico.newDocument().set("entities", JSONValue.array().push(res)).set("annotations", ann));
}

export function action(): i32 {
  const input = portico.readInput();
  if (input == null) return portico.fail("bad input");
  const key = str(input, "input.key");
  const value = str(input, "input.value");
  if (key.length == 0) return portico.fail("input.key is required");
  const dry = input.get("dryRun");
  if (dry != null && dry.bool) {
    return portico.writeDocument(
      portico.newDocument().set("messages", JSONValue.array().push(JSONValue.fromString("dry run: would set " + key))),
    );
  }
  let r = portico.kvSet(key, value);
  if (!r.ok) return failReply(r);
  portico.kvSet("tmp/" + key, "x");
  r = portico.kvDelete("tmp/" + key);
  if (!r.ok) return failReply(r);
  const list = portico.kvList("", 0);
  if (!list.ok) return failReply(list);
  const got = portico.kvGet(key);
  if (!got.ok) return failReply(got);
  const v = got.valueString();
  const keys = list.get("keys");
  const output = JSONValue.object()
    .set("found", JSONValue.fromBool(got.found))
    .set("keys", keys == null ? JSONValue.array() : keys)
    .setString("value", v == null ? "" : v);
  return portico.writeDocument(
    portico.newDocument().set("output", output).set("messages", JSONValue.array().push(JSONValue.fromString("set " + key))),
  );
}

export function check(): i32 {
  const input = portico.readInput();
  if (input == null) return portico.fail("bad input");
  const r = portico.search(str(input, "entity.metadata.name"), ["component"], 5);
  if (!r.ok) return failReply(r);
  const results = r.get("results");
  const refs = new Array<string>();
  if (results != null) for (let i = 0; i < results.items.length; i++) refs.push(str(results.items[i], "ref"));
  if (refs.length == 0) {
    return portico.writeDocument(portico.newDocument().setString("result", "fail").setString("message", "no search hits"));
  }
  return portico.writeDocument(
    portico.newDocument().setString("result", "pass").setString("message", refs.join(",")).set("score", JSONValue.fromI64(1)),
  );
}

export function route(): i32 {
  const input = portico.readInput();
  if (input == null) return portico.fail("bad input");
  const method = str(input, "method");
  const path = str(input, "path");
  if (path == "/text") {
    return portico.writeDocument(portico.newDocument().set("status", JSONValue.fromI64(200)).setString("text", "hello " + method));
  }
  const q = new Query();
  q.fullText = str(input, "query.q.0");
  // pdk/go always sends fullText (even an empty term): do the same.
  const req = JSONValue.object().set("fullText", JSONValue.object().setString("term", q.fullText));
  const r = portico.call(portico_catalog_query, req);
  if (!r.ok) return failReply(r);
  const items = r.get("items");
  const hits = items == null ? 0 : items.items.length;
  const json = JSONValue.object().set("hits", JSONValue.fromI64(hits)).setString("method", method).setString("path", path);
  return portico.writeDocument(portico.newDocument().set("status", JSONValue.fromI64(200)).set("json", json));
}

@external("extism:host/user", "portico_catalog_query_v1")
declare function portico_catalog_query(req: u64): u64;
@external("extism:host/user", "portico_log_v1")
declare function portico_log(req: u64): u64;

export function probe(): i32 {
  const names = new Array<string>();
  const codes = new Array<string>();
  names.push("catalog_get");
  codes.push(code(portico.catalogGet("component:default/payments")));
  names.push("catalog_get_missing");
  codes.push(code(portico.catalogGet("component:default/missing")));
  names.push("catalog_get_bad");
  codes.push(code(portico.catalogGet("not a ref::")));
  const q1 = new Query();
  q1.limit = 1;
  names.push("catalog_query");
  codes.push(code(portico.catalogQuery(q1)));
  const q2 = new Query();
  q2.limit = 100000;
  names.push("catalog_query_bad_limit");
  codes.push(code(portico.catalogQuery(q2)));
  names.push("search");
  codes.push(code(portico.search("pay", [], 0)));
  names.push("kv_set");
  codes.push(code(portico.kvSet("probe", "1")));
  names.push("kv_get");
  codes.push(code(portico.kvGet("probe")));
  names.push("kv_get_empty_key");
  codes.push(code(portico.kvGet("")));
  names.push("kv_list");
  codes.push(code(portico.kvList("", 0)));
  names.push("kv_delete");
  codes.push(code(portico.kvDelete("probe")));
  names.push("config_get");
  codes.push(code(portico.configGet("")));
  names.push("secret_get");
  codes.push(code(portico.secretGet("token")));
  names.push("secret_get_ungranted");
  codes.push(code(portico.secretGet("other-plugins-secret")));
  names.push("log");
  codes.push(code(portico.log("debug", "probe")));
  names.push("log_bad_level");
  codes.push(code(portico.log("loud", "probe")));
  const sorted = names.slice(0);
  sorted.sort((a: string, b: string): i32 => (a < b ? -1 : a > b ? 1 : 0));
  const out = JSONValue.object();
  for (let i = 0; i < sorted.length; i++) out.setString(sorted[i], codes[names.indexOf(sorted[i])]);
  return portico.writeDocument(portico.newDocument().set("output", out));
}
