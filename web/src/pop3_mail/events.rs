//! What the POP3 view does on clicks, choices and its timer.

use std::rc::Rc;

use postern_shared::pop3::mailbox::{self, INBOX, LocalMessage};
use postern_shared::reader::mime;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Element, Event, HtmlElement, HtmlInputElement, HtmlSelectElement};

use super::check::{self, Cancel, CheckError, Progress};
use super::{PopMail, now_ms, show_status, view};
use crate::dom::{self, by_id, sleep};
use crate::message_view::{self, ShownHtml};

pub(super) fn attach(mail: &Rc<PopMail>) -> Result<(), JsValue> {
    on(mail, "check", "click", |mail, _| check_now(mail))?;
    on(mail, "cancel-check", "click", |mail, _| {
        if let Some(cancel) = mail.running.borrow().as_ref() {
            cancel.cancel();
        }
    })?;
    on(mail, "sign-out", "click", |mail, _| {
        crate::login::forget();
        if let Some(cancel) = mail.running.borrow().as_ref() {
            cancel.cancel();
        }
        mail.store.close();
        if let Some(window) = web_sys::window() {
            let _ = window.location().reload();
        }
    })?;
    on(mail, "folders", "click", |mail, target| {
        if let Ok(Some(button)) = target.closest("[data-folder-command]") {
            let command = button
                .get_attribute("data-folder-command")
                .unwrap_or_default();
            spawn(manage_folder(Rc::clone(mail), command));
        } else if let Ok(Some(button)) = target.closest("[data-folder]") {
            let folder = button.get_attribute("data-folder").unwrap_or_default();
            *mail.current.borrow_mut() = folder;
            let _ = view::clear_reader(mail);
            let _ = view::redraw(mail);
        }
    })?;
    on(mail, "list", "click", |mail, target| {
        if let Ok(Some(button)) = target.closest("[data-folder-command]") {
            let command = button
                .get_attribute("data-folder-command")
                .unwrap_or_default();
            spawn(manage_folder(Rc::clone(mail), command));
        } else if let Ok(Some(row)) = target.closest("[data-uidl]") {
            let uidl = row.get_attribute("data-uidl").unwrap_or_default();
            spawn(open_message(Rc::clone(mail), uidl));
        }
    })?;
    on(mail, "settings", "change", |mail, _| {
        spawn(save_settings(Rc::clone(mail)));
    })?;
    on(mail, "reader", "click", |mail, target| {
        if let Ok(Some(button)) = target.closest("[data-action]") {
            let action = button.get_attribute("data-action").unwrap_or_default();
            spawn(act(Rc::clone(mail), action));
        } else if let Ok(Some(button)) = target.closest("[data-attachment]") {
            let index: usize = button
                .get_attribute("data-attachment")
                .and_then(|i| i.parse().ok())
                .unwrap_or(usize::MAX);
            save_attachment(mail, index);
        } else if let Some(change) = html_change(&target)
            && let Ok(Some(body)) =
                by_id::<Element>("reader").and_then(|r| r.query_selector(".body"))
        {
            let mail = Rc::clone(mail);
            wasm_bindgen_futures::spawn_local(async move {
                let Some(mut shown) = mail.shown_html.borrow_mut().take() else {
                    return;
                };
                change(&mut shown);
                if let Err(error) = message_view::show_html(&body, &shown).await {
                    show_status(&format!("Cannot show the message that way: {error}"));
                }
                *mail.shown_html.borrow_mut() = Some(shown);
            });
        }
    })?;
    on(mail, "reader", "change", |mail, target| {
        if let Some(select) = target.dyn_ref::<HtmlSelectElement>()
            && select.has_attribute("data-move")
            && !select.value().is_empty()
        {
            spawn(move_to(Rc::clone(mail), select.value()));
        }
    })?;
    Ok(())
}

/// What a click on `target` asks of the HTML message shown: its remote images, or
/// all of a long body.
fn html_change(target: &Element) -> Option<fn(&mut ShownHtml)> {
    if let Ok(Some(_)) = target.closest("[data-allow-remote]") {
        Some(|shown| shown.allow_remote = true)
    } else if let Ok(Some(_)) = target.closest("[data-show-whole]") {
        Some(|shown| shown.whole = true)
    } else {
        None
    }
}

