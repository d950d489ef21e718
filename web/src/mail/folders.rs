//! The folder pane: special-use folders first (Inbox, Drafts, Sent, Archive, Junk,
//! Trash), then the rest by name, each with its unread count.

use std::rc::Rc;

use postern_shared::imap::folder_roles::{PersonalNamespace, assign_roles};
use postern_shared::imap::{MailboxInfo, Outcome, SearchQuery, SpecialUse};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Element, Event, HtmlElement};

use super::{Mail, list, show_connection};
use crate::dom::{self, by_id, element, text_element};

/// Position in the pane and icon of a special-use folder.
fn rank(special: Option<SpecialUse>) -> (u8, &'static str) {
    match special {
        // Symbols every common font has (no emoji font is needed).
        Some(SpecialUse::Inbox) => (0, "✉"),
        Some(SpecialUse::Drafts) => (1, "✎"),
        Some(SpecialUse::Sent) => (2, "➤"),
        Some(SpecialUse::Archive) => (3, "▤"),
        Some(SpecialUse::Junk) => (4, "⚠"),
        Some(SpecialUse::Trash) => (5, "✖"),
        Some(SpecialUse::All | SpecialUse::Flagged) | None => (6, "▸"),
    }
}

/// Lists the folders (with NAMESPACE, the first time, in the same round trip), gives
/// each role its folder where the server flags none ([`assign_roles`]), asks every
/// count in one pipelined round trip, and shows them.
pub(crate) async fn load(mail: &Rc<Mail>) -> Result<(), String> {
    if mail.namespace.borrow().is_none() {
        let asked = {
            let mut imap = mail.imap.lock().await;
            imap.session
                .has_capability("NAMESPACE")
                .then(|| imap.session.namespace())
        };
        let personal = match asked {
            Some(id) => match mail.imap.lock().await.run(id).await {
                Ok(Outcome::Namespaces(personal)) => PersonalNamespace::from_reply(&personal),
                _ => PersonalNamespace::default(),
            },
            None => PersonalNamespace::default(),
        };
        *mail.namespace.borrow_mut() = Some(personal);
    }
    let Outcome::Mailboxes(mut folders) = mail.request(|s| Ok(s.list())).await? else {
        return Err("the server answered LIST with something else".into());
    };
    let namespace = mail.namespace.borrow().clone().unwrap_or_default();
    let chosen = crate::storage::folder_roles::chosen(&mail.account.key());
    assign_roles(&mut folders, &namespace, &chosen);
    folders.sort_by(|a, b| (rank(a.special_use).0, &a.name).cmp(&(rank(b.special_use).0, &b.name)));

    let unread = unread_counts(mail, &folders).await;
    render(&folders, &namespace, &unread).map_err(|e| format!("{e:?}"))?;
    *mail.folders.borrow_mut() = folders;
    Ok(())
}

/// Every folder's unread count, asked in one pipelined round trip: STATUS for each
/// folder but the open one, which is counted with SEARCH UNSEEN (STATUS of the
/// selected folder is a client bug to servers: RFC 3501 §6.3.10, Dovecot's
/// `[CLIENTBUG]`).
pub(crate) async fn unread_counts(mail: &Mail, folders: &[MailboxInfo]) -> Vec<(String, u32)> {
    let open = mail.current.borrow().clone();
    let unseen = SearchQuery {
        unseen: true,
        ..SearchQuery::default()
    };
    let mut imap = mail.imap.lock().await;
    let ids: Vec<_> = folders
        .iter()
        .filter(|f| f.selectable)
        .filter_map(|f| {
            let id = if open.as_deref() == Some(f.name.as_str()) {
                imap.session.search(&unseen)
            } else {
                imap.session.status(&f.name)
            };
            id.ok().map(|id| (f.name.clone(), id))
        })
        .collect();
    let mut unread = Vec::new();
    for (name, id) in ids {
        match imap.run(id).await {
            Ok(Outcome::Status(status)) => unread.push((name, status.unseen.unwrap_or(0))),
            Ok(Outcome::Uids(uids)) => unread.push((name, uids.len() as u32)),
            _ => {}
        }
    }
    unread
}

