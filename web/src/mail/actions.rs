//! What a reader does to a message: mark read or unread, flag, archive, delete; by
//! button or by key (j/k next and previous, u unread, s flag, e archive, # or Delete
//! delete, / search, ? help).
//!
//! Each action runs on the server first; the view then refreshes from the server, so
//! what the user sees is what the mailbox holds.

use std::rc::Rc;

use postern_shared::imap::{FlagOperation, Outcome, SpecialUse, UidSet};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Element, HtmlElement, KeyboardEvent};

use super::{Mail, list, reader, show_connection};
use crate::dom::{by_id, document, element, text_element};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Action {
    ToggleRead,
    ToggleFlag,
    /// Set (`true`) or clear `\Seen`.
    MarkRead(bool),
    /// Set (`true`) or clear `\Flagged`.
    MarkFlagged(bool),
    Archive,
    Delete,
    MoveTo(String),
    CopyTo(String),
}

impl Action {
    fn from_name(name: &str) -> Option<Action> {
        Some(match name {
            "toggle-read" => Action::ToggleRead,
            "toggle-flag" => Action::ToggleFlag,
            "archive" => Action::Archive,
            "delete" => Action::Delete,
            _ => return None,
        })
    }
}

/// The reader's toolbar for a message with these flags, offering `folders` (the
/// other selectable folders) to move or copy to.
pub(crate) fn toolbar(
    seen: bool,
    flagged: bool,
    folders: &[Destination],
) -> Result<Element, JsValue> {
    let bar = crate::panes::toolbar("Message actions")?;
    for (name, label, key) in [
        (
            "toggle-read",
            if seen { "Mark unread" } else { "Mark read" },
            "u",
        ),
        ("toggle-flag", if flagged { "Unflag" } else { "Flag" }, "s"),
        ("archive", "Archive", "e"),
        ("delete", "Delete", "#"),
    ] {
        bar.append_child(
            text_element(
                "button",
                &[
                    ("type", "button"),
                    ("data-action", name),
                    ("aria-keyshortcuts", key),
                ],
                label,
            )?
            .as_ref(),
        )?;
    }
    for (kind, prompt) in [("move", "Move to…"), ("copy", "Copy to…")] {
        let label = format!("{prompt} (folder)");
        let choice = element("select", &[("data-transfer", kind), ("aria-label", &label)])?;
        choice.append_child(text_element("option", &[("value", "")], prompt)?.as_ref())?;
        for folder in folders {
            let option = text_element("option", &[("value", &folder.name)], &folder.label)?;
            choice.append_child(option.as_ref())?;
        }
        bar.append_child(&choice)?;
    }
    Ok(bar)
}

/// A folder a message can go to: its name on the server, and as the user sees it.
pub(crate) struct Destination {
    pub name: String,
    pub label: String,
}

/// The folders a message in the open folder can be moved or copied to.
pub(crate) fn destinations(mail: &Mail) -> Vec<Destination> {
    let current = mail.current.borrow().clone().unwrap_or_default();
    let namespace = mail.namespace.borrow().clone().unwrap_or_default();
    mail.folders
        .borrow()
        .iter()
        .filter(|f| f.selectable && f.name != current)
        .map(|f| Destination {
            name: f.name.clone(),
            label: namespace.display_name(&f.name).to_owned(),
        })
        .collect()
}

/// The folder with this special use, if the account has one.
pub(crate) fn special_folder(mail: &Mail, use_: SpecialUse) -> Option<String> {
    mail.folders
        .borrow()
        .iter()
        .find(|f| f.special_use == Some(use_))
        .map(|f| f.name.clone())
}

