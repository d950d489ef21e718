//! The pieces of the page both mail views (IMAP and POP3) are built from, so the two
//! keep the same ids, roles and labels: the style sheet, the keyboard handling and
//! the tests rely on them.

use wasm_bindgen::prelude::*;
use web_sys::Element;

use crate::dom::{element, text_element};

/// The top bar: the name, the account, a status line, then `buttons` as
/// `(id, label, hidden)`.
pub(crate) fn bar(
    account: &str,
    status: &str,
    buttons: &[(&str, &str, bool)],
) -> Result<Element, JsValue> {
    let bar = element("header", &[("class", "bar")])?;
    bar.append_child(text_element("span", &[("class", "brand")], "Postern")?.as_ref())?;
    bar.append_child(text_element("span", &[("id", "account")], account)?.as_ref())?;
    bar.append_child(
        text_element("span", &[("id", "connection"), ("role", "status")], status)?.as_ref(),
    )?;
    for (id, label, hidden) in buttons {
        let button = text_element("button", &[("id", id), ("type", "button")], label)?;
        if *hidden {
            button.set_attribute("hidden", "")?;
        }
        bar.append_child(&button)?;
    }
    Ok(bar)
}

/// The folder pane: the tree (filled later) and the New folder button.
pub(crate) fn folders() -> Result<Element, JsValue> {
    let folders = element("nav", &[("id", "folders"), ("aria-label", "Folders")])?;
    folders.append_child(element("ul", &[("id", "folder-list"), ("role", "tree")])?.as_ref())?;
    folders.append_child(
        text_element(
            "button",
            &[
                ("type", "button"),
                ("class", "new-folder"),
                ("data-folder-command", "create"),
            ],
            "+ New folder",
        )?
        .as_ref(),
    )?;
    Ok(folders)
}

/// The list pane's heading: the folder's name, and Rename / Delete folder (hidden
/// until a folder that may be renamed is open).
pub(crate) fn list_heading() -> Result<Element, JsValue> {
    let heading = element("div", &[("id", "list-tools"), ("class", "list-heading")])?;
    heading.append_child(text_element("h2", &[("id", "folder-title")], "")?.as_ref())?;
    let tools = element("span", &[("id", "folder-tools"), ("hidden", "")])?;
    for (command, label) in [("rename", "Rename"), ("delete", "Delete folder")] {
        tools.append_child(
            text_element(
                "button",
                &[("type", "button"), ("data-folder-command", command)],
                label,
            )?
            .as_ref(),
        )?;
    }
    heading.append_child(&tools)?;
    Ok(heading)
}

/// The rows of the open folder (filled later).
pub(crate) fn rows() -> Result<Element, JsValue> {
    element(
        "ul",
        &[
            ("id", "rows"),
            ("role", "listbox"),
            ("aria-label", "Messages"),
        ],
    )
}

/// The reader pane, inviting a choice.
pub(crate) fn reader() -> Result<Element, JsValue> {
    let reader = element(
        "article",
        &[
            ("id", "reader"),
            ("aria-label", "Message"),
            ("aria-live", "polite"),
        ],
    )?;
    show_nothing(&reader)?;
    Ok(reader)
}

/// Empties the reader pane, inviting a choice again.
pub(crate) fn show_nothing(reader: &Element) -> Result<(), JsValue> {
    reader.set_text_content(None);
    reader.append_child(
        text_element(
            "p",
            &[("class", "placeholder")],
            "Select a message to read it.",
        )?
        .as_ref(),
    )?;
    Ok(())
}

/// A row of action buttons for assistive technology to announce as `label`.
pub(crate) fn toolbar(label: &str) -> Result<Element, JsValue> {
    element(
        "div",
        &[
            ("class", "actions"),
            ("role", "toolbar"),
            ("aria-label", label),
        ],
    )
}
