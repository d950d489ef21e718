//! One message, shown safely and fetched sparingly: its structure first, then only
//! the body part to show (HTML, else text) and the images that HTML shows inline.
//! Attachments are listed and fetched only when clicked.
//!
//! HTML is sanitized (`postern_shared::reader::html`) and shown in a frame sandboxed
//! without `allow-scripts` or `allow-same-origin`, under its own CSP; text goes in
//! as text, never as markup.

use std::rc::Rc;

use postern_shared::imap::structure::{BodyPart, display_plan};
use postern_shared::imap::{FlagOperation, Outcome, SpecialUse, UidSet};
use postern_shared::reader::file_name::visible_file_name;
use postern_shared::reader::{mime, text};
use postern_shared::summary::MessageSummary;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Element, Event, HtmlElement};

use super::{Mail, actions, compose, folders, list, show_connection};
use crate::dom::{by_id, element, text_element};
use crate::message_view::{self, ShownHtml};

/// Empties the reader.
pub(crate) fn clear() {
    if let Ok(reader) = by_id::<Element>("reader") {
        let _ = crate::panes::show_nothing(&reader);
    }
}

pub(crate) async fn open(mail: &Rc<Mail>, uid: u32) {
    let Some(row) = mail.rows.borrow().iter().find(|r| r.uid == uid).cloned() else {
        return;
    };
    *mail.reading.borrow_mut() = Some(uid);
    super::phone::go(mail, super::phone::Pane::Message);
    // Leaving the compose form: what autosave stored in Drafts stays there.
    if let Some(compose) = mail.compose.borrow_mut().take() {
        compose.close();
    }
    // The error about the message opened before is about that one only.
    if mail.open_failed.replace(false) {
        show_connection("Connected");
    }
    if let Err(error) = show(mail, &row).await
        && still_reading(mail, uid)
    {
        mail.open_failed.set(true);
        show_connection(&format!("Cannot open the message: {error}"));
    }
}

/// Where the choice to mark messages read when opened is kept (on by default).
pub(crate) const AUTO_READ_KEY: &str = "postern.auto-read";

/// Whether opening a message marks it read.
pub(crate) fn auto_read() -> bool {
    web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .and_then(|s| s.get_item(AUTO_READ_KEY).ok().flatten())
        .is_none_or(|v| v != "off")
}

/// Shows a message from its whole source, read by the lenient MIME parser, when the
/// server's description of its structure could not be read; says so above it.
async fn show_from_source(
    mail: &Rc<Mail>,
    row: &MessageSummary,
    body: &Element,
    why: &str,
) -> Result<(), String> {
    let js = |e: JsValue| format!("{e:?}");
    let Outcome::Section(Some(raw)) = mail
        .request(|s| s.fetch_section(row.uid, &[], None))
        .await?
    else {
        return Err("the server returned no data for this message".into());
    };
    if !still_reading(mail, row.uid) {
        return Ok(());
    }
    body.set_text_content(None);
    let note = text_element(
        "p",
        &[("class", "note")],
        &format!(
            "The structure of this message could not be read ({why}); it is shown from its source."
        ),
    )
    .map_err(js)?;
    body.append_child(&note).map_err(js)?;
    let parts = mime::parts(&raw).unwrap_or_default();
    if let Some(html) = parts.html {
        let images = parts
            .inline_images
            .into_iter()
            .map(|i| (i.content_id, i.mime_type, i.bytes))
            .collect();
        let shown = ShownHtml::new(html, images);
        message_view::show_html(body, &shown).await?;
        *mail.shown_html.borrow_mut() = Some(shown);
    } else if let Some(content) = parts.text {
        message_view::show_text(body, &content).await.map_err(js)?;
    } else {
        body.append_child(message_view::no_text().map_err(js)?.as_ref())
            .map_err(js)?;
    }
    Ok(())
}

/// Whether the user still wants `uid` (another click may have come meanwhile).
fn still_reading(mail: &Mail, uid: u32) -> bool {
    *mail.reading.borrow() == Some(uid)
}

