//! Portico's plugin development kit for Rust (ABI v1, `pdk/ABI.md`).
//!
//! Owns: the hand-declared Extism kernel and Portico host-function imports
//! (no crates.io, so no `extism-pdk`), byte movement in and out of Extism
//! memory, a small JSON value, the card builder, safe host-function wrappers
//! and the export glue. It never depends on anything outside `std`.
//!
//! A plugin crate is a `cdylib` built for `wasm32-unknown-unknown`:
//!
//! ```ignore
//! use portico::{Card, Error, Level, Value};
//! portico::abi_section!();
//! portico::export_card!(render);
//! fn render(input: &Value) -> Result<Card, Error> {
//!     let name = input.str_at("entity.metadata.name").unwrap_or("?");
//!     Ok(Card::new("Hello").status(Level::Ok, "").field("Entity", name))
//! }
//! ```

pub mod card;
pub mod ffi;
pub mod host;
pub mod json;
pub mod memory;

pub use card::{Card, Level, Series, Table, Tone};
pub use host::*;
pub use json::Value;

/// The ABI major version this crate implements.
pub const ABI: u32 = 1;

/// An error: from a host function (its `code` and `message`), or the
/// plugin's own, reported to the host as the call's error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// `permission_denied`, `not_found`, `invalid_argument`, `too_large`,
    /// `unavailable`, `internal`, or a code added later (treat as internal).
    pub code: String,
    pub message: String,
}

impl Error {
    pub fn new(code: &str, message: &str) -> Error {
        Error { code: code.to_string(), message: message.to_string() }
    }

    /// The plugin's own error, reported as just `message`.
    pub fn msg(message: &str) -> Error {
        Error::new("", message)
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.code.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.code, self.message)
        }
    }
}

impl std::error::Error for Error {}

/// Emits the `portico_abi` custom section (content `1`) into the plugin
/// crate. Use it once per plugin; it must live in the cdylib crate itself,
/// because the linker may drop a section that only a dependency defines.
#[macro_export]
macro_rules! abi_section {
    () => {
        #[link_section = "portico_abi"]
        #[used]
        static PORTICO_ABI_SECTION: [u8; 1] = *b"1";
    };
}

/// Runs an export: parses the input document, calls `f`, and writes its
/// output document (which must carry `"abi": 1`), or its error. Returns the
/// export's exit code.
pub fn run<F: FnOnce(&Value) -> Result<Value, Error>>(f: F) -> i32 {
    let result = Value::parse(&memory::input()).and_then(|input| f(&input));
    match result {
        Ok(doc) => {
            memory::output(doc.to_json().as_bytes());
            0
        }
        Err(e) => {
            memory::set_error(&e.to_string());
            1
        }
    }
}

/// Runs a `card` export whose function returns a [`Card`].
pub fn run_card<F: FnOnce(&Value) -> Result<Card, Error>>(f: F) -> i32 {
    run(|input| f(input).map(|c| c.to_document()))
}

/// Defines the `card` export from `fn(&Value) -> Result<Card, Error>`.
#[macro_export]
macro_rules! export_card {
    ($f:path) => {
        #[no_mangle]
        pub extern "C" fn card() -> i32 {
            $crate::run_card($f)
        }
    };
}

/// Defines an export `$name` (`provide`, `action`, `check`, `route`) from
/// `fn(&Value) -> Result<Value, Error>` returning the whole output document.
#[macro_export]
macro_rules! export {
    ($name:ident, $f:path) => {
        #[no_mangle]
        pub extern "C" fn $name() -> i32 {
            $crate::run($f)
        }
    };
}

/// `{"abi": 1, …members}`: the start of every output document.
pub fn document<K: Into<String>>(members: Vec<(K, Value)>) -> Value {
    let mut m: Vec<(String, Value)> = vec![("abi".into(), Value::from(ABI))];
    m.extend(members.into_iter().map(|(k, v)| (k.into(), v)));
    Value::Object(m)
}
