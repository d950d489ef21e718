//! The message list of the open folder: the newest messages first, with sender,
//! subject, date, size and unread / flagged / answered / attachment marks.

use std::collections::BTreeSet;
use std::rc::Rc;

use postern_shared::imap::list_window::{NewestWindow, newest_window};
use postern_shared::imap::{Outcome, SearchQuery, SortBy, UidSet, threading};
use postern_shared::summary::MessageSummary;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Element, Event, HtmlElement};

use super::{Mail, folders, live, reader, selection, virtual_list};
use crate::dom::{by_id, element, text_element};
use crate::message_view;
use crate::storage::mail_cache::FolderState;

/// How many of the newest UIDs the list asks for at first.
const WINDOW: u32 = 200;

pub(crate) async fn open_folder(mail: &Rc<Mail>, folder: &str) -> Result<(), String> {
    super::phone::go(mail, super::phone::Pane::List);
    // What this browser cached of the folder shows at once; the server is asked
    // what changed since.
    let cache = mail.cache.borrow().clone();
    let cached = match &cache {
        Some(cache) => cache.folder(folder).await.unwrap_or(None),
        None => None,
    };
    *mail.current.borrow_mut() = Some(folder.to_owned());
    *mail.search.borrow_mut() = None;
    // The message shown belongs to the list being replaced: gone now, not when the
    // folder has finished loading (by then the user may have opened another).
    leave_message(mail);
    mail.synced.set(None);
    selection::clear(mail);
    if let Ok(box_) = by_id::<web_sys::HtmlInputElement>("search-box") {
        box_.set_value("");
    }
    let title = if folder.eq_ignore_ascii_case("INBOX") {
        "Inbox".to_owned()
    } else {
        let namespace = mail.namespace.borrow().clone().unwrap_or_default();
        namespace.display_name(folder).to_owned()
    };
    if let Ok(heading) = by_id::<Element>("folder-title") {
        heading.set_text_content(Some(&title));
    }
    folders::show_folder_tools(mail);
    let browsing = mail.sort.get().is_none();
    if browsing && let Some((state, rows)) = &cached {
        mail.window_start.set(state.window_start);
        render_rows(mail, rows.clone(), None)?;
    }
    let Outcome::Selected(selected) = mail.request(|s| s.select(folder, false)).await? else {
        return Err("the server answered SELECT with something else".into());
    };
    let current = selected.uid_validity.map(|v| (v, selected.highest_modseq));
    mail.folder_size.set(selected.exists);
    virtual_list::stop(mail);
    if browsing && selected.exists > virtual_list::THRESHOLD {
        mail.synced.set(current);
        virtual_list::open(mail, selected.exists)?;
        live::watch(mail, folder);
        return Ok(());
    }
    match (cached, selected.uid_validity) {
        (Some((state, rows)), Some(validity)) if browsing && state.uid_validity == validity => {
            sync_cached(mail, state, rows, selected.highest_modseq).await?;
            mail.synced.set(current);
        }
        (cached, _) => {
            if cached.is_some()
                && let Some(cache) = &cache
            {
                // Renumbered (UIDVALIDITY changed): nothing cached is valid.
                let _ = cache.forget_folder(folder).await;
            }
            mail.synced.set(current);
            match newest_window(selected.exists, selected.uid_next, WINDOW) {
                NewestWindow::Empty => {
                    mail.window_start.set(1);
                    show_rows(mail, Vec::new(), None)?;
                }
                NewestWindow::FromUid(first) => {
                    mail.window_start.set(first);
                    load_rows(mail).await?;
                }
                NewestWindow::Positions(positions) => {
                    let Outcome::Summaries(rows) = mail
                        .request(|s| s.fetch_summaries_at(positions.clone()))
                        .await?
                    else {
                        return Err("the server answered FETCH with something else".into());
                    };
                    // From here on the window is known by UID, like any other.
                    let first = rows.iter().map(|r| r.uid).min().unwrap_or(1);
                    mail.window_start.set(first);
                    show_rows(mail, rows, None)?;
                }
            }
        }
    }
    live::watch(mail, folder);
    Ok(())
}

/// Empties the reader for a new list, unless the user is writing there.
fn leave_message(mail: &Mail) {
    if mail.compose.borrow().is_none() {
        *mail.reading.borrow_mut() = None;
        reader::clear();
    }
}

