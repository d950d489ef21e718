//! Many messages at once: rows picked with their checkbox, Ctrl/⌘-click or
//! Shift-click (a range), acted on from the selection bar, and dragged onto a folder
//! to move them there (with Ctrl held, to copy).

use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{DragEvent, Element, Event, HtmlElement, MouseEvent};

use super::actions::{self, Action};
use super::{Mail, show_connection};
use crate::dom::{by_id, element, text_element};

/// The drag payload: the UIDs of the dragged rows, comma-separated.
const DRAG_TYPE: &str = "application/x-postern-uids";

/// The bar above the rows, shown while something is selected.
pub(crate) fn bar(folders: &[actions::Destination]) -> Result<Element, JsValue> {
    let bar = element(
        "div",
        &[
            ("id", "selection"),
            ("class", "actions selection"),
            ("role", "toolbar"),
            ("aria-label", "Selected messages"),
            ("hidden", ""),
        ],
    )?;
    bar.append_child(element("span", &[("id", "selection-count")])?.as_ref())?;
    for (action, label) in [
        ("read", "Mark read"),
        ("unread", "Mark unread"),
        ("flag", "Flag"),
        ("unflag", "Unflag"),
        ("archive", "Archive"),
        ("delete", "Delete"),
        ("clear", "Clear selection"),
    ] {
        bar.append_child(
            text_element(
                "button",
                &[("type", "button"), ("data-bulk", action)],
                label,
            )?
            .as_ref(),
        )?;
    }
    let move_to = element(
        "select",
        &[
            ("data-bulk-move", ""),
            ("aria-label", "Move selected to folder"),
        ],
    )?;
    fill_folders(&move_to, folders)?;
    bar.append_child(&move_to)?;
    Ok(bar)
}

fn fill_folders(select: &Element, folders: &[actions::Destination]) -> Result<(), JsValue> {
    select.set_text_content(None);
    select.append_child(text_element("option", &[("value", "")], "Move to…")?.as_ref())?;
    for folder in folders {
        let option = text_element("option", &[("value", &folder.name)], &folder.label)?;
        select.append_child(option.as_ref())?;
    }
    Ok(())
}

/// Forgets the selection (the folder changed, or its messages moved).
pub(crate) fn clear(mail: &Mail) {
    mail.selected.borrow_mut().clear();
    show(mail);
}

/// Marks the selected rows and shows the bar with the count.
pub(crate) fn show(mail: &Mail) {
    let selected = mail.selected.borrow();
    if let Ok(rows) = by_id::<Element>("rows")
        && let Ok(items) = rows.query_selector_all("[data-uid]")
    {
        for index in 0..items.length() {
            let Some(item) = items.item(index).and_then(|n| n.dyn_into::<Element>().ok()) else {
                continue;
            };
            let picked = item
                .get_attribute("data-uid")
                .and_then(|u| u.parse().ok())
                .is_some_and(|uid: u32| selected.contains(&uid));
            // The row's box is drawn from this (web/static/postern.css).
            let _ = item.set_attribute("aria-selected", if picked { "true" } else { "false" });
        }
    }
    if let Ok(bar) = by_id::<HtmlElement>("selection") {
        bar.set_hidden(selected.is_empty());
        if let Ok(count) = by_id::<Element>("selection-count") {
            count.set_text_content(Some(&format!("{} selected", selected.len())));
        }
        if let Ok(Some(select)) = bar.query_selector("[data-bulk-move]") {
            let _ = fill_folders(&select, &actions::destinations(mail));
        }
    }
}

