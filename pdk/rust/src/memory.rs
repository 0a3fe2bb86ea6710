//! Moving bytes between this module and Extism memory; the call's input,
//! output and error.

use crate::ffi;

/// Copies `data` into a new Extism block and returns its handle.
pub fn put(data: &[u8]) -> u64 {
    unsafe {
        let h = ffi::alloc(data.len() as u64);
        let mut chunks = data.chunks_exact(8);
        let mut off = h;
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            ffi::store_u64(off, u64::from_le_bytes(w));
            off += 8;
        }
        for b in chunks.remainder() {
            ffi::store_u8(off, *b);
            off += 1;
        }
        h
    }
}

/// Copies the Extism block `h` out and frees it; an empty vector for 0.
pub fn take(h: u64) -> Vec<u8> {
    if h == 0 {
        return Vec::new();
    }
    unsafe {
        let n = ffi::length(h) as usize;
        let mut out = vec![0u8; n];
        let mut i = 0;
        while i + 8 <= n {
            out[i..i + 8].copy_from_slice(&ffi::load_u64(h + i as u64).to_le_bytes());
            i += 8;
        }
        while i < n {
            out[i] = ffi::load_u8(h + i as u64);
            i += 1;
        }
        ffi::free(h);
        out
    }
}

/// The call's input bytes.
pub fn input() -> Vec<u8> {
    unsafe {
        let n = ffi::input_length() as usize;
        let mut out = vec![0u8; n];
        let mut i = 0;
        while i + 8 <= n {
            out[i..i + 8].copy_from_slice(&ffi::input_load_u64(i as u64).to_le_bytes());
            i += 8;
        }
        while i < n {
            out[i] = ffi::input_load_u8(i as u64);
            i += 1;
        }
        out
    }
}

/// Sets the call's output.
pub fn output(data: &[u8]) {
    let h = put(data);
    unsafe { ffi::output_set(h, data.len() as u64) }
}

/// Sets the call's error message (the export must then return non-zero).
pub fn set_error(message: &str) {
    let h = put(message.as_bytes());
    unsafe { ffi::error_set(h) }
}