async fn show(mail: &Rc<Mail>, row: &MessageSummary) -> Result<(), String> {
    let js = |e: JsValue| format!("{e:?}");
    let reader: Element = by_id("reader").map_err(js)?;
    reader.set_text_content(None);
    let header = message_view::headers(row).map_err(js)?;
    reader.append_child(&header).map_err(js)?;
    // Opening marks it read unless the user turned that off.
    let toolbar = actions::toolbar(
        row.is_seen() || auto_read(),
        row.has_flag("\\Flagged"),
        &actions::destinations(mail),
    )
    .map_err(js)?;
    reader.append_child(&toolbar).map_err(js)?;
    if mail.account.can_send {
        reader
            .append_child(answer_bar(mail).map_err(js)?.as_ref())
            .map_err(js)?;
    }
    let body = element("div", &[("class", "body")]).map_err(js)?;
    body.set_text_content(Some("Loading…"));
    reader.append_child(&body).map_err(js)?;

    let root = match mail.request(|s| s.fetch_structure(row.uid)).await {
        Ok(Outcome::Structure(root)) => root,
        Ok(_) => return Err("the server answered FETCH with something else".into()),
        // A structure the parser cannot read (nested past its limit, malformed):
        // the message still opens, from its source.
        Err(error) => return show_from_source(mail, row, &body, &error).await,
    };
    let plan = display_plan(&root);
    if !still_reading(mail, row.uid) {
        return Ok(());
    }
    body.set_text_content(None);
    // What the server said of damaged parts, told above the message once it shows.
    let mut damage = Vec::new();
    if let Some(part) = &plan.html {
        let source = text::decode(
            &fetch_part(mail, row.uid, part, &mut damage).await?,
            part.charset.as_deref(),
        );
        let inline = fetch_inline_images(mail, row.uid, &plan.inline_images).await?;
        if !still_reading(mail, row.uid) {
            return Ok(());
        }
        let shown = ShownHtml::new(source, inline);
        message_view::show_html(&body, &shown).await?;
        *mail.shown_html.borrow_mut() = Some(shown);
    } else if let Some(part) = &plan.text {
        let content = text::decode(
            &fetch_part(mail, row.uid, part, &mut damage).await?,
            part.charset.as_deref(),
        );
        if !still_reading(mail, row.uid) {
            return Ok(());
        }
        message_view::show_text(&body, &content).await.map_err(js)?;
    } else {
        body.append_child(message_view::no_text().map_err(js)?.as_ref())
            .map_err(js)?;
    }
    for refusal in damage {
        let note = text_element(
            "p",
            &[("class", "note")],
            &format!(
                "Part of this message is damaged ({refusal}); it is shown as well as it could be read."
            ),
        )
        .map_err(js)?;
        body.insert_before(&note, body.first_child().as_ref())
            .map_err(js)?;
    }
    if !plan.attachments.is_empty() {
        let list = attachments(&plan.attachments).map_err(js)?;
        reader.append_child(&list).map_err(js)?;
    }

    if !row.is_seen() && auto_read() {
        let uid = row.uid;
        mail.request(|s| {
            s.store_flags(&UidSet::single(uid), FlagOperation::Add, &["\\Seen"], None)
        })
        .await?;
        if let Some(stored) = mail.rows.borrow_mut().iter_mut().find(|r| r.uid == uid) {
            stored.flags.push("\\Seen".into());
        }
        list::mark_read(uid);
        if let Some(folder) = mail.current.borrow().as_deref() {
            folders::decrement_unread(folder);
        }
    }
    Ok(())
}

/// The user changed how the HTML message in the reader is shown (`change` sets what
/// they asked for): it is shown again that way.
async fn show_html_again(mail: &Mail, change: fn(&mut ShownHtml)) -> Result<(), String> {
    let Some(mut shown) = mail.shown_html.borrow_mut().take() else {
        return Ok(());
    };
    change(&mut shown);
    let body = by_id::<Element>("reader")
        .ok()
        .and_then(|r| r.query_selector(".body").ok().flatten());
    let result = match body {
        Some(body) => message_view::show_html(&body, &shown).await,
        None => Ok(()),
    };
    *mail.shown_html.borrow_mut() = Some(shown);
    result
}

/// Redraws the toolbar of the message in the reader from its current flags.
pub(crate) fn update_toolbar(mail: &Mail, uid: u32) {
    if *mail.reading.borrow() != Some(uid) {
        return;
    }
    let Some((seen, flagged)) = mail
        .rows
        .borrow()
        .iter()
        .find(|r| r.uid == uid)
        .map(|r| (r.is_seen(), r.has_flag("\\Flagged")))
    else {
        return;
    };
    if let (Ok(reader), Ok(toolbar)) = (
        by_id::<Element>("reader"),
        actions::toolbar(seen, flagged, &actions::destinations(mail)),
    ) && let Ok(Some(old)) = reader.query_selector(".actions")
    {
        let _ = reader.replace_child(&toolbar, &old);
    }
}

