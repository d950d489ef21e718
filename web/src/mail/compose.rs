//! Writing and sending: the compose form in the reader pane, drafts saved to the
//! Drafts folder as the user types, sending through the account's submission
//! server (SMTP over its own tunnel), a copy in Sent, and `\Answered` on the message
//! replied to.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use postern_shared::compose::{self, AttachedFile, Draft, ReplyKind};
use postern_shared::imap::{FlagOperation, Outcome, SpecialUse, UidSet};
use postern_shared::reader::mime;
use postern_shared::smtp::{self, Mailbox};
use postern_shared::summary::{Address, MessageSummary};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{DragEvent, Element, Event, HtmlElement, HtmlInputElement, HtmlTextAreaElement};

use super::{Mail, actions, reader, show_connection};
use crate::dom::{by_id, document, element, sleep, text_element};
use crate::message_view::human_size;
use crate::sanitizer;
use crate::smtp_connection::{SmtpConnection, SmtpConnectionError};

/// How often a changed draft is saved to the Drafts folder.
const AUTOSAVE_MS: i32 = 5_000;

/// The message being written.
pub(crate) struct Compose {
    attachments: RefCell<Vec<AttachedFile>>,
    in_reply_to: Option<String>,
    references: Vec<String>,
    /// The message this answers: its folder and UID, to mark it `\Answered`.
    answering: Option<(String, u32)>,
    /// The UID of the saved copy in Drafts, replaced at each save.
    draft_uid: Cell<Option<u32>>,
    dirty: Cell<bool>,
    busy: Cell<bool>,
    /// Set once sent or discarded: the autosave loop ends.
    closed: Cell<bool>,
}

impl Compose {
    /// Ends the form's autosave (it was sent, discarded or left).
    pub(crate) fn close(&self) {
        self.closed.set(true);
    }
}

/// Opens the compose form with `draft` (empty for a new message).
pub(crate) fn open(
    mail: &Rc<Mail>,
    mut draft: Draft,
    answering: Option<(String, u32)>,
    draft_uid: Option<u32>,
) -> Result<(), JsValue> {
    if let Some(old) = mail.compose.borrow().as_ref() {
        old.closed.set(true);
    }
    *mail.reading.borrow_mut() = None;
    super::phone::go(mail, super::phone::Pane::Message);
    if draft.from.is_none() {
        draft.from = own_address(mail);
    }
    let reader: Element = by_id("reader")?;
    reader.set_text_content(None);
    reader.append_child(form(mail, &draft)?.as_ref())?;
    let compose = Rc::new(Compose {
        attachments: RefCell::new(draft.attachments.clone()),
        in_reply_to: draft.in_reply_to.clone(),
        references: draft.references.clone(),
        answering,
        draft_uid: Cell::new(draft_uid),
        dirty: Cell::new(false),
        busy: Cell::new(false),
        closed: Cell::new(false),
    });
    *mail.compose.borrow_mut() = Some(Rc::clone(&compose));
    show_attachments(&compose)?;
    attach(mail, &compose)?;
    autosave(mail, &compose);
    if let Ok(field) = by_id::<HtmlElement>(if draft.to.is_empty() {
        "compose-to"
    } else {
        "compose-text"
    }) {
        let _ = field.focus();
    }
    Ok(())
}

/// Where the From of the last message sent from this account is remembered (the
/// browser's localStorage: an address is no secret, and it should outlive the tab).
fn from_key(mail: &Mail) -> String {
    format!(
        "postern.from.{}/{}",
        mail.account.upstream, mail.account.user
    )
}

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// The user's own address: the From they last sent with, else the login name when
/// it is an address, else an address the loaded mail was sent to whose local part
/// is the login name.
fn own_address(mail: &Mail) -> Option<Address> {
    if let Some(saved) = local_storage().and_then(|s| s.get_item(&from_key(mail)).ok()?)
        && let Ok(mut list) = compose::parse_addresses(&saved)
        && !list.is_empty()
    {
        return Some(list.remove(0));
    }
    let user = &mail.account.user;
    if Mailbox::parse(user).is_ok() {
        return Some(Address {
            name: String::new(),
            email: user.clone(),
        });
    }
    mail.rows
        .borrow()
        .iter()
        .flat_map(|r| r.to.iter().chain(&r.cc))
        .find(|a| {
            a.email
                .split_once('@')
                .is_some_and(|(local, _)| local.eq_ignore_ascii_case(user))
        })
        .cloned()
}

