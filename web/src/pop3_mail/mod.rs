//! The mail view of a POP3 account. POP3 servers keep one inbox and nothing else, so
//! this view keeps the mailbox in the browser: messages by UIDL, the user's folders,
//! read state and flags, all in IndexedDB (`crate::storage::local_mail`), and says
//! so on screen.
//!
//! - [`check`]: a mail check (new headers, downloads, deletions by policy), safe to
//!   interrupt anywhere;
//! - `view`: drawing the folders, the rows and the reader;
//! - `events`: what clicks, choices and the periodic check do.
//!
//! One POP3 session at a time talks to the server (an async mutex): servers lock a
//! mailbox per session, and a second would be refused with `[IN-USE]`.

pub mod check;
mod events;
mod view;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use futures_util::lock::Mutex;
use postern_shared::pop3::mailbox::{AccountState, INBOX, LocalMessage};
use wasm_bindgen::prelude::*;
use web_sys::HtmlElement;

use crate::dom::{by_id, document};
use crate::message_view::ShownHtml;
use crate::storage::local_mail::LocalMail;
use check::{Cancel, Pop3Account};

pub(crate) struct PopMail {
    account: Pop3Account,
    store: LocalMail,
    state: RefCell<AccountState>,
    /// Every record of the account, tombstones included.
    messages: RefCell<Vec<LocalMessage>>,
    /// The open folder.
    current: RefCell<String>,
    /// The UIDL of the message in the reader.
    reading: RefCell<Option<String>>,
    /// The HTML message in the reader, to show again with remote images.
    shown_html: RefCell<Option<ShownHtml>>,
    /// The whole message in the reader, for its attachments.
    shown_raw: RefCell<Option<Vec<u8>>>,
    /// Held by whatever talks to the server.
    server: Mutex<()>,
    /// Stops the running check, if any.
    running: RefCell<Option<Cancel>>,
    /// Bumped when the check interval changes, so the old timer loop ends.
    timer_generation: Cell<u32>,
    /// The server's minimum seconds between logins (RFC 2449 LOGIN-DELAY).
    login_delay: Cell<u32>,
}

/// Replaces the page with the POP3 mail view, shows what is stored locally at once,
/// then checks the server.
pub async fn open(account: Pop3Account, label: &str) -> Result<(), String> {
    let store = LocalMail::open(&account.storage_key())
        .await
        .map_err(|e| e.to_string())?;
    let state = store.state().await.map_err(|e| e.to_string())?;
    let messages = store.messages().await.map_err(|e| e.to_string())?;
    let root = document()
        .get_element_by_id("app")
        .ok_or("the page has no #app")?;
    root.set_text_content(None);
    let js = |e: JsValue| format!("{e:?}");
    root.append_child(view::layout(label, &state).map_err(js)?.as_ref())
        .map_err(js)?;
    let mail = Rc::new(PopMail {
        account,
        store,
        state: RefCell::new(state),
        messages: RefCell::new(messages),
        current: RefCell::new(INBOX.to_owned()),
        reading: RefCell::new(None),
        shown_html: RefCell::new(None),
        shown_raw: RefCell::new(None),
        server: Mutex::new(()),
        running: RefCell::new(None),
        timer_generation: Cell::new(0),
        login_delay: Cell::new(0),
    });
    view::redraw(&mail).map_err(js)?;
    events::attach(&mail).map_err(js)?;
    events::check_now(&mail);
    events::schedule_checks(&mail);
    Ok(())
}

pub(crate) fn show_status(text: &str) {
    if let Ok(status) = by_id::<HtmlElement>("connection") {
        status.set_text_content(Some(text));
    }
}

/// Milliseconds since the Unix epoch, by the browser's clock.
fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}
