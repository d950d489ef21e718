//! Reaching a configured upstream: resolve, check the address policy, connect, and
//! put TLS in place (implicit or STARTTLS) before any byte is relayed.
//!
//! - `policy`: which resolved addresses a configured name may lead to.
//! - `tls`: one rustls client config per upstream, built at start-up.
//! - `starttls`: the plaintext dialogues that upgrade IMAP, POP3 and SMTP to TLS.
//! - `connect`: ties them together under one deadline.

mod connect;
mod policy;
mod starttls;
mod tls;

pub use connect::{Connected, connect};
pub use tls::TlsConfigs;
