//! On a phone (up to 600 px wide) the mail view shows one pane at a time: the
//! folders, the list, or the message (which also holds the editor). Each step
//! forward is an entry in the browser's history, so Back, the browser's or the
//! page's, goes back a pane. Wider screens show the panes side by side; there a
//! step keeps no history.
//!
//! The pane is state ([`Mail::pane`]); the `data-pane` attribute of `#mail` is
//! drawn from it, and the style sheet hides the other panes on a phone.

use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Element, PopStateEvent};

use super::Mail;
use crate::dom::by_id;

/// The width under which one pane shows at a time (as in web/static/postern.css).
const PHONE: &str = "(max-width: 37.5rem)";

/// Which pane a phone shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pane {
    Folders,
    List,
    Message,
}

impl Pane {
    fn name(self) -> &'static str {
        match self {
            Pane::Folders => "folders",
            Pane::List => "list",
            Pane::Message => "message",
        }
    }

    fn from_name(name: &str) -> Option<Pane> {
        [Pane::Folders, Pane::List, Pane::Message]
            .into_iter()
            .find(|p| p.name() == name)
    }
}

fn is_phone() -> bool {
    web_sys::window()
        .and_then(|w| w.match_media(PHONE).ok().flatten())
        .is_some_and(|m| m.matches())
}

fn draw(pane: Pane) {
    if let Ok(mail) = by_id::<Element>("mail") {
        let _ = mail.set_attribute("data-pane", pane.name());
    }
}

/// Shows `pane`: on a phone a step forward, with its history entry.
pub(crate) fn go(mail: &Mail, pane: Pane) {
    if mail.pane.get() == pane {
        return;
    }
    mail.pane.set(pane);
    draw(pane);
    if is_phone()
        && let Some(history) = web_sys::window().and_then(|w| w.history().ok())
        && history
            .push_state_with_url(&JsValue::from_str(pane.name()), "", None)
            .is_ok()
    {
        mail.pane_steps.set(mail.pane_steps.get() + 1);
    }
}

/// Back a pane: through the history when a step made an entry, else to the list.
fn back(mail: &Mail) {
    if mail.pane_steps.get() > 0
        && let Some(history) = web_sys::window().and_then(|w| w.history().ok())
    {
        let _ = history.back();
    } else {
        mail.pane.set(Pane::List);
        draw(Pane::List);
    }
}

/// Draws the first pane, and follows Back: the browser's (`popstate`) and the
/// page's (`#pane-back`), and the list's `#pane-folders`.
pub(crate) fn attach(mail: &Rc<Mail>) -> Result<(), JsValue> {
    draw(mail.pane.get());
    let window = web_sys::window().ok_or_else(|| JsValue::from_str("no window"))?;
    {
        let mail = Rc::clone(mail);
        let on_pop = Closure::<dyn FnMut(PopStateEvent)>::new(move |event: PopStateEvent| {
            let pane = event
                .state()
                .as_string()
                .and_then(|name| Pane::from_name(&name))
                .unwrap_or(Pane::List);
            mail.pane_steps.set(mail.pane_steps.get().saturating_sub(1));
            mail.pane.set(pane);
            draw(pane);
        });
        window.add_event_listener_with_callback("popstate", on_pop.as_ref().unchecked_ref())?;
        on_pop.forget();
    }
    {
        let mail = Rc::clone(mail);
        let on_back = Closure::<dyn FnMut()>::new(move || back(&mail));
        by_id::<web_sys::HtmlElement>("pane-back")?
            .set_onclick(Some(on_back.as_ref().unchecked_ref()));
        on_back.forget();
    }
    {
        let mail = Rc::clone(mail);
        let on_folders = Closure::<dyn FnMut()>::new(move || go(&mail, Pane::Folders));
        by_id::<web_sys::HtmlElement>("pane-folders")?
            .set_onclick(Some(on_folders.as_ref().unchecked_ref()));
        on_folders.forget();
    }
    Ok(())
}
