//! The login form.
//!
//! The upstream list comes from `GET /api/upstreams`; the password is only ever written
//! into the tunnel stream, never sent to Postern's HTTP API. Until the protocol engines
//! land, "Connect" opens the tunnel and shows the mail server's greeting, which proves
//! the whole path (page, wasm, tunnel, upstream TLS) works.

use postern_shared::tunnel::{Protocol, TunnelRequest, UpstreamListing};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::{Event, HtmlButtonElement, HtmlElement, HtmlFormElement, HtmlSelectElement};

use crate::dom::{by_id, document, element, text_element};
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
    form.append_child(
        text_element(
            "button",
            &[("id", "connect"), ("type", "submit")],
            "Connect",
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
    Ok(())
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
    let result = open_and_greet().await;
    button.set_disabled(false);
    show_status(&result?);
    Ok(())
}

async fn open_and_greet() -> Result<String, JsValue> {
    let upstream: HtmlSelectElement = by_id("upstream")?;
    let protocol = match by_id::<HtmlSelectElement>("protocol")?.value().as_str() {
        "pop3" => Protocol::Pop3,
        _ => Protocol::Imap,
    };
    let name = upstream
        .item(upstream.selected_index().max(0) as u32)
        .and_then(|o| o.text_content())
        .unwrap_or_default();
    show_status(&format!("Connecting to {name}…"));
    let request = TunnelRequest {
        upstream: upstream.value(),
        protocol,
    };
    let mut tunnel = Tunnel::open(&Tunnel::url_for_this_page()?, &request)
        .await
        .map_err(|e| JsValue::from_str(&e.to_string()))?;
    let greeting = tunnel
        .recv_line()
        .await
        .map_err(|e| JsValue::from_str(&e.to_string()))?;
    let greeting = String::from_utf8_lossy(&greeting).trim_end().to_owned();
    Ok(format!(
        "Reached {name} over {protocol} (upstream TLS: {}). The server says: {greeting}",
        tunnel.tls.as_str()
    ))
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
