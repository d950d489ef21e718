//! Showing a message, the same way whichever protocol brought it: the list row's
//! fields, the header block, plain text with safe links, sanitized HTML in a
//! sandboxed frame with remote images held back, and saving an attachment.

use postern_shared::compose::format_addresses;
use postern_shared::reader::html::{self, SafeHtml};
use postern_shared::reader::text;
use postern_shared::summary::MessageSummary;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::Element;

use crate::dom::{document, element, text_element};
use crate::sanitizer;

pub(crate) fn sender(row: &MessageSummary) -> String {
    row.from
        .first()
        .map(|a| {
            if a.name.is_empty() {
                a.email.clone()
            } else {
                a.name.clone()
            }
        })
        .unwrap_or_else(|| "(no sender)".into())
}

/// When the message arrived (else its Date header): `2026-03-02T09:15:00+01:00` as
/// `2026-03-02 09:15`; a Date header not in that form as sent.
pub(crate) fn short_date(row: &MessageSummary) -> String {
    match row.received.as_deref().or(row.date.as_deref()) {
        Some(d) if d.as_bytes().get(10) == Some(&b'T') => {
            d.get(..16).unwrap_or(d).replace('T', " ")
        }
        Some(d) => d.to_owned(),
        None => String::new(),
    }
}

pub(crate) fn human_size(bytes: u32) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1} MB", f64::from(b) / 1048576.0),
        b if b >= 1 << 10 => format!("{} KB", b / 1024),
        b => format!("{b} B"),
    }
}

/// Puts a list row's fields into `item` (sender, subject, date, size) and returns
/// its marks (answered, flagged, attachment) for the caller to add to and append.
pub(crate) fn row_fields(item: &Element, row: &MessageSummary) -> Result<Element, JsValue> {
    item.append_child(text_element("span", &[("class", "from")], &sender(row))?.as_ref())?;
    let subject = if row.subject.is_empty() {
        "(no subject)"
    } else {
        row.subject.as_str()
    };
    item.append_child(text_element("span", &[("class", "subject")], subject)?.as_ref())?;
    item.append_child(text_element("span", &[("class", "date")], &short_date(row))?.as_ref())?;
    item.append_child(text_element("span", &[("class", "size")], &human_size(row.size))?.as_ref())?;
    let marks = element("span", &[("class", "marks")])?;
    if row.has_flag("\\Answered") {
        marks.append_child(text_element("span", &[("title", "Answered")], "↩")?.as_ref())?;
    }
    if row.has_flag("\\Flagged") {
        marks.append_child(text_element("span", &[("title", "Flagged")], "⚑")?.as_ref())?;
    }
    if row.has_attachments {
        // Drawn by the style sheet: no emoji font needed.
        marks.append_child(
            element("span", &[("class", "clip"), ("title", "Has attachments")])?.as_ref(),
        )?;
    }
    Ok(marks)
}

pub(crate) fn headers(row: &MessageSummary) -> Result<Element, JsValue> {
    let header = element("header", &[("class", "message-header")])?;
    let subject = if row.subject.is_empty() {
        "(no subject)"
    } else {
        row.subject.as_str()
    };
    header.append_child(text_element("h2", &[("class", "subject")], subject)?.as_ref())?;
    let fields = element("dl", &[])?;
    for (label, value) in [
        ("From", format_addresses(&row.from)),
        ("To", format_addresses(&row.to)),
        ("Cc", format_addresses(&row.cc)),
        ("Date", row.date.clone().unwrap_or_else(|| short_date(row))),
    ] {
        if value.is_empty() {
            continue;
        }
        fields.append_child(text_element("dt", &[], label)?.as_ref())?;
        fields.append_child(text_element("dd", &[], &value)?.as_ref())?;
    }
    header.append_child(&fields)?;
    Ok(header)
}

/// Plain text as text nodes, with web addresses as links that open in a new tab
/// without a referrer. No markup from the message is ever parsed.
pub(crate) fn text_with_links(content: &str) -> Result<Element, JsValue> {
    let pre = element("pre", &[("class", "text")])?;
    for segment in text::links(content) {
        match segment {
            text::Segment::Text(run) => {
                pre.append_child(&document().create_text_node(run))?;
            }
            text::Segment::Link(url) => {
                let link = text_element(
                    "a",
                    &[
                        ("href", url),
                        ("target", "_blank"),
                        ("rel", "noopener noreferrer"),
                    ],
                    url,
                )?;
                pre.append_child(&link)?;
            }
        }
    }
    Ok(pre)
}