/// Reply, reply all, forward (inline or attached); in Drafts, edit the draft.
fn answer_bar(mail: &Mail) -> Result<Element, JsValue> {
    let bar = element(
        "div",
        &[
            ("class", "actions answer"),
            ("role", "toolbar"),
            ("aria-label", "Answer"),
        ],
    )?;
    let in_drafts = actions::special_folder(mail, SpecialUse::Drafts)
        .is_some_and(|drafts| mail.current.borrow().as_deref() == Some(drafts.as_str()));
    let buttons: &[(&str, &str)] = if in_drafts {
        &[("resume", "Edit draft")]
    } else {
        &[
            ("reply", "Reply"),
            ("reply-all", "Reply all"),
            ("forward", "Forward"),
            ("forward-attached", "Forward as attachment"),
        ]
    };
    for (kind, label) in buttons {
        bar.append_child(
            text_element(
                "button",
                &[("type", "button"), ("data-compose", kind)],
                label,
            )?
            .as_ref(),
        )?;
    }
    Ok(bar)
}

/// How much of a big attachment one FETCH asks for, so a progress bar can follow.
const PIECE: u32 = 1 << 20;

/// An attachment, fetched in pieces of [`PIECE`] bytes when it is big, with `bar`
/// showing how far it got. The pieces are of the part as sent (BODY[n]<offset>,
/// which every server offers in ranges), decoded once whole.
async fn fetch_part_in_pieces(
    mail: &Mail,
    uid: u32,
    part: &BodyPart,
    bar: Option<&web_sys::HtmlProgressElement>,
) -> Result<Vec<u8>, String> {
    if part.size <= PIECE {
        return fetch_part(mail, uid, part, &mut Vec::new()).await;
    }
    let numbers = part.section.clone();
    let mut whole = Vec::with_capacity(part.size as usize);
    let mut offset = 0u32;
    loop {
        let range = Some((offset, PIECE));
        let Outcome::Section(piece) = mail
            .request(|s| s.fetch_section(uid, &numbers, range))
            .await?
        else {
            return Err("the server returned no data for this part".into());
        };
        let piece = piece.unwrap_or_default();
        whole.extend_from_slice(&piece);
        offset += PIECE;
        if let Some(bar) = bar {
            bar.set_value(whole.len() as f64);
        }
        if (piece.len() as u32) < PIECE {
            break;
        }
    }
    Ok(text::decode_transfer(&whole, &part.encoding))
}

/// How many inline images one FETCH asks for.
const IMAGES_PER_FETCH: usize = 100;

/// How many bytes of inline images (as the structure gives their sizes) a message
/// may have fetched; the sanitizer has a budget of its own for what it puts in.
const INLINE_IMAGE_BYTES: u64 = 48 << 20;

/// The inline images of message `uid` that have a Content-ID, as `(content id, MIME
/// type, decoded bytes)`: from the cache where this browser has them, the others in
/// FETCHes of [`IMAGES_PER_FETCH`] parts each (2,000 images: 20 round trips, not
/// 2,000), until [`INLINE_IMAGE_BYTES`] are spent.
async fn fetch_inline_images(
    mail: &Mail,
    uid: u32,
    images: &[BodyPart],
) -> Result<Vec<(String, String, Vec<u8>)>, String> {
    let cache = mail.cache.borrow().clone();
    let folder = mail.current.borrow().clone().unwrap_or_default();
    let validity = mail.synced.get().map(|(v, _)| v);
    let mut spent = 0u64;
    let wanted: Vec<&BodyPart> = images
        .iter()
        .filter(|image| image.content_id.is_some())
        .take_while(|image| {
            spent += u64::from(image.size);
            spent <= INLINE_IMAGE_BYTES
        })
        .collect();
    let mut found: Vec<(Vec<u32>, Vec<u8>)> = Vec::new();
    let mut missing = Vec::new();
    for image in wanted.iter().copied() {
        let cached = match (&cache, validity) {
            (Some(cache), Some(validity)) => cache
                .body(&folder, validity, uid, &section_text(image))
                .await
                .ok()
                .flatten(),
            _ => None,
        };
        match cached {
            Some(bytes) => found.push((image.section.clone(), bytes)),
            None => missing.push(image),
        }
    }
    let binary = mail.imap.lock().await.session.has_capability("BINARY");
    for batch in missing.chunks(IMAGES_PER_FETCH) {
        let sections: Vec<Vec<u32>> = batch.iter().map(|p| p.section.clone()).collect();
        // A server that cannot decode a part refuses BINARY for the whole FETCH:
        // then the parts as sent, decoded here.
        let (decoded, outcome) = match binary {
            true => match mail.request(|s| s.fetch_parts(uid, &sections, true)).await {
                Ok(outcome) => (true, outcome),
                Err(_) => (
                    false,
                    mail.request(|s| s.fetch_parts(uid, &sections, false))
                        .await?,
                ),
            },
            false => (
                false,
                mail.request(|s| s.fetch_parts(uid, &sections, false))
                    .await?,
            ),
        };
        let Outcome::Parts(parts) = outcome else {
            return Err("the server answered FETCH with something else".into());
        };
        for (section, bytes) in parts {
            let Some(part) = batch.iter().find(|p| p.section == section) else {
                continue;
            };
            let bytes = if decoded {
                bytes
            } else {
                text::decode_transfer(&bytes, &part.encoding)
            };
            if let (Some(cache), Some(validity)) = (&cache, validity) {
                let _ = cache
                    .save_body(&folder, validity, uid, &section_text(part), &bytes)
                    .await;
            }
            found.push((section, bytes));
        }
    }
    Ok(found
        .into_iter()
        .filter_map(|(section, bytes)| {
            let part = wanted.iter().find(|p| p.section == section)?;
            Some((part.content_id.clone()?, part.mime_type.clone(), bytes))
        })
        .collect())
}