fn form(mail: &Mail, draft: &Draft) -> Result<Element, JsValue> {
    let form = element(
        "form",
        &[
            ("id", "compose"),
            ("class", "compose"),
            ("aria-label", "Write a message"),
        ],
    )?;
    // Suggestions: every address seen in the loaded rows.
    let book = element("datalist", &[("id", "address-book")])?;
    let mut seen: Vec<String> = Vec::new();
    for address in mail
        .rows
        .borrow()
        .iter()
        .flat_map(|r| r.from.iter().chain(&r.to).chain(&r.cc))
    {
        let shown = compose::format_addresses(std::slice::from_ref(address));
        if !seen.contains(&shown) {
            book.append_child(element("option", &[("value", &shown)])?.as_ref())?;
            seen.push(shown);
        }
    }
    form.append_child(&book)?;
    let from = draft
        .from
        .as_ref()
        .map(|a| compose::format_addresses(std::slice::from_ref(a)))
        .unwrap_or_default();
    for (id, label, value) in [
        ("compose-from", "From", from),
        ("compose-to", "To", compose::format_addresses(&draft.to)),
        ("compose-cc", "Cc", compose::format_addresses(&draft.cc)),
        ("compose-bcc", "Bcc", compose::format_addresses(&draft.bcc)),
        ("compose-subject", "Subject", draft.subject.clone()),
    ] {
        form.append_child(text_element("label", &[("for", id)], label)?.as_ref())?;
        let input = element("input", &[("id", id), ("autocomplete", "off")])?;
        if id != "compose-subject" && id != "compose-from" {
            input.set_attribute("list", "address-book")?;
            input.set_attribute("multiple", "")?;
        }
        input
            .dyn_ref::<HtmlInputElement>()
            .ok_or("not an input")?
            .set_value(&value);
        form.append_child(&input)?;
    }

    let tools = element("div", &[("class", "compose-tools")])?;
    let rich = element("label", &[])?;
    rich.append_child(element("input", &[("id", "compose-rich"), ("type", "checkbox")])?.as_ref())?;
    rich.append_child(&document().create_text_node(" Rich text"))?;
    tools.append_child(&rich)?;
    let formats = element("span", &[("id", "compose-formats"), ("hidden", "")])?;
    for (command, label) in [
        ("bold", "B"),
        ("italic", "I"),
        ("insertUnorderedList", "• List"),
        ("insertOrderedList", "1. List"),
        ("createLink", "Link"),
        ("quote", "Quote"),
    ] {
        formats.append_child(
            text_element(
                "button",
                &[("type", "button"), ("data-format", command)],
                label,
            )?
            .as_ref(),
        )?;
    }
    tools.append_child(&formats)?;
    form.append_child(&tools)?;

    let text = element(
        "textarea",
        &[
            ("id", "compose-text"),
            ("rows", "14"),
            ("aria-label", "Message"),
        ],
    )?;
    text.dyn_ref::<HtmlTextAreaElement>()
        .ok_or("not a textarea")?
        .set_value(&draft.text);
    form.append_child(&text)?;
    let html = element(
        "div",
        &[
            ("id", "compose-html"),
            ("contenteditable", "true"),
            ("role", "textbox"),
            ("aria-multiline", "true"),
            ("aria-label", "Message"),
            ("hidden", ""),
        ],
    )?;
    form.append_child(&html)?;

    let files = element("div", &[("class", "compose-files")])?;
    files.append_child(
        text_element(
            "label",
            &[("for", "compose-files")],
            "Attach files (or drop them here)",
        )?
        .as_ref(),
    )?;
    files.append_child(
        element(
            "input",
            &[("id", "compose-files"), ("type", "file"), ("multiple", "")],
        )?
        .as_ref(),
    )?;
    files.append_child(element("ul", &[("id", "compose-attachments")])?.as_ref())?;
    form.append_child(&files)?;

    let buttons = element("div", &[("class", "actions")])?;
    for (id, kind, label) in [
        ("compose-send", "submit", "Send"),
        ("compose-save", "button", "Save draft"),
        ("compose-discard", "button", "Discard"),
    ] {
        buttons
            .append_child(text_element("button", &[("id", id), ("type", kind)], label)?.as_ref())?;
    }
    buttons.append_child(
        element(
            "progress",
            &[("id", "compose-progress"), ("hidden", ""), ("max", "1")],
        )?
        .as_ref(),
    )?;
    form.append_child(&buttons)?;
    form.append_child(element("p", &[("id", "compose-status"), ("role", "status")])?.as_ref())?;
    Ok(form)
}