/// Listens for `event` on `#id` for the life of the page.
fn on(
    mail: &Rc<PopMail>,
    id: &str,
    event: &str,
    handler: impl Fn(&Rc<PopMail>, Element) + 'static,
) -> Result<(), JsValue> {
    let mail = Rc::clone(mail);
    let listener = Closure::<dyn FnMut(Event)>::new(move |event: Event| {
        if let Some(target) = event.target().and_then(|t| t.dyn_into::<Element>().ok()) {
            handler(&mail, target);
        }
    });
    by_id::<HtmlElement>(id)?
        .add_event_listener_with_callback(event, listener.as_ref().unchecked_ref())?;
    listener.forget();
    Ok(())
}

fn spawn(work: impl std::future::Future<Output = Result<(), String>> + 'static) {
    wasm_bindgen_futures::spawn_local(async move {
        if let Err(error) = work.await {
            show_status(&error);
        }
    });
}

/// Checks the server now, unless a check or download is already talking to it.
pub(super) fn check_now(mail: &Rc<PopMail>) {
    let mail = Rc::clone(mail);
    wasm_bindgen_futures::spawn_local(async move {
        let Some(_server) = mail.server.try_lock() else {
            return;
        };
        let cancel = Cancel::default();
        *mail.running.borrow_mut() = Some(cancel.clone());
        set_checking(true);
        show_status("Checking for mail…");
        let progress = |step: Progress| {
            let (label, done, total) = match step {
                Progress::Headers { done, total } => ("New messages", done, total),
                Progress::Downloads { done, total } => ("Downloading", done, total),
            };
            show_status(&format!("{label}: {done} of {total}"));
            if let Ok(bar) = by_id::<web_sys::HtmlProgressElement>("check-progress") {
                bar.set_max(total.max(1) as f64);
                bar.set_value(done as f64);
            }
        };
        let result = check::check(&mail.account, &mail.store, now_ms(), &progress, &cancel).await;
        *mail.running.borrow_mut() = None;
        set_checking(false);
        // Whatever happened, the store holds what was committed: show that.
        if let Ok(messages) = mail.store.messages().await {
            *mail.messages.borrow_mut() = messages;
        }
        let _ = view::redraw(&mail);
        let time = js_sys::Date::new_0()
            .to_locale_time_string("default")
            .as_string()
            .unwrap_or_default();
        match result {
            Ok(report) => {
                mail.login_delay.set(report.login_delay);
                let mut said = match report.new {
                    0 => "No new mail".to_owned(),
                    1 => "1 new message".to_owned(),
                    n => format!("{n} new messages"),
                };
                if report.downloaded > 0 {
                    said.push_str(&format!(", {} downloaded", report.downloaded));
                }
                if report.deleted_from_server > 0 {
                    said.push_str(&format!(
                        ", {} deleted from the server",
                        report.deleted_from_server
                    ));
                }
                show_status(&format!("{said} · checked at {time}"));
                if let Ok(notes) = by_id::<Element>("server-notes") {
                    notes.set_text_content(Some(&report.server_notes.join(" ")));
                }
            }
            Err(CheckError::Cancelled) => {
                show_status("Check cancelled; everything downloaded so far is kept.")
            }
            Err(error) => show_status(&format!("Cannot check mail: {error}")),
        }
    });
}

fn set_checking(running: bool) {
    let toggle = |id: &str, hidden: bool| {
        if let Ok(element) = by_id::<Element>(id) {
            let _ = if hidden {
                element.set_attribute("hidden", "")
            } else {
                element.remove_attribute("hidden")
            };
        }
    };
    toggle("check-progress", !running);
    toggle("cancel-check", !running);
    if let Ok(button) = by_id::<web_sys::HtmlButtonElement>("check") {
        button.set_disabled(running);
    }
}

/// Checks on the account's interval (never more often than the server's
/// LOGIN-DELAY allows) while the page is open. A change of interval starts a new
/// loop; the old one sees the generation moved on and ends.
pub(super) fn schedule_checks(mail: &Rc<PopMail>) {
    let generation = mail.timer_generation.get() + 1;
    mail.timer_generation.set(generation);
    let mail = Rc::clone(mail);
    wasm_bindgen_futures::spawn_local(async move {
        loop {
            let minutes = mail.state.borrow().check_every_minutes;
            if minutes == 0 {
                return;
            }
            let seconds = (minutes * 60).max(mail.login_delay.get());
            sleep(i32::try_from(seconds.saturating_mul(1000)).unwrap_or(i32::MAX)).await;
            if mail.timer_generation.get() != generation {
                return;
            }
            check_now(&mail);
        }
    });
}

