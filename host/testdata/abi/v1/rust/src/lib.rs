//! Conformance plugin for ABI v1 in Rust, built once with pdk/rust and frozen
//! as ../plugin.wasm. A port of ../../go-conformance/src/main.go: the same
//! exports and host calls with the same results, so one fixture drives both.
//! Do not change its behaviour: build a new corpus plugin instead.
//!
//! Built with: RUSTC=/usr/bin/rustc /usr/bin/cargo build --offline --release
//! --target wasm32-unknown-unknown

use portico::{document, Card, Error, Level, LogLevel, Query, Series, Table, Tone, Value};

portico::abi_section!();
portico::export_card!(card_fn);
portico::export!(provide, provide_fn);
portico::export!(action, action_fn);
portico::export!(check, check_fn);
portico::export!(route, route_fn);
portico::export!(probe, probe_fn);

fn code<T>(r: &Result<T, Error>) -> String {
    match r {
        Ok(_) => "ok".to_string(),
        Err(e) => e.code.clone(),
    }
}

/// Lower-cased canonical ref of an entity.
fn entity_ref(e: &Value) -> String {
    let ns = match e.str_at("metadata.namespace") {
        Some(n) if !n.is_empty() => n,
        _ => "default",
    };
    format!(
        "{}:{}/{}",
        e.str_at("kind").unwrap_or(""),
        ns,
        e.str_at("metadata.name").unwrap_or("")
    )
    .to_ascii_lowercase()
}

fn card_fn(input: &Value) -> Result<Card, Error> {
    let entity = input.get("entity").cloned().unwrap_or(Value::Null);
    let name = entity.str_at("metadata.name").unwrap_or("");
    let mut c = Card::new(&format!("Conformance: {}", name));
    let owner = entity.str_at("spec.owner").unwrap_or("");
    if !owner.is_empty() {
        let owner = if owner.contains(':') { owner.to_string() } else { format!("group:{}", owner) };
        match portico::catalog_get(&owner) {
            Err(e) => c = c.field("Owner", &e.code),
            Ok(g) => {
                let title = match g.str_at("metadata.title") {
                    Some(t) if !t.is_empty() => t,
                    _ => g.str_at("metadata.name").unwrap_or(""),
                };
                c = c.field("Owner", title);
            }
        }
    }
    let cfg = portico::config_get("greeting");
    let greeting = match &cfg {
        Ok(Some(Value::String(g))) => g.clone(),
        _ => String::new(),
    };
    let found = matches!(&cfg, Ok(Some(_)));
    c = c.field("Greeting", &format!("{} {} {}", greeting, found, code(&cfg)));
    let tok = portico::secret_get("token");
    let (len, found) = match &tok {
        Ok(Some(t)) => (t.len(), true),
        _ => (0, false),
    };
    c = c.field("Token length", &format!("{} {} {}", len, found, code(&tok)));
    let r = entity_ref(&entity);
    let key = format!("visits/{}", r);
    let (visits, res) = match portico::kv_get(&key) {
        Ok(v) => {
            let v = v.unwrap_or_default() + "|";
            let res = portico::kv_set(&key, &v);
            (v, res)
        }
        Err(e) => (String::new(), Err(e)),
    };
    c = c.field("Visits", &format!("{} {}", visits.len(), code(&res)));
    c = c.field("User", input.str_at("user.ref").unwrap_or("system"));
    let _ = portico::log_attrs(LogLevel::Info, "card rendered", vec![("entity", r.as_str().into())]);
    c = c.status(Level::Ok, &format!("card {}", input.str_at("card").unwrap_or("")));
    if let Some(d) = entity.str_at("metadata.description") {
        if !d.is_empty() {
            c = c.summary(d);
        }
    }
    c = c.link("Docs", &format!("https://example.com/{}", name));
    c = c.badge(entity.str_at("kind").unwrap_or(""), Tone::Neutral);
    let mut labels: Vec<(String, String)> = match entity.at("metadata.labels") {
        Some(Value::Object(m)) => m
            .iter()
            .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
            .collect(),
        _ => Vec::new(),
    };
    labels.sort();
    let mut t = Table::new("Labels", &["Key", "Value"]);
    for (k, v) in &labels {
        t = t.row(&[k, v]);
    }
    c = c.table(t);
    Ok(c.series(
        Series::new("requests", "rps")
            .point("2026-01-01T00:00:00Z", 1.0)
            .point("2026-01-01T01:00:00Z", 2.5),
    ))
}

fn component_filter() -> Option<Value> {
    Some(Value::object(vec![("kind", "component".into())]))
}

fn annotate(out: &mut Vec<Value>, items: &[Value], seen: &str) {
    for e in items {
        out.push(Value::object(vec![
            ("entityRef", entity_ref(e).into()),
            ("annotations", Value::object(vec![("conformance/seen", seen.into())])),
        ]));
    }
}

