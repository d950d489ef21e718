//! The login form.
//!
//! The upstream list comes from `GET /api/upstreams`; the password is only ever written
//! into the tunnel stream, never sent to Postern's HTTP API. An IMAP sign-in opens the
//! IMAP mail view; a POP3 sign-in the POP3 view with its local mailbox.

use postern_shared::tunnel::{Protocol, UpstreamListing};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::{
    Event, HtmlButtonElement, HtmlElement, HtmlFormElement, HtmlInputElement, HtmlSelectElement,
};

use crate::dom::{by_id, document, element, text_element};
use crate::imap_connection::{ConnectionError, ImapConnection};
use crate::pop3_mail::check::Pop3Account;
use crate::tunnel::Tunnel;

pub fn mount() -> Result<(), JsValue> {
    let root = document()
        .get_element_by_id("app")
        .ok_or("the page has no #app element")?;
    root.set_text_content(None);

    let form = element("form", &[("id", "login"), ("aria-label", "Sign in")])?;
    form.append_child(text_element("h1", &[], "Postern")?.as_ref())?;
    for (label, control) in [
        (
            "Mail server",
            element("select", &[("id", "upstream"), ("required", "")])?,
        ),
        ("Protocol", element("select", &[("id", "protocol")])?),
        (
            "User name",
            element(
                "input",
                &[
                    ("id", "user"),
                    ("autocomplete", "username"),
                    ("required", ""),
                ],
            )?,
        ),
        (
            "Password",
            element(
                "input",
                &[
                    ("id", "password"),
                    ("type", "password"),
                    ("autocomplete", "current-password"),
                    ("required", ""),
                ],
            )?,
        ),
    ] {
        let id = control.id();
        form.append_child(text_element("label", &[("for", &id)], label)?.as_ref())?;
        form.append_child(&control)?;
    }
    let stay = element("label", &[("class", "stay")])?;
    stay.append_child(element("input", &[("id", "remember"), ("type", "checkbox")])?.as_ref())?;
    stay.append_child(&document().create_text_node(" Stay signed in in this tab"))?;
    form.append_child(&stay)?;
    form.append_child(
        text_element(
            "button",
            &[("id", "connect"), ("type", "submit")],
            "Sign in",
        )?
        .as_ref(),
    )?;
    form.append_child(
        element(
            "p",
            &[
                ("id", "status"),
                ("role", "status"),
                ("aria-live", "polite"),
            ],
        )?
        .as_ref(),
    )?;
    root.append_child(&form)?;

    let on_submit = Closure::<dyn FnMut(Event)>::new(|event: Event| {
        event.prevent_default();
        spawn_local(async {
            if let Err(e) = connect().await {
                show_status(&describe(&e));
            }
        });
    });
    form.dyn_ref::<HtmlFormElement>()
        .ok_or("#login is not a form")?
        .set_onsubmit(Some(on_submit.as_ref().unchecked_ref()));
    // The form lives as long as the page.
    on_submit.forget();

    spawn_local(async {
        if let Err(e) = load_upstreams().await {
            show_status(&format!(
                "Cannot load the list of mail servers: {}",
                describe(&e)
            ));
        }
    });
    Ok(())
}

async fn load_upstreams() -> Result<(), JsValue> {
    let window = web_sys::window().ok_or("no window")?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str("/api/upstreams"))
        .await?
        .dyn_into()?;
    if !response.ok() {
        return Err(format!("HTTP {}", response.status()).into());
    }
    let text = JsFuture::from(response.text()?)
        .await?
        .as_string()
        .unwrap_or_default();
    let upstreams: Vec<UpstreamListing> =
        serde_json::from_str(&text).map_err(|e| JsValue::from_str(&e.to_string()))?;

    let select: HtmlSelectElement = by_id("upstream")?;
    for upstream in &upstreams {
        let protocols: Vec<&str> = upstream.protocols.iter().map(|p| p.as_str()).collect();
        let option = text_element(
            "option",
            &[
                ("value", &upstream.id),
                ("data-protocols", &protocols.join(" ")),
            ],
            &upstream.name,
        )?;
        select.append_child(&option)?;
    }
    let on_change = Closure::<dyn FnMut()>::new(|| {
        let _ = fill_protocols();
    });
    select.set_onchange(Some(on_change.as_ref().unchecked_ref()));
    on_change.forget();
    fill_protocols()?;
    if upstreams.is_empty() {
        show_status("This Postern server has no mail server configured.");
    }
    if let Some(saved) = remembered()
        && upstreams.iter().any(|u| u.id == saved.upstream)
    {
        select.set_value(&saved.upstream);
        fill_protocols()?;
        by_id::<HtmlSelectElement>("protocol")?.set_value(saved.protocol.as_str());
        by_id::<HtmlInputElement>("user")?.set_value(&saved.user);
        by_id::<HtmlInputElement>("password")?.set_value(&saved.password);
        by_id::<HtmlInputElement>("remember")?.set_checked(true);
        connect().await?;
    }
    Ok(())
}

/// Where an opted-in session is kept: this tab's sessionStorage, nowhere else.
const SESSION_KEY: &str = "postern.session";

#[derive(serde::Serialize, serde::Deserialize)]
struct Remembered {
    upstream: String,
    user: String,
    password: String,
    protocol: Protocol,
}

fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok()?
}

fn remember(session: &Remembered) {
    if let (Some(storage), Ok(json)) = (session_storage(), serde_json::to_string(session)) {
        let _ = storage.set_item(SESSION_KEY, &json);
    }
}