async fn save_settings(mail: Rc<PopMail>) -> Result<(), String> {
    let js = |e: JsValue| format!("{e:?}");
    let leave: HtmlSelectElement = by_id("leave-on-server").map_err(js)?;
    let offline: HtmlInputElement = by_id("download-all").map_err(js)?;
    let every: HtmlSelectElement = by_id("check-every").map_err(js)?;
    let interval_changed = {
        let mut state = mail.state.borrow_mut();
        state.leave_on_server = view::parse_leave_on_server(&leave.value());
        state.download_all = offline.checked();
        let minutes = every.value().parse().unwrap_or(0);
        let changed = minutes != state.check_every_minutes;
        state.check_every_minutes = minutes;
        changed
    };
    let state = mail.state.borrow().clone();
    mail.store
        .save_state(&state)
        .await
        .map_err(|e| e.to_string())?;
    if interval_changed {
        schedule_checks(&mail);
    }
    show_status("Settings saved in this browser.");
    Ok(())
}

/// Shows a message, downloading it first if only its headers are here.
async fn open_message(mail: Rc<PopMail>, uidl: String) -> Result<(), String> {
    let js = |e: JsValue| format!("{e:?}");
    let Some(record) = find(&mail, &uidl) else {
        return Ok(());
    };
    *mail.reading.borrow_mut() = Some(uidl.clone());
    *mail.shown_html.borrow_mut() = None;
    let body = view::reader_frame(&mail, &record).map_err(js)?;
    let raw = match mail.store.body(&uidl).await.map_err(|e| e.to_string())? {
        Some(raw) => raw,
        None if !record.on_server => {
            body.set_text_content(Some(
                "This message was removed from the server before it was downloaded; only its \
                 headers are here.",
            ));
            return Ok(());
        }
        None => {
            body.set_text_content(Some("Downloading…"));
            let _server = mail.server.lock().await;
            let (stored, raw) = check::download_one(&mail.account, &mail.store, &record, now_ms())
                .await
                .map_err(|e| format!("Cannot download the message: {e}"))?;
            replace(&mail, stored);
            raw
        }
    };
    if *mail.reading.borrow() != Some(uidl.clone()) {
        return Ok(());
    }
    view::show_message(&mail, &body, &raw).await?;
    *mail.shown_raw.borrow_mut() = Some(raw);
    if let Some(mut record) = find(&mail, &uidl)
        && !record.summary.is_seen()
    {
        record.summary.flags.push("\\Seen".into());
        save(&mail, vec![record]).await?;
    }
    view::redraw(&mail).map_err(js)
}

fn find(mail: &PopMail, uidl: &str) -> Option<LocalMessage> {
    mail.messages
        .borrow()
        .iter()
        .find(|m| m.uidl == uidl)
        .cloned()
}

fn replace(mail: &PopMail, record: LocalMessage) {
    let mut messages = mail.messages.borrow_mut();
    match messages.iter_mut().find(|m| m.uidl == record.uidl) {
        Some(slot) => *slot = record,
        None => messages.push(record),
    }
}

/// Stores changed records and shows them.
async fn save(mail: &PopMail, records: Vec<LocalMessage>) -> Result<(), String> {
    mail.store
        .put_messages(&records)
        .await
        .map_err(|e| e.to_string())?;
    for record in records {
        replace(mail, record);
    }
    Ok(())
}

