//! The built page in headless Chromium against a real Courier-IMAP: what a Courier
//! user saw before (an always-empty list, `INBOX.` names, Delete erasing mail for
//! good, folders that could not be created) now works.

use std::time::Duration;

use fantoccini::Locator;
use postern_tests::browser::Browser;
use postern_tests::corpus;
use postern_tests::courier::Courier;
use postern_tests::repo_root;
use postern_tests::server::{PosternServer, ServerConfig};

#[tokio::test]
async fn a_courier_account_lists_reads_deletes_to_trash_and_makes_folders() {
    assert!(
        repo_root().join("web/pkg/postern_web_bg.wasm").exists(),
        "run scripts/build-web.sh first (scripts/test.sh does)"
    );
    let courier = Courier::start().unwrap();
    courier
        .seed("alice", "INBOX", &corpus::standard_mailbox())
        .unwrap();
    let server = PosternServer::start(&ServerConfig::for_courier(&courier)).unwrap();
    let downloads = tempfile::tempdir().unwrap();
    let browser = Browser::start(downloads.path()).await.unwrap();
    browser.client.goto(&server.http_url("/")).await.unwrap();
    browser
        .wait_for(Duration::from_secs(20), |c| async move {
            let options = c.find_all(Locator::Css("#upstream option")).await.ok()?;
            (options.len() == 1).then_some(())
        })
        .await
        .unwrap();
    browser
        .sign_in("courier", "imap", "alice", "alice-secret")
        .await;

    // SELECT has no UIDNEXT: the newest messages are listed all the same.
    browser
        .wait_text("#rows", "Survey data")
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", courier.log()));
    let rows = browser
        .client
        .find_all(Locator::Css("#rows [data-uid]"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 10);

    // Folder names without the namespace prefix; Trash known by its name.
    let trash = browser
        .text("[data-folder=\"INBOX.Trash\"] .name")
        .await
        .unwrap();
    assert_eq!(trash, "Trash");

    // Delete moves to INBOX.Trash (Courier has no SPECIAL-USE), not out of existence.
    let first = rows[0].attr("data-uid").await.unwrap().unwrap();
    browser
        .click(&format!("#rows [data-uid=\"{first}\"]"))
        .await
        .unwrap();
    browser.click("[data-action=\"delete\"]").await.unwrap();
    browser
        .wait_for(Duration::from_secs(20), |_| {
            let moved = courier.count("alice", "INBOX.Trash") == 1;
            async move { moved.then_some(()) }
        })
        .await
        .unwrap();
    assert_eq!(courier.count("alice", "INBOX"), 9);

    // A new folder is made inside INBOX. and shown without it.
    browser.click(".new-folder").await.unwrap();
    browser.client.send_alert_text("Projects").await.unwrap();
    browser.client.accept_alert().await.unwrap();
    browser
        .wait_text("#folder-title", "Projects")
        .await
        .unwrap();
    assert!(courier.maildir("alice", "INBOX.Projects").exists());
    browser.close().await;
}
