//! Drawing the POP3 view: the layout, the local folders, the rows of the open folder
//! and the reader. Everything comes from the local records; nothing here talks to
//! the server.

use postern_shared::pop3::mailbox::{AccountState, LeaveOnServer, LocalMessage};
use postern_shared::reader::file_name::visible_file_name;
use postern_shared::reader::mime;
use wasm_bindgen::prelude::*;
use web_sys::Element;

use super::PopMail;
use crate::dom::{by_id, document, element, text_element};
use crate::message_view::{self, ShownHtml, human_size};
use crate::panes;

/// The choices of the leave-on-server setting, as `<option>` values.
pub(super) const LEAVE_ON_SERVER: [(&str, &str); 4] = [
    ("keep", "Keep them there"),
    ("days-7", "Delete a week after download"),
    ("days-30", "Delete a month after download"),
    ("download", "Delete after download"),
];

pub(super) fn leave_on_server_value(policy: LeaveOnServer) -> String {
    match policy {
        LeaveOnServer::Keep => "keep".into(),
        LeaveOnServer::DeleteAfterDays(days) => format!("days-{days}"),
        LeaveOnServer::DeleteAfterDownload => "download".into(),
    }
}

pub(super) fn parse_leave_on_server(value: &str) -> LeaveOnServer {
    match value {
        "download" => LeaveOnServer::DeleteAfterDownload,
        v => v
            .strip_prefix("days-")
            .and_then(|d| d.parse().ok())
            .map(LeaveOnServer::DeleteAfterDays)
            .unwrap_or(LeaveOnServer::Keep),
    }
}

const CHECK_EVERY: [(u32, &str); 6] = [
    (0, "Never (check by hand)"),
    (1, "Every minute"),
    (5, "Every 5 minutes"),
    (15, "Every 15 minutes"),
    (30, "Every 30 minutes"),
    (60, "Every hour"),
];

pub(super) fn layout(account: &str, state: &AccountState) -> Result<Element, JsValue> {
    let mail = element("div", &[("id", "mail"), ("class", "mail pop3")])?;
    let bar = panes::bar(
        account,
        "",
        &[
            ("cancel-check", "Cancel", true),
            ("check", "Check mail", false),
            ("sign-out", "Sign out", false),
        ],
    )?;
    // The progress of a check goes before its Cancel button.
    let progress = element(
        "progress",
        &[("id", "check-progress"), ("hidden", ""), ("max", "1")],
    )?;
    if let Some(cancel) = bar.query_selector("#cancel-check")? {
        bar.insert_before(&progress, Some(&cancel))?;
    }
    mail.append_child(&bar)?;

    let folders = panes::folders()?;
    folders.append_child(
        text_element(
            "p",
            &[("class", "local-note")],
            "POP3 keeps no folders on the server: these folders, read marks and flags live \
             in this browser.",
        )?
        .as_ref(),
    )?;
    folders.append_child(settings(state)?.as_ref())?;
    mail.append_child(&folders)?;

    let list = element("section", &[("id", "list"), ("aria-label", "Messages")])?;
    list.append_child(panes::list_heading()?.as_ref())?;
    list.append_child(panes::rows()?.as_ref())?;
    mail.append_child(&list)?;
    mail.append_child(panes::reader()?.as_ref())?;
    Ok(mail)
}

fn settings(state: &AccountState) -> Result<Element, JsValue> {
    let section = element(
        "section",
        &[("id", "settings"), ("aria-label", "Account settings")],
    )?;
    section.append_child(
        text_element(
            "label",
            &[("for", "leave-on-server")],
            "Messages on the server",
        )?
        .as_ref(),
    )?;
    let leave = element("select", &[("id", "leave-on-server")])?;
    for (value, label) in LEAVE_ON_SERVER {
        leave.append_child(text_element("option", &[("value", value)], label)?.as_ref())?;
    }
    leave.set_attribute("data-value", &leave_on_server_value(state.leave_on_server))?;
    section.append_child(&leave)?;

    let offline = element("label", &[])?;
    let checkbox = element("input", &[("id", "download-all"), ("type", "checkbox")])?;
    if state.download_all {
        checkbox.set_attribute("checked", "")?;
    }
    offline.append_child(&checkbox)?;
    offline.append_child(&document().create_text_node(" Download everything for offline"))?;
    section.append_child(&offline)?;

    section.append_child(
        text_element("label", &[("for", "check-every")], "Check for mail")?.as_ref(),
    )?;
    let every = element("select", &[("id", "check-every")])?;
    for (minutes, label) in CHECK_EVERY {
        let option = text_element("option", &[("value", &minutes.to_string())], label)?;
        if minutes == state.check_every_minutes {
            option.set_attribute("selected", "")?;
        }
        every.append_child(&option)?;
    }
    section.append_child(&every)?;
    section
        .append_child(element("p", &[("id", "server-notes"), ("class", "local-note")])?.as_ref())?;
    Ok(section)
}

