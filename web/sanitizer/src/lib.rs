//! The HTML allow-list (`postern_shared::reader::html::sanitize`) as a module of its
//! own. The page's main module does not carry html5ever and ammonia; it imports this
//! one the first time a message needs sanitizing (`web/src/sanitizer.rs`), so the
//! page starts with less to download.
#![forbid(unsafe_code)]

use postern_shared::reader::html;
use wasm_bindgen::prelude::*;

/// Cleans `html`; `inline` is the message's images as a flat list of Content-ID and
/// `data:` URL pairs (made by the page with `InlineImage::new`); returns
/// `[clean html, remote images held back]`.
#[wasm_bindgen]
pub fn sanitize(html: &str, allow_remote: bool, inline: js_sys::Array) -> js_sys::Array {
    let strings: Vec<String> = inline.iter().filter_map(|v| v.as_string()).collect();
    let images: Vec<html::InlineImage> = strings
        .chunks_exact(2)
        .map(|pair| html::InlineImage {
            content_id: pair[0].clone(),
            data_url: pair[1].clone(),
        })
        .collect();
    let safe = html::sanitize(html, allow_remote, &images);
    js_sys::Array::of2(
        &JsValue::from_str(&safe.html),
        &JsValue::from_f64(safe.blocked_remote as f64),
    )
}
