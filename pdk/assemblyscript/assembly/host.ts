// Wrappers for every ABI v1 host function (ABI.md §4) and Extism's outbound
// HTTP. Each builds the JSON request, calls, and returns a Reply: the success
// document, or the error document's code and message.
import { Memory } from "@extism/as-pdk";
import { http_request, length } from "@extism/as-pdk/lib/env";
import { JSONValue } from "./json";
import { ABI } from "./io";

@external("extism:host/env", "http_status_code")
declare function http_status_code(): i32;

@external("extism:host/user", "portico_catalog_get_v1")
declare function portico_catalog_get_v1(req: u64): u64;
@external("extism:host/user", "portico_catalog_query_v1")
declare function portico_catalog_query_v1(req: u64): u64;
@external("extism:host/user", "portico_search_v1")
declare function portico_search_v1(req: u64): u64;
@external("extism:host/user", "portico_kv_get_v1")
declare function portico_kv_get_v1(req: u64): u64;
@external("extism:host/user", "portico_kv_set_v1")
declare function portico_kv_set_v1(req: u64): u64;
@external("extism:host/user", "portico_kv_delete_v1")
declare function portico_kv_delete_v1(req: u64): u64;
@external("extism:host/user", "portico_kv_list_v1")
declare function portico_kv_list_v1(req: u64): u64;
@external("extism:host/user", "portico_config_get_v1")
declare function portico_config_get_v1(req: u64): u64;
@external("extism:host/user", "portico_secret_get_v1")
declare function portico_secret_get_v1(req: u64): u64;
@external("extism:host/user", "portico_log_v1")
declare function portico_log_v1(req: u64): u64;

/** A host function's response. */
export class Reply {
  /** false for an error document. */
  ok: bool = false;
  /** The whole response document. */
  doc: JSONValue = JSONValue.object();
  /** permission_denied, not_found, invalid_argument, too_large, unavailable,
   *  internal, or a later code (treat as internal); "" when ok. */
  code: string = "";
  message: string = "";

  /** For {found, value?} replies. */
  get found(): bool {
    const f = this.doc.get("found");
    return f != null && f.bool;
  }

  /** Member key of the document. */
  get(key: string): JSONValue | null {
    return this.doc.get(key);
  }

  /** The "value" member as a string when found, else null. */
  valueString(): string | null {
    if (!this.ok || !this.found) return null;
    return this.doc.strAt("value");
  }
}

/** Calls a host function with request members (abi is added here). */
export function call(fn: (req: u64) => u64, req: JSONValue): Reply {
  req.set("abi", JSONValue.fromI64(ABI));
  const m = Memory.allocateString(req.toJSON());
  const off = fn(m.offset);
  const r = new Reply();
  if (off == 0) {
    r.code = "internal";
    r.message = "portico: empty host response";
    return r;
  }
  const resp = new Memory(off, length(off));
  const text = resp.toString();
  resp.free();
  const doc = JSONValue.parse(text);
  if (doc == null) {
    r.code = "internal";
    r.message = "portico: host response is not JSON";
    return r;
  }
  r.doc = doc;
  const err = doc.get("error");
  if (err != null && !err.isNull()) {
    const code = err.strAt("code");
    const msg = err.strAt("message");
    r.code = code == null ? "internal" : code;
    r.message = msg == null ? "" : msg;
    return r;
  }
  r.ok = true;
  return r;
}

function req(): JSONValue {
  return JSONValue.object();
}

/** portico_catalog_get_v1: the entity is reply.get("entity"). */
export function catalogGet(ref: string): Reply {
  return call(portico_catalog_get_v1, req().setString("ref", ref));
}

/** A catalog query; leave members unset for the defaults. */
export class Query {
  /** A Backstage filter predicate. */
  filter: JSONValue | null = null;
  fullText: string = "";
  /** {field, order: asc|desc} objects. */
  order: Array<JSONValue> = [];
  limit: i32 = 0;
  cursor: string = "";
}

