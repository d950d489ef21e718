//! The built page (web/pkg from scripts/build-web.sh) in real headless Chromium, served
//! by the real server, talking through the real tunnel to real Dovecot. This is the test
//! that catches a broken bundle, which in-browser unit tests cannot.

use std::time::Duration;

use fantoccini::Locator;
use postern_tests::browser::Browser;
use postern_tests::dovecot::Dovecot;
use postern_tests::repo_root;
use postern_tests::server::{PosternServer, ServerConfig};

fn require_bundle() {
    let wasm = repo_root().join("web/pkg/postern_web_bg.wasm");
    assert!(
        wasm.exists(),
        "{} is missing: run scripts/build-web.sh first (scripts/test.sh does)",
        wasm.display()
    );
}

async fn status_text(client: fantoccini::Client) -> Option<String> {
    client
        .find(Locator::Css("#status"))
        .await
        .ok()?
        .text()
        .await
        .ok()
}

#[tokio::test]
async fn login_page_loads_and_reaches_the_mail_server() {
    require_bundle();
    let dovecot = Dovecot::start().unwrap();
    let server = PosternServer::start(&ServerConfig::for_dovecot(&dovecot)).unwrap();
    let browser = Browser::start().await.unwrap();
    let client = browser.client.clone();

    client.goto(&server.http_url("/")).await.unwrap();
    // The wasm module ran, built the form, and filled it from /api/upstreams.
    let options = browser
        .wait_for(Duration::from_secs(20), |c| async move {
            let options = c.find_all(Locator::Css("#upstream option")).await.ok()?;
            (options.len() >= 6).then_some(options.len())
        })
        .await
        .unwrap_or_else(|e| panic!("{e}\nserver log:\n{}", server.log()));
    assert_eq!(options, 6);

    browser.select("#upstream", "starttls").await.unwrap();
    browser.type_into("#user", "alice").await.unwrap();
    browser
        .type_into("#password", "alice-secret")
        .await
        .unwrap();
    browser.click("#connect").await.unwrap();

    let status = browser
        .wait_for(Duration::from_secs(20), |c| async move {
            status_text(c)
                .await
                .filter(|t| t.contains("The server says"))
        })
        .await
        .unwrap_or_else(|e| panic!("{e}\nserver log:\n{}", server.log()));
    assert!(status.contains("The server says: * OK"), "{status}");
    assert!(status.contains("upstream TLS: starttls"), "{status}");

    let screenshots = repo_root().join("tests/screenshots");
    std::fs::create_dir_all(&screenshots).unwrap();
    let png = client.screenshot().await.unwrap();
    std::fs::write(screenshots.join("login.png"), png).unwrap();

    // A refused tunnel reaches the user as a sentence, not a crash.
    browser.select("#upstream", "untrusted").await.unwrap();
    browser.click("#connect").await.unwrap();
    let status = browser
        .wait_for(Duration::from_secs(20), |c| async move {
            status_text(c).await.filter(|t| t.contains("TLS"))
        })
        .await
        .unwrap();
    assert!(status.contains("certificate"), "{status}");
    browser.close().await;
}
