//! Big folders as a virtual list: the list is as tall as the whole folder, only the
//! rows near the viewport exist in the page, and only their summaries are fetched,
//! by position (FETCH by sequence number), so a folder of any size opens with one
//! small fetch and any stretch of it is one scroll away.
//!
//! Positions count from the newest message (0). A change to the folder (new mail,
//! expunges) shifts them, so it drops what was loaded and the visible stretch is
//! fetched again.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;

use postern_shared::imap::Outcome;
use postern_shared::summary::MessageSummary;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Element, HtmlElement};

use super::{Mail, list, selection, show_connection};
use crate::dom::{by_id, text_element};

/// Folders with more messages than this use the virtual list; smaller ones load in
/// windows by UID (and keep conversations and the cache).
pub(crate) const THRESHOLD: u32 = 1000;
/// The height of a row in the virtual list, in CSS pixels (the style sheet fixes it).
const ROW_HEIGHT: f64 = 76.0;
/// Rows kept above and below the viewport.
const OVERSCAN: u32 = 20;
/// The most summaries one FETCH asks for.
const BATCH: u32 = 100;

pub(crate) struct VirtualList {
    /// Messages in the folder.
    exists: u32,
    /// The UID at each loaded position (0: the newest); the rows themselves are the
    /// view's `rows`, where the reader and the actions keep their flags current.
    loaded: BTreeMap<u32, u32>,
    /// Positions being fetched.
    fetching: BTreeSet<u32>,
    /// Bumped when positions shift, so late answers are dropped.
    generation: u32,
}

/// Shows the open folder (of `exists` messages) as a virtual list from the top.
pub(crate) fn open(mail: &Rc<Mail>, exists: u32) -> Result<(), String> {
    *mail.virtual_list.borrow_mut() = Some(VirtualList {
        exists,
        loaded: BTreeMap::new(),
        fetching: BTreeSet::new(),
        generation: 0,
    });
    *mail.rows.borrow_mut() = Vec::new();
    if let Ok(pane) = by_id::<HtmlElement>("list") {
        pane.set_scroll_top(0);
    }
    draw(mail);
    Ok(())
}

/// Whether the list is virtual now.
pub(crate) fn active(mail: &Mail) -> bool {
    mail.virtual_list.borrow().is_some()
}

/// The folder changed: its size is now `exists`, and positions may have shifted.
pub(crate) fn reset(mail: &Rc<Mail>, exists: u32) {
    if let Some(list) = mail.virtual_list.borrow_mut().as_mut() {
        list.exists = exists;
        list.loaded.clear();
        list.fetching.clear();
        list.generation += 1;
    }
    mail.rows.borrow_mut().clear();
    draw(mail);
}

/// Leaves the virtual list (another folder, a search, a sort, conversations).
pub(crate) fn stop(mail: &Mail) {
    *mail.virtual_list.borrow_mut() = None;
}

/// Undoes the virtual layout of `#rows` before a plain list is drawn there.
pub(crate) fn leave(rows: &Element) -> Result<(), JsValue> {
    rows.class_list().remove_1("virtual")?;
    if let Some(rows) = rows.dyn_ref::<HtmlElement>() {
        rows.style().remove_property("height")?;
    }
    Ok(())
}

/// Draws the rows around the viewport, and fetches those not loaded yet.
pub(crate) fn draw(mail: &Rc<Mail>) {
    if let Err(error) = try_draw(mail) {
        show_connection(&format!("Cannot show the list: {error:?}"));
    }
}