fn remembered() -> Option<Remembered> {
    let json = session_storage()?.get_item(SESSION_KEY).ok()??;
    serde_json::from_str(&json).ok()
}

/// Forgets an opted-in session (Sign out).
pub fn forget() {
    if let Some(storage) = session_storage() {
        let _ = storage.remove_item(SESSION_KEY);
    }
}

/// Offers the protocols of the chosen upstream (mail reading ones only: SMTP is for
/// sending, not for signing in).
fn fill_protocols() -> Result<(), JsValue> {
    let upstream: HtmlSelectElement = by_id("upstream")?;
    let protocol: HtmlSelectElement = by_id("protocol")?;
    protocol.set_text_content(None);
    let offered = upstream
        .item(upstream.selected_index().max(0) as u32)
        .and_then(|o| o.get_attribute("data-protocols"))
        .unwrap_or_default();
    for (value, label) in [(Protocol::Imap, "IMAP"), (Protocol::Pop3, "POP3")] {
        if offered.split(' ').any(|p| p == value.as_str()) {
            protocol.append_child(
                text_element("option", &[("value", value.as_str())], label)?.as_ref(),
            )?;
        }
    }
    Ok(())
}

async fn connect() -> Result<(), JsValue> {
    let button: HtmlButtonElement = by_id("connect")?;
    button.set_disabled(true);
    let result = sign_in().await;
    button.set_disabled(false);
    if let Some(message) = result? {
        show_status(&message);
    }
    Ok(())
}

/// Signs in; `Some(sentence)` for the status line when the page stays on the form.
async fn sign_in() -> Result<Option<String>, JsValue> {
    let upstream: HtmlSelectElement = by_id("upstream")?;
    let protocol = match by_id::<HtmlSelectElement>("protocol")?.value().as_str() {
        "pop3" => Protocol::Pop3,
        _ => Protocol::Imap,
    };
    let name = upstream
        .item(upstream.selected_index().max(0) as u32)
        .and_then(|o| o.text_content())
        .unwrap_or_default();
    let user = by_id::<HtmlInputElement>("user")?.value();
    let password_field: HtmlInputElement = by_id("password")?;
    let password = password_field.value();
    show_status(&format!("Connecting to {name}…"));
    let url = Tunnel::url_for_this_page()?;
    match protocol {
        Protocol::Imap => {
            let mut imap = match ImapConnection::connect(&url, &upstream.value()).await {
                Ok(imap) => imap,
                Err(error) => return Ok(Some(explain_imap(&error))),
            };
            if let Err(error) = imap.sign_in(&user, &password).await {
                return Ok(Some(explain_imap(&error)));
            }
            // The password leaves the page's form. It stays in memory for the
            // live-update and reconnect connections, and in this tab's sessionStorage
            // only if the user asked to stay signed in (cleared by Sign out and by
            // closing the tab).
            password_field.set_value("");
            if by_id::<HtmlInputElement>("remember")?.checked() {
                remember(&Remembered {
                    upstream: upstream.value(),
                    user: user.clone(),
                    password: password.clone(),
                    protocol: Protocol::Imap,
                });
            }
            let can_send = upstream
                .item(upstream.selected_index().max(0) as u32)
                .and_then(|o| o.get_attribute("data-protocols"))
                .is_some_and(|p| p.split(' ').any(|p| p == Protocol::Smtp.as_str()));
            let account = crate::mail::Account {
                label: format!("{user} · {name}"),
                tunnel_url: url,
                upstream: upstream.value(),
                user,
                password,
                can_send,
            };
            crate::mail::open(imap, account)?;
            Ok(None)
        }
        Protocol::Pop3 | Protocol::Smtp => {
            let account = Pop3Account {
                tunnel_url: url,
                upstream: upstream.value(),
                user: user.clone(),
                password: password.clone(),
            };
            // A first session proves the password here, on the form, before the
            // mail view takes over.
            let mut pop3 = match account.sign_in().await {
                Ok((pop3, _)) => pop3,
                Err(error) => return Ok(Some(error.to_string())),
            };
            let quit = pop3.session.quit();
            let _ = pop3.run(quit).await;
            password_field.set_value("");
            if by_id::<HtmlInputElement>("remember")?.checked() {
                remember(&Remembered {
                    upstream: upstream.value(),
                    user: user.clone(),
                    password,
                    protocol: Protocol::Pop3,
                });
            }
            match crate::pop3_mail::open(account, &format!("{user} · {name} (POP3)")).await {
                Ok(()) => Ok(None),
                Err(error) => Ok(Some(format!("Cannot open the local mailbox: {error}"))),
            }
        }
    }
}

/// A sentence for an IMAP failure at sign-in.
fn explain_imap(error: &ConnectionError) -> String {
    match error {
        ConnectionError::Refused(refusal)
            if refusal.code.as_deref() == Some("AUTHENTICATIONFAILED") =>
        {
            "Wrong user name or password.".to_owned()
        }
        ConnectionError::Refused(refusal) => format!("The mail server refused: {}", refusal.text),
        other => other.to_string(),
    }
}

/// A JavaScript error as a sentence for the status line.
fn describe(error: &JsValue) -> String {
    error.as_string().unwrap_or_else(|| format!("{error:?}"))
}

fn show_status(text: &str) {
    if let Ok(status) = by_id::<HtmlElement>("status") {
        status.set_text_content(Some(text));
    }
}
