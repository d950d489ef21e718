//! Postern in the browser.
//!
//! Map of the modules:
//! - [`tunnel`]: one mail session over the server's `/tunnel` WebSocket: the JSON
//!   handshake from `postern_shared::tunnel`, then raw protocol bytes;
//! - [`engine_connection`]: a shared protocol engine driven over a tunnel, with
//!   [`imap_connection`] and [`pop3_connection`] for each protocol;
//! - `dom`: a few typed helpers over web-sys for building the page;
//! - `login`: the login form: upstream choice (from `/api/upstreams`), protocol, user;
//! - `mail`: after an IMAP sign-in, folders, message list and reader.
//!
//! `start` runs when the module loads and mounts the page into `#app`.
#![forbid(unsafe_code)]

mod dom;
pub mod engine_connection;
pub mod imap_connection;
mod login;
mod mail;
pub mod pop3_connection;
pub mod tunnel;

use wasm_bindgen::prelude::*;

#[wasm_bindgen(start)]
pub fn start() -> Result<(), JsValue> {
    login::mount()
}