/// Runs `action` on the messages `uids` of the open folder, then refreshes the list.
/// A toggle follows the first message's state.
pub(crate) async fn apply(mail: &Rc<Mail>, uids: &[u32], action: Action) -> Result<(), String> {
    let Some(&first) = uids.first() else {
        return Ok(());
    };
    let row = mail.rows.borrow().iter().find(|r| r.uid == first).cloned();
    let action = match (action, &row) {
        (Action::ToggleRead, Some(row)) => Action::MarkRead(!row.is_seen()),
        (Action::ToggleFlag, Some(row)) => Action::MarkFlagged(!row.has_flag("\\Flagged")),
        (Action::ToggleRead | Action::ToggleFlag, None) => return Ok(()),
        (action, _) => action,
    };
    let listed = uids.to_vec();
    let leaves = matches!(action, Action::Archive | Action::Delete | Action::MoveTo(_));
    let read = *mail.reading.borrow();
    let reading_leaves = leaves && read.is_some_and(|uid| listed.contains(&uid));
    if reading_leaves {
        // The message leaves the folder: a body still loading for it is no longer
        // wanted, and its failure (the part is gone) is no error to show.
        *mail.reading.borrow_mut() = None;
    }
    let set = UidSet::of(uids);
    let uids = &set;
    let current = mail.current.borrow().clone().unwrap_or_default();
    match &action {
        Action::ToggleRead | Action::ToggleFlag => unreachable!("resolved above"),
        Action::MarkRead(on) | Action::MarkFlagged(on) => {
            let flag = if matches!(action, Action::MarkRead(_)) {
                "\\Seen"
            } else {
                "\\Flagged"
            };
            let operation = if *on {
                FlagOperation::Add
            } else {
                FlagOperation::Remove
            };
            mail.request(|s| s.store_flags(uids, operation, &[flag], None))
                .await?;
        }
        Action::Archive => {
            let archive = special_folder(mail, SpecialUse::Archive)
                .ok_or("this account has no Archive folder")?;
            if archive == current {
                return Ok(());
            }
            report_left_marked(mail.request(|s| s.move_to(uids, &archive)).await?);
        }
        Action::MoveTo(folder) => {
            report_left_marked(mail.request(|s| s.move_to(uids, folder)).await?);
        }
        Action::CopyTo(folder) => {
            mail.request(|s| s.copy(uids, folder)).await?;
        }
        Action::Delete => {
            let trash = special_folder(mail, SpecialUse::Trash);
            match trash {
                Some(trash) if trash != current => {
                    report_left_marked(mail.request(|s| s.move_to(uids, &trash)).await?);
                }
                // In the Trash, delete for good; elsewhere only when the user says so
                // (an account without a Trash folder, and none chosen in settings).
                _ => {
                    let count = listed.len();
                    let question = if trash.is_some() {
                        None
                    } else if count == 1 {
                        Some("This account has no Trash folder, so the message cannot be kept there. Delete it for good?".to_owned())
                    } else {
                        Some(format!(
                            "This account has no Trash folder, so the messages cannot be kept there. Delete these {count} messages for good?"
                        ))
                    };
                    if let Some(question) = question
                        && !crate::dom::confirm(&question)
                    {
                        *mail.reading.borrow_mut() = read;
                        return Ok(());
                    }
                    mail.request(|s| s.store_flags(uids, FlagOperation::Add, &["\\Deleted"], None))
                        .await?;
                    report_left_marked(mail.request(|s| s.expunge(uids)).await?);
                }
            }
        }
    }
    list::refresh(mail).await?;
    if reading_leaves && mail.reading.borrow().is_none() {
        reader::clear();
    }
    let reading = *mail.reading.borrow();
    if let Some(uid) = reading.filter(|uid| listed.contains(uid)) {
        reader::update_toolbar(mail, uid);
    }
    if let Action::CopyTo(folder) = &action {
        show_connection(&format!("Copied to {folder}."));
    }
    Ok(())
}

/// Says in words when a move or delete on a server without UIDPLUS had to leave the
/// originals marked `\Deleted` (removing them would have removed other messages
/// marked so too, which the user did not pick).
fn report_left_marked(outcome: Outcome) {
    if let Outcome::NotExpunged { others, .. } = outcome {
        show_connection(&format!(
            "Done, but the originals are only marked as deleted: {} other message(s) in this folder are marked deleted too (by another mail program), and this server can only remove all of them at once.",
            others.len()
        ));
    }
}

fn run(mail: &Rc<Mail>, uid: u32, action: Action) {
    let mail = Rc::clone(mail);
    wasm_bindgen_futures::spawn_local(async move {
        if let Err(error) = apply(&mail, &[uid], action).await {
            show_connection(&format!("Cannot do that: {error}"));
        }
    });
}

/// Handles a click on a toolbar button; true if it was one.
pub(crate) fn on_click(mail: &Rc<Mail>, target: &Element) -> bool {
    let Ok(Some(button)) = target.closest("[data-action]") else {
        return false;
    };
    let Some(action) = button
        .get_attribute("data-action")
        .and_then(|a| Action::from_name(&a))
    else {
        return false;
    };
    if let Some(uid) = *mail.reading.borrow() {
        run(mail, uid, action);
    }
    true
}

/// Handles a folder chosen in a Move to / Copy to menu; true if it was one.
pub(crate) fn on_change(mail: &Rc<Mail>, target: &Element) -> bool {
    let Some(kind) = target.get_attribute("data-transfer") else {
        return false;
    };
    let Some(choice) = target.dyn_ref::<web_sys::HtmlSelectElement>() else {
        return false;
    };
    let folder = choice.value();
    if folder.is_empty() {
        return true;
    }
    let action = if kind == "copy" {
        Action::CopyTo(folder)
    } else {
        Action::MoveTo(folder)
    };
    if let Some(uid) = *mail.reading.borrow() {
        run(mail, uid, action);
    }
    true
}