/// The decoded bytes of one part: from the cache when this browser opened it before,
/// else from the server (which decodes with BINARY where it can), then cached. When
/// the server cannot decode the part, it is decoded here as far as it goes and the
/// server's words are added to `damage`.
async fn fetch_part(
    mail: &Mail,
    uid: u32,
    part: &BodyPart,
    damage: &mut Vec<String>,
) -> Result<Vec<u8>, String> {
    let cache = mail.cache.borrow().clone();
    let folder = mail.current.borrow().clone().unwrap_or_default();
    let validity = mail.synced.get().map(|(v, _)| v);
    let section = section_text(part);
    if let (Some(cache), Some(validity)) = (&cache, validity)
        && let Ok(Some(bytes)) = cache.body(&folder, validity, uid, &section).await
    {
        return Ok(bytes);
    }
    let mut binary = mail.imap.lock().await.session.has_capability("BINARY");
    let numbers = part.section.clone();
    let outcome = if binary {
        match mail.request(|s| s.fetch_binary(uid, &numbers)).await {
            Ok(outcome) => outcome,
            Err(refusal) => {
                // The server cannot decode this part (damaged base64 or
                // quoted-printable, an encoding it does not know: NO [PARSE] or
                // [UNKNOWN-CTE]). Take it as sent and decode what can be decoded.
                binary = false;
                damage.push(refusal);
                mail.request(|s| s.fetch_section(uid, &numbers, None))
                    .await?
            }
        }
    } else {
        mail.request(|s| s.fetch_section(uid, &numbers, None))
            .await?
    };
    let Outcome::Section(Some(bytes)) = outcome else {
        return Err("the server returned no data for this part".into());
    };
    let bytes = if binary {
        bytes
    } else {
        text::decode_transfer(&bytes, &part.encoding)
    };
    if let (Some(cache), Some(validity)) = (cache, validity) {
        // Quota or a disabled store only cost the next opening its head start.
        let _ = cache
            .save_body(&folder, validity, uid, &section, &bytes)
            .await;
    }
    Ok(bytes)
}

fn attachments(parts: &[BodyPart]) -> Result<Element, JsValue> {
    let section = element(
        "section",
        &[("class", "attachments"), ("aria-label", "Attachments")],
    )?;
    let list = element("ul", &[])?;
    for part in parts {
        let name = part
            .filename
            .as_deref()
            .map(visible_file_name)
            .unwrap_or_else(|| format!("part-{}", section_text(part)));
        let item = element("li", &[])?;
        let button = element(
            "button",
            &[
                ("type", "button"),
                ("class", "download clip-before"),
                ("data-section", &section_text(part)),
                ("data-filename", &name),
                ("data-type", &part.mime_type),
                ("data-encoding", &part.encoding),
                ("data-size", &part.size.to_string()),
            ],
        )?;
        button.set_text_content(Some(&format!(
            "⎘ {name} ({}, {})",
            part.mime_type,
            message_view::human_size(part.size)
        )));
        item.append_child(&button)?;
        list.append_child(&item)?;
    }
    section.append_child(&list)?;
    Ok(section)
}

