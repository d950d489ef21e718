//! The mail view after an IMAP sign-in: folders, the message list and the reader.
//!
//! - `folders`: the folder pane (special-use first, unread counts);
//! - `folder_roles`: the dialog to choose the Trash, Sent... folders;
//! - `list`: the rows of the open folder;
//! - `reader`: one message, shown safely (text, or sanitized HTML in a sandboxed
//!   frame), with its attachments fetched only when clicked;
//! - `actions`: read/unread, flag, archive, delete, by button or key;
//! - `virtual_list`: big folders as a list as tall as the folder, fetching only
//!   the rows near the viewport;
//! - `selection`: many messages at once (checkboxes, Ctrl/Shift-click, drag and
//!   drop onto a folder);
//! - `compose`: writing, replying and forwarding; drafts; sending over SMTP;
//! - `live`: a second connection that IDLEs on the open folder and refreshes the
//!   view when another client changes it.
//!
//! One IMAP connection serves the view; an async mutex keeps its requests from
//! interleaving (a click while another request runs waits its turn).

mod actions;
mod compose;
mod folder_roles;
mod folders;
mod list;
mod live;
mod phone;
mod reader;
mod selection;
mod virtual_list;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use futures_util::lock::Mutex;
use postern_shared::imap::folder_roles::PersonalNamespace;
use postern_shared::imap::{
    Extension, MailboxInfo, Outcome, RequestError, RequestId, Session, SortBy,
};
use postern_shared::summary::MessageSummary;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Element, HtmlElement};

use crate::dom::{by_id, document, element, sleep, text_element};
use crate::imap_connection::{ConnectionError, ImapConnection};
use crate::panes;

/// Who is signed in, and how to open further connections for them.
pub struct Account {
    pub label: String,
    pub tunnel_url: String,
    pub upstream: String,
    pub user: String,
    pub password: String,
    /// Whether the upstream offers SMTP submission.
    pub can_send: bool,
}

impl Account {
    /// Names this account in what the browser keeps (`upstream/user`).
    pub fn key(&self) -> String {
        format!("{}/{}", self.upstream, self.user)
    }
}

pub(crate) struct Mail {
    account: Account,
    imap: Mutex<ImapConnection>,
    folders: RefCell<Vec<MailboxInfo>>,
    /// Where the user's folders live (NAMESPACE); `None` until the first LIST.
    namespace: RefCell<Option<PersonalNamespace>>,
    /// The open folder's name.
    current: RefCell<Option<String>>,
    rows: RefCell<Vec<MessageSummary>>,
    /// The search the list shows, if any (else the newest messages).
    search: RefCell<Option<String>>,
    /// The server-side order the list shows; `None` is newest first.
    sort: Cell<Option<(SortBy, bool)>>,
    /// The lowest UID the list shows (it shows from there to the newest).
    window_start: Cell<u32>,
    /// Rows grouped into conversations.
    conversations: Cell<bool>,
    /// An older window is being fetched (scrolling fires often).
    loading_more: Cell<bool>,
    /// The UID of the message in the reader.
    reading: RefCell<Option<u32>>,
    /// The HTML message in the reader, to show again with remote images.
    shown_html: RefCell<Option<crate::message_view::ShownHtml>>,
    /// The status line shows why the last message could not be opened; opening
    /// another one clears it.
    open_failed: Cell<bool>,
    /// The pane a phone shows (wider screens show all three).
    pane: Cell<phone::Pane>,
    /// How many of those panes were reached by a step that made a history entry
    /// (so Back may go through the history).
    pane_steps: Cell<u32>,
    /// The live-update connection of the open folder.
    watcher: RefCell<Option<live::Watcher>>,
    /// Messages in the open folder, as SELECT and later changes said.
    folder_size: Cell<u32>,
    /// The open folder as a virtual list, when it is big.
    virtual_list: RefCell<Option<virtual_list::VirtualList>>,
    /// The UIDs picked for a bulk action.
    selected: RefCell<std::collections::BTreeSet<u32>>,
    /// The last row picked, where a Shift-click range starts.
    anchor: Cell<Option<u32>>,
    /// The IndexedDB cache of this account's folders; `None` when the browser
    /// offers no storage (the view then works from the server alone).
    cache: RefCell<Option<crate::storage::mail_cache::MailCache>>,
    /// UIDVALIDITY and HIGHESTMODSEQ of the open folder when its rows were synced.
    synced: Cell<Option<(u32, Option<u64>)>>,
    /// The message being written, if the compose form is open.
    compose: RefCell<Option<Rc<compose::Compose>>>,
}

impl Mail {
    /// Runs one request on the connection and waits for its outcome. If the
    /// connection was lost (server restart, network, an administrator's kick), it is
    /// opened again with backoff, the folder is selected again, and the request is
    /// retried once: the user sees a status line, not an error page.
    pub(crate) async fn request(
        &self,
        make: impl Fn(&mut Session) -> Result<RequestId, RequestError>,
    ) -> Result<Outcome, String> {
        let mut imap = self.imap.lock().await;
        let id = make(&mut imap.session).map_err(|e| e.to_string())?;
        match imap.run(id).await {
            Err(ConnectionError::Tunnel(_) | ConnectionError::Bye(_)) => {
                *imap = self.reconnect().await;
                let id = make(&mut imap.session).map_err(|e| e.to_string())?;
                imap.run(id).await.map_err(|e| e.to_string())
            }
            result => result.map_err(|e| e.to_string()),
        }
    }