/// Draws folders, rows and (if its message is gone) clears the reader.
pub(super) fn redraw(mail: &PopMail) -> Result<(), JsValue> {
    // A select's value can be set only once its options exist.
    if let Ok(select) = by_id::<web_sys::HtmlSelectElement>("leave-on-server")
        && let Some(value) = select.get_attribute("data-value")
    {
        select.set_value(&value);
        select.remove_attribute("data-value")?;
    }
    folders(mail)?;
    rows(mail)?;
    let reading = mail.reading.borrow().clone();
    if let Some(uidl) = reading
        && !visible(mail).iter().any(|m| m.uidl == uidl)
    {
        clear_reader(mail)?;
    }
    Ok(())
}

/// The records of the open folder, newest arrival first.
pub(super) fn visible(mail: &PopMail) -> Vec<LocalMessage> {
    let current = mail.current.borrow();
    let mut shown: Vec<LocalMessage> = mail
        .messages
        .borrow()
        .iter()
        .filter(|m| !m.deleted && m.folder == *current)
        .cloned()
        .collect();
    shown.sort_by_key(|m| std::cmp::Reverse(m.summary.uid));
    shown
}

fn folders(mail: &PopMail) -> Result<(), JsValue> {
    let list: Element = by_id("folder-list")?;
    list.set_text_content(None);
    let current = mail.current.borrow().clone();
    let messages = mail.messages.borrow();
    for folder in mail.state.borrow().all_folders() {
        let unread = messages
            .iter()
            .filter(|m| !m.deleted && m.folder == folder && !m.summary.is_seen())
            .count();
        let item = element("li", &[("role", "treeitem")])?;
        let button = element(
            "button",
            &[
                ("type", "button"),
                ("class", "folder"),
                ("data-folder", &folder),
            ],
        )?;
        if folder == current {
            button.set_attribute("aria-current", "true")?;
        }
        // Symbols every common font has (no emoji font is needed).
        let icon = if item_is_inbox(&folder) { "✉" } else { "▸" };
        button.append_child(
            text_element("span", &[("class", "icon"), ("aria-hidden", "true")], icon)?.as_ref(),
        )?;
        button.append_child(text_element("span", &[("class", "name")], &folder)?.as_ref())?;
        if unread > 0 {
            let label = format!("{unread} unread");
            button.append_child(
                text_element(
                    "span",
                    &[("class", "count"), ("aria-label", &label)],
                    &unread.to_string(),
                )?
                .as_ref(),
            )?;
        }
        item.append_child(&button)?;
        list.append_child(&item)?;
    }
    by_id::<Element>("folder-title")?.set_text_content(Some(&current));
    let tools: Element = by_id("folder-tools")?;
    if item_is_inbox(&current) {
        tools.set_attribute("hidden", "")?;
    } else {
        tools.remove_attribute("hidden")?;
    }
    Ok(())
}

fn item_is_inbox(folder: &str) -> bool {
    folder == postern_shared::pop3::mailbox::INBOX
}

fn rows(mail: &PopMail) -> Result<(), JsValue> {
    let list: Element = by_id("rows")?;
    list.set_text_content(None);
    let shown = visible(mail);
    if shown.is_empty() {
        list.append_child(
            text_element("li", &[("class", "empty")], "This folder is empty.")?.as_ref(),
        )?;
        return Ok(());
    }
    let reading = mail.reading.borrow().clone();
    for message in &shown {
        let row = &message.summary;
        let mut class = String::from("row");
        if !row.is_seen() {
            class.push_str(" unread");
        }
        if row.has_flag("\\Flagged") {
            class.push_str(" flagged");
        }
        let item = element(
            "li",
            &[
                ("class", &class),
                ("role", "option"),
                ("tabindex", "0"),
                ("data-uidl", &message.uidl),
            ],
        )?;
        if reading.as_deref() == Some(message.uidl.as_str()) {
            item.set_attribute("aria-selected", "true")?;
        }
        let marks = message_view::row_fields(&item, row)?;
        let (mark, title) = match (message.is_downloaded(), message.on_server) {
            (true, true) => ("✓", "Stored in this browser; also on the server"),
            (true, false) => ("✓", "Stored in this browser only"),
            (false, true) => ("☁", "On the server; downloaded when opened"),
            (false, false) => ("⚠", "Gone from the server before it was downloaded"),
        };
        marks.append_child(
            text_element("span", &[("class", "where"), ("title", title)], mark)?.as_ref(),
        )?;
        item.append_child(&marks)?;
        list.append_child(&item)?;
    }
    Ok(())
}

