//! One end-to-end scenario, the built page in headless Chromium, run against each real
//! IMAP server of the tests (Dovecot, Courier and Cyrus), plain and with STARTTLS done
//! by the Postern server: list, search, sort, read, flag, move, delete to the Trash,
//! make a folder, see new mail arrive live, and write: a draft saved to Drafts, sent
//! through a real Postfix, kept in Sent. Server state is checked on the server's side
//! (its store, or a second connection), never through the page.
//!
//! Courier is what Dovecot is not: no UIDNEXT in SELECT, no capabilities in the LOGIN
//! answer or behind STARTTLS, no SPECIAL-USE (Trash is `INBOX.Trash`), the `INBOX.`
//! namespace, no MOVE, and IDLE that never reports (no FAM here): before this suite a
//! Courier user saw an empty list and Delete erased mail for good. Cyrus has the
//! `INBOX.` namespace and unflagged `INBOX.Trash` too.

use std::time::Duration;

use fantoccini::Locator;
use postern_tests::browser::Browser;
use postern_tests::corpus;
use postern_tests::courier::Courier;
use postern_tests::cyrus::Cyrus;
use postern_tests::dovecot::Dovecot;
use postern_tests::mail_store::MailStore;
use postern_tests::postfix::{Postfix, SubmissionPorts};
use postern_tests::repo_root;
use postern_tests::server::{PosternServer, ServerConfig};

/// How one server names things, for the checks on disk.
struct Names {
    /// The prefix of the personal namespace (`INBOX.` on Courier).
    prefix: &'static str,
    /// How many upstreams the sign-in form offers for this server.
    upstreams: usize,
}

const DOVECOT: Names = Names {
    prefix: "",
    upstreams: 3,
};
const COURIER: Names = Names {
    prefix: "INBOX.",
    upstreams: 2,
};
const CYRUS: Names = Names {
    prefix: "INBOX.",
    upstreams: 2,
};

/// The servers one scenario runs against: the IMAP server under test, and the Dovecot
/// behind the test Postfix, where sent mail for bob arrives (the same Dovecot when it
/// is the one under test).
struct Rig<'a> {
    store: &'a dyn MailStore,
    submission: &'a Dovecot,
    server: &'a PosternServer,
}