/// Handles a click in the list that picks rows; true if it was one (the row is then
/// not opened).
pub(crate) fn on_row_click(mail: &Mail, event: &Event, uid: u32) -> bool {
    let target = event.target().and_then(|t| t.dyn_into::<Element>().ok());
    let on_box = target.is_some_and(|t| t.class_list().contains("pick"));
    let mouse = event.dyn_ref::<MouseEvent>();
    let toggle = on_box || mouse.is_some_and(|m| m.ctrl_key() || m.meta_key());
    let range = mouse.is_some_and(|m| m.shift_key());
    if !(toggle || range) {
        return false;
    }
    let mut selected = mail.selected.borrow_mut();
    if range && let Some(anchor) = mail.anchor.get() {
        let rows = mail.rows.borrow();
        let at = |u: u32| rows.iter().position(|r| r.uid == u);
        if let (Some(a), Some(b)) = (at(anchor), at(uid)) {
            for row in &rows[a.min(b)..=a.max(b)] {
                selected.insert(row.uid);
            }
        }
    } else if !selected.remove(&uid) {
        selected.insert(uid);
    }
    mail.anchor.set(Some(uid));
    drop(selected);
    show(mail);
    true
}

pub(crate) fn attach(mail: &Rc<Mail>) -> Result<(), JsValue> {
    let bar: HtmlElement = by_id("selection")?;
    {
        let mail = Rc::clone(mail);
        let on_click = Closure::<dyn FnMut(Event)>::new(move |event: Event| {
            let Some(button) = event
                .target()
                .and_then(|t| t.dyn_into::<Element>().ok())
                .and_then(|t| t.closest("[data-bulk]").ok().flatten())
            else {
                return;
            };
            let action = match button.get_attribute("data-bulk").as_deref() {
                Some("read") => Action::MarkRead(true),
                Some("unread") => Action::MarkRead(false),
                Some("flag") => Action::MarkFlagged(true),
                Some("unflag") => Action::MarkFlagged(false),
                Some("archive") => Action::Archive,
                Some("delete") => Action::Delete,
                _ => {
                    clear(&mail);
                    return;
                }
            };
            run_on_selection(&mail, action);
        });
        bar.add_event_listener_with_callback("click", on_click.as_ref().unchecked_ref())?;
        on_click.forget();
    }
    {
        let mail = Rc::clone(mail);
        let on_change = Closure::<dyn FnMut(Event)>::new(move |event: Event| {
            if let Some(select) = event
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlSelectElement>().ok())
                && !select.value().is_empty()
            {
                run_on_selection(&mail, Action::MoveTo(select.value()));
            }
        });
        bar.add_event_listener_with_callback("change", on_change.as_ref().unchecked_ref())?;
        on_change.forget();
    }
    attach_key(mail)?;
    attach_drag(mail)
}

/// `x` on a row (focused by Tab or the arrow of a screen reader) picks it or puts
/// it back, as the row's box does for the mouse.
fn attach_key(mail: &Rc<Mail>) -> Result<(), JsValue> {
    let mail = Rc::clone(mail);
    let on_key =
        Closure::<dyn FnMut(web_sys::KeyboardEvent)>::new(move |event: web_sys::KeyboardEvent| {
            if event.key() != "x" || event.ctrl_key() || event.meta_key() || event.alt_key() {
                return;
            }
            let Some(uid) = row_of(&event) else {
                return;
            };
            event.prevent_default();
            {
                let mut selected = mail.selected.borrow_mut();
                if !selected.remove(&uid) {
                    selected.insert(uid);
                }
            }
            mail.anchor.set(Some(uid));
            show(&mail);
        });
    by_id::<HtmlElement>("rows")?
        .add_event_listener_with_callback("keydown", on_key.as_ref().unchecked_ref())?;
    on_key.forget();
    Ok(())
}

fn run_on_selection(mail: &Rc<Mail>, action: Action) {
    let uids: Vec<u32> = mail.selected.borrow().iter().copied().collect();
    run(mail, uids, action);
}