/// How often the other folders' counts are refreshed while the page is open (the
/// open folder is live already).
const COUNTS_EVERY_MS: i32 = 60_000;

/// Keeps every folder's count current: on a timer, and when the tab regains focus.
pub(crate) fn keep_counts_fresh(mail: &Rc<Mail>) -> Result<(), JsValue> {
    let refresh = {
        let mail = Rc::clone(mail);
        move || {
            let mail = Rc::clone(&mail);
            wasm_bindgen_futures::spawn_local(async move {
                let folders = mail.folders.borrow().clone();
                for (name, count) in unread_counts(&mail, &folders).await {
                    set_unread(&name, count);
                }
            });
        }
    };
    let window = web_sys::window().ok_or("no window")?;
    let on_timer = Closure::<dyn FnMut()>::new(refresh.clone());
    window.set_interval_with_callback_and_timeout_and_arguments_0(
        on_timer.as_ref().unchecked_ref(),
        COUNTS_EVERY_MS,
    )?;
    on_timer.forget();
    let on_focus = Closure::<dyn FnMut()>::new(refresh);
    window.add_event_listener_with_callback("focus", on_focus.as_ref().unchecked_ref())?;
    on_focus.forget();
    Ok(())
}

fn render(
    folders: &[MailboxInfo],
    namespace: &PersonalNamespace,
    unread: &[(String, u32)],
) -> Result<(), JsValue> {
    let list: Element = by_id("folder-list")?;
    list.set_text_content(None);
    for folder in folders {
        let (_, icon) = rank(folder.special_use);
        let item = element("li", &[("role", "treeitem")])?;
        let mut attributes = vec![
            ("type", "button"),
            ("class", "folder"),
            ("data-folder", folder.name.as_str()),
        ];
        if !folder.selectable {
            attributes.push(("disabled", ""));
        }
        let button = element("button", &attributes)?;
        button.append_child(
            text_element("span", &[("class", "icon"), ("aria-hidden", "true")], icon)?.as_ref(),
        )?;
        let shown = if folder.special_use == Some(SpecialUse::Inbox) {
            "Inbox"
        } else {
            namespace.display_name(&folder.name)
        };
        button.append_child(text_element("span", &[("class", "name")], shown)?.as_ref())?;
        item.append_child(&button)?;
        list.append_child(&item)?;
        let count = unread
            .iter()
            .find(|(name, _)| *name == folder.name)
            .map(|(_, n)| *n)
            .unwrap_or(0);
        set_unread(&folder.name, count);
    }
    Ok(())
}

fn folder_button(folder: &str) -> Option<Element> {
    let list = by_id::<Element>("folder-list").ok()?;
    let quoted = folder.replace('\\', "\\\\").replace('"', "\\\"");
    list.query_selector(&format!("[data-folder=\"{quoted}\"]"))
        .ok()
        .flatten()
}

fn unread_shown(folder: &str) -> u32 {
    folder_button(folder)
        .and_then(|b| b.query_selector(".count").ok().flatten())
        .and_then(|c| c.text_content())
        .and_then(|t| t.parse().ok())
        .unwrap_or(0)
}

/// Shows `count` unread messages for `folder` (nothing when zero); the Inbox's
/// count is also in the tab's title, to be seen from other tabs.
pub(crate) fn set_unread(folder: &str, count: u32) {
    if folder.eq_ignore_ascii_case("INBOX") {
        crate::dom::document().set_title(&match count {
            0 => "Postern".to_owned(),
            n => format!("({n}) Postern"),
        });
    }
    let Some(button) = folder_button(folder) else {
        return;
    };
    if let Ok(Some(old)) = button.query_selector(".count") {
        old.remove();
    }
    if count > 0 {
        let label = format!("{count} unread");
        let badge = text_element(
            "span",
            &[("class", "count"), ("aria-label", &label)],
            &count.to_string(),
        );
        if let Ok(badge) = badge {
            let _ = button.append_child(&badge);
        }
    }
}

/// Lowers the unread count shown for `folder` by one (after a message was read).
pub(crate) fn decrement_unread(folder: &str) {
    set_unread(folder, unread_shown(folder).saturating_sub(1));
}

