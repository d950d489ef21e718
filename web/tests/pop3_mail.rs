//! The POP3 account mode's store and sync logic in headless Chromium: IndexedDB for
//! real, Dovecot POP3 for real (through the sandbox's tunnel), and a fault test that
//! cuts the tunnel at random points of download-and-delete checks.
//!
//! `carol` and `dave` are the sandbox's users with empty mailboxes; these tests fill
//! them over IMAP (the same mail store Dovecot serves over POP3).

use std::collections::{HashMap, HashSet};

use postern_shared::pop3::Outcome;
use postern_shared::pop3::mailbox::{AccountState, INBOX, LeaveOnServer, LocalMessage};
use postern_shared::reader::mime;
use postern_web::dom::sleep;
use postern_web::imap_connection::ImapConnection;
use postern_web::pop3_mail::check::{self, Cancel, CheckError, Pop3Account};
use postern_web::storage::local_mail::LocalMail;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[allow(clippy::option_env_unwrap)]
fn tunnel_url() -> &'static str {
    option_env!("POSTERN_TEST_TUNNEL_URL")
        .expect("build with POSTERN_TEST_TUNNEL_URL=ws://…/tunnel (scripts/test.sh sets it)")
}

fn account(user: &str) -> Pop3Account {
    Pop3Account {
        tunnel_url: tunnel_url().to_owned(),
        upstream: "plain".to_owned(),
        user: user.to_owned(),
        password: format!("{user}-secret"),
    }
}

fn message(id: &str) -> Vec<u8> {
    format!(
        "From: Tester <tester@postern.test>\r\nTo: someone@postern.test\r\n\
         Subject: Message {id}\r\nMessage-ID: <{id}>\r\n\
         Date: Mon, 2 Mar 2026 09:15:00 +0100\r\n\r\nBody of {id}.\r\n.leading dot\r\n"
    )
    .into_bytes()
}

/// Puts messages into `user`'s INBOX over IMAP.
async fn deliver(user: &str, ids: &[String]) {
    let mut imap = ImapConnection::connect(tunnel_url(), "plain")
        .await
        .unwrap();
    let login = imap.session.login(user, &format!("{user}-secret")).unwrap();
    imap.run(login).await.unwrap();
    for id in ids {
        let append = imap
            .session
            .append("INBOX", &message(id), &[], None)
            .unwrap();
        imap.run(append).await.unwrap();
    }
    let logout = imap.session.logout();
    let _ = imap.run(logout).await;
}

/// The Message-IDs in `user`'s mailbox on the server, by POP3.
async fn on_server(user: &str) -> Vec<String> {
    let (mut pop3, _) = account(user).sign_in().await.unwrap();
    let uidl = pop3.session.uidl(None).unwrap();
    let Ok(Outcome::UniqueIds(listing)) = pop3.run(uidl).await else {
        panic!("UIDL failed");
    };
    let mut ids = Vec::new();
    for (number, _) in listing {
        let top = pop3.session.top(number, 0).unwrap();
        let Ok(Outcome::Message(headers)) = pop3.run(top).await else {
            panic!("TOP failed");
        };
        ids.push(
            mime::summarize(&headers, 0, 0)
                .message_id
                .unwrap_or_default(),
        );
    }
    let quit = pop3.session.quit();
    pop3.run(quit).await.unwrap();
    ids
}

/// Empties `user`'s mailbox on the server and this browser's store of it.
async fn start_clean(user: &str) -> LocalMail {
    let store = LocalMail::open(&account(user).storage_key()).await.unwrap();
    store.forget_account().await.unwrap();
    let (mut pop3, _) = account(user).sign_in().await.unwrap();
    let stat = pop3.session.stat();
    if let Ok(Outcome::Stat { count, .. }) = pop3.run(stat).await {
        for number in 1..=count {
            let dele = pop3.session.dele(number).unwrap();
            pop3.run(dele).await.unwrap();
        }
    }
    let quit = pop3.session.quit();
    pop3.run(quit).await.unwrap();
    store
}

async fn set_policy(store: &LocalMail, policy: LeaveOnServer, download_all: bool) {
    let state = AccountState {
        leave_on_server: policy,
        download_all,
        ..store.state().await.unwrap()
    };
    store.save_state(&state).await.unwrap();
}

fn no_progress(_: check::Progress) {}

fn record(uidl: &str, folder: &str) -> LocalMessage {
    LocalMessage {
        uidl: uidl.to_owned(),
        summary: mime::summarize(&message(uidl), 1, 10),
        folder: folder.to_owned(),
        downloaded_at: None,
        on_server: true,
        deleted: false,
    }
}

