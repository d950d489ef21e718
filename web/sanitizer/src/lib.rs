//! The HTML allow-list (`postern_shared::reader::html::sanitize`) as a module of its
//! own. The page's main module does not carry html5ever and ammonia; it imports this
//! one the first time a message needs sanitizing (`web/src/sanitizer.rs`), so the
//! page starts with less to download. It runs in a worker
//! (`web/static/sanitizer_worker.js`), so a hostile document cannot freeze the page.
#![forbid(unsafe_code)]

use postern_shared::reader::{html, html_shape};
use wasm_bindgen::prelude::*;

/// Cleans `html`; `inline` is the message's images as a flat list of Content-ID and
/// `data:` URL pairs (made by the page with `InlineImage::new`); returns
/// `[clean html, remote images held back, shown as text]`.
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
    js_sys::Array::of3(
        &JsValue::from_str(&safe.html),
        &JsValue::from_f64(safe.blocked_remote as f64),
        &JsValue::from_bool(safe.shown_as_text),
    )
}

/// The text of `html` without markup, for a document the reader could not clean in
/// time (linear in its length).
#[wasm_bindgen]
pub fn plain_text(html: &str) -> String {
    html_shape::plain_text(html)
}