fn run(mail: &Rc<Mail>, uids: Vec<u32>, action: Action) {
    if uids.is_empty() {
        return;
    }
    let mail = Rc::clone(mail);
    wasm_bindgen_futures::spawn_local(async move {
        let count = uids.len();
        match actions::apply(&mail, &uids, action).await {
            Ok(()) => {
                clear(&mail);
                show_connection(&format!("Done for {count} message(s)."));
            }
            Err(error) => show_connection(&format!("Cannot do that: {error}")),
        }
    });
}

/// The UID of the row an event happened in.
fn row_of(event: &Event) -> Option<u32> {
    event
        .target()
        .and_then(|t| t.dyn_into::<Element>().ok())
        .and_then(|t| t.closest("[data-uid]").ok().flatten())
        .and_then(|row| row.get_attribute("data-uid"))
        .and_then(|u| u.parse::<u32>().ok())
}

/// Rows drag onto folders: the selection if the dragged row is in it, else the row.
fn attach_drag(mail: &Rc<Mail>) -> Result<(), JsValue> {
    let rows: HtmlElement = by_id("rows")?;
    {
        let mail = Rc::clone(mail);
        let on_start = Closure::<dyn FnMut(DragEvent)>::new(move |event: DragEvent| {
            let Some(uid) = row_of(&event) else {
                return;
            };
            let selected = mail.selected.borrow();
            let uids: Vec<String> = if selected.contains(&uid) {
                selected.iter().map(u32::to_string).collect()
            } else {
                vec![uid.to_string()]
            };
            if let Some(transfer) = event.data_transfer() {
                let _ = transfer.set_data(DRAG_TYPE, &uids.join(","));
                transfer.set_effect_allowed("copyMove");
            }
        });
        rows.add_event_listener_with_callback("dragstart", on_start.as_ref().unchecked_ref())?;
        on_start.forget();
    }
    let folders: HtmlElement = by_id("folder-list")?;
    let target_folder = |event: &DragEvent| {
        event
            .target()
            .and_then(|t| t.dyn_into::<Element>().ok())
            .and_then(|t| t.closest("[data-folder]").ok().flatten())
    };
    {
        let on_over = Closure::<dyn FnMut(DragEvent)>::new(move |event: DragEvent| {
            let carries = event
                .data_transfer()
                .is_some_and(|t| t.types().includes(&DRAG_TYPE.into(), 0));
            if carries && let Some(folder) = target_folder(&event) {
                event.prevent_default();
                let _ = folder.class_list().add_1("drop-target");
            }
        });
        folders.add_event_listener_with_callback("dragover", on_over.as_ref().unchecked_ref())?;
        on_over.forget();
    }
    {
        let on_leave = Closure::<dyn FnMut(DragEvent)>::new(move |event: DragEvent| {
            if let Some(folder) = target_folder(&event) {
                let _ = folder.class_list().remove_1("drop-target");
            }
        });
        folders.add_event_listener_with_callback("dragleave", on_leave.as_ref().unchecked_ref())?;
        on_leave.forget();
    }
    {
        let mail = Rc::clone(mail);
        let on_drop = Closure::<dyn FnMut(DragEvent)>::new(move |event: DragEvent| {
            let Some(folder) = target_folder(&event) else {
                return;
            };
            event.prevent_default();
            let _ = folder.class_list().remove_1("drop-target");
            let Some(name) = folder.get_attribute("data-folder") else {
                return;
            };
            let uids: Vec<u32> = event
                .data_transfer()
                .and_then(|t| t.get_data(DRAG_TYPE).ok())
                .unwrap_or_default()
                .split(',')
                .filter_map(|u| u.parse().ok())
                .collect();
            if mail.current.borrow().as_deref() == Some(name.as_str()) {
                return;
            }
            let action = if event.ctrl_key() {
                Action::CopyTo(name)
            } else {
                Action::MoveTo(name)
            };
            run(&mail, uids, action);
        });
        folders.add_event_listener_with_callback("drop", on_drop.as_ref().unchecked_ref())?;
        on_drop.forget();
    }
    Ok(())
}