/// Brings cached rows up to date: which of the window's messages still exist and
/// which are new (one UID SEARCH), whose flags changed (CHANGEDSINCE the cached
/// MODSEQ, when the server has CONDSTORE), and the summaries of new ones only.
async fn sync_cached(
    mail: &Rc<Mail>,
    state: FolderState,
    mut rows: Vec<MessageSummary>,
    highest_modseq: Option<u64>,
) -> Result<(), String> {
    let window = UidSet::range(state.window_start, None);
    let query = SearchQuery {
        uids: Some(window.clone()),
        ..SearchQuery::default()
    };
    let Outcome::Uids(existing) = mail.request(|s| s.search(&query)).await? else {
        return Err("the server answered SEARCH with something else".into());
    };
    let existing: BTreeSet<u32> = existing.into_iter().collect();
    rows.retain(|row| existing.contains(&row.uid));
    let known: BTreeSet<u32> = rows.iter().map(|r| r.uid).collect();
    let new: Vec<u32> = existing.difference(&known).copied().collect();

    let condstore = mail.imap.lock().await.session.has_capability("CONDSTORE");
    match (state.highest_modseq, highest_modseq) {
        (Some(then), Some(now)) if then == now => {}
        (Some(then), Some(_)) if condstore && !rows.is_empty() => {
            if let Outcome::FlagsChanged { updates, .. } = mail
                .request(|s| s.fetch_changed_since(&window, then))
                .await?
            {
                for update in updates {
                    if let Some(row) = rows.iter_mut().find(|r| Some(r.uid) == update.uid) {
                        row.flags = update.flags;
                    }
                }
            }
        }
        _ => {
            // No way to ask only for changes: the rows come again.
            return load_rows(mail).await;
        }
    }
    if !new.is_empty()
        && let Outcome::Summaries(fresh) = mail
            .request(|s| s.fetch_summaries(&UidSet::of(&new)))
            .await?
    {
        rows.extend(fresh);
    }
    show_rows(mail, rows, None)
}

/// Brings the open folder up to date after another client changed it.
pub(crate) async fn refresh(mail: &Rc<Mail>) -> Result<(), String> {
    let Some(folder) = mail.current.borrow().clone() else {
        return Ok(());
    };
    // NOOP lets the main connection see the changes (new EXISTS, expunges) too.
    mail.request(|s| Ok(s.noop())).await?;
    let size = mail
        .imap
        .lock()
        .await
        .session
        .selected()
        .map(|s| s.exists)
        .unwrap_or(0);
    mail.folder_size.set(size);
    if virtual_list::active(mail) {
        virtual_list::reset(mail, size);
    } else {
        load_rows(mail).await?;
    }
    let open = mail
        .folders
        .borrow()
        .iter()
        .filter(|f| f.name == folder)
        .cloned()
        .collect::<Vec<_>>();
    for (name, count) in folders::unread_counts(mail, &open).await {
        folders::set_unread(&name, count);
    }
    Ok(())
}

/// Fetches the rows the list shows: the search's matches, or the window from its
/// first UID to the newest.
async fn load_rows(mail: &Rc<Mail>) -> Result<(), String> {
    if let Some((by, reverse)) = mail.sort.get() {
        return load_sorted(mail, by, reverse).await;
    }
    let search = mail.search.borrow().clone();
    if let Some(text) = search {
        return load_search(mail, &text).await;
    }
    let size = mail.folder_size.get();
    if size > virtual_list::THRESHOLD && !mail.conversations.get() {
        return virtual_list::open(mail, size);
    }
    let first = mail.window_start.get();
    match mail
        .request(|s| s.fetch_summaries(&UidSet::range(first, None)))
        .await?
    {
        Outcome::Summaries(rows) => show_rows(mail, rows, None),
        _ => Err("the server answered FETCH with something else".into()),
    }
}

/// The first rows in the server's SORT order (RFC 5256), of the search if one is shown.
async fn load_sorted(mail: &Rc<Mail>, by: SortBy, reverse: bool) -> Result<(), String> {
    let query = SearchQuery {
        text: mail.search.borrow().clone(),
        ..SearchQuery::default()
    };
    let Outcome::Uids(order) = mail.request(|s| s.sort(by, reverse, &query)).await? else {
        return Err("the server answered SORT with something else".into());
    };
    if let Some(text) = &query.text
        && let Ok(heading) = by_id::<Element>("folder-title")
    {
        heading.set_text_content(Some(&format!("{} found for “{text}”", order.len())));
    }
    let shown = &order[..order.len().min(WINDOW as usize)];
    let rows = if shown.is_empty() {
        Vec::new()
    } else {
        match mail
            .request(|s| s.fetch_summaries(&UidSet::of(shown)))
            .await?
        {
            Outcome::Summaries(rows) => rows,
            _ => return Err("the server answered FETCH with something else".into()),
        }
    };
    show_rows(mail, rows, Some(shown))
}

