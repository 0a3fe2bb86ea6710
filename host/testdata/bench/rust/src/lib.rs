//! bench-rust: the Rust plugin of BenchmarkLanguages (host/bench_lang_test.go).
//! `noop` writes the smallest ABI document; `card` reads the input, makes
//! exactly one host call (portico_kv_get_v1 of key "k") and writes a card
//! whose title is the entity name followed by the value.
//! Build: make bench-plugins (mk/benchplugins.mk).

use portico::{Card, Error, Value};

portico::abi_section!();
portico::export_card!(render);

#[no_mangle]
pub extern "C" fn noop() -> i32 {
    portico::memory::output(b"{\"abi\":1}");
    0
}

fn render(input: &Value) -> Result<Card, Error> {
    let name = input
        .str_at("entity.metadata.name")
        .ok_or_else(|| Error::new("invalid_argument", "bench-rust: input has no entity.metadata.name"))?;
    let v = portico::kv_get("k")?.unwrap_or_default();
    Ok(Card::new(&format!("{}{}", name, v)))
}