pub(super) fn clear_reader(mail: &PopMail) -> Result<(), JsValue> {
    *mail.reading.borrow_mut() = None;
    *mail.shown_html.borrow_mut() = None;
    *mail.shown_raw.borrow_mut() = None;
    panes::show_nothing(&by_id::<Element>("reader")?)
}

/// The header block and the toolbar of `message`, with an empty body below to fill.
pub(super) fn reader_frame(mail: &PopMail, message: &LocalMessage) -> Result<Element, JsValue> {
    let reader: Element = by_id("reader")?;
    reader.set_text_content(None);
    reader.append_child(message_view::headers(&message.summary)?.as_ref())?;
    reader.append_child(toolbar(mail, message)?.as_ref())?;
    let body = element("div", &[("class", "body")])?;
    reader.append_child(&body)?;
    Ok(body)
}

fn toolbar(mail: &PopMail, message: &LocalMessage) -> Result<Element, JsValue> {
    let bar = panes::toolbar("Message actions")?;
    let flagged = message.summary.has_flag("\\Flagged");
    for (action, label) in [
        ("unread", "Mark unread"),
        ("flag", if flagged { "Unflag" } else { "Flag" }),
        ("delete", "Delete"),
    ] {
        bar.append_child(
            text_element(
                "button",
                &[("type", "button"), ("data-action", action)],
                label,
            )?
            .as_ref(),
        )?;
    }
    let move_to = element(
        "select",
        &[("data-move", ""), ("aria-label", "Move to folder")],
    )?;
    move_to.append_child(text_element("option", &[("value", "")], "Move to…")?.as_ref())?;
    for folder in mail.state.borrow().all_folders() {
        if folder != message.folder {
            move_to
                .append_child(text_element("option", &[("value", &folder)], &folder)?.as_ref())?;
        }
    }
    bar.append_child(&move_to)?;
    let place = if message.on_server {
        "Read marks, flags and deletion here stay in this browser; the server copy follows \
         the account's setting."
    } else {
        "This message is stored only in this browser."
    };
    bar.append_child(text_element("span", &[("class", "local-note")], place)?.as_ref())?;
    Ok(bar)
}

/// Fills `body` with the message: sanitized HTML, else text; then its attachments.
pub(super) async fn show_message(mail: &PopMail, body: &Element, raw: &[u8]) -> Result<(), String> {
    body.set_text_content(None);
    let Some(parts) = mime::parts(raw) else {
        body.set_text_content(Some(
            "This message cannot be read: it is not a valid message.",
        ));
        return Ok(());
    };
    if let Some(html) = &parts.html {
        let images = parts
            .inline_images
            .iter()
            .map(|i| (i.content_id.clone(), i.mime_type.clone(), i.bytes.clone()))
            .collect();
        let shown = ShownHtml::new(html.clone(), images);
        message_view::show_html(body, &shown).await?;
        *mail.shown_html.borrow_mut() = Some(shown);
    }
    if parts.html.is_some() {
        // Shown already, in its frame.
    } else if let Some(text) = &parts.text {
        message_view::show_text(body, text)
            .await
            .map_err(|e| format!("{e:?}"))?;
    } else {
        body.append_child(
            message_view::no_text()
                .map_err(|e| format!("{e:?}"))?
                .as_ref(),
        )
        .map_err(|e| format!("{e:?}"))?;
    }
    show_attachments(&parts).map_err(|e| format!("{e:?}"))
}

/// The list of attachments, below the message in the reader.
fn show_attachments(parts: &mime::MessageParts) -> Result<(), JsValue> {
    if !parts.attachments.is_empty() {
        let section = element(
            "section",
            &[("class", "attachments"), ("aria-label", "Attachments")],
        )?;
        let list = element("ul", &[])?;
        for (index, attachment) in parts.attachments.iter().enumerate() {
            let item = element("li", &[])?;
            let button = element(
                "button",
                &[
                    ("type", "button"),
                    ("class", "download clip-before"),
                    ("data-attachment", &index.to_string()),
                ],
            )?;
            button.set_text_content(Some(&format!(
                "⎘ {} ({}, {})",
                visible_file_name(&attachment.filename),
                attachment.mime_type,
                human_size(u32::try_from(attachment.bytes.len()).unwrap_or(u32::MAX))
            )));
            item.append_child(&button)?;
            list.append_child(&item)?;
        }
        section.append_child(&list)?;
        by_id::<Element>("reader")?.append_child(&section)?;
    }
    Ok(())
}