#[wasm_bindgen_test]
async fn the_local_store_keeps_records_bodies_and_settings_per_account() {
    let store = LocalMail::open("test/store").await.unwrap();
    let other = LocalMail::open("test/store-other").await.unwrap();
    store.forget_account().await.unwrap();
    other.forget_account().await.unwrap();

    let mut state = AccountState::default();
    state.create_folder("Receipts").unwrap();
    state.leave_on_server = LeaveOnServer::DeleteAfterDays(7);
    store.save_state(&state).await.unwrap();
    store
        .put_messages(&[record("a", INBOX), record("b", "Receipts")])
        .await
        .unwrap();
    let mut downloaded = record("a", INBOX);
    downloaded.downloaded_at = Some(1_000);
    store
        .store_download(&downloaded, b"whole message a")
        .await
        .unwrap();
    other.put_messages(&[record("a", INBOX)]).await.unwrap();

    // Closed and opened again, as after a reload.
    store.close();
    let store = LocalMail::open("test/store").await.unwrap();
    assert_eq!(store.state().await.unwrap(), state);
    let mut messages = store.messages().await.unwrap();
    messages.sort_by(|x, y| x.uidl.cmp(&y.uidl));
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0], downloaded);
    assert_eq!(messages[1].folder, "Receipts");
    assert_eq!(
        store.body("a").await.unwrap().as_deref(),
        Some(&b"whole message a"[..])
    );
    assert_eq!(store.body("b").await.unwrap(), None);

    // Deleting here leaves a tombstone without the body.
    store
        .delete_locally(std::slice::from_ref(&downloaded))
        .await
        .unwrap();
    let tombstone = store
        .messages()
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.uidl == "a")
        .unwrap();
    assert!(tombstone.deleted && !tombstone.is_downloaded());
    assert_eq!(store.body("a").await.unwrap(), None);
    store.remove(&["a".to_owned()]).await.unwrap();
    assert_eq!(store.messages().await.unwrap().len(), 1);

    // The other account saw none of it, and forgetting one leaves the other.
    assert_eq!(other.messages().await.unwrap().len(), 1);
    assert_eq!(other.state().await.unwrap(), AccountState::default());
    store.forget_account().await.unwrap();
    assert!(store.messages().await.unwrap().is_empty());
    assert_eq!(other.messages().await.unwrap().len(), 1);
    other.forget_account().await.unwrap();
}

#[wasm_bindgen_test]
async fn a_check_fetches_headers_once_and_deletes_only_what_is_stored() {
    let store = start_clean("carol").await;
    let ids: Vec<String> = (1..=3).map(|i| format!("sync-{i}@postern.test")).collect();
    deliver("carol", &ids).await;
    let carol = account("carol");

    // Keep on server, download on open: a check stores headers only.
    let report = check::check(&carol, &store, 0, &no_progress, &Cancel::default())
        .await
        .unwrap();
    assert_eq!(
        (report.new, report.downloaded, report.deleted_from_server),
        (3, 0, 0)
    );
    let messages = store.messages().await.unwrap();
    assert_eq!(messages.len(), 3);
    assert!(messages.iter().all(|m| !m.is_downloaded() && m.on_server));
    assert!(messages[0].summary.subject.starts_with("Message sync-"));

    // Checking again adds nothing.
    let again = check::check(&carol, &store, 0, &no_progress, &Cancel::default())
        .await
        .unwrap();
    assert_eq!(again.new, 0);
    assert_eq!(store.messages().await.unwrap().len(), 3);

    // Opening one downloads it, byte for byte.
    let first = messages
        .iter()
        .find(|m| m.summary.message_id.as_deref() == Some("<sync-1@postern.test>"))
        .unwrap();
    let (stored, raw) = check::download_one(&carol, &store, first, 5).await.unwrap();
    assert_eq!(raw, message("sync-1@postern.test"));
    assert_eq!(stored.downloaded_at, Some(5));
    assert_eq!(store.body(&first.uidl).await.unwrap(), Some(raw));
    assert_eq!(on_server("carol").await.len(), 3, "kept on the server");

    // Download everything and delete after download: all stored, then all deleted.
    set_policy(&store, LeaveOnServer::DeleteAfterDownload, true).await;
    let report = check::check(&carol, &store, 10, &no_progress, &Cancel::default())
        .await
        .unwrap();
    assert_eq!(
        (report.new, report.downloaded, report.deleted_from_server),
        (0, 2, 3)
    );
    assert!(on_server("carol").await.is_empty());
    let messages = store.messages().await.unwrap();
    assert_eq!(messages.len(), 3);
    for m in &messages {
        assert!(m.is_downloaded() && !m.on_server, "{m:?}");
        let body = store.body(&m.uidl).await.unwrap().unwrap();
        let id = m.summary.message_id.clone().unwrap();
        assert_eq!(body, message(id.trim_matches(['<', '>'])));
    }
}

