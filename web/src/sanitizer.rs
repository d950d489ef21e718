//! HTML through the allow-list, in the sanitizer worker (`web/sanitizer`, run by
//! `web/static/sanitizer_worker.js`), which the page starts the first time a message
//! needs it: the main module stays without html5ever and ammonia, and a hostile
//! document cannot freeze the page while it is cleaned.

use std::fmt;

use postern_shared::reader::html::{InlineImage, SafeHtml};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/sanitizer_loader.js")]
extern "C" {
    #[wasm_bindgen(catch)]
    async fn sanitize_html(
        html: &str,
        allow_remote: bool,
        inline: js_sys::Array,
    ) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(catch)]
    async fn html_plain_text(html: &str) -> Result<JsValue, JsValue>;
}

/// Why a document could not be cleaned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SanitizeError {
    /// The worker took longer than its time limit and was stopped.
    TooSlow,
    /// The worker could not start or failed: its words.
    Failed(String),
}

impl fmt::Display for SanitizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SanitizeError::TooSlow => f.write_str("preparing this message took too long"),
            SanitizeError::Failed(why) => write!(f, "the sanitizer failed: {why}"),
        }
    }
}

impl From<JsValue> for SanitizeError {
    fn from(error: JsValue) -> SanitizeError {
        let message = error
            .dyn_ref::<js_sys::Error>()
            .map(|e| String::from(e.message()))
            .unwrap_or_else(|| format!("{error:?}"));
        if message == "too slow" {
            SanitizeError::TooSlow
        } else {
            SanitizeError::Failed(message)
        }
    }
}

/// `html` cleaned by the allow-list; `allow_remote` keeps remote images; `cid:`
/// references become the matching `inline` image.
pub(crate) async fn sanitize(
    html: &str,
    allow_remote: bool,
    inline: &[InlineImage],
) -> Result<SafeHtml, SanitizeError> {
    let pairs: js_sys::Array = inline
        .iter()
        .flat_map(|i| {
            [
                JsValue::from_str(&i.content_id),
                JsValue::from_str(&i.data_url),
            ]
        })
        .collect();
    let answer = js_sys::Array::from(&sanitize_html(html, allow_remote, pairs).await?);
    Ok(SafeHtml {
        html: answer.get(0).as_string().unwrap_or_default(),
        blocked_remote: answer.get(1).as_f64().unwrap_or(0.0) as usize,
        shown_as_text: answer.get(2).as_bool().unwrap_or(false),
    })
}

/// The text of `html` without markup (linear in its length, in the worker).
pub(crate) async fn plain_text(html: &str) -> Result<String, SanitizeError> {
    Ok(html_plain_text(html).await?.as_string().unwrap_or_default())
}