async fn scenario(rig: Rig<'_>, names: &Names, upstream: &str) {
    let Rig {
        store,
        submission,
        server,
    } = rig;
    let folder = |name: &str| format!("{}{name}", names.prefix);
    let count = |name: &str| store.count("alice", &folder(name));
    let inbox = || store.count("alice", "INBOX");
    let downloads = tempfile::tempdir().unwrap();
    // The newest messages, all ten, whether or not SELECT said UIDNEXT.
    let browser = signed_in(server, names, upstream, downloads.path()).await;
    let rows = browser
        .client
        .find_all(Locator::Css("#rows .row"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 10, "{upstream}");

    // Folder names without the namespace prefix; the Trash known on every server.
    let trash = browser
        .text(&format!("[data-folder=\"{}\"] .name", folder("Trash")))
        .await
        .unwrap();
    assert_eq!(trash, "Trash", "{upstream}");

    // Search, then sort: both by the server (SORT is known after CAPABILITY).
    let search_box = browser
        .client
        .find(Locator::Css("#search-box"))
        .await
        .unwrap();
    search_box.send_keys("Thursday\u{E007}").await.unwrap();
    browser.wait_text("#folder-title", "2 found").await.unwrap();
    search_box.clear().await.unwrap();
    search_box.send_keys("\u{E007}").await.unwrap();
    browser.wait_text("#folder-title", "Inbox").await.unwrap();
    browser.select("#sort", "subject").await.unwrap();
    browser
        .wait_text("#rows .row:first-child .subject", "Grüße aus Köln")
        .await
        .unwrap_or_else(|e| panic!("{upstream}: sort: {e}"));
    // A search while sorted says how many it found, too.
    search_box.send_keys("Thursday\u{E007}").await.unwrap();
    browser
        .wait_text("#folder-title", "2 found")
        .await
        .unwrap_or_else(|e| panic!("{upstream}: sorted search: {e}"));
    search_box.clear().await.unwrap();
    search_box.send_keys("\u{E007}").await.unwrap();
    browser.wait_text("#folder-title", "Inbox").await.unwrap();
    browser.select("#sort", "newest").await.unwrap();
    browser
        .wait_text("#rows .row:first-child .subject", "Survey data")
        .await
        .unwrap();

    // Read the plain message, flag it: the flag is on the file.
    let flagged_before = store.flagged("alice", "INBOX");
    open_row(&browser, "Planning the spring release").await;
    browser
        .wait_text("#reader pre.text", "Shall we meet on Thursday")
        .await
        .unwrap();
    browser
        .click("[data-action=\"toggle-flag\"]")
        .await
        .unwrap();
    browser
        .wait_for(Duration::from_secs(20), |_| {
            let flagged = store.flagged("alice", "INBOX") == flagged_before + 1;
            async move { flagged.then_some(()) }
        })
        .await
        .unwrap_or_else(|e| panic!("{upstream}: flag: {e}"));

    // Delete goes to the Trash (by name on Courier), never out of existence.
    browser.click("[data-action=\"delete\"]").await.unwrap();
    browser
        .wait_for(Duration::from_secs(20), |_| {
            let moved = count("Trash") == 1 && inbox() == 9;
            async move { moved.then_some(()) }
        })
        .await
        .unwrap_or_else(|e| panic!("{upstream}: delete: {e}"));

    // Move by the menu of the next message.
    browser.click("#rows .row:first-child").await.unwrap();
    browser
        .select("[data-transfer=\"move\"]", &folder("Sent"))
        .await
        .unwrap();
    browser
        .wait_for(Duration::from_secs(20), |_| {
            let moved = count("Sent") == 1 && inbox() == 8;
            async move { moved.then_some(()) }
        })
        .await
        .unwrap_or_else(|e| panic!("{upstream}: move: {e}"));

    // New mail shows without a click: pushed by IDLE (Dovecot), or found by the
    // watcher's own check when IDLE says nothing (Courier without FAM).
    store
        .seed("alice", "INBOX", &[corpus::bulk(7, 400)])
        .unwrap();
    browser
        .wait_for(Duration::from_secs(60), |c| async move {
            let rows = c.find_all(Locator::Css("#rows .row")).await.ok()?;
            (rows.len() == 9).then_some(())
        })
        .await
        .unwrap_or_else(|e| panic!("{upstream}: new mail: {e}"));

    // A new folder is made inside the personal namespace and shown without it.
    browser.click(".new-folder").await.unwrap();
    browser.client.send_alert_text("Projects").await.unwrap();
    browser.client.accept_alert().await.unwrap();
    browser
        .wait_text("#folder-title", "Projects")
        .await
        .unwrap();
    assert!(store.has_folder("alice", &folder("Projects")), "{upstream}");
    // Write: the draft is saved in Drafts as it is typed, the message goes through
    // SMTP, a copy lands in Sent, and the draft is removed.
    browser.click("#write").await.unwrap();
    browser
        .wait_for(Duration::from_secs(10), |c| async move {
            c.find(Locator::Css("#compose-to")).await.ok()
        })
        .await
        .unwrap();
    let subject = format!("Interop ✓ {upstream}");
    browser
        .fill(&[
            ("#compose-from", "alice@postern.test"),
            ("#compose-to", "bob@postern.test"),
            ("#compose-subject", &subject),
            ("#compose-text", "Written on every server."),
        ])
        .await;
    let saved = browser
        .wait_for(Duration::from_secs(30), |_| {
            let saved = count("Drafts") == 1;
            async move { saved.then_some(()) }
        })
        .await;
    if let Err(e) = saved {
        let said = browser.text("#compose-status").await.unwrap_or_default();
        let connection = browser.text("#connection").await.unwrap_or_default();
        browser.screenshot("draft-failure.png").await.unwrap();
        panic!(
            "{upstream}: draft: {e}: {said:?}, {connection:?}, {} drafts\n{}",
            count("Drafts"),
            server.log()
        );
    }
    browser.click("#compose-send").await.unwrap();
    browser
        .wait_text("#connection", "Message sent.")
        .await
        .unwrap_or_else(|e| panic!("{upstream}: send: {e}\n{}", server.log()));
    browser
        .wait_for(Duration::from_secs(20), |_| {
            let done =
                count("Sent") == 2 && count("Drafts") == 0 && submission.count("bob", "INBOX") == 1;
            async move { done.then_some(()) }
        })
        .await
        .unwrap_or_else(|e| panic!("{upstream}: Sent, Drafts, delivery: {e}"));

    let status = browser.text("#connection").await.unwrap_or_default();
    assert!(!status.contains("Reconnecting"), "{upstream}: {status}");
    browser.close().await;
}

/// A browser signed in as alice to `upstream`, its Inbox listed.
async fn signed_in(
    server: &PosternServer,
    names: &Names,
    upstream: &str,
    downloads: &std::path::Path,
) -> Browser {
    assert!(
        repo_root().join("web/pkg/postern_web_bg.wasm").exists(),
        "run scripts/build-web.sh first (scripts/test.sh does)"
    );
    let browser = Browser::start(downloads).await.unwrap();
    browser.client.goto(&server.http_url("/")).await.unwrap();
    let wanted = names.upstreams;
    browser
        .wait_for(Duration::from_secs(20), |c| async move {
            let options = c.find_all(Locator::Css("#upstream option")).await.ok()?;
            (options.len() == wanted).then_some(())
        })
        .await
        .unwrap();
    browser
        .sign_in(upstream, "imap", "alice", "alice-secret")
        .await;
    browser
        .wait_text("#rows", "Survey data")
        .await
        .unwrap_or_else(|e| panic!("{upstream}: {e}\n{}", server.log()));
    browser
}

/// Clicks the row with this subject (UIDs differ between servers).
async fn open_row(browser: &Browser, subject: &str) {
    let script = "const row = Array.from(document.querySelectorAll('#rows .row'))\
        .find(r => r.querySelector('.subject')?.textContent === arguments[0]);\
        if (row) { row.click(); } return !!row;";
    let clicked = browser
        .client
        .execute(script, vec![serde_json::json!(subject)])
        .await
        .unwrap();
    assert_eq!(clicked, serde_json::json!(true), "no row with {subject:?}");
}

/// The Dovecot and Postfix every scenario sends through; seeded as the server
/// under test when it is Dovecot.
fn submission_system() -> (Dovecot, Postfix) {
    let dovecot = Dovecot::start().unwrap();
    dovecot
        .seed("alice", "INBOX", &corpus::standard_mailbox())
        .unwrap();
    let postfix = Postfix::start(&dovecot).unwrap();
    (dovecot, postfix)
}

async fn on_dovecot(upstream: &str) {
    let (dovecot, postfix) = submission_system();
    let server = PosternServer::start(&ServerConfig::mail_system(&dovecot, &postfix)).unwrap();
    let rig = Rig {
        store: &dovecot,
        submission: &dovecot,
        server: &server,
    };
    scenario(rig, &DOVECOT, upstream).await;
}

/// The scenario on a server other than Dovecot: `start` gives it, seeded with the
/// standard mailbox; `config` its upstreams, sending through the test Postfix.
async fn on_other<S: MailStore>(
    start: impl FnOnce() -> anyhow::Result<S>,
    config: impl FnOnce(&S, SubmissionPorts) -> ServerConfig,
    names: &Names,
    upstream: &str,
) {
    let (dovecot, postfix) = submission_system();
    let store = start().unwrap();
    store
        .seed("alice", "INBOX", &corpus::standard_mailbox())
        .unwrap();
    let server = PosternServer::start(&config(&store, postfix.ports)).unwrap();
    let rig = Rig {
        store: &store,
        submission: &dovecot,
        server: &server,
    };
    scenario(rig, names, upstream).await;
}

async fn on_courier(upstream: &str) {
    let config = |c: &Courier, ports| ServerConfig::for_courier(c, Some(ports));
    on_other(Courier::start, config, &COURIER, upstream).await;
}

async fn on_cyrus(upstream: &str) {
    let config = |c: &Cyrus, ports| ServerConfig::for_cyrus(c, Some(ports));
    on_other(Cyrus::start, config, &CYRUS, upstream).await;
}

#[tokio::test]
async fn dovecot_plain() {
    on_dovecot("plain").await;
}

#[tokio::test]
async fn dovecot_starttls() {
    on_dovecot("starttls").await;
}

#[tokio::test]
async fn courier_plain() {
    on_courier("courier").await;
}

#[tokio::test]
async fn courier_starttls() {
    on_courier("courier-starttls").await;
}

#[tokio::test]
async fn cyrus_plain() {
    on_cyrus("cyrus").await;
}

#[tokio::test]
async fn cyrus_starttls() {
    on_cyrus("cyrus-starttls").await;
}

/// An account with no Trash at all (none flagged, none of the usual names, none
/// chosen): Delete asks before deleting for good, and "no" keeps the message.
#[tokio::test]
async fn without_a_trash_delete_asks_before_deleting_for_good() {
    let courier = Courier::start().unwrap();
    courier
        .seed("alice", "INBOX", &corpus::standard_mailbox())
        .unwrap();
    std::fs::remove_dir_all(courier.maildir("alice", "INBOX.Trash")).unwrap();
    let server = PosternServer::start(&ServerConfig::for_courier(&courier, None)).unwrap();
    let downloads = tempfile::tempdir().unwrap();
    let browser = signed_in(&server, &COURIER, "courier", downloads.path()).await;
    open_row(&browser, "Planning the spring release").await;
    browser
        .wait_text("#reader pre.text", "Shall we meet on Thursday")
        .await
        .unwrap();

    browser.click("[data-action=\"delete\"]").await.unwrap();
    let question = browser.client.get_alert_text().await.unwrap();
    assert!(question.contains("no Trash folder"), "{question}");
    browser.client.dismiss_alert().await.unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        courier.count("alice", "INBOX"),
        10,
        "kept when the user said no"
    );

    browser.click("[data-action=\"delete\"]").await.unwrap();
    browser.client.accept_alert().await.unwrap();
    browser
        .wait_for(Duration::from_secs(20), |_| {
            let gone = courier.count("alice", "INBOX") == 9;
            async move { gone.then_some(()) }
        })
        .await
        .unwrap();
    assert!(!courier.has_folder("alice", "INBOX.Trash"));
    browser.close().await;
}