fn try_draw(mail: &Rc<Mail>) -> Result<(), JsValue> {
    let pane: HtmlElement = by_id("list")?;
    let rows: HtmlElement = by_id("rows")?;
    let (missing, generation) = {
        let guard = mail.virtual_list.borrow();
        let Some(list) = guard.as_ref() else {
            return Ok(());
        };
        rows.class_list().add_1("virtual")?;
        rows.style().set_property(
            "height",
            &format!("{}px", f64::from(list.exists) * ROW_HEIGHT),
        )?;
        rows.set_text_content(None);
        if list.exists == 0 {
            rows.append_child(
                text_element("li", &[("class", "empty")], "This folder is empty.")?.as_ref(),
            )?;
            return Ok(());
        }
        let top = (f64::from(pane.scroll_top()) - f64::from(rows.offset_top())).max(0.0);
        let bottom = top + f64::from(pane.client_height());
        let first = ((top / ROW_HEIGHT) as u32).saturating_sub(OVERSCAN);
        let last = ((bottom / ROW_HEIGHT) as u32 + OVERSCAN).min(list.exists - 1);
        let shown = mail.rows.borrow();
        let by_uid: HashMap<u32, &MessageSummary> = shown.iter().map(|r| (r.uid, r)).collect();
        let mut missing = Vec::new();
        for position in first..=last {
            let row = list.loaded.get(&position).and_then(|uid| by_uid.get(uid));
            let item = match row {
                Some(row) => list::row_item(row, 0)?,
                None => {
                    if !list.fetching.contains(&position) {
                        missing.push(position);
                    }
                    text_element(
                        "li",
                        &[("class", "row placeholder"), ("aria-hidden", "true")],
                        "Loading…",
                    )?
                }
            };
            if let Some(item) = item.dyn_ref::<HtmlElement>() {
                item.style()
                    .set_property("top", &format!("{}px", f64::from(position) * ROW_HEIGHT))?;
            }
            rows.append_child(&item)?;
        }
        (missing, list.generation)
    };
    selection::show(mail);
    for stretch in stretches(&missing) {
        fetch(mail, stretch, generation);
    }
    Ok(())
}

/// Consecutive positions grouped, at most [`BATCH`] to a group.
fn stretches(positions: &[u32]) -> Vec<(u32, u32)> {
    let mut out: Vec<(u32, u32)> = Vec::new();
    for &position in positions {
        match out.last_mut() {
            Some((first, last)) if *last + 1 == position && position - *first < BATCH => {
                *last = position
            }
            _ => out.push((position, position)),
        }
    }
    out
}

/// Fetches the summaries at positions `first..=last` and draws them.
fn fetch(mail: &Rc<Mail>, (first, last): (u32, u32), generation: u32) {
    let Some(exists) = mail.virtual_list.borrow_mut().as_mut().map(|list| {
        list.fetching.extend(first..=last);
        list.exists
    }) else {
        return;
    };
    let mail = Rc::clone(mail);
    wasm_bindgen_futures::spawn_local(async move {
        // Position p is sequence number exists - p.
        let sequence = (exists - last)..=(exists - first);
        let result = mail
            .request(|s| s.fetch_summaries_at(sequence.clone()))
            .await;
        {
            let mut guard = mail.virtual_list.borrow_mut();
            let Some(list) = guard.as_mut() else {
                return;
            };
            if list.generation != generation {
                return;
            }
            for position in first..=last {
                list.fetching.remove(&position);
            }
            match result {
                Ok(Outcome::Summaries(mut fresh)) => {
                    // Higher UID, higher sequence number, lower position.
                    fresh.sort_by_key(|r| std::cmp::Reverse(r.uid));
                    for (offset, row) in fresh.iter().enumerate() {
                        list.loaded.insert(first + offset as u32, row.uid);
                    }
                    let mut rows = mail.rows.borrow_mut();
                    rows.retain(|r| !fresh.iter().any(|f| f.uid == r.uid));
                    rows.extend(fresh);
                    rows.sort_by_key(|r| std::cmp::Reverse(r.uid));
                }
                Ok(_) => {}
                Err(error) => {
                    drop(guard);
                    show_connection(&format!("Cannot load messages: {error}"));
                    return;
                }
            }
        }
        draw(&mail);
    });
}
