//! The HTML allow-list (`postern_shared::reader::html::sanitize`) as a module of its
//! own. The page's main module does not carry html5ever and ammonia; it imports this
//! one the first time a message needs sanitizing (`web/src/sanitizer.rs`), so the
//! page starts with less to download.
#![forbid(unsafe_code)]

use postern_shared::reader::html;
use wasm_bindgen::prelude::*;

/// Cleans `html`; returns `[clean html, remote images held back]`.
#[wasm_bindgen]
pub fn sanitize(html: &str, allow_remote: bool) -> js_sys::Array {
    let safe = html::sanitize(html, allow_remote);
    js_sys::Array::of2(
        &JsValue::from_str(&safe.html),
        &JsValue::from_f64(safe.blocked_remote as f64),
    )
}