/// What the folder buttons do: create, rename or delete folders on the server.
async fn manage(mail: &Rc<Mail>, command: &str) -> Result<(), String> {
    let current = mail
        .current
        .borrow()
        .clone()
        .unwrap_or_else(|| "INBOX".into());
    let special = mail
        .folders
        .borrow()
        .iter()
        .any(|f| f.name == current && f.special_use.is_some());
    let open_after = match command {
        "create" => {
            let Some(name) = dom::ask_name("Name of the new folder:", "") else {
                return Ok(());
            };
            // Inside the personal namespace: Courier refuses `Projects` and wants
            // `INBOX.Projects`.
            let name = mail
                .namespace
                .borrow()
                .clone()
                .unwrap_or_default()
                .full_name(&name);
            mail.request(|s| s.create(&name)).await?;
            mail.request(|s| s.subscribe(&name)).await?;
            name
        }
        "rename" if !special => {
            let Some(name) = dom::ask_name(&format!("New name for {current}:"), &current) else {
                return Ok(());
            };
            // Leave the folder first: the server renames what no one has selected.
            mail.request(|s| s.select("INBOX", false)).await?;
            mail.request(|s| s.rename(&current, &name)).await?;
            mail.request(|s| s.subscribe(&name)).await?;
            name
        }
        "delete" if !special => {
            if !dom::confirm(&format!(
                "Delete the folder {current} and every message in it?"
            )) {
                return Ok(());
            }
            mail.request(|s| s.select("INBOX", false)).await?;
            mail.request(|s| s.delete(&current)).await?;
            "INBOX".to_owned()
        }
        _ => {
            return Err(
                "special folders (Inbox, Sent, Trash...) are not renamed or deleted here".into(),
            );
        }
    };
    load(mail).await?;
    list::open_folder(mail, &open_after).await
}

/// Shows the rename and delete buttons only for folders the user made.
pub(crate) fn show_folder_tools(mail: &Mail) {
    let current = mail.current.borrow().clone().unwrap_or_default();
    let special = mail
        .folders
        .borrow()
        .iter()
        .any(|f| f.name == current && f.special_use.is_some());
    if let Ok(tools) = by_id::<HtmlElement>("folder-tools") {
        let _ = if special {
            tools.set_attribute("hidden", "")
        } else {
            tools.remove_attribute("hidden")
        };
    }
}

/// Clicking a folder opens it.
pub(crate) fn attach(mail: &Rc<Mail>) -> Result<(), JsValue> {
    let for_tools = Rc::clone(mail);
    let on_tool = Closure::<dyn FnMut(Event)>::new(move |event: Event| {
        let Some(target) = event.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
            return;
        };
        let Ok(Some(button)) = target.closest("[data-folder-command]") else {
            return;
        };
        let Some(command) = button.get_attribute("data-folder-command") else {
            return;
        };
        let mail = Rc::clone(&for_tools);
        wasm_bindgen_futures::spawn_local(async move {
            if let Err(error) = manage(&mail, &command).await {
                show_connection(&format!("Cannot {command} the folder: {error}"));
            }
        });
    });
    by_id::<HtmlElement>("folders")?.set_onclick(Some(on_tool.as_ref().unchecked_ref()));
    by_id::<HtmlElement>("list-tools")?.set_onclick(Some(on_tool.as_ref().unchecked_ref()));
    on_tool.forget();

    let mail = Rc::clone(mail);
    let on_click = Closure::<dyn FnMut(Event)>::new(move |event: Event| {
        let Some(target) = event.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
            return;
        };
        let Ok(Some(button)) = target.closest("[data-folder]") else {
            return;
        };
        let Some(folder) = button.get_attribute("data-folder") else {
            return;
        };
        let mail = Rc::clone(&mail);
        wasm_bindgen_futures::spawn_local(async move {
            if let Err(error) = list::open_folder(&mail, &folder).await {
                show_connection(&format!("Cannot open {folder}: {error}"));
            }
        });
    });
    by_id::<HtmlElement>("folder-list")?.set_onclick(Some(on_click.as_ref().unchecked_ref()));
    on_click.forget();
    Ok(())
}