fn section_text(part: &BodyPart) -> String {
    part.section
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

/// Clicking an action button runs it; clicking an attachment downloads it (fetched
/// now, not before).
pub(crate) fn attach(mail: &Rc<Mail>) -> Result<(), JsValue> {
    let mail_for_change = Rc::clone(mail);
    let mail = Rc::clone(mail);
    let on_click = Closure::<dyn FnMut(Event)>::new(move |event: Event| {
        let Some(target) = event.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
            return;
        };
        if let Ok(Some(button)) = target.closest("[data-compose]") {
            let kind = button.get_attribute("data-compose").unwrap_or_default();
            let mail = Rc::clone(&mail);
            wasm_bindgen_futures::spawn_local(async move {
                let result = if kind == "resume" {
                    let uid = *mail.reading.borrow();
                    let row = uid
                        .and_then(|uid| mail.rows.borrow().iter().find(|r| r.uid == uid).cloned());
                    match row {
                        Some(row) => compose::resume(&mail, &row).await,
                        None => Ok(()),
                    }
                } else {
                    compose::answer(&mail, &kind).await
                };
                if let Err(error) = result {
                    show_connection(&format!("Cannot open the editor: {error}"));
                }
            });
            return;
        }
        if actions::on_click(&mail, &target) {
            return;
        }
        if let Ok(Some(_)) = target.closest("[data-allow-remote]") {
            let mail = Rc::clone(&mail);
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(error) = show_html_again(&mail, |s| s.allow_remote = true).await {
                    show_connection(&format!("Cannot show remote images: {error}"));
                }
            });
            return;
        }
        if let Ok(Some(_)) = target.closest("[data-show-whole]") {
            let mail = Rc::clone(&mail);
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(error) = show_html_again(&mail, |s| s.whole = true).await {
                    show_connection(&format!("Cannot show the whole message: {error}"));
                }
            });
            return;
        }
        let Ok(Some(button)) = target.closest("[data-section]") else {
            return;
        };
        let Some(uid) = *mail.reading.borrow() else {
            return;
        };
        let attribute = |name: &str| button.get_attribute(name).unwrap_or_default();
        let part = BodyPart {
            section: attribute("data-section")
                .split('.')
                .filter_map(|n| n.parse().ok())
                .collect(),
            mime_type: attribute("data-type"),
            charset: None,
            encoding: attribute("data-encoding"),
            size: attribute("data-size").parse().unwrap_or(0),
            filename: Some(attribute("data-filename")),
            content_id: None,
            disposition: None,
            children: Vec::new(),
        };
        let mail = Rc::clone(&mail);
        let bar = element(
            "progress",
            &[
                ("class", "download-progress"),
                ("aria-label", "Download progress"),
            ],
        )
        .ok()
        .and_then(|b| b.dyn_into::<web_sys::HtmlProgressElement>().ok());
        if let Some(bar) = &bar {
            bar.set_max(f64::from(part.size.max(1)));
            let _ = button.after_with_node_1(bar);
        }
        wasm_bindgen_futures::spawn_local(async move {
            show_connection(&format!(
                "Downloading {}…",
                part.filename.as_deref().unwrap_or("attachment")
            ));
            let result = fetch_part_in_pieces(&mail, uid, &part, bar.as_ref()).await;
            if let Some(bar) = bar {
                bar.remove();
            }
            match result {
                Ok(bytes) => match message_view::save(
                    &bytes,
                    &part.mime_type,
                    part.filename.as_deref().unwrap_or("attachment"),
                ) {
                    Ok(()) => show_connection("Connected"),
                    Err(e) => show_connection(&format!("Cannot save the attachment: {e:?}")),
                },
                Err(error) => show_connection(&format!("Cannot download the attachment: {error}")),
            }
        });
    });
    let reader = by_id::<HtmlElement>("reader")?;
    reader.set_onclick(Some(on_click.as_ref().unchecked_ref()));
    on_click.forget();
    let for_change = Rc::clone(&mail_for_change);
    let on_change = Closure::<dyn FnMut(Event)>::new(move |event: Event| {
        if let Some(target) = event.target().and_then(|t| t.dyn_into::<Element>().ok()) {
            actions::on_change(&for_change, &target);
        }
    });
    reader.set_onchange(Some(on_change.as_ref().unchecked_ref()));
    on_change.forget();
    Ok(())
}