/// Runs a toolbar action on the message in the reader.
async fn act(mail: Rc<PopMail>, action: String) -> Result<(), String> {
    let js = |e: JsValue| format!("{e:?}");
    let Some(uidl) = mail.reading.borrow().clone() else {
        return Ok(());
    };
    let Some(mut record) = find(&mail, &uidl) else {
        return Ok(());
    };
    match action.as_str() {
        "unread" | "flag" => {
            let flag = if action == "unread" {
                "\\Seen"
            } else {
                "\\Flagged"
            };
            let had = record.summary.has_flag(flag);
            record
                .summary
                .flags
                .retain(|f| !f.eq_ignore_ascii_case(flag));
            if action == "flag" && !had {
                record.summary.flags.push(flag.to_owned());
            }
            save(&mail, vec![record.clone()]).await?;
            if action == "unread" {
                view::clear_reader(&mail).map_err(js)?;
            } else if let Ok(Some(button)) =
                by_id::<Element>("reader").and_then(|r| r.query_selector("[data-action=flag]"))
            {
                let flagged = record.summary.has_flag("\\Flagged");
                button.set_text_content(Some(if flagged { "Unflag" } else { "Flag" }));
            }
        }
        "delete" => {
            if record.on_server {
                // A tombstone keeps the next check from bringing it back.
                mail.store
                    .delete_locally(std::slice::from_ref(&record))
                    .await
                    .map_err(|e| e.to_string())?;
                record.deleted = true;
                record.downloaded_at = None;
                replace(&mail, record);
            } else {
                mail.store
                    .remove(std::slice::from_ref(&record.uidl))
                    .await
                    .map_err(|e| e.to_string())?;
                mail.messages.borrow_mut().retain(|m| m.uidl != uidl);
            }
            view::clear_reader(&mail).map_err(js)?;
            show_status("Deleted from this browser.");
        }
        _ => {}
    }
    view::redraw(&mail).map_err(js)
}

async fn move_to(mail: Rc<PopMail>, folder: String) -> Result<(), String> {
    let Some(uidl) = mail.reading.borrow().clone() else {
        return Ok(());
    };
    let Some(mut record) = find(&mail, &uidl) else {
        return Ok(());
    };
    record.folder = folder.clone();
    save(&mail, vec![record]).await?;
    view::clear_reader(&mail).map_err(|e| format!("{e:?}"))?;
    view::redraw(&mail).map_err(|e| format!("{e:?}"))?;
    show_status(&format!("Moved to {folder}."));
    Ok(())
}

/// Creates, renames or deletes a local folder. Deleting one moves its messages to
/// the Inbox: no mail is lost by tidying folders.
async fn manage_folder(mail: Rc<PopMail>, command: String) -> Result<(), String> {
    let current = mail.current.borrow().clone();
    let mut state = mail.state.borrow().clone();
    let (moved_from, moved_to, open) = match command.as_str() {
        "create" => {
            let Some(name) = dom::ask_name("Name of the new folder (kept in this browser):", "")
            else {
                return Ok(());
            };
            let name = state.create_folder(&name).map_err(|e| e.to_string())?;
            (None, None, name)
        }
        "rename" => {
            let Some(name) = dom::ask_name("New name of the folder:", &current) else {
                return Ok(());
            };
            let name = state
                .rename_folder(&current, &name)
                .map_err(|e| e.to_string())?;
            (Some(current.clone()), Some(name.clone()), name)
        }
        "delete" => {
            if !dom::confirm(&format!(
                "Delete the folder “{current}”? Its messages move to the Inbox."
            )) {
                return Ok(());
            }
            state.delete_folder(&current).map_err(|e| e.to_string())?;
            (
                Some(current.clone()),
                Some(INBOX.to_owned()),
                INBOX.to_owned(),
            )
        }
        _ => return Ok(()),
    };
    if let (Some(from), Some(to)) = (moved_from, moved_to) {
        let mut records = mail.messages.borrow().clone();
        let changed = mailbox::rename_in(&mut records, &from, &to);
        save(&mail, changed).await?;
    }
    mail.store
        .save_state(&state)
        .await
        .map_err(|e| e.to_string())?;
    *mail.state.borrow_mut() = state;
    *mail.current.borrow_mut() = open;
    view::clear_reader(&mail).map_err(|e| format!("{e:?}"))?;
    view::redraw(&mail).map_err(|e| format!("{e:?}"))
}

fn save_attachment(mail: &PopMail, index: usize) {
    let raw = mail.shown_raw.borrow();
    let Some(attachment) = raw
        .as_deref()
        .and_then(mime::parts)
        .and_then(|p| p.attachments.into_iter().nth(index))
    else {
        return;
    };
    if let Err(error) = message_view::save(
        &attachment.bytes,
        &attachment.mime_type,
        &postern_shared::reader::file_name::visible_file_name(&attachment.filename),
    ) {
        show_status(&format!("Cannot save the attachment: {error:?}"));
    }
}
