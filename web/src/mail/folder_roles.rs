//! The dialog in which the user chooses which folder is the Trash, Sent, Drafts, Junk
//! and Archive of an account, for servers that flag none or flag the wrong one. The
//! choice is kept by `storage::folder_roles`; the rules that use it are
//! `postern_shared::imap::folder_roles`.

use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Element, HtmlElement, HtmlSelectElement};

use super::{Mail, folders, show_connection};
use crate::dom::{by_id, document, element, text_element};
use crate::storage::folder_roles::{ROLES, chosen, save};

/// Shows the dialog: for each role, "Automatic" (the server's flag, else the usual
/// name) or one of the account's folders.
fn open_dialog(mail: &Rc<Mail>) -> Result<(), JsValue> {
    if let Ok(old) = by_id::<Element>("folder-roles-dialog") {
        old.remove();
    }
    let chosen = chosen(&mail.account.key());
    let namespace = mail.namespace.borrow().clone().unwrap_or_default();
    let folders: Vec<(String, String)> = mail
        .folders
        .borrow()
        .iter()
        .filter(|f| f.selectable && !f.name.eq_ignore_ascii_case("INBOX"))
        .map(|f| (f.name.clone(), namespace.display_name(&f.name).to_owned()))
        .collect();
    let dialog = element(
        "form",
        &[
            ("id", "folder-roles-dialog"),
            ("role", "dialog"),
            ("aria-label", "Folder roles"),
        ],
    )?;
    dialog.append_child(text_element("h2", &[], "Folder roles")?.as_ref())?;
    for (role, key, label) in ROLES {
        let row = element("label", &[("class", "role")])?;
        row.append_child(&document().create_text_node(label))?;
        let select = element("select", &[("data-role", key)])?;
        select.append_child(text_element("option", &[("value", "")], "Automatic")?.as_ref())?;
        let current = chosen.iter().find(|(r, _)| *r == role).map(|(_, n)| n);
        for (name, shown) in &folders {
            let mut attributes = vec![("value", name.as_str())];
            if current == Some(name) {
                attributes.push(("selected", ""));
            }
            select.append_child(text_element("option", &attributes, shown)?.as_ref())?;
        }
        row.append_child(&select)?;
        dialog.append_child(&row)?;
    }
    for (id, label) in [
        ("folder-roles-save", "Save"),
        ("folder-roles-cancel", "Cancel"),
    ] {
        dialog.append_child(
            text_element("button", &[("type", "button"), ("id", id)], label)?.as_ref(),
        )?;
    }
    document()
        .body()
        .ok_or("the page has no body")?
        .append_child(&dialog)?;

    let for_save = Rc::clone(mail);
    let on_save = Closure::<dyn FnMut()>::new(move || {
        let Ok(dialog) = by_id::<Element>("folder-roles-dialog") else {
            return;
        };
        let choices: Vec<(&str, String)> = ROLES
            .iter()
            .map(|(_, key, _)| {
                let value = dialog
                    .query_selector(&format!("[data-role=\"{key}\"]"))
                    .ok()
                    .flatten()
                    .and_then(|s| s.dyn_into::<HtmlSelectElement>().ok())
                    .map(|s| s.value())
                    .unwrap_or_default();
                (*key, value)
            })
            .collect();
        save(&for_save.account.key(), &choices);
        dialog.remove();
        let mail = Rc::clone(&for_save);
        wasm_bindgen_futures::spawn_local(async move {
            match folders::load(&mail).await {
                Ok(()) => show_connection("Folder roles saved."),
                Err(error) => show_connection(&format!("Cannot list folders: {error}")),
            }
        });
    });
    by_id::<HtmlElement>("folder-roles-save")?.set_onclick(Some(on_save.as_ref().unchecked_ref()));
    on_save.forget();
    let on_cancel = Closure::<dyn FnMut()>::new(move || {
        if let Ok(dialog) = by_id::<Element>("folder-roles-dialog") {
            dialog.remove();
        }
    });
    by_id::<HtmlElement>("folder-roles-cancel")?
        .set_onclick(Some(on_cancel.as_ref().unchecked_ref()));
    on_cancel.forget();
    Ok(())
}

/// Adds the "Folder roles…" button under the folder list.
pub(crate) fn attach(mail: &Rc<Mail>) -> Result<(), JsValue> {
    let button = text_element(
        "button",
        &[("type", "button"), ("id", "folder-roles")],
        "Folder roles…",
    )?;
    by_id::<Element>("folders")?.append_child(&button)?;
    let mail = Rc::clone(mail);
    let on_click = Closure::<dyn FnMut()>::new(move || {
        if let Err(error) = open_dialog(&mail) {
            show_connection(&format!("Cannot show the folder roles: {error:?}"));
        }
    });
    button
        .dyn_ref::<HtmlElement>()
        .ok_or("a button is an HTML element")?
        .set_onclick(Some(on_click.as_ref().unchecked_ref()));
    on_click.forget();
    Ok(())
}