    /// A new signed-in connection with the open folder selected, retried with
    /// exponential backoff (0.5 s up to 30 s) until it works.
    async fn reconnect(&self) -> ImapConnection {
        let mut delay = 500;
        loop {
            show_connection("Reconnecting…");
            let folder = self.current.borrow().clone();
            match self.open_connection(folder.as_deref(), false).await {
                Ok(imap) => {
                    show_connection("Connected");
                    return imap;
                }
                Err(error) => {
                    show_connection(&format!("Reconnecting in {} s: {error}", delay / 1000));
                    sleep(delay).await;
                    delay = (delay * 2).min(30_000);
                }
            }
        }
    }

    /// Opens a connection, signs in, and selects `folder` (EXAMINE when `read_only`).
    pub(crate) async fn open_connection(
        &self,
        folder: Option<&str>,
        read_only: bool,
    ) -> Result<ImapConnection, ConnectionError> {
        let account = &self.account;
        let mut imap = ImapConnection::connect(&account.tunnel_url, &account.upstream).await?;
        imap.sign_in(&account.user, &account.password).await?;
        enable_condstore(&mut imap).await;
        if let Some(folder) = folder {
            let select = imap.session.select(folder, read_only)?;
            imap.run(select).await?;
        }
        Ok(imap)
    }
}

/// Turns on CONDSTORE (RFC 7162) when the server has it: SELECT then reports the
/// folder's HIGHESTMODSEQ, which lets a cached folder ask only for what changed.
async fn enable_condstore(imap: &mut ImapConnection) {
    if let Some(id) = imap.session.enable(&[Extension::CondStore]) {
        // Without it the cache syncs by fetching rows again: slower, never wrong.
        let _ = imap.run(id).await;
    }
}

/// Replaces the page with the mail view and opens the Inbox.
pub fn open(imap: ImapConnection, account: Account) -> Result<(), JsValue> {
    let root = document()
        .get_element_by_id("app")
        .ok_or("the page has no #app")?;
    root.set_text_content(None);
    let view = layout(&account.label, account.can_send)?;
    root.append_child(&view)?;

    let mail = Rc::new(Mail {
        account,
        imap: Mutex::new(imap),
        folders: RefCell::new(Vec::new()),
        namespace: RefCell::new(None),
        current: RefCell::new(None),
        rows: RefCell::new(Vec::new()),
        search: RefCell::new(None),
        sort: Cell::new(None),
        window_start: Cell::new(1),
        loading_more: Cell::new(false),
        conversations: Cell::new(false),
        reading: RefCell::new(None),
        shown_html: RefCell::new(None),
        open_failed: Cell::new(false),
        pane: Cell::new(phone::Pane::List),
        pane_steps: Cell::new(0),
        watcher: RefCell::new(None),
        folder_size: Cell::new(0),
        virtual_list: RefCell::new(None),
        selected: RefCell::new(Default::default()),
        anchor: Cell::new(None),
        cache: RefCell::new(None),
        synced: Cell::new(None),
        compose: RefCell::new(None),
    });
    folders::attach(&mail)?;
    folder_roles::attach(&mail)?;
    list::attach(&mail)?;
    reader::attach(&mail)?;
    actions::attach_keys(&mail)?;
    selection::attach(&mail)?;
    phone::attach(&mail)?;
    folders::keep_counts_fresh(&mail)?;
    attach_sign_out(&mail)?;
    attach_write(&mail)?;
    attach_auto_read()?;
    wasm_bindgen_futures::spawn_local(async move {
        let key = mail.account.key();
        *mail.cache.borrow_mut() = crate::storage::mail_cache::MailCache::open(&key).await.ok();
        enable_condstore(&mut *mail.imap.lock().await).await;
        if let Err(error) = folders::load(&mail).await {
            show_connection(&format!("Cannot list folders: {error}"));
            return;
        }
        if let Err(error) = list::open_folder(&mail, "INBOX").await {
            show_connection(&format!("Cannot open the Inbox: {error}"));
        }
    });
    Ok(())
}