/// Sorts the list as the user chose in the sort menu.
pub(crate) async fn sort(mail: &Rc<Mail>, choice: &str) -> Result<(), String> {
    let sort = match choice {
        "oldest" => Some((SortBy::Arrival, false)),
        "from" => Some((SortBy::From, false)),
        "subject" => Some((SortBy::Subject, false)),
        "size" => Some((SortBy::Size, true)),
        _ => None, // newest first: by UID, no SORT needed
    };
    let supported = mail.imap.lock().await.session.has_capability("SORT");
    if sort.is_some() && !supported {
        return Err("this server cannot sort (no SORT extension)".into());
    }
    mail.sort.set(sort);
    load_rows(mail).await
}
/// Scrolling near the end of the list loads the next older window of rows: a folder
/// of any size opens with its newest rows, and older ones come as the user scrolls.
async fn load_older(mail: &Rc<Mail>) -> Result<(), String> {
    let start = mail.window_start.get();
    let browsing = mail.search.borrow().is_none() && mail.sort.get().is_none();
    if start <= 1 || !browsing || mail.loading_more.replace(true) {
        return Ok(());
    }
    let first = start.saturating_sub(WINDOW).max(1);
    let older = mail
        .request(|s| s.fetch_summaries(&UidSet::range(first, Some(start - 1))))
        .await;
    mail.loading_more.set(false);
    let Outcome::Summaries(older) = older? else {
        return Err("the server answered FETCH with something else".into());
    };
    mail.window_start.set(first);
    let mut rows = mail.rows.borrow().clone();
    rows.extend(older);
    show_rows(mail, rows, None)
}

/// Server-side search (SEARCH TEXT, in headers and body): the newest matches.
async fn load_search(mail: &Rc<Mail>, text: &str) -> Result<(), String> {
    let query = SearchQuery {
        text: Some(text.to_owned()),
        ..SearchQuery::default()
    };
    let Outcome::Uids(mut uids) = mail.request(|s| s.search(&query)).await? else {
        return Err("the server answered SEARCH with something else".into());
    };
    let found = uids.len();
    uids.sort_unstable();
    let newest = &uids[uids.len().saturating_sub(WINDOW as usize)..];
    let rows = if newest.is_empty() {
        Vec::new()
    } else {
        match mail
            .request(|s| s.fetch_summaries(&UidSet::of(newest)))
            .await?
        {
            Outcome::Summaries(rows) => rows,
            _ => return Err("the server answered FETCH with something else".into()),
        }
    };
    if let Ok(heading) = by_id::<Element>("folder-title") {
        heading.set_text_content(Some(&format!("{found} found for “{text}”")));
    }
    show_rows(mail, rows, None)
}

/// Runs a search typed in the search box (an empty one goes back to the folder).
pub(crate) async fn search(mail: &Rc<Mail>, text: &str) -> Result<(), String> {
    let text = text.trim();
    if text.is_empty() {
        *mail.search.borrow_mut() = None;
        let folder = mail
            .current
            .borrow()
            .clone()
            .unwrap_or_else(|| "INBOX".into());
        return open_folder(mail, &folder).await;
    }
    *mail.search.borrow_mut() = Some(text.to_owned());
    leave_message(mail);
    load_rows(mail).await?;
    Ok(())
}

/// Shows `rows` newest first, or in `order` (UIDs) when the server sorted them, and
/// keeps them in the cache when they are the folder's plain list.
fn show_rows(mail: &Mail, rows: Vec<MessageSummary>, order: Option<&[u32]>) -> Result<(), String> {
    render_rows(mail, rows, order)?;
    let browsing = mail.search.borrow().is_none() && mail.sort.get().is_none();
    if browsing {
        save_to_cache(mail);
    }
    Ok(())
}

