//! Test support for Postern's integration and end-to-end tests.
//!
//! Everything here is a real part, started for one test and stopped when it is dropped:
//! - [`dovecot`]: a Dovecot (IMAP, IMAPS, POP3, POP3S, STARTTLS) on free loopback
//!   ports, in a temp directory, with test users and SPECIAL-USE folders;
//! - [`courier`]: a Courier-IMAP (unpacked, never installed), in a mount namespace of
//!   its own, for what Dovecot does not show: no UIDNEXT, no SPECIAL-USE, `INBOX.`;
//! - [`cyrus`]: a Cyrus IMAP (`cyrus-imapd` unpacked, never installed);
//! - [`corpus`]: realistic messages (encodings, multiparts, attachments, threads) and
//!   the Maildir writer that seeds them in milliseconds;
//! - [`certs`]: a throwaway CA and server certificate for the mail server's TLS;
//! - [`mail_store`]: the same on-disk checks for any of those servers;
//! - [`server`]: a `postern-server` process with a generated config;
//! - [`client`]: a native WebSocket client speaking the tunnel contract;
//! - [`engine_client`]: a shared protocol engine driven over that client, with
//!   [`imap_client`] and [`pop3_client`] for each protocol's waits;
//! - [`browser`]: headless Chromium over WebDriver, for end-to-end tests of the page.
//!
//! Each test gets its own instances, so tests run in parallel without sharing state.

pub mod browser;
pub mod certs;
pub mod client;
pub mod corpus;
pub mod courier;
pub mod cyrus;
pub mod dovecot;
pub mod engine_client;
pub mod hostile;
pub mod imap_client;
pub mod mail_store;
pub mod pop3_client;
pub mod postfix;
mod process_group;
pub mod proxies;
pub mod server;
pub mod smtp_client;

use std::net::TcpListener;
use std::path::PathBuf;

/// A loopback port that was free a moment ago.
/// Where `scripts/setup.sh` puts what it downloads (`$POSTERN_TOOLS`, else
/// `~/.cache/postern-tools`): unpacked Courier and Cyrus, npm packages.
pub fn tools_dir() -> std::path::PathBuf {
    std::env::var_os("POSTERN_TOOLS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(std::env::var_os("HOME").unwrap_or_else(|| "/root".into()))
                .join(".cache/postern-tools")
        })
}

pub fn free_port() -> u16 {
    let [port] = free_ports();
    port
}

/// `N` distinct loopback ports that were free a moment ago (all held until all are
/// chosen, so they differ from each other).
pub fn free_ports<const N: usize>() -> [u16; N] {
    let listeners: Vec<TcpListener> = (0..N)
        .map(|_| {
            TcpListener::bind("127.0.0.1:0").expect("the kernel hands out a free loopback port")
        })
        .collect();
    std::array::from_fn(|i| {
        listeners[i]
            .local_addr()
            .expect("a bound socket has an address")
            .port()
    })
}

/// The cargo target directory of the build that produced this test binary
/// (`target/<profile>`), where `postern-server` is built too.
pub fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary knows its path");
    let mut dir = exe
        .parent()
        .expect("the test binary is in a directory")
        .to_path_buf();
    if dir.ends_with("deps") || dir.ends_with("examples") {
        dir.pop();
    }
    dir
}

/// The repository's top directory.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ lives in the repository")
        .to_path_buf()
}

/// A number no earlier call in this process returned: Maildir file names made with it
/// never collide and sort in the order they were made.
pub fn next_seed_number() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}