/** portico_catalog_query_v1: entities at reply.get("items"), next cursor at "next". */
export function catalogQuery(q: Query): Reply {
  const r = req();
  const f = q.filter;
  if (f != null) r.set("filter", f);
  if (q.fullText.length > 0) r.set("fullText", JSONValue.object().setString("term", q.fullText));
  if (q.order.length > 0) {
    const o = JSONValue.array();
    for (let i = 0; i < q.order.length; i++) o.push(q.order[i]);
    r.set("order", o);
  }
  if (q.limit > 0) r.set("limit", JSONValue.fromI64(q.limit));
  if (q.cursor.length > 0) r.setString("cursor", q.cursor);
  return call(portico_catalog_query_v1, r);
}

/** portico_search_v1; kinds empty for all, limit 0 for the default. Hits at "results". */
export function search(term: string, kinds: Array<string>, limit: i32): Reply {
  const r = req().setString("term", term);
  if (kinds.length > 0) {
    const k = JSONValue.array();
    for (let i = 0; i < kinds.length; i++) k.push(JSONValue.fromString(kinds[i]));
    r.set("kinds", k);
  }
  if (limit > 0) r.set("limit", JSONValue.fromI64(limit));
  return call(portico_search_v1, r);
}

/** portico_kv_get_v1: reply.found and reply.valueString(). */
export function kvGet(key: string): Reply {
  return call(portico_kv_get_v1, req().setString("key", key));
}

export function kvSet(key: string, value: string): Reply {
  return call(portico_kv_set_v1, req().setString("key", key).setString("value", value));
}

/** Deleting a missing key is not an error. */
export function kvDelete(key: string): Reply {
  return call(portico_kv_delete_v1, req().setString("key", key));
}

/** portico_kv_list_v1: keys at reply.get("keys"), ascending. */
export function kvList(prefix: string, limit: i32): Reply {
  const r = req();
  if (prefix.length > 0) r.setString("prefix", prefix);
  if (limit > 0) r.set("limit", JSONValue.fromI64(limit));
  return call(portico_kv_list_v1, r);
}

/** portico_config_get_v1: reply.found and reply.get("value") (any JSON);
 *  key "" asks for the whole config object. */
export function configGet(key: string): Reply {
  const r = req();
  if (key.length > 0) r.setString("key", key);
  return call(portico_config_get_v1, r);
}

/** portico_secret_get_v1: reply.found and reply.valueString(). */
export function secretGet(name: string): Reply {
  return call(portico_secret_get_v1, req().setString("name", name));
}

/** portico_log_v1; level: debug | info | warn | error; attrs: an object or null. */
export function logAttrs(level: string, message: string, attrs: JSONValue | null): Reply {
  const r = req().setString("level", level).setString("message", message);
  if (attrs != null) r.set("attrs", attrs);
  return call(portico_log_v1, r);
}

export function log(level: string, message: string): Reply {
  return logAttrs(level, message, null);
}

export class HttpResponse {
  status: i32 = 0;
  body: Uint8Array = new Uint8Array(0);

  text(): string {
    return String.UTF8.decode(this.body.buffer);
  }
}

/** Outbound HTTP to a granted host. headers: an object of name → value, or
 *  null. In ABI 1 a refused request ends the call (this does not return). */
export function http(method: string, url: string, headers: JSONValue | null, body: Uint8Array | null): HttpResponse {
  const r = JSONValue.object().setString("method", method).setString("url", url);
  r.set("headers", headers == null ? JSONValue.object() : headers);
  const rm = Memory.allocateString(r.toJSON());
  let bodyOff: u64 = 0;
  if (body != null && body.length > 0) bodyOff = Memory.allocateBytes(body).offset;
  const off = http_request(rm.offset, bodyOff);
  const resp = new HttpResponse();
  resp.status = http_status_code();
  if (off != 0) {
    const m = new Memory(off, length(off));
    resp.body = m.toUint8Array();
    m.free();
  }
  return resp;
}