fn input_value(id: &str) -> String {
    by_id::<HtmlInputElement>(id)
        .map(|i| i.value())
        .unwrap_or_default()
}

fn rich_mode() -> bool {
    by_id::<HtmlInputElement>("compose-rich").is_ok_and(|c| c.checked())
}

/// The form as a draft; with `strict`, every address must be valid.
fn read_form(compose: &Compose, strict: bool) -> Result<Draft, String> {
    let field = |id: &str| -> Result<Vec<Address>, String> {
        let value = input_value(id);
        match compose::parse_addresses(&value) {
            Ok(list) => Ok(list),
            Err(error) if strict => Err(error.to_string()),
            Err(_) => Ok(value
                .split(',')
                .filter_map(|a| compose::parse_addresses(a).ok())
                .flatten()
                .collect()),
        }
    };
    let (text, html) = if rich_mode() {
        let editor: HtmlElement = by_id("compose-html").map_err(|e| format!("{e:?}"))?;
        (editor.inner_text(), Some(editor.inner_html()))
    } else {
        let area: HtmlTextAreaElement = by_id("compose-text").map_err(|e| format!("{e:?}"))?;
        (area.value(), None)
    };
    Ok(Draft {
        from: field("compose-from")?.into_iter().next(),
        to: field("compose-to")?,
        cc: field("compose-cc")?,
        bcc: field("compose-bcc")?,
        subject: input_value("compose-subject"),
        text,
        html,
        attachments: compose.attachments.borrow().clone(),
        in_reply_to: compose.in_reply_to.clone(),
        references: compose.references.clone(),
    })
}

/// The rich text as the allow-list leaves it: what the editor holds may be pasted
/// markup. Remote images stay, as the writer put them.
async fn with_clean_html(mut draft: Draft) -> Result<Draft, String> {
    if let Some(rich) = &draft.html {
        draft.html = Some(
            sanitizer::sanitize(rich, true, &[])
                .await
                .map_err(|e| e.to_string())?
                .html,
        );
    }
    Ok(draft)
}

fn set_status(text: &str) {
    if let Ok(status) = by_id::<Element>("compose-status") {
        status.set_text_content(Some(text));
    }
}

fn show_attachments(compose: &Compose) -> Result<(), JsValue> {
    let list: Element = by_id("compose-attachments")?;
    list.set_text_content(None);
    for (index, file) in compose.attachments.borrow().iter().enumerate() {
        let item = text_element(
            "li",
            &[],
            &format!(
                "{} ({}) ",
                file.filename,
                human_size(u32::try_from(file.bytes.len()).unwrap_or(u32::MAX))
            ),
        )?;
        item.append_child(
            text_element(
                "button",
                &[
                    ("type", "button"),
                    ("data-remove-attachment", &index.to_string()),
                ],
                "Remove",
            )?
            .as_ref(),
        )?;
        list.append_child(&item)?;
    }
    Ok(())
}

/// The files of a picker or a drop, taken now: the list empties when the picker
/// is reset.
fn taken(files: &web_sys::FileList) -> Vec<web_sys::File> {
    (0..files.length()).filter_map(|i| files.item(i)).collect()
}

/// Reads picked or dropped files into the message.
async fn add_files(compose: &Compose, files: Vec<web_sys::File>) -> Result<(), JsValue> {
    for file in files {
        let buffer = wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await?;
        let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
        let mime_type = match file.type_() {
            t if t.is_empty() => "application/octet-stream".to_owned(),
            t => t,
        };
        compose.attachments.borrow_mut().push(AttachedFile {
            filename: file.name(),
            mime_type,
            bytes,
        });
    }
    compose.dirty.set(true);
    show_attachments(compose)
}

