//! Typed shortcuts over web-sys for building the page without HTML strings (and so
//! without any chance of markup injection through text).

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Document, Element};

pub fn document() -> Document {
    web_sys::window()
        .and_then(|w| w.document())
        .expect("Postern runs in a page with a document")
}

/// Creates `<tag>` with the given attributes.
pub fn element(tag: &str, attributes: &[(&str, &str)]) -> Result<Element, JsValue> {
    let element = document().create_element(tag)?;
    for (name, value) in attributes {
        element.set_attribute(name, value)?;
    }
    Ok(element)
}

/// Creates `<tag>` with attributes and plain text content.
pub fn text_element(
    tag: &str,
    attributes: &[(&str, &str)],
    text: &str,
) -> Result<Element, JsValue> {
    let element = element(tag, attributes)?;
    element.set_text_content(Some(text));
    Ok(element)
}

/// The element with this id, as the type the page was built with.
pub fn by_id<T: JsCast>(id: &str) -> Result<T, JsValue> {
    document()
        .get_element_by_id(id)
        .ok_or_else(|| JsValue::from_str(&format!("#{id} is missing")))?
        .dyn_into::<T>()
        .map_err(|_| JsValue::from_str(&format!("#{id} has an unexpected type")))
}

/// Resolves after `ms` milliseconds (a browser timer; the engines have no clock).
pub async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// Asks the user for a name (the browser's own prompt); `None` if cancelled or empty.
pub fn ask_name(question: &str, default: &str) -> Option<String> {
    let window = web_sys::window()?;
    let answer = window
        .prompt_with_message_and_default(question, default)
        .ok()??;
    let answer = answer.trim().to_owned();
    (!answer.is_empty()).then_some(answer)
}

/// Asks the user to confirm (the browser's own dialog).
pub fn confirm(question: &str) -> bool {
    web_sys::window()
        .and_then(|w| w.confirm_with_message(question).ok())
        .unwrap_or(false)
}
