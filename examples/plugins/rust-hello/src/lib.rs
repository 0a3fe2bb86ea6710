//! rust-hello: a Portico card plugin in Rust.
//!
//! The card greets the entity it is shown on, lists a few of its fields, and
//! counts how often it was rendered for that entity in the plugin's KV store.
//! Build: `make plugins` (cargo build --release --target wasm32-unknown-unknown).

use portico::{Card, Error, Level, LogLevel, Tone, Value};

portico::abi_section!();
portico::export_card!(render);

fn render(input: &Value) -> Result<Card, Error> {
    let name = input
        .str_at("entity.metadata.name")
        .ok_or_else(|| Error::new("invalid_argument", "rust-hello: input has no entity.metadata.name"))?;
    let namespace = input.str_at("entity.metadata.namespace").unwrap_or("default");
    let kind = input.str_at("entity.kind").unwrap_or("unknown");
    let owner = input.str_at("entity.spec.owner").unwrap_or("none");

    let greeting = match portico::config_get("greeting") {
        Ok(Some(Value::String(g))) => g,
        _ => "Hello".to_string(),
    };

    let views = count_view(&format!("views/{}/{}", namespace, name));
    let _ = portico::log(LogLevel::Info, &format!("rendering card for {}", name));

    let mut card = Card::new("Hello from Rust")
        .status(Level::Ok, "plugin answered")
        .summary(&format!("{}, {}!", greeting, name))
        .field("Kind", kind)
        .field("Owner", owner);
    if let Some(lifecycle) = input.str_at("entity.spec.lifecycle") {
        card = card.field("Lifecycle", lifecycle);
    }
    Ok(card
        .field("Views", &views)
        .badge("rust", Tone::Info)
        .link("Portico plugin ABI", "https://portico.dev/docs/abi/v1"))
}

/// The render count for `key`, incremented and stored; "unavailable" when the
/// KV store refuses (e.g. kv not granted).
fn count_view(key: &str) -> String {
    let old = match portico::kv_get(key) {
        Ok(v) => v,
        Err(_) => return "unavailable".to_string(),
    };
    let count = old.and_then(|v| v.parse::<u64>().ok()).unwrap_or(0) + 1;
    match portico::kv_set(key, &count.to_string()) {
        Ok(()) => count.to_string(),
        Err(_) => "unavailable".to_string(),
    }
}
