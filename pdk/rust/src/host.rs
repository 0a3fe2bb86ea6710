//! Safe wrappers for every ABI v1 host function (ABI.md §4) and for Extism's
//! outbound HTTP. Each builds the JSON request, calls, and turns an error
//! document into `Err(Error)`.

use crate::json::Value;
use crate::{ffi, memory, Error, ABI};

/// Calls a host function with the request's members (`"abi"` is added) and
/// returns the success document, or the error document as `Err`.
pub fn call(f: unsafe extern "C" fn(u64) -> u64, members: Vec<(&str, Value)>) -> Result<Value, Error> {
    let mut req = vec![("abi", Value::from(ABI))];
    req.extend(members);
    let text = Value::object(req).to_json();
    let h = memory::put(text.as_bytes());
    let reply = memory::take(unsafe { f(h) });
    let doc = Value::parse(&reply)?;
    match doc.get("error") {
        Some(e) if !e.is_null() => Err(Error::new(
            e.str_at("code").unwrap_or("internal"),
            e.str_at("message").unwrap_or(""),
        )),
        _ => Ok(doc),
    }
}

fn take_member(doc: Value, key: &str) -> Option<Value> {
    match doc {
        Value::Object(m) => m.into_iter().find(|(k, _)| k == key).map(|(_, v)| v),
        _ => None,
    }
}

/// `{found, value?}` replies: `Some(value)` when found.
fn found(doc: Value) -> Option<Value> {
    if doc.get("found").and_then(Value::as_bool) == Some(true) {
        take_member(doc, "value")
    } else {
        None
    }
}

fn string_of(v: Option<Value>) -> Option<String> {
    match v {
        Some(Value::String(s)) => Some(s),
        _ => None,
    }
}

/// `portico_catalog_get_v1`: the entity `entity_ref` as the calling user sees it.
pub fn catalog_get(entity_ref: &str) -> Result<Value, Error> {
    let doc = call(ffi::portico_catalog_get_v1, vec![("ref", entity_ref.into())])?;
    take_member(doc, "entity").ok_or_else(|| Error::new("internal", "catalog_get: reply has no entity"))
}