fn attach(mail: &Rc<Mail>, compose: &Rc<Compose>) -> Result<(), JsValue> {
    let form: HtmlElement = by_id("compose")?;
    let on = |event: &str, handler: Closure<dyn FnMut(Event)>| -> Result<(), JsValue> {
        form.add_event_listener_with_callback(event, handler.as_ref().unchecked_ref())?;
        // The form is dropped with the reader's content; so are its listeners.
        handler.forget();
        Ok(())
    };
    {
        let (mail, compose) = (Rc::clone(mail), Rc::clone(compose));
        on(
            "submit",
            Closure::new(move |event: Event| {
                event.prevent_default();
                let (mail, compose) = (Rc::clone(&mail), Rc::clone(&compose));
                wasm_bindgen_futures::spawn_local(async move {
                    send(&mail, &compose).await;
                });
            }),
        )?;
    }
    {
        let compose = Rc::clone(compose);
        on(
            "input",
            Closure::new(move |_: Event| compose.dirty.set(true)),
        )?;
    }
    {
        let compose = Rc::clone(compose);
        on(
            "change",
            Closure::new(move |event: Event| {
                let Some(target) = event
                    .target()
                    .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
                else {
                    return;
                };
                match target.id().as_str() {
                    "compose-rich" => switch_mode(target.checked()),
                    "compose-files" => {
                        if let Some(files) = target.files().as_ref().map(taken) {
                            let compose = Rc::clone(&compose);
                            wasm_bindgen_futures::spawn_local(async move {
                                if let Err(e) = add_files(&compose, files).await {
                                    set_status(&format!("Cannot read the file: {e:?}"));
                                }
                            });
                        }
                        target.set_value("");
                    }
                    _ => {}
                }
            }),
        )?;
    }
    {
        let (mail, compose) = (Rc::clone(mail), Rc::clone(compose));
        on(
            "click",
            Closure::new(move |event: Event| {
                let Some(target) = event.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
                    return;
                };
                if let Ok(Some(button)) = target.closest("[data-format]") {
                    format(&button.get_attribute("data-format").unwrap_or_default());
                } else if let Ok(Some(button)) = target.closest("[data-remove-attachment]") {
                    let index: usize = button
                        .get_attribute("data-remove-attachment")
                        .and_then(|i| i.parse().ok())
                        .unwrap_or(usize::MAX);
                    let mut files = compose.attachments.borrow_mut();
                    if index < files.len() {
                        files.remove(index);
                    }
                    drop(files);
                    compose.dirty.set(true);
                    let _ = show_attachments(&compose);
                } else if target.id() == "compose-save" {
                    let (mail, compose) = (Rc::clone(&mail), Rc::clone(&compose));
                    wasm_bindgen_futures::spawn_local(async move {
                        if let Err(error) = save_draft(&mail, &compose).await {
                            set_status(&format!("Cannot save the draft: {error}"));
                        }
                    });
                } else if target.id() == "compose-discard" {
                    compose.closed.set(true);
                    let (mail, compose) = (Rc::clone(&mail), Rc::clone(&compose));
                    wasm_bindgen_futures::spawn_local(async move {
                        if let Some(uid) = compose.draft_uid.get() {
                            let _ = delete_draft(&mail, uid).await;
                        }
                        *mail.compose.borrow_mut() = None;
                        reader::clear();
                    });
                }
            }),
        )?;
    }
    {
        on(
            "dragover",
            Closure::new(move |event: Event| event.prevent_default()),
        )?;
        let compose = Rc::clone(compose);
        on(
            "drop",
            Closure::new(move |event: Event| {
                event.prevent_default();
                let Some(files) = event
                    .dyn_ref::<DragEvent>()
                    .and_then(|d| d.data_transfer())
                    .and_then(|t| t.files())
                    .as_ref()
                    .map(taken)
                else {
                    return;
                };
                let compose = Rc::clone(&compose);
                wasm_bindgen_futures::spawn_local(async move {
                    if let Err(e) = add_files(&compose, files).await {
                        set_status(&format!("Cannot read the file: {e:?}"));
                    }
                });
            }),
        )?;
    }
    Ok(())
}

