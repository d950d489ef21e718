//! The browser end of the tunnel, in headless Chromium, against a running
//! `postern-server` and Dovecot (started by `scripts/test.sh`, which passes the tunnel
//! URL in `POSTERN_TEST_TUNNEL_URL` at build time).

use postern_shared::tunnel::{ErrorCode, Protocol, TunnelRequest};
use postern_web::tunnel::{Tunnel, TunnelError};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

// A run-time failure, not `env!`: a build without the variable (clippy, `cargo check
// --all-targets`) must still compile.
#[allow(clippy::option_env_unwrap)]
fn tunnel_url() -> &'static str {
    option_env!("POSTERN_TEST_TUNNEL_URL")
        .expect("build with POSTERN_TEST_TUNNEL_URL=ws://…/tunnel (scripts/test.sh sets it)")
}

fn request(upstream: &str, protocol: Protocol) -> TunnelRequest {
    TunnelRequest {
        upstream: upstream.to_owned(),
        protocol,
    }
}

#[wasm_bindgen_test]
async fn reads_the_imap_greeting_through_the_tunnel() {
    let mut tunnel = Tunnel::open(tunnel_url(), &request("implicit", Protocol::Imap))
        .await
        .expect("the tunnel opens");
    let greeting = tunnel.recv_line().await.expect("a greeting arrives");
    let greeting = String::from_utf8(greeting).unwrap();
    assert!(greeting.starts_with("* OK"), "{greeting}");
    assert!(greeting.ends_with("\r\n"));

    tunnel.send(b"a1 LOGIN alice alice-secret\r\n").unwrap();
    let mut answer = Vec::new();
    while !String::from_utf8_lossy(&answer).contains("a1 OK") {
        answer.extend(tunnel.recv().await.expect("the login answer arrives"));
    }
}

#[wasm_bindgen_test]
async fn reads_the_pop3_greeting_through_the_tunnel() {
    let mut tunnel = Tunnel::open(tunnel_url(), &request("starttls", Protocol::Pop3))
        .await
        .expect("the tunnel opens");
    let greeting = String::from_utf8(tunnel.recv_line().await.unwrap()).unwrap();
    assert!(greeting.starts_with("+OK"), "{greeting}");
}

#[wasm_bindgen_test]
async fn a_refusal_arrives_as_a_typed_error() {
    let error = Tunnel::open(tunnel_url(), &request("nowhere", Protocol::Imap))
        .await
        .err()
        .expect("an unknown upstream is refused");
    match error {
        TunnelError::Refused { code, .. } => assert_eq!(code, ErrorCode::UnknownUpstream),
        other => panic!("unexpected: {other:?}"),
    }
}

/// The shared IMAP engine, compiled to wasm, signs in through the tunnel, lists,
/// selects, fetches a window of summaries and one body part.
#[wasm_bindgen_test]
async fn the_imap_engine_runs_in_the_browser() {
    use postern_shared::imap::{Outcome, SpecialUse, UidSet};
    use postern_web::imap_connection::ImapConnection;

    let mut imap = ImapConnection::connect(tunnel_url(), "implicit")
        .await
        .unwrap();
    let login = imap.session.login("alice", "alice-secret").unwrap();
    imap.run(login).await.unwrap();

    let list = imap.session.list();
    let Outcome::Mailboxes(folders) = imap.run(list).await.unwrap() else {
        panic!("LIST returned something else")
    };
    assert!(
        folders
            .iter()
            .any(|f| f.special_use == Some(SpecialUse::Sent))
    );

    let select = imap.session.select("INBOX", true).unwrap();
    let Outcome::Selected(inbox) = imap.run(select).await.unwrap() else {
        panic!("EXAMINE returned something else")
    };
    assert!(inbox.exists >= 10 && inbox.read_only);

    let window = imap
        .session
        .fetch_summaries(&UidSet::range(4, Some(6)))
        .unwrap();
    let Outcome::Summaries(rows) = imap.run(window).await.unwrap() else {
        panic!("FETCH returned something else")
    };
    let uids: Vec<u32> = rows.iter().map(|r| r.uid).collect();
    assert_eq!(uids, [4, 5, 6]);
    assert_eq!(rows[0].subject, "Grüße aus Köln — Planung 2026 ✓");

    // Part 1 of the multipart/alternative message (uid 8) is its plain text.
    let part = imap.session.fetch_section(8, &[1], None).unwrap();
    let Outcome::Section(Some(text)) = imap.run(part).await.unwrap() else {
        panic!("no body part")
    };
    assert!(String::from_utf8(text).unwrap().contains("Lunch on Friday"));

    let logout = imap.session.logout();
    imap.run(logout).await.unwrap();
}