/// A catalog query (`portico_catalog_query_v1`); unset members use the defaults.
#[derive(Clone, Debug, Default)]
pub struct Query {
    /// A Backstage filter predicate (as `POST /entities/by-query` "query").
    pub filter: Option<Value>,
    pub full_text: Option<String>,
    /// `(field, "asc" | "desc")`
    pub order: Vec<(String, String)>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// One page of a catalog query.
#[derive(Clone, Debug)]
pub struct Page {
    pub items: Vec<Value>,
    pub next: Option<String>,
}

pub fn catalog_query(q: &Query) -> Result<Page, Error> {
    let mut m: Vec<(&str, Value)> = Vec::new();
    if let Some(f) = &q.filter {
        m.push(("filter", f.clone()));
    }
    if let Some(t) = &q.full_text {
        m.push(("fullText", Value::object(vec![("term", t.as_str().into())])));
    }
    if !q.order.is_empty() {
        let o = q.order.iter().map(|(f, d)| Value::object(vec![("field", f.as_str().into()), ("order", d.as_str().into())]));
        m.push(("order", Value::Array(o.collect())));
    }
    if let Some(l) = q.limit {
        m.push(("limit", Value::from(l)));
    }
    if let Some(c) = &q.cursor {
        m.push(("cursor", c.as_str().into()));
    }
    let doc = call(ffi::portico_catalog_query_v1, m)?;
    let next = doc.str_at("next").map(str::to_string);
    let items = match take_member(doc, "items") {
        Some(Value::Array(a)) => a,
        _ => Vec::new(),
    };
    Ok(Page { items, next })
}

/// One search hit.
#[derive(Clone, Debug)]
pub struct SearchResult {
    pub entity_ref: String,
    pub kind: String,
    pub title: String,
    pub text: Option<String>,
}

/// `portico_search_v1`; `kinds` empty for all, `limit` 0 for the default.
pub fn search(term: &str, kinds: &[&str], limit: u32) -> Result<Vec<SearchResult>, Error> {
    let mut m: Vec<(&str, Value)> = vec![("term", term.into())];
    if !kinds.is_empty() {
        m.push(("kinds", Value::Array(kinds.iter().map(|k| (*k).into()).collect())));
    }
    if limit > 0 {
        m.push(("limit", Value::from(limit)));
    }
    let doc = call(ffi::portico_search_v1, m)?;
    let hits = doc.at("results").and_then(Value::as_array).unwrap_or(&[]);
    Ok(hits
        .iter()
        .map(|h| SearchResult {
            entity_ref: h.str_at("ref").unwrap_or("").to_string(),
            kind: h.str_at("kind").unwrap_or("").to_string(),
            title: h.str_at("title").unwrap_or("").to_string(),
            text: h.str_at("text").map(str::to_string),
        })
        .collect())
}

/// `portico_kv_get_v1`: `None` when the key is not set.
pub fn kv_get(key: &str) -> Result<Option<String>, Error> {
    Ok(string_of(found(call(ffi::portico_kv_get_v1, vec![("key", key.into())])?)))
}

/// `portico_kv_set_v1`.
pub fn kv_set(key: &str, value: &str) -> Result<(), Error> {
    call(ffi::portico_kv_set_v1, vec![("key", key.into()), ("value", value.into())]).map(|_| ())
}

/// `portico_kv_delete_v1` (deleting a missing key is fine).
pub fn kv_delete(key: &str) -> Result<(), Error> {
    call(ffi::portico_kv_delete_v1, vec![("key", key.into())]).map(|_| ())
}

/// `portico_kv_list_v1`: keys with `prefix`, ascending; `limit` 0 for the default.
pub fn kv_list(prefix: &str, limit: u32) -> Result<Vec<String>, Error> {
    let mut m: Vec<(&str, Value)> = Vec::new();
    if !prefix.is_empty() {
        m.push(("prefix", prefix.into()));
    }
    if limit > 0 {
        m.push(("limit", Value::from(limit)));
    }
    let doc = call(ffi::portico_kv_list_v1, m)?;
    let keys = doc.at("keys").and_then(Value::as_array).unwrap_or(&[]);
    Ok(keys.iter().filter_map(|k| k.as_str().map(str::to_string)).collect())
}

/// `portico_config_get_v1`: the operator's setting `key`, `None` when unset.
pub fn config_get(key: &str) -> Result<Option<Value>, Error> {
    Ok(found(call(ffi::portico_config_get_v1, vec![("key", key.into())])?))
}

/// The whole config object (`portico_config_get_v1` without a key).
pub fn config_all() -> Result<Value, Error> {
    Ok(found(call(ffi::portico_config_get_v1, Vec::new())?).unwrap_or(Value::Object(Vec::new())))
}

/// `portico_secret_get_v1`: `None` when the secret is not set.
pub fn secret_get(name: &str) -> Result<Option<String>, Error> {
    Ok(string_of(found(call(ffi::portico_secret_get_v1, vec![("name", name.into())])?)))
}

/// Log levels of `portico_log_v1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogLevel {
    Debug,
    Info,
    Warn,
    Error,
}

/// `portico_log_v1` with attributes (`(key, value)` pairs).
pub fn log_attrs(level: LogLevel, message: &str, attrs: Vec<(&str, Value)>) -> Result<(), Error> {
    let lvl = match level {
        LogLevel::Debug => "debug",
        LogLevel::Info => "info",
        LogLevel::Warn => "warn",
        LogLevel::Error => "error",
    };
    let mut m: Vec<(&str, Value)> = vec![("level", lvl.into()), ("message", message.into())];
    if !attrs.is_empty() {
        m.push(("attrs", Value::object(attrs)));
    }
    call(ffi::portico_log_v1, m).map(|_| ())
}

/// `portico_log_v1`.
pub fn log(level: LogLevel, message: &str) -> Result<(), Error> {
    log_attrs(level, message, Vec::new())
}

/// An HTTP response from `http`.
#[derive(Clone, Debug)]
pub struct HttpResponse {
    pub status: i32,
    pub body: Vec<u8>,
}

/// Outbound HTTP through Extism's `http_request`, to granted hosts only. In
/// ABI 1 a refused request ends the call (this function does not return).
pub fn http(method: &str, url: &str, headers: &[(&str, &str)], body: &[u8]) -> HttpResponse {
    let hs = headers.iter().map(|(k, v)| (*k, Value::from(*v))).collect();
    let req = Value::object(vec![("method", method.into()), ("url", url.into()), ("headers", Value::object(hs))]);
    let rh = memory::put(req.to_json().as_bytes());
    let bh = if body.is_empty() { 0 } else { memory::put(body) };
    let resp = unsafe { ffi::http_request(rh, bh) };
    let status = unsafe { ffi::http_status_code() };
    HttpResponse { status, body: memory::take(resp) }
}