/// Plain text ⇄ rich text, carrying the content over.
fn switch_mode(rich: bool) {
    let (Ok(area), Ok(editor), Ok(formats)) = (
        by_id::<HtmlTextAreaElement>("compose-text"),
        by_id::<HtmlElement>("compose-html"),
        by_id::<HtmlElement>("compose-formats"),
    ) else {
        return;
    };
    if rich {
        // Text goes in as text nodes and line breaks: nothing typed is parsed as
        // markup.
        editor.set_text_content(None);
        for (i, line) in area.value().split('\n').enumerate() {
            if i > 0
                && let Ok(br) = element("br", &[])
            {
                let _ = editor.append_child(&br);
            }
            let _ = editor.append_child(&document().create_text_node(line));
        }
    } else {
        area.set_value(&editor.inner_text());
    }
    area.set_hidden(rich);
    editor.set_hidden(!rich);
    formats.set_hidden(!rich);
}

/// Applies a formatting button to the rich-text editor's selection.
fn format(command: &str) {
    let Ok(document) = document().dyn_into::<web_sys::HtmlDocument>() else {
        return;
    };
    let _ = match command {
        "createLink" => {
            let Some(url) = crate::dom::ask_name("Link address (https://…):", "https://") else {
                return;
            };
            if !(url.starts_with("https://")
                || url.starts_with("http://")
                || url.starts_with("mailto:"))
            {
                set_status("Links must start with https://, http:// or mailto:.");
                return;
            }
            document.exec_command_with_show_ui_and_value("createLink", false, &url)
        }
        "quote" => document.exec_command_with_show_ui_and_value("formatBlock", false, "blockquote"),
        other => document.exec_command(other),
    };
}

/// Saves the form to Drafts when it changed, every few seconds, while it is open.
fn autosave(mail: &Rc<Mail>, compose: &Rc<Compose>) {
    let (mail, compose) = (Rc::clone(mail), Rc::clone(compose));
    wasm_bindgen_futures::spawn_local(async move {
        loop {
            sleep(AUTOSAVE_MS).await;
            if compose.closed.get() {
                return;
            }
            if compose.dirty.get()
                && !compose.busy.get()
                && let Err(error) = save_draft(&mail, &compose).await
            {
                set_status(&format!("Cannot save the draft: {error}"));
            }
        }
    });
}

fn special(mail: &Mail, use_: SpecialUse) -> Option<String> {
    actions::special_folder(mail, use_)
}

/// A fresh Message-ID in the sender's domain.
fn message_id(draft: &Draft) -> String {
    let domain = draft
        .from
        .as_ref()
        .and_then(|a| a.email.rsplit_once('@').map(|(_, d)| d.to_owned()))
        .unwrap_or_else(|| "postern.invalid".into());
    let random = (js_sys::Math::random() * 1e16) as u64;
    format!("{:x}.{random:x}@{domain}", js_sys::Date::now() as u64)
}

fn now_seconds() -> i64 {
    (js_sys::Date::now() / 1000.0) as i64
}

/// Replaces the saved draft with the form's current content.
async fn save_draft(mail: &Rc<Mail>, compose: &Rc<Compose>) -> Result<(), String> {
    let Some(drafts) = special(mail, SpecialUse::Drafts) else {
        return Err("this account has no Drafts folder".into());
    };
    compose.busy.set(true);
    compose.dirty.set(false);
    let result = async {
        let draft = with_clean_html(read_form(compose, false)?).await?;
        let raw = draft.build(&message_id(&draft), now_seconds());
        let outcome = mail
            .request(|s| s.append(&drafts, &raw, &["\\Draft", "\\Seen"], None))
            .await?;
        let saved = match outcome {
            Outcome::Appended(appended) => appended.map(|a| a.uid),
            _ => None,
        };
        if let Some(old) = compose.draft_uid.replace(saved) {
            delete_draft(mail, old).await?;
        }
        Ok::<(), String>(())
    }
    .await;
    compose.busy.set(false);
    if result.is_ok() {
        let time = js_sys::Date::new_0()
            .to_locale_time_string("default")
            .as_string()
            .unwrap_or_default();
        set_status(&format!("Draft saved at {time}."));
    } else {
        compose.dirty.set(true);
    }
    result
}