/// What the reader says of a message with neither HTML nor text.
pub(crate) fn no_text() -> Result<Element, JsValue> {
    text_element(
        "p",
        &[("class", "placeholder")],
        "This message has no text to show.",
    )
}

/// The HTML of the message in the reader, kept to show it again with remote images.
pub(crate) struct ShownHtml {
    pub(crate) source: String,
    /// The message's own images, for its `cid:` references (resolved by the
    /// sanitizer on parsed attributes).
    pub(crate) inline: Vec<html::InlineImage>,
}

/// Puts the message frame into `body` (replacing an earlier one); returns how many
/// remote images were held back.
async fn frame(body: &Element, shown: &ShownHtml, allow_remote: bool) -> Result<usize, String> {
    let safe = sanitizer::sanitize(&shown.source, allow_remote, &shown.inline).await?;
    draw_frame(body, &safe, allow_remote).map_err(|e| format!("{e:?}"))
}

fn draw_frame(body: &Element, safe: &SafeHtml, allow_remote: bool) -> Result<usize, JsValue> {
    let document_html = html::frame_document(safe, allow_remote);
    // No allow-scripts, no allow-same-origin: the frame can run nothing and reach
    // nothing of the page. Links may open in a new tab, outside the sandbox.
    let frame = element(
        "iframe",
        &[
            ("class", "html"),
            ("title", "Message body"),
            ("sandbox", "allow-popups allow-popups-to-escape-sandbox"),
            ("referrerpolicy", "no-referrer"),
        ],
    )?;
    frame.set_attribute("srcdoc", &document_html)?;
    match body.query_selector("iframe.html")? {
        Some(old) => {
            body.replace_child(&frame, &old)?;
        }
        None => {
            body.append_child(&frame)?;
        }
    }
    Ok(safe.blocked_remote)
}

impl ShownHtml {
    /// The HTML body and its inline images, as `(content id, MIME type, bytes)`; an
    /// image without an id or of a type that is not a raster image is left out.
    pub(crate) fn new(source: String, images: Vec<(String, String, Vec<u8>)>) -> ShownHtml {
        let inline = images
            .iter()
            .filter_map(|(id, mime_type, bytes)| html::InlineImage::new(id, mime_type, bytes))
            .collect();
        ShownHtml { source, inline }
    }
}

/// Shows the HTML in `body` with remote images held back, and, when some were, a
/// note with a button (`data-allow-remote`) to show them.
pub(crate) async fn show_html(body: &Element, shown: &ShownHtml) -> Result<(), String> {
    let blocked = frame(body, shown, false).await?;
    blocked_note(body, blocked).map_err(|e| format!("{e:?}"))
}

fn blocked_note(body: &Element, blocked: usize) -> Result<(), JsValue> {
    if blocked > 0 {
        let note = element("p", &[("class", "blocked")])?;
        note.set_text_content(Some(&format!(
            "{blocked} remote image(s) blocked to protect your privacy. "
        )));
        let allow = text_element(
            "button",
            &[("type", "button"), ("data-allow-remote", "")],
            "Show remote images",
        )?;
        note.append_child(&allow)?;
        body.insert_before(&note, body.first_child().as_ref())?;
    }
    Ok(())
}

/// The user allowed remote images: the frame in `body` is shown again with them.
pub(crate) async fn show_remote_images(body: &Element, shown: &ShownHtml) -> Result<(), String> {
    frame(body, shown, true).await?;
    if let Ok(Some(note)) = body.query_selector(".blocked") {
        note.remove();
    }
    Ok(())
}

/// Hands bytes to the browser's download manager under the attachment's name.
pub(crate) fn save(bytes: &[u8], mime_type: &str, filename: &str) -> Result<(), JsValue> {
    let array = js_sys::Uint8Array::from(bytes);
    let parts = js_sys::Array::of1(&array);
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime_type);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    let link: web_sys::HtmlAnchorElement = document().create_element("a")?.dyn_into()?;
    link.set_href(&url);
    link.set_download(filename);
    link.click();
    web_sys::Url::revoke_object_url(&url)?;
    Ok(())
}