/// Writes the rows shown to the cache, in the background; a failure only costs the
/// next visit its head start.
fn save_to_cache(mail: &Mail) {
    let (Some(cache), Some(folder), Some((uid_validity, highest_modseq))) = (
        mail.cache.borrow().clone(),
        mail.current.borrow().clone(),
        mail.synced.get(),
    ) else {
        return;
    };
    let state = FolderState {
        uid_validity,
        highest_modseq,
        window_start: mail.window_start.get(),
    };
    let rows = mail.rows.borrow().clone();
    wasm_bindgen_futures::spawn_local(async move {
        let _ = cache.save_folder(&folder, state, &rows).await;
    });
}

/// Draws `rows` (newest first, or in `order`) and makes them the list's rows.
fn render_rows(
    mail: &Mail,
    mut rows: Vec<MessageSummary>,
    order: Option<&[u32]>,
) -> Result<(), String> {
    match order {
        Some(order) => rows.sort_by_key(|row| order.iter().position(|&uid| uid == row.uid)),
        None => rows.sort_by_key(|row| std::cmp::Reverse(row.uid)),
    }
    let depths = if mail.conversations.get() {
        let (ordered, depths) = conversations(rows);
        rows = ordered;
        Some(depths)
    } else {
        None
    };
    virtual_list::stop(mail);
    render(&rows, depths.as_deref()).map_err(|e| format!("{e:?}"))?;
    *mail.rows.borrow_mut() = rows;
    selection::show(mail);
    Ok(())
}

/// The rows grouped into conversations (RFC 5256 REFERENCES threading, done here on
/// the rows shown, so it works with any server), in the order and with the depths of
/// [`threading::conversation_order`].
fn conversations(rows: Vec<MessageSummary>) -> (Vec<MessageSummary>, Vec<usize>) {
    let order = threading::conversation_order(&rows);
    let mut by_uid: std::collections::HashMap<u32, MessageSummary> =
        rows.into_iter().map(|r| (r.uid, r)).collect();
    order
        .into_iter()
        .filter_map(|(uid, depth)| by_uid.remove(&uid).map(|row| (row, depth)))
        .unzip()
}

/// Shows the rows as conversations or one by one.
/// In a big folder, conversations group the rows loaded so far; turning them off
/// goes back to the virtual list.
pub(crate) fn set_conversations(mail: &Rc<Mail>, on: bool) -> Result<(), String> {
    mail.conversations.set(on);
    let browsing = mail.search.borrow().is_none() && mail.sort.get().is_none();
    let size = mail.folder_size.get();
    if !on && browsing && size > virtual_list::THRESHOLD {
        return virtual_list::open(mail, size);
    }
    let rows = mail.rows.borrow().clone();
    render_rows(mail, rows, None)
}

/// Draws the rows; with `depths`, replies are indented under their conversation.
fn render(rows: &[MessageSummary], depths: Option<&[usize]>) -> Result<(), JsValue> {
    let list: Element = by_id("rows")?;
    virtual_list::leave(&list)?;
    list.set_text_content(None);
    if rows.is_empty() {
        list.append_child(
            text_element("li", &[("class", "empty")], "This folder is empty.")?.as_ref(),
        )?;
        return Ok(());
    }
    for (index, row) in rows.iter().enumerate() {
        let depth = depths.map(|d| d[index]).unwrap_or(0);
        list.append_child(row_item(row, depth)?.as_ref())?;
    }
    Ok(())
}

/// One row: checkbox, sender, subject, date, size and marks; `depth` > 0 indents a
/// reply under its conversation.
pub(crate) fn row_item(row: &MessageSummary, depth: usize) -> Result<Element, JsValue> {
    let mut class = String::from("row");
    if depth > 0 {
        // Classes, not inline styles: the page's CSP allows no style attributes.
        class.push_str(&format!(" reply depth-{}", depth.min(4)));
    }
    if !row.is_seen() {
        class.push_str(" unread");
    }
    if row.has_flag("\\Flagged") {
        class.push_str(" flagged");
    }
    let uid = row.uid.to_string();
    let item = element(
        "li",
        &[
            ("class", &class),
            ("role", "option"),
            ("aria-selected", "false"),
            ("tabindex", "0"),
            ("data-uid", &uid),
            ("draggable", "true"),
        ],
    )?;
    // A box to click for the mouse, drawn from the row's aria-selected: not a
    // control of its own (an option may not hold one; assistive technology reads
    // aria-selected, the keyboard picks with `x`).
    item.append_child(
        element(
            "span",
            &[
                ("class", "pick"),
                ("aria-hidden", "true"),
                ("title", "Select this message"),
            ],
        )?
        .as_ref(),
    )?;
    let marks = message_view::row_fields(&item, row)?;
    item.append_child(&marks)?;
    Ok(item)
}