/// Keyboard shortcuts, active while the mail view is shown and no field has focus.
pub(crate) fn attach_keys(mail: &Rc<Mail>) -> Result<(), JsValue> {
    let mail = Rc::clone(mail);
    let on_key = Closure::<dyn FnMut(KeyboardEvent)>::new(move |event: KeyboardEvent| {
        if event.ctrl_key() || event.meta_key() || event.alt_key() {
            return;
        }
        let typing = document()
            .active_element()
            .is_some_and(|e| matches!(e.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"));
        if typing {
            return;
        }
        let reading = *mail.reading.borrow();
        let step = |forward: bool| {
            let rows = mail.rows.borrow();
            let at = reading.and_then(|uid| rows.iter().position(|r| r.uid == uid));
            let next = match (at, forward) {
                (None, _) => 0,
                (Some(i), true) => (i + 1).min(rows.len().saturating_sub(1)),
                (Some(i), false) => i.saturating_sub(1),
            };
            rows.get(next).map(|r| r.uid)
        };
        let handled = match event.key().as_str() {
            "j" => step(true).map(|uid| open(&mail, uid)).is_some(),
            "k" => step(false).map(|uid| open(&mail, uid)).is_some(),
            "u" => reading
                .map(|uid| run(&mail, uid, Action::ToggleRead))
                .is_some(),
            "s" => reading
                .map(|uid| run(&mail, uid, Action::ToggleFlag))
                .is_some(),
            "e" => reading
                .map(|uid| run(&mail, uid, Action::Archive))
                .is_some(),
            "#" | "Delete" => reading.map(|uid| run(&mail, uid, Action::Delete)).is_some(),
            "o" => focused_or_first(&mail)
                .map(|uid| open(&mail, uid))
                .is_some(),
            "c" => by_id::<HtmlElement>("write").map(|b| b.click()).is_ok(),
            "/" => by_id::<HtmlElement>("search-box")
                .map(|b| b.focus())
                .is_ok(),
            "?" => toggle_help().is_ok(),
            "Escape" => by_id::<Element>("shortcuts")
                .map(|h| h.set_attribute("hidden", ""))
                .is_ok(),
            _ => false,
        };
        if handled {
            event.prevent_default();
        }
    });
    document().add_event_listener_with_callback("keydown", on_key.as_ref().unchecked_ref())?;
    on_key.forget();
    Ok(())
}

/// The keys, as the user sees them.
const SHORTCUTS: [(&str, &str); 11] = [
    ("j / k", "next / previous message"),
    ("Enter or o", "open the selected message"),
    ("x", "pick the focused message (for actions on several)"),
    ("c", "write a message"),
    ("u", "mark read / unread"),
    ("s", "flag / unflag"),
    ("e", "archive"),
    ("# or Delete", "delete"),
    ("/", "search this folder"),
    ("?", "show or hide this help"),
    ("Escape", "close this help"),
];

/// Shows or hides the list of keyboard shortcuts.
fn toggle_help() -> Result<(), JsValue> {
    if let Ok(help) = by_id::<Element>("shortcuts") {
        return if help.has_attribute("hidden") {
            help.remove_attribute("hidden")
        } else {
            help.set_attribute("hidden", "")
        };
    }
    let help = element(
        "div",
        &[
            ("id", "shortcuts"),
            ("role", "dialog"),
            ("aria-label", "Keyboard shortcuts"),
        ],
    )?;
    help.append_child(text_element("h2", &[], "Keyboard shortcuts")?.as_ref())?;
    let list = element("dl", &[])?;
    for (key, meaning) in SHORTCUTS {
        list.append_child(text_element("dt", &[], key)?.as_ref())?;
        list.append_child(text_element("dd", &[], meaning)?.as_ref())?;
    }
    help.append_child(&list)?;
    document()
        .body()
        .ok_or("the page has no body")?
        .append_child(&help)?;
    Ok(())
}

/// The row with keyboard focus, else the first row.
fn focused_or_first(mail: &Mail) -> Option<u32> {
    document()
        .active_element()
        .and_then(|e| e.closest("[data-uid]").ok().flatten())
        .and_then(|row| row.get_attribute("data-uid"))
        .and_then(|u| u.parse().ok())
        .or_else(|| mail.rows.borrow().first().map(|r| r.uid))
}

fn open(mail: &Rc<Mail>, uid: u32) {
    let mail = Rc::clone(mail);
    wasm_bindgen_futures::spawn_local(async move { reader::open(&mail, uid).await });
}
