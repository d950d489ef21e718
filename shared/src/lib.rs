//! Postern's protocol core, shared by the server (native) and the browser (wasm32).
//!
//! Everything here is sans-IO: no sockets, no clocks, no async runtime. Callers feed
//! bytes or values in and get values or bytes out, so the same code runs in the axum
//! server, in the browser, and in deterministic tests.
//!
//! Modules:
//! - [`compose`]: writing a message: the draft, the MIME message built from it,
//!   replies and forwards;
//! - [`engine`]: the bytes-in, steps-out shape both protocol engines share;
//! - [`list_date`]: which instant a list row shows and how much of it (time, day,
//!   date);
//! - [`imap`]: the IMAP client engine (on imap-codec and imap-next): typed requests,
//!   pipelining, mailbox-change events;
//! - [`pop3`]: the POP3 client engine, one module per RFC, pipelined when the server
//!   allows it;
//! - [`smtp`]: the SMTP submission client engine, one module per RFC;
//! - [`reader`]: what the reader shows, made safe: charset decoding, HTML allow-list;
//! - [`summary`]: the message summary, one row of a message list, shared by the
//!   engine, the cache and the UI;
//! - [`tunnel`]: the wire contract of the `/tunnel` WebSocket: the handshake both ends
//!   exchange, the error codes, the close reasons, and the upstream listing the login
//!   page reads. One definition, used by both ends, so they cannot drift apart.
#![forbid(unsafe_code)]

pub mod compose;
pub mod engine;
pub mod imap;
pub mod list_date;
pub mod pop3;
pub mod reader;
pub mod smtp;
pub mod summary;
pub mod tunnel;