/// Marks the row of `uid` as read.
pub(crate) fn mark_read(uid: u32) {
    if let Ok(list) = by_id::<Element>("rows")
        && let Ok(Some(row)) = list.query_selector(&format!("[data-uid=\"{uid}\"]"))
    {
        let _ = row.class_list().remove_1("unread");
    }
}

/// Clicking a row (or Enter on it) opens the message.
pub(crate) fn attach(mail: &Rc<Mail>) -> Result<(), JsValue> {
    let open = {
        let mail = Rc::clone(mail);
        move |event: Event| {
            let Some(target) = event.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
                return;
            };
            let Ok(Some(row)) = target.closest("[data-uid]") else {
                return;
            };
            let Some(uid) = row.get_attribute("data-uid").and_then(|u| u.parse().ok()) else {
                return;
            };
            if selection::on_row_click(&mail, &event, uid) {
                return;
            }
            let mail = Rc::clone(&mail);
            wasm_bindgen_futures::spawn_local(async move { reader::open(&mail, uid).await });
        }
    };
    let list = by_id::<HtmlElement>("rows")?;
    let on_click = Closure::<dyn FnMut(Event)>::new(open.clone());
    list.set_onclick(Some(on_click.as_ref().unchecked_ref()));
    on_click.forget();
    let on_key =
        Closure::<dyn FnMut(web_sys::KeyboardEvent)>::new(move |event: web_sys::KeyboardEvent| {
            if event.key() == "Enter" {
                open(event.into());
            }
        });
    list.set_onkeydown(Some(on_key.as_ref().unchecked_ref()));
    on_key.forget();

    let for_sort = Rc::clone(mail);
    let for_scroll = Rc::clone(mail);
    let mail = Rc::clone(mail);
    let on_scroll = Closure::<dyn FnMut()>::new(move || {
        if virtual_list::active(&for_scroll) {
            virtual_list::draw(&for_scroll);
            return;
        }
        let Ok(pane) = by_id::<HtmlElement>("list") else {
            return;
        };
        let near_end = pane.scroll_top() + pane.client_height() + 400 >= pane.scroll_height();
        if near_end {
            let mail = Rc::clone(&for_scroll);
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(error) = load_older(&mail).await {
                    super::show_connection(&format!("Cannot load older messages: {error}"));
                }
            });
        }
    });
    by_id::<HtmlElement>("list")?.set_onscroll(Some(on_scroll.as_ref().unchecked_ref()));
    on_scroll.forget();

    let for_threads = Rc::clone(&for_sort);
    let on_threads = Closure::<dyn FnMut()>::new(move || {
        let on = by_id::<web_sys::HtmlInputElement>("conversations")
            .map(|c| c.checked())
            .unwrap_or(false);
        if let Err(error) = set_conversations(&for_threads, on) {
            super::show_connection(&format!("Cannot group conversations: {error}"));
        }
    });
    by_id::<web_sys::HtmlInputElement>("conversations")?
        .set_onchange(Some(on_threads.as_ref().unchecked_ref()));
    on_threads.forget();

    let on_search = Closure::<dyn FnMut(Event)>::new(move |event: Event| {
        event.prevent_default();
        let text = by_id::<web_sys::HtmlInputElement>("search-box")
            .map(|b| b.value())
            .unwrap_or_default();
        let mail = Rc::clone(&mail);
        wasm_bindgen_futures::spawn_local(async move {
            if let Err(error) = search(&mail, &text).await {
                super::show_connection(&format!("Cannot search: {error}"));
            }
        });
    });
    by_id::<web_sys::HtmlFormElement>("search")?
        .set_onsubmit(Some(on_search.as_ref().unchecked_ref()));
    on_search.forget();

    let on_sort = Closure::<dyn FnMut()>::new(move || {
        let choice = by_id::<web_sys::HtmlSelectElement>("sort")
            .map(|s| s.value())
            .unwrap_or_default();
        let mail = Rc::clone(&for_sort);
        wasm_bindgen_futures::spawn_local(async move {
            if let Err(error) = sort(&mail, &choice).await {
                super::show_connection(&format!("Cannot sort: {error}"));
            }
        });
    });
    by_id::<web_sys::HtmlSelectElement>("sort")?
        .set_onchange(Some(on_sort.as_ref().unchecked_ref()));
    on_sort.forget();
    Ok(())
}
