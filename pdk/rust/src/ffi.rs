//! Raw imports: the Extism kernel (`extism:host/env`) and Portico's ABI v1 host
//! functions (`extism:host/user`), declared by hand (no crates.io here).
//!
//! Every `u64` that is a "handle" is an offset into the kernel's memory, not
//! into this module's memory: bytes cross with `load_*` / `store_*`.

#[link(wasm_import_module = "extism:host/env")]
extern "C" {
    pub fn input_length() -> u64;
    pub fn input_load_u8(offs: u64) -> u8;
    pub fn input_load_u64(offs: u64) -> u64;
    pub fn alloc(n: u64) -> u64;
    pub fn free(h: u64);
    pub fn length(h: u64) -> u64;
    pub fn load_u8(offs: u64) -> u8;
    pub fn load_u64(offs: u64) -> u64;
    pub fn store_u8(offs: u64, v: u8);
    pub fn store_u64(offs: u64, v: u64);
    pub fn output_set(h: u64, n: u64);
    pub fn error_set(h: u64);
    pub fn http_request(req: u64, body: u64) -> u64;
    pub fn http_status_code() -> i32;
}

#[link(wasm_import_module = "extism:host/user")]
extern "C" {
    pub fn portico_catalog_get_v1(req: u64) -> u64;
    pub fn portico_catalog_query_v1(req: u64) -> u64;
    pub fn portico_search_v1(req: u64) -> u64;
    pub fn portico_kv_get_v1(req: u64) -> u64;
    pub fn portico_kv_set_v1(req: u64) -> u64;
    pub fn portico_kv_delete_v1(req: u64) -> u64;
    pub fn portico_kv_list_v1(req: u64) -> u64;
    pub fn portico_config_get_v1(req: u64) -> u64;
    pub fn portico_secret_get_v1(req: u64) -> u64;
    pub fn portico_log_v1(req: u64) -> u64;
}
