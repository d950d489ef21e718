//! Postern in the browser.
//!
//! Map of the modules:
//! - [`tunnel`]: one mail session over the server's `/tunnel` WebSocket: the JSON
//!   handshake from `postern_shared::tunnel`, then raw protocol bytes;
//! - [`engine_connection`]: a shared protocol engine driven over a tunnel, with
//!   [`imap_connection`], [`pop3_connection`] and [`smtp_connection`] for each
//!   protocol;
//! - [`storage`]: IndexedDB, and the local mailbox of POP3 accounts in it;
//! - [`dom`]: a few typed helpers over web-sys for building the page;
//! - `login`: the login form: upstream choice (from `/api/upstreams`), protocol, user;
//! - `mail`: after an IMAP sign-in, folders, message list and reader;
//! - [`pop3_mail`]: after a POP3 sign-in, the local mailbox and mail checks;
//! - `message_view`: showing one message safely, for both;
//! - `panes`: the pieces of the page both mail views are built from;
//! - `sanitizer`: HTML through the allow-list, from a module loaded on first use.
//!
//! `start` runs when the module loads and mounts the page into `#app`.
#![forbid(unsafe_code)]

pub mod dom;
pub mod engine_connection;
pub mod imap_connection;
mod login;
mod mail;
mod message_view;
mod panes;
pub mod pop3_connection;
pub mod pop3_mail;
mod sanitizer;
pub mod smtp_connection;
pub mod storage;
pub mod tunnel;

use wasm_bindgen::prelude::*;

#[wasm_bindgen(start)]
pub fn start() -> Result<(), JsValue> {
    login::mount()
}
