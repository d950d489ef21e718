//! Showing a message, the same way whichever protocol brought it: the list row's
//! fields, the header block, plain text with safe links, sanitized HTML in a
//! sandboxed frame with remote images held back, and saving an attachment.

use postern_shared::compose::format_addresses;
use postern_shared::list_date::{self, DateStyle};
use postern_shared::reader::html::{self, SafeHtml};
use postern_shared::reader::text;
use postern_shared::summary::MessageSummary;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::Element;

use crate::dom::{document, element, text_element};
use crate::sanitizer::{self, SanitizeError};

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

/// The date a list row shows, in the browser's locale, and the full date and time
/// for its tooltip: the time for today's mail, day and month for this year's, the
/// date for older (`postern_shared::list_date` decides which instant and how much).
pub(crate) fn list_date(row: &MessageSummary) -> (String, String) {
    let Some(ms) = list_date::shown_instant(row) else {
        return (row.date.clone().unwrap_or_default(), String::new());
    };
    let date = js_sys::Date::new(&JsValue::from_f64(ms as f64));
    let offset = -(js_sys::Date::new_0().get_timezone_offset() as i32);
    let style = list_date::date_style(ms, js_sys::Date::now() as i64, offset);
    let shown = match style {
        DateStyle::Time => locale_date(&date, &[("timeStyle", "short")]),
        DateStyle::DayMonth => locale_date(&date, &[("day", "numeric"), ("month", "short")]),
        DateStyle::Full => locale_date(&date, &[("dateStyle", "medium")]),
    };
    let full = locale_date(&date, &[("dateStyle", "full"), ("timeStyle", "short")]);
    (shown, full)
}

/// `date` by `Intl.DateTimeFormat` in the browser's locale with `options`.
fn locale_date(date: &js_sys::Date, options: &[(&str, &str)]) -> String {
    let object = js_sys::Object::new();
    for (key, value) in options {
        let _ = js_sys::Reflect::set(&object, &JsValue::from_str(key), &JsValue::from_str(value));
    }
    let format = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &object).format();
    format
        .call1(&JsValue::UNDEFINED, date)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default()
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
    let (date, full_date) = list_date(row);
    item.append_child(
        text_element("span", &[("class", "date"), ("title", &full_date)], &date)?.as_ref(),
    )?;
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
        ("Date", row.date.clone().unwrap_or_else(|| list_date(row).1)),
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

/// How much text is drawn in one go: a long body is drawn a piece at a time, each
/// piece a block of its own, with a pause between pieces so the page keeps
/// answering input (2 MB of links or a 20 MB line never freeze it).
const TEXT_PIECE: usize = 64 * 1024;

/// Appends `content` to `body` as text nodes, with web addresses as links that open
/// in a new tab without a referrer. No markup from the message is ever parsed. The
/// first piece is drawn at once, the rest while the page stays responsive; drawing
/// stops if the text is taken off the page (another message opened).
pub(crate) async fn show_text(body: &Element, content: &str) -> Result<(), JsValue> {
    let pre = element("pre", &[("class", "text")])?;
    body.append_child(&pre)?;
    for (index, piece) in text::pieces(content, TEXT_PIECE).into_iter().enumerate() {
        if index > 0 {
            crate::dom::sleep(0).await;
            if !pre.is_connected() {
                break;
            }
        }
        pre.append_child(text_piece(piece)?.as_ref())?;
    }
    Ok(())
}

fn text_piece(piece: &str) -> Result<Element, JsValue> {
    let block = element("span", &[("class", "piece")])?;
    for segment in text::links(piece) {
        match segment {
            text::Segment::Text(run) => {
                block.append_child(&document().create_text_node(run))?;
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
                block.append_child(&link)?;
            }
        }
    }
    Ok(block)
}

/// What the reader says of a message with neither HTML nor text.
pub(crate) fn no_text() -> Result<Element, JsValue> {
    text_element(
        "p",
        &[("class", "placeholder")],
        "This message has no text to show.",
    )
}

/// How much HTML is cleaned and shown until the user asks for all of it.
const HTML_SHOWN_AT_FIRST: usize = 1 << 20;