fn provide_fn(_input: &Value) -> Result<Value, Error> {
    let page = portico::catalog_query(&Query { filter: component_filter(), limit: Some(2), ..Query::default() })?;
    let mut ann = Vec::new();
    annotate(&mut ann, &page.items, "true");
    if let Some(next) = page.next.filter(|n| !n.is_empty()) {
        let p2 = portico::catalog_query(&Query {
            filter: component_filter(),
            limit: Some(2),
            cursor: Some(next),
            ..Query::default()
        })?;
        annotate(&mut ann, &p2.items, "page2");
    }
    let res = Value::parse(br#"{"apiVersion":"backstage.io/v1alpha1","kind":"Resource","metadata":{"name":"conformance-db"},"spec":{"type":"database","owner":"team-a"}}"#)?;
    Ok(document(vec![("entities", Value::Array(vec![res])), ("annotations", Value::Array(ann))]))
}

fn action_fn(input: &Value) -> Result<Value, Error> {
    let key = input.str_at("input.key").unwrap_or("");
    let value = input.str_at("input.value").unwrap_or("");
    if key.is_empty() {
        return Err(Error::msg("input.key is required"));
    }
    if input.get("dryRun").and_then(Value::as_bool) == Some(true) {
        let msg = format!("dry run: would set {}", key);
        return Ok(document(vec![("messages", Value::Array(vec![msg.into()]))]));
    }
    portico::kv_set(key, value)?;
    let tmp = format!("tmp/{}", key);
    let _ = portico::kv_set(&tmp, "x");
    portico::kv_delete(&tmp)?;
    let keys = portico::kv_list("", 0)?;
    let got = portico::kv_get(key)?;
    let found = got.is_some();
    let output = Value::object(vec![
        ("found", found.into()),
        ("keys", Value::Array(keys.into_iter().map(Value::from).collect())),
        ("value", got.unwrap_or_default().into()),
    ]);
    Ok(document(vec![("output", output), ("messages", Value::Array(vec![format!("set {}", key).into()]))]))
}

fn check_fn(input: &Value) -> Result<Value, Error> {
    let name = input.str_at("entity.metadata.name").unwrap_or("");
    let hits = portico::search(name, &["component"], 5)?;
    if hits.is_empty() {
        return Ok(document(vec![("result", "fail".into()), ("message", "no search hits".into())]));
    }
    let refs: Vec<&str> = hits.iter().map(|h| h.entity_ref.as_str()).collect();
    Ok(document(vec![
        ("result", "pass".into()),
        ("message", refs.join(",").into()),
        ("score", Value::from(1i64)),
    ]))
}

fn route_fn(input: &Value) -> Result<Value, Error> {
    let method = input.str_at("method").unwrap_or("");
    let path = input.str_at("path").unwrap_or("");
    if path == "/text" {
        return Ok(document(vec![("status", Value::from(200i64)), ("text", format!("hello {}", method).into())]));
    }
    let term = input.str_at("query.q.0").unwrap_or("").to_string();
    let page = portico::catalog_query(&Query { full_text: Some(term), ..Query::default() })?;
    let json = Value::object(vec![
        ("hits", Value::from(page.items.len() as i64)),
        ("method", method.into()),
        ("path", path.into()),
    ]);
    Ok(document(vec![("status", Value::from(200i64)), ("json", json)]))
}

fn probe_fn(_input: &Value) -> Result<Value, Error> {
    let mut out: Vec<(&str, Value)> = Vec::new();
    let mut rec = |name: &'static str, c: String| out.push((name, c.into()));
    rec("catalog_get", code(&portico::catalog_get("component:default/payments")));
    rec("catalog_get_missing", code(&portico::catalog_get("component:default/missing")));
    rec("catalog_get_bad", code(&portico::catalog_get("not a ref::")));
    rec("catalog_query", code(&portico::catalog_query(&Query { limit: Some(1), ..Query::default() })));
    rec(
        "catalog_query_bad_limit",
        code(&portico::catalog_query(&Query { limit: Some(100000), ..Query::default() })),
    );
    rec("search", code(&portico::search("pay", &[], 0)));
    rec("kv_set", code(&portico::kv_set("probe", "1")));
    rec("kv_get", code(&portico::kv_get("probe")));
    rec("kv_get_empty_key", code(&portico::kv_get("")));
    rec("kv_list", code(&portico::kv_list("", 0)));
    rec("kv_delete", code(&portico::kv_delete("probe")));
    rec("config_get", code(&portico::config_all()));
    rec("secret_get", code(&portico::secret_get("token")));
    rec("secret_get_ungranted", code(&portico::secret_get("other-plugins-secret")));
    rec("log", code(&portico::log(LogLevel::Debug, "probe")));
    rec(
        "log_bad_level",
        code(&portico::host::call(
            portico::ffi::portico_log_v1,
            vec![("level", "loud".into()), ("message", "probe".into())],
        )),
    );
    out.sort_by(|a, b| a.0.cmp(b.0));
    Ok(document(vec![("output", Value::object(out))]))
}