fn layout(account: &str, can_send: bool) -> Result<Element, JsValue> {
    let mail = element("div", &[("id", "mail"), ("class", "mail")])?;
    let mut buttons = Vec::new();
    if can_send {
        buttons.push(("write", "Write", false));
    }
    buttons.push(("sign-out", "Sign out", false));
    buttons.push(("sign-out-clear", "Sign out and clear this browser", false));
    mail.append_child(panes::bar(account, "Connected", &buttons)?.as_ref())?;
    // On a phone: back a pane (web/src/mail/phone.rs).
    if let Some(bar) = mail.query_selector(".bar")? {
        let back = text_element(
            "button",
            &[
                ("id", "pane-back"),
                ("type", "button"),
                ("class", "phone-only"),
            ],
            "← Back",
        )?;
        bar.insert_before(&back, bar.first_child().as_ref())?;
    }
    if let Some(write) = mail.query_selector("#write")? {
        write.set_attribute("aria-keyshortcuts", "c")?;
    }
    mail.append_child(panes::folders()?.as_ref())?;

    let list = element("section", &[("id", "list"), ("aria-label", "Messages")])?;
    list.append_child(panes::list_heading()?.as_ref())?;
    if let Some(heading) = list.query_selector("#list-tools")? {
        let folders = text_element(
            "button",
            &[
                ("id", "pane-folders"),
                ("type", "button"),
                ("class", "phone-only"),
            ],
            "☰ Folders",
        )?;
        heading.insert_before(&folders, heading.first_child().as_ref())?;
    }
    let search = element("form", &[("id", "search"), ("role", "search")])?;
    search.append_child(
        element(
            "input",
            &[
                ("id", "search-box"),
                ("type", "search"),
                ("placeholder", "Search this folder  ( / )"),
                ("aria-label", "Search this folder"),
                ("aria-keyshortcuts", "/"),
            ],
        )?
        .as_ref(),
    )?;
    let sort = element("select", &[("id", "sort"), ("aria-label", "Sort messages")])?;
    for (value, label) in [
        ("newest", "Newest first"),
        ("oldest", "Oldest first"),
        ("from", "By sender"),
        ("subject", "By subject"),
        ("size", "Largest first"),
    ] {
        sort.append_child(text_element("option", &[("value", value)], label)?.as_ref())?;
    }
    search.append_child(&sort)?;
    let threads = element("label", &[("class", "conversations")])?;
    threads.append_child(
        element("input", &[("id", "conversations"), ("type", "checkbox")])?.as_ref(),
    )?;
    threads.append_child(&document().create_text_node(" Conversations"))?;
    search.append_child(&threads)?;
    let auto_read = element("label", &[("class", "conversations")])?;
    let auto_read_box = element("input", &[("id", "auto-read"), ("type", "checkbox")])?;
    if reader::auto_read() {
        auto_read_box.set_attribute("checked", "")?;
    }
    auto_read.append_child(&auto_read_box)?;
    auto_read.append_child(&document().create_text_node(" Mark read on open"))?;
    search.append_child(&auto_read)?;
    list.append_child(&search)?;
    list.append_child(selection::bar(&[])?.as_ref())?;
    list.append_child(panes::rows()?.as_ref())?;
    mail.append_child(&list)?;
    mail.append_child(panes::reader()?.as_ref())?;
    Ok(mail)
}

/// Sign out forgets an opted-in session, closes the IMAP session and reloads the
/// page, which drops every secret the page held. "Sign out and clear" also removes
/// this browser's cached copy of the account's mail (for a shared computer).
fn attach_sign_out(mail: &Rc<Mail>) -> Result<(), JsValue> {
    for (id, clear_cache) in [("sign-out", false), ("sign-out-clear", true)] {
        let mail = Rc::clone(mail);
        let on_click = Closure::<dyn FnMut()>::new(move || {
            let mail = Rc::clone(&mail);
            crate::login::forget();
            wasm_bindgen_futures::spawn_local(async move {
                let cache = mail.cache.borrow_mut().take();
                if clear_cache && let Some(cache) = cache {
                    let _ = cache.forget_account().await;
                }
                let _ = mail.request(|s| Ok(s.logout())).await;
                if let Some(window) = web_sys::window() {
                    let _ = window.location().reload();
                }
            });
        });
        by_id::<HtmlElement>(id)?.set_onclick(Some(on_click.as_ref().unchecked_ref()));
        on_click.forget();
    }
    Ok(())
}

/// The "Mark read on open" box: remembered in localStorage (a preference, no
/// secret).
fn attach_auto_read() -> Result<(), JsValue> {
    let on_change = Closure::<dyn FnMut()>::new(move || {
        let on = by_id::<web_sys::HtmlInputElement>("auto-read").is_ok_and(|b| b.checked());
        if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
            let _ = storage.set_item(reader::AUTO_READ_KEY, if on { "on" } else { "off" });
        }
    });
    by_id::<web_sys::HtmlInputElement>("auto-read")?
        .set_onchange(Some(on_change.as_ref().unchecked_ref()));
    on_change.forget();
    Ok(())
}

/// Write opens an empty compose form.
fn attach_write(mail: &Rc<Mail>) -> Result<(), JsValue> {
    let Ok(button) = by_id::<HtmlElement>("write") else {
        return Ok(());
    };
    let mail = Rc::clone(mail);
    let on_click = Closure::<dyn FnMut()>::new(move || {
        if let Err(error) = compose::open(&mail, Default::default(), None, None) {
            show_connection(&format!("Cannot open the editor: {error:?}"));
        }
    });
    button.set_onclick(Some(on_click.as_ref().unchecked_ref()));
    on_click.forget();
    Ok(())
}

pub(crate) fn show_connection(text: &str) {
    if let Ok(status) = by_id::<HtmlElement>("connection") {
        status.set_text_content(Some(text));
    }
}