/// The HTML of the message in the reader and how the user wants it shown; kept to
/// show it again when they change that.
pub(crate) struct ShownHtml {
    pub(crate) source: String,
    /// The message's own images, for its `cid:` references (resolved by the
    /// sanitizer on parsed attributes).
    pub(crate) inline: Vec<html::InlineImage>,
    /// The user allowed remote images for this message.
    pub(crate) allow_remote: bool,
    /// The user asked for all of a body longer than [`HTML_SHOWN_AT_FIRST`].
    pub(crate) whole: bool,
}

impl ShownHtml {
    /// The HTML body and its inline images, as `(content id, MIME type, bytes)`; an
    /// image without an id or of a type that is not a raster image is left out.
    pub(crate) fn new(source: String, images: Vec<(String, String, Vec<u8>)>) -> ShownHtml {
        let inline = images
            .iter()
            .filter_map(|(id, mime_type, bytes)| html::InlineImage::new(id, mime_type, bytes))
            .collect();
        ShownHtml {
            source,
            inline,
            allow_remote: false,
            whole: false,
        }
    }

    /// What is cleaned and shown now: all of it, or its first
    /// [`HTML_SHOWN_AT_FIRST`] bytes (html5ever closes what the cut leaves open).
    fn shown_part(&self) -> &str {
        if self.whole || self.source.len() <= HTML_SHOWN_AT_FIRST {
            return &self.source;
        }
        let mut cut = HTML_SHOWN_AT_FIRST;
        while !self.source.is_char_boundary(cut) {
            cut -= 1;
        }
        &self.source[..cut]
    }
}

/// Shows the HTML in `body` (replacing what an earlier call showed): sanitized in a
/// sandboxed frame, with a note above it for what was held back or left out — remote
/// images (with a `data-allow-remote` button), the rest of a long body (with a
/// `data-show-whole` button), formatting too deep or too slow to clean (then the
/// text is shown instead).
pub(crate) async fn show_html(body: &Element, shown: &ShownHtml) -> Result<(), String> {
    let js = |e: JsValue| format!("{e:?}");
    let part = shown.shown_part();
    let safe = sanitizer::sanitize(part, shown.allow_remote, &shown.inline).await;
    for old in ["iframe.html", ".html-note", "pre.text"] {
        while let Ok(Some(old)) = body.query_selector(old) {
            old.remove();
        }
    }
    let notes = element("div", &[("class", "html-note")]).map_err(js)?;
    body.append_child(&notes).map_err(js)?;
    match safe {
        Ok(safe) => {
            draw_frame(body, &safe, shown.allow_remote).map_err(js)?;
            if safe.blocked_remote > 0 {
                note(
                    &notes,
                    &format!(
                        "{} remote image(s) blocked to protect your privacy. ",
                        safe.blocked_remote
                    ),
                    Some(("data-allow-remote", "Show remote images")),
                )
                .map_err(js)?;
            }
            if safe.shown_as_text {
                note(
                    &notes,
                    "The formatting of this message is nested too deeply to show; it is shown as plain text.",
                    None,
                )
                .map_err(js)?;
            }
        }
        Err(SanitizeError::TooSlow) => {
            note(
                &notes,
                "Preparing the formatting of this message took too long; it is shown as plain text.",
                None,
            )
            .map_err(js)?;
            let text = sanitizer::plain_text(part)
                .await
                .map_err(|e| e.to_string())?;
            show_text(body, &text).await.map_err(js)?;
        }
        Err(error) => return Err(error.to_string()),
    }
    if part.len() < shown.source.len() {
        note(
            &notes,
            &format!(
                "This message is long: the first {} of {} are shown. ",
                human_size(part.len() as u32),
                human_size(shown.source.len() as u32)
            ),
            Some(("data-show-whole", "Show all of it")),
        )
        .map_err(js)?;
    }
    Ok(())
}

/// A line of `text` in `notes`, with a button carrying `attribute` when given.
fn note(notes: &Element, text: &str, button: Option<(&str, &str)>) -> Result<(), JsValue> {
    let line = text_element("p", &[("class", "note")], text)?;
    if let Some((attribute, label)) = button {
        line.append_child(
            text_element("button", &[("type", "button"), (attribute, "")], label)?.as_ref(),
        )?;
    }
    notes.append_child(&line)?;
    Ok(())
}

fn draw_frame(body: &Element, safe: &SafeHtml, allow_remote: bool) -> Result<(), JsValue> {
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
    body.append_child(&frame)?;
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
