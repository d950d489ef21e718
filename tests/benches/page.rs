//! "Huge mailboxes open instantly": in headless Chromium, the built page signs in to a
//! mailbox of 10,000 and then 100,000 messages and times sign-in to the first rows
//! shown, and a click to the message body shown, with the bytes the tunnel carried
//! for each. The 100k/10k ratio is the figure: the page fetches only the newest rows,
//! so it should stay near 1.
//!
//! Run: `scripts/build-web.sh && cargo build --release -p postern-server &&
//! cargo bench -p postern-tests --bench page`

use std::time::{Duration, Instant};

use fantoccini::Locator;
use postern_tests::browser::Browser;
use postern_tests::corpus::Message;
use postern_tests::dovecot::Dovecot;
use postern_tests::server::{PosternServer, ServerConfig};

struct Figures {
    first_rows: Duration,
    open_body: Duration,
    bytes_first_rows: u64,
    bytes_open: u64,
}

/// A plain-text message of about 1.5 KB.
fn letter(n: usize) -> Message {
    let paragraph = "The quarterly figures are attached to the shared drive; please review them before Thursday. ";
    Message::new(format!(
        "From: Sender {n} <sender{n}@example.org>\r\nTo: alice@example.org\r\nSubject: Letter {n}\r\n\
Date: Mon, 09 Mar 2026 10:00:00 +0000\r\nMessage-ID: <letter-{n}@example.org>\r\nMIME-Version: 1.0\r\n\
Content-Type: text/plain; charset=us-ascii\r\n\r\n{}\r\n",
        paragraph.repeat(15)
    ))
}

async fn measure(count: usize) -> Figures {
    let dovecot = Dovecot::start().unwrap();
    let messages: Vec<_> = (0..count).map(letter).collect();
    dovecot.seed("alice", "INBOX", &messages).unwrap();
    let server = PosternServer::start(&ServerConfig::for_dovecot(&dovecot)).unwrap();
    {
        // Dovecot indexes a new Maildir on first open; a real mailbox is indexed
        // already, so do it before timing.
        let mut warm =
            postern_tests::imap_client::ImapClient::connect(&server.tunnel_url(), "plain")
                .await
                .unwrap();
        let login = warm.session.login("alice", "alice-secret").unwrap();
        warm.ok(login).await;
        let status = warm.session.status("INBOX").unwrap();
        warm.ok(status).await;
        // Read-write, as the page does: Dovecot moves new/ to cur/ on the first one.
        let select = warm.session.select("INBOX", false).unwrap();
        warm.ok(select).await;
    }
    let downloads = tempfile::tempdir().unwrap();
    let browser = Browser::start(downloads.path()).await.unwrap();
    browser.client.goto(&server.http_url("/")).await.unwrap();
    browser
        .wait_for(Duration::from_secs(30), |c| async move {
            (c.find_all(Locator::Css("#upstream option"))
                .await
                .ok()?
                .len()
                > 1)
            .then_some(())
        })
        .await
        .unwrap();
    browser.select("#upstream", "plain").await.unwrap();
    browser.type_into("#user", "alice").await.unwrap();
    browser
        .type_into("#password", "alice-secret")
        .await
        .unwrap();

    let bytes = server.bytes_to_client();
    let started = Instant::now();
    browser.click("#connect").await.unwrap();
    let newest = format!("[data-uid=\"{count}\"]");
    browser
        .wait_for(Duration::from_secs(120), |c| {
            let newest = newest.clone();
            async move { c.find(Locator::Css(&newest)).await.ok().map(|_| ()) }
        })
        .await
        .unwrap();
    let first_rows = started.elapsed();
    let bytes_first_rows = server.bytes_to_client() - bytes;

    let bytes = server.bytes_to_client();
    let started = Instant::now();
    browser
        .click(&format!("[data-uid=\"{count}\"]"))
        .await
        .unwrap();
    browser
        .wait_for(Duration::from_secs(60), |c| async move {
            let body = c.find(Locator::Css("#reader pre.text")).await.ok()?;
            (!body.text().await.ok()?.is_empty()).then_some(())
        })
        .await
        .unwrap();
    let open_body = started.elapsed();
    let bytes_open = server.bytes_to_client() - bytes;
    browser.close().await;
    Figures {
        first_rows,
        open_body,
        bytes_first_rows,
        bytes_open,
    }
}

#[tokio::main]
async fn main() {
    let small = measure(10_000).await;
    let large = measure(100_000).await;
    println!("The page in headless Chromium, same machine, same run:");
    for (label, f) in [("10,000 messages", &small), ("100,000 messages", &large)] {
        println!(
            "  {label:>16}: sign-in to first rows {:6.0} ms ({} KB through the tunnel); click to body {:5.0} ms ({} KB)",
            f.first_rows.as_secs_f64() * 1e3,
            f.bytes_first_rows / 1024,
            f.open_body.as_secs_f64() * 1e3,
            f.bytes_open / 1024
        );
    }
    println!(
        "  100k/10k ratio: first rows {:.2}, body {:.2}",
        large.first_rows.as_secs_f64() / small.first_rows.as_secs_f64(),
        large.open_body.as_secs_f64() / small.open_body.as_secs_f64()
    );
}