/// Removes a saved draft, on a connection of its own so the open folder stays open.
async fn delete_draft(mail: &Rc<Mail>, uid: u32) -> Result<(), String> {
    let Some(drafts) = special(mail, SpecialUse::Drafts) else {
        return Ok(());
    };
    let mut imap = mail
        .open_connection(Some(&drafts), false)
        .await
        .map_err(|e| e.to_string())?;
    let invalid = |e: postern_shared::imap::RequestError| e.to_string();
    let store = imap
        .session
        .store_flags(
            &UidSet::single(uid),
            FlagOperation::Add,
            &["\\Deleted"],
            None,
        )
        .map_err(invalid)?;
    imap.run(store).await.map_err(|e| e.to_string())?;
    let expunge = imap
        .session
        .expunge(&UidSet::single(uid))
        .map_err(invalid)?;
    imap.run(expunge).await.map_err(|e| e.to_string())?;
    let logout = imap.session.logout();
    let _ = imap.run(logout).await;
    Ok(())
}

/// Sends the message: SMTP first; then the copy in Sent, `\Answered` on the
/// original and the draft removed. Any failure keeps the form as it is.
async fn send(mail: &Rc<Mail>, compose: &Rc<Compose>) {
    if compose.busy.get() {
        return;
    }
    compose.busy.set(true);
    let button = by_id::<web_sys::HtmlButtonElement>("compose-send").ok();
    if let Some(button) = &button {
        button.set_disabled(true);
    }
    let result = submit(mail, compose).await;
    compose.busy.set(false);
    if let Some(button) = &button {
        button.set_disabled(false);
    }
    if let Ok(bar) = by_id::<HtmlElement>("compose-progress") {
        bar.set_hidden(true);
    }
    match result {
        Ok(note) => {
            compose.closed.set(true);
            *mail.compose.borrow_mut() = None;
            reader::clear();
            show_connection(&note);
        }
        Err(error) => set_status(&format!("Not sent: {error} Your message is kept here.")),
    }
}

async fn submit(mail: &Rc<Mail>, compose: &Rc<Compose>) -> Result<String, String> {
    let draft = read_form(compose, true)?;
    let from = draft
        .from
        .clone()
        .ok_or("Say who the message is from (your address).")?;
    let sender = Mailbox::parse(&from.email).map_err(|e| e.to_string())?;
    let recipients = draft.recipients().map_err(|e| e.to_string())?;
    let draft = with_clean_html(draft).await?;
    let raw = draft.build(&message_id(&draft), now_seconds());
    let total = raw.len();
    set_status("Connecting to the mail server…");

    let account = &mail.account;
    let mut smtp = SmtpConnection::sign_in(
        &account.tunnel_url,
        &account.upstream,
        &account.user,
        &account.password,
    )
    .await
    .map_err(|e| explain(&e))?;
    let send = smtp
        .session
        .send(&sender, &recipients, raw.clone())
        .map_err(|e| explain(&SmtpConnectionError::Command(e)))?;
    set_status(&format!("Sending {}…", human_size(total as u32)));
    // The bar follows what the browser has handed to the network.
    let sending = Rc::new(Cell::new(true));
    {
        let sending = Rc::clone(&sending);
        let closer = smtp.closer();
        wasm_bindgen_futures::spawn_local(async move {
            let bar = by_id::<web_sys::HtmlProgressElement>("compose-progress").ok();
            if let Some(bar) = &bar {
                bar.set_max(total as f64);
                bar.set_hidden(false);
            }
            while sending.get() {
                if let Some(bar) = &bar {
                    let waiting = closer.unsent_bytes() as f64;
                    bar.set_value((total as f64 - waiting).max(0.0));
                }
                sleep(100).await;
            }
        });
    }
    let sent = smtp.run(send).await;
    sending.set(false);
    sent.map_err(|e| explain(&e))?;
    let quit = smtp.session.quit();
    let _ = smtp.run(quit).await;
    if let Some(storage) = local_storage() {
        let _ = storage.set_item(
            &from_key(mail),
            &compose::format_addresses(std::slice::from_ref(&from)),
        );
    }

    // Sent: a copy for the user (the message went out whatever happens now).
    let mut notes = vec!["Message sent.".to_owned()];
    match special(mail, SpecialUse::Sent) {
        Some(sent_folder) => {
            if let Err(error) = mail
                .request(|s| s.append(&sent_folder, &raw, &["\\Seen"], None))
                .await
            {
                notes.push(format!("No copy could be saved in {sent_folder}: {error}"));
            }
        }
        None => notes.push("This account has no Sent folder; no copy was kept.".into()),
    }
    if let Some((folder, uid)) = &compose.answering
        && mail.current.borrow().as_deref() == Some(folder.as_str())
    {
        let uid = *uid;
        if mail
            .request(|s| {
                s.store_flags(
                    &UidSet::single(uid),
                    FlagOperation::Add,
                    &["\\Answered"],
                    None,
                )
            })
            .await
            .is_ok()
            && let Some(row) = mail.rows.borrow_mut().iter_mut().find(|r| r.uid == uid)
        {
            row.flags.push("\\Answered".into());
        }
    }
    if let Some(uid) = compose.draft_uid.take() {
        let _ = delete_draft(mail, uid).await;
    }
    Ok(notes.join(" "))
}

