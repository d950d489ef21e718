//! HTML through the allow-list, from the sanitizer module (`web/sanitizer`), which
//! the page loads the first time a message needs it: the main module stays without
//! html5ever and ammonia.

use postern_shared::reader::html::{InlineImage, SafeHtml};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/sanitizer_loader.js")]
extern "C" {
    #[wasm_bindgen(catch)]
    async fn sanitize_html(
        html: &str,
        allow_remote: bool,
        inline: js_sys::Array,
    ) -> Result<JsValue, JsValue>;
}

/// `html` cleaned by the allow-list; `allow_remote` keeps remote images; `cid:`
/// references become the matching `inline` image.
pub(crate) async fn sanitize(
    html: &str,
    allow_remote: bool,
    inline: &[InlineImage],
) -> Result<SafeHtml, String> {
    let pairs: js_sys::Array = inline
        .iter()
        .flat_map(|i| {
            [
                JsValue::from_str(&i.content_id),
                JsValue::from_str(&i.data_url),
            ]
        })
        .collect();
    let answer = sanitize_html(html, allow_remote, pairs)
        .await
        .map_err(|e| format!("the sanitizer could not load: {e:?}"))?;
    let answer = js_sys::Array::from(&answer);
    Ok(SafeHtml {
        html: answer.get(0).as_string().unwrap_or_default(),
        blocked_remote: answer.get(1).as_f64().unwrap_or(0.0) as usize,
    })
}