#[wasm_bindgen_test]
async fn a_wrong_password_is_a_clear_refusal() {
    let mut wrong = account("carol");
    wrong.password = "not-the-password".into();
    match wrong.sign_in().await {
        Err(CheckError::Refused(text)) => assert!(!text.is_empty()),
        Err(other) => panic!("expected a refusal, got {other}"),
        Ok(_) => panic!("a wrong password signed in"),
    }
}

/// Many checks that download and delete, each cut at a random moment (the same
/// abrupt close as a dropped network). After every one, each message delivered so
/// far is on the server or stored here in full, and none is stored twice.
#[wasm_bindgen_test]
async fn a_cut_at_any_point_loses_nothing_and_duplicates_nothing() {
    const RUNS: usize = 50;
    const PER_RUN: usize = 3;
    let store = start_clean("dave").await;
    set_policy(&store, LeaveOnServer::DeleteAfterDownload, true).await;
    let dave = account("dave");
    let mut delivered: Vec<String> = Vec::new();
    // How long an uncut check took, to spread the cuts over a whole one.
    let mut clean_ms = 150.0;
    let mut cut_runs = 0;
    for run in 0..RUNS {
        let ids: Vec<String> = (0..PER_RUN)
            .map(|i| format!("fault-{run}-{i}@postern.test"))
            .collect();
        deliver("dave", &ids).await;
        delivered.extend(ids.iter().map(|id| format!("<{id}>")));

        let cancel = Cancel::default();
        let cut_after = (js_sys::Math::random() * clean_ms * 1.5) as i32;
        let cutter = cancel.clone();
        wasm_bindgen_futures::spawn_local(async move {
            sleep(cut_after).await;
            cutter.cancel();
        });
        let started = js_sys::Date::now();
        let result = check::check(&dave, &store, 0, &no_progress, &cancel).await;
        match result {
            Ok(_) => clean_ms = (clean_ms + (js_sys::Date::now() - started)) / 2.0,
            Err(CheckError::Cancelled) => cut_runs += 1,
            Err(other) => panic!("run {run}: {other}"),
        }
        // The timer must not cut the next run's check.
        cancel.cancel();
        assert_union_holds(&store, &delivered, run).await;
    }
    // Once a check runs to the end, everything is here and the server is empty.
    check::check(&dave, &store, 0, &no_progress, &Cancel::default())
        .await
        .unwrap();
    assert!(on_server("dave").await.is_empty());
    let stored = store.messages().await.unwrap();
    assert_eq!(stored.len(), delivered.len());
    assert!(stored.iter().all(LocalMessage::is_downloaded));
    console_log!("{cut_runs} of {RUNS} checks were cut; an uncut check took ~{clean_ms:.0} ms");
    assert!(cut_runs > 0, "no check was cut: the test proved nothing");
}

async fn assert_union_holds(store: &LocalMail, delivered: &[String], run: usize) {
    let server: Vec<String> = on_server("dave").await;
    let server_set: HashSet<&str> = server.iter().map(String::as_str).collect();
    assert_eq!(
        server.len(),
        server_set.len(),
        "run {run}: duplicates on the server"
    );
    let mut local: HashMap<String, usize> = HashMap::new();
    for m in store.messages().await.unwrap() {
        let id = m.summary.message_id.clone().unwrap_or_default();
        *local.entry(id.clone()).or_default() += 1;
        if m.is_downloaded() {
            let body = store.body(&m.uidl).await.unwrap();
            assert_eq!(
                body,
                Some(message(id.trim_matches(['<', '>']))),
                "run {run}: the stored body of {id} is not the message"
            );
        } else {
            assert!(
                server_set.contains(id.as_str()),
                "run {run}: {id} is neither stored in full nor on the server"
            );
        }
    }
    for id in delivered {
        let copies = local.get(id).copied().unwrap_or(0);
        assert!(copies <= 1, "run {run}: {id} is stored {copies} times");
        assert!(
            copies == 1 || server_set.contains(id.as_str()),
            "run {run}: {id} was lost"
        );
    }
    assert_eq!(
        local.len() + server.iter().filter(|id| !local.contains_key(*id)).count(),
        delivered.len(),
        "run {run}: messages that were never delivered"
    );
}