fn explain(error: &SmtpConnectionError) -> String {
    match error {
        SmtpConnectionError::Refused(smtp::Refusal::Reply(reply)) => reply.describe(),
        other => other.to_string(),
    }
}

/// Opens the form to answer or forward the message in the reader.
pub(crate) async fn answer(mail: &Rc<Mail>, kind: &str) -> Result<(), String> {
    let Some(uid) = *mail.reading.borrow() else {
        return Ok(());
    };
    let Some(row) = mail.rows.borrow().iter().find(|r| r.uid == uid).cloned() else {
        return Ok(());
    };
    let raw = whole_message(mail, uid).await?;
    let text = mime::parts(&raw).and_then(|p| p.text).unwrap_or_default();
    let me = own_address(mail).unwrap_or(Address {
        name: String::new(),
        email: mail.account.user.clone(),
    });
    let folder = mail.current.borrow().clone().unwrap_or_default();
    let (draft, answering) = match kind {
        "reply" => (
            compose::answer(&row, &text, &me, ReplyKind::Reply),
            Some((folder, uid)),
        ),
        "reply-all" => (
            compose::answer(&row, &text, &me, ReplyKind::ReplyAll),
            Some((folder, uid)),
        ),
        "forward-attached" => {
            let mut draft = compose::answer(&row, "", &me, ReplyKind::Forward);
            draft.text = String::new();
            draft.attachments.push(AttachedFile {
                filename: format!("{}.eml", sanitize_name(&row.subject)),
                mime_type: "message/rfc822".into(),
                bytes: raw,
            });
            (draft, None)
        }
        _ => (compose::answer(&row, &text, &me, ReplyKind::Forward), None),
    };
    open(mail, draft, answering, None).map_err(|e| format!("{e:?}"))
}

fn sanitize_name(subject: &str) -> String {
    let name: String = subject
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == ' ' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let name = name.trim_matches(|c| c == '_' || c == ' ');
    if name.is_empty() {
        "message".into()
    } else {
        name.to_owned()
    }
}

/// Opens a saved draft (from the Drafts folder) in the form again.
pub(crate) async fn resume(mail: &Rc<Mail>, row: &MessageSummary) -> Result<(), String> {
    let raw = whole_message(mail, row.uid).await?;
    let summary = mime::summarize(&raw, row.uid, 0);
    let parts = mime::parts(&raw).unwrap_or_default();
    let draft = Draft {
        from: summary.from.first().cloned(),
        to: summary.to,
        cc: summary.cc,
        bcc: Vec::new(),
        subject: summary.subject,
        text: parts.text.unwrap_or_default(),
        html: None,
        attachments: parts
            .attachments
            .into_iter()
            .map(|a| AttachedFile {
                filename: a.filename,
                mime_type: a.mime_type,
                bytes: a.bytes,
            })
            .collect(),
        in_reply_to: summary.in_reply_to,
        references: summary.references,
    };
    open(mail, draft, None, Some(row.uid)).map_err(|e| format!("{e:?}"))
}

async fn whole_message(mail: &Mail, uid: u32) -> Result<Vec<u8>, String> {
    match mail.request(|s| s.fetch_section(uid, &[], None)).await? {
        Outcome::Section(Some(raw)) => Ok(raw),
        _ => Err("the server returned no message".into()),
    }
}
