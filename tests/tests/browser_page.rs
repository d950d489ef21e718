//! The built page (web/pkg from scripts/build-web.sh) in real headless Chromium, served
//! by the real server, talking through the real tunnel to real Dovecot: signing in,
//! reading, downloading, and hostile mail. This is the test that catches a broken
//! bundle, which in-browser unit tests cannot.

use std::io::Read;
use std::net::TcpListener;
use std::time::Duration;

use fantoccini::Locator;
use postern_tests::browser::Browser;
use postern_tests::corpus::{self, Message};
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

struct Setup {
    dovecot: Dovecot,
    server: PosternServer,
    browser: Browser,
    downloads: tempfile::TempDir,
}

async fn setup(extra: &[Message]) -> Setup {
    setup_with(extra, &[]).await
}

async fn setup_with(extra: &[Message], chromium_args: &[&str]) -> Setup {
    setup_on(Dovecot::start().unwrap(), extra, chromium_args).await
}

/// The page for `dovecot`, seeded with the standard mailbox and `extra`.
async fn setup_on(dovecot: Dovecot, extra: &[Message], chromium_args: &[&str]) -> Setup {
    require_bundle();
    let mut messages = corpus::standard_mailbox();
    messages.extend_from_slice(extra);
    dovecot.seed("alice", "INBOX", &messages).unwrap();
    let server = PosternServer::start(&ServerConfig::for_dovecot(&dovecot)).unwrap();
    let downloads = tempfile::tempdir().unwrap();
    let browser = Browser::start_with(downloads.path(), chromium_args)
        .await
        .unwrap();
    browser.client.goto(&server.http_url("/")).await.unwrap();
    // The wasm module ran, built the form, and filled it from /api/upstreams.
    browser
        .wait_for(Duration::from_secs(20), |c| async move {
            let options = c.find_all(Locator::Css("#upstream option")).await.ok()?;
            (options.len() == 6).then_some(())
        })
        .await
        .unwrap_or_else(|e| panic!("{e}\nserver log:\n{}", server.log()));
    Setup {
        dovecot,
        server,
        browser,
        downloads,
    }
}

async fn sign_in(browser: &Browser, upstream: &str, protocol: &str, password: &str) {
    browser.sign_in(upstream, protocol, "alice", password).await;
}

/// A page signed in to the `plain` upstream, its Inbox listed.
async fn signed_in(extra: &[Message]) -> Setup {
    let setup = setup(extra).await;
    sign_in(&setup.browser, "plain", "imap", "alice-secret").await;
    setup
        .browser
        .wait_text("#rows", "Survey data")
        .await
        .unwrap();
    setup
}

impl Setup {
    /// Another mail program on the same account, speaking raw IMAP.
    async fn other_client(&self) -> postern_tests::client::Tunnel {
        let url = self.server.tunnel_url();
        postern_tests::client::Tunnel::imap_signed_in(&url, "plain", "alice", "alice-secret")
            .await
            .unwrap()
    }
}

/// Waits until nothing matches `css` (a row moved or deleted).
async fn wait_gone(browser: &Browser, css: &'static str) {
    browser
        .wait_for(Duration::from_secs(20), |c| async move {
            c.find(Locator::Css(css)).await.is_err().then_some(())
        })
        .await
        .unwrap_or_else(|e| panic!("{css} is still there: {e}"));
}

/// The rows in the order shown, each described by the JavaScript expression
/// `describe` over a row `r`, once the conversation view has indented a reply.
async fn threaded_rows(browser: &Browser, describe: &str) -> Vec<String> {
    let script =
        format!("return Array.from(document.querySelectorAll('#rows .row')).map(r => {describe})");
    browser
        .wait_for(Duration::from_secs(20), |c| {
            let script = script.clone();
            async move {
                let order = c.execute(&script, vec![]).await.ok()?;
                let order: Vec<String> = serde_json::from_value(order).ok()?;
                order.iter().any(|r| r.contains("reply")).then_some(order)
            }
        })
        .await
        .unwrap()
}

/// Whether the page has fetched the sanitizer module (`web/sanitizer`).
async fn sanitizer_loaded(browser: &Browser) -> bool {
    let loaded = browser
        .client
        .execute(
            "return performance.getEntriesByType('resource').some(e => e.name.includes('postern_sanitizer'))",
            vec![],
        )
        .await
        .unwrap();
    loaded == serde_json::json!(true)
}

/// The reader's message frame, once it is there.
async fn message_frame(browser: &Browser) -> fantoccini::elements::Element {
    browser
        .wait_for(Duration::from_secs(20), |c| async move {
            c.find(Locator::Css("#reader iframe.html")).await.ok()
        })
        .await
        .unwrap()
}

/// The text inside `frame`; the driver stays inside the frame afterwards.
async fn frame_text(browser: &Browser, frame: &fantoccini::elements::Element) -> String {
    frame.clone().enter_frame().await.unwrap();
    let body = browser.client.find(Locator::Css("body")).await.unwrap();
    body.text().await.unwrap()
}

#[tokio::test]
async fn sign_in_read_and_download() {
    let setup = setup(&[]).await;
    let browser = &setup.browser;

    // Each failure says what went wrong, in words.
    sign_in(browser, "starttls", "imap", "wrong").await;
    browser
        .wait_text("#status", "Wrong user name or password")
        .await
        .unwrap();
    sign_in(browser, "untrusted", "imap", "alice-secret").await;
    browser.wait_text("#status", "certificate").await.unwrap();
    sign_in(browser, "down", "imap", "alice-secret").await;
    browser
        .wait_text("#status", "cannot connect")
        .await
        .unwrap();
    browser.screenshot("login.png").await.unwrap();

    sign_in(browser, "implicit", "imap", "alice-secret").await;
    let rows = browser
        .wait_for(Duration::from_secs(20), |c| async move {
            let rows = c.find_all(Locator::Css("#rows .row")).await.ok()?;
            (rows.len() == 10).then_some(rows.len())
        })
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", setup.server.log()));
    assert_eq!(rows, 10);
    let inbox = browser
        .wait_text("#folder-list [data-folder=\"INBOX\"]", "8")
        .await
        .unwrap();
    assert!(inbox.contains("Inbox"), "{inbox}");
    for folder in ["Drafts", "Sent", "Archive", "Junk", "Trash"] {
        let selector = format!("[data-folder=\"{folder}\"]");
        assert!(browser.text(&selector).await.is_some(), "{folder} missing");
    }
    browser.screenshot("inbox.png").await.unwrap();
    assert!(
        !sanitizer_loaded(browser).await,
        "the HTML sanitizer loads only when a message needs it"
    );

    // Search runs on the server; an empty search goes back to the folder.
    let search_box = browser
        .client
        .find(Locator::Css("#search-box"))
        .await
        .unwrap();
    search_box.send_keys("Thursday\u{E007}").await.unwrap();
    browser.wait_text("#folder-title", "2 found").await.unwrap();
    let found = browser
        .client
        .find_all(Locator::Css("#rows .row"))
        .await
        .unwrap();
    assert_eq!(found.len(), 2);
    search_box.clear().await.unwrap();
    search_box.send_keys("\u{E007}").await.unwrap();
    browser.wait_text("#folder-title", "Inbox").await.unwrap();
    browser
        .wait_for(Duration::from_secs(20), |c| async move {
            let rows = c.find_all(Locator::Css("#rows .row")).await.ok()?;
            (rows.len() == 10).then_some(())
        })
        .await
        .unwrap();

    // The server sorts; the list shows its order.
    for (choice, field, expected) in [
        ("oldest", "subject", "Planning the spring release"),
        ("newest", "subject", "Survey data (5 MB)"),
        ("from", "from", "Facturation"),
        ("subject", "subject", "Grüße aus Köln"),
        ("size", "subject", "Survey data (5 MB)"),
    ] {
        browser.select("#sort", choice).await.unwrap();
        let first = format!("#rows .row:first-child .{field}");
        browser
            .wait_text(&first, expected)
            .await
            .unwrap_or_else(|e| panic!("sort {choice}: {e}"));
    }

    // Conversations: the planning thread groups under its first message.
    browser.click("#conversations").await.unwrap();
    let order = threaded_rows(browser, "r.dataset.uid + ':' + r.className").await;
    let tail: Vec<&str> = order[order.len() - 3..]
        .iter()
        .map(String::as_str)
        .collect();
    assert!(
        tail[0].starts_with("1:") && !tail[0].contains("reply"),
        "{order:?}"
    );
    assert!(
        tail[1].starts_with("2:") && tail[1].contains("depth-1"),
        "{order:?}"
    );
    assert!(
        tail[2].starts_with("3:") && tail[2].contains("depth-2"),
        "{order:?}"
    );
    browser.click("#conversations").await.unwrap();

    // Plain text, as text, with its web address as a safe link.
    browser.click("[data-uid=\"1\"]").await.unwrap();
    browser
        .wait_text("#reader pre.text", "Shall we meet on Thursday")
        .await
        .unwrap();
    let link = browser
        .client
        .find(Locator::Css("#reader pre.text a"))
        .await
        .unwrap();
    let href = link.attr("href").await.unwrap();
    assert_eq!(
        href.as_deref(),
        Some("https://wiki.example.org/spring-release")
    );
    assert_eq!(
        link.attr("rel").await.unwrap().as_deref(),
        Some("noopener noreferrer")
    );

    // A Latin-1 message decodes; opening it marks it read (8 unread become 7).
    browser.click("[data-uid=\"6\"]").await.unwrap();
    browser
        .wait_text("#reader pre.text", "¿Nos vemos mañana")
        .await
        .unwrap();
    assert_eq!(browser.text("#reader h2").await.unwrap(), "Reunión mañana");
    browser
        .wait_text("#folder-list [data-folder=\"INBOX\"]", "7")
        .await
        .unwrap();

    // HTML, in a frame that may run nothing; opening marks the message read.
    assert!(
        browser
            .client
            .find(Locator::Css("[data-uid=\"8\"]"))
            .await
            .is_ok()
    );
    browser.click("[data-uid=\"7\"]").await.unwrap();
    let frame = message_frame(browser).await;
    let sandbox = frame.attr("sandbox").await.unwrap().unwrap();
    assert_eq!(sandbox, "allow-popups allow-popups-to-escape-sandbox");
    browser
        .wait_text("#reader .html-note", "1 remote image")
        .await
        .unwrap();
    let body = frame_text(browser, &frame).await;
    assert!(body.contains("Three things we shipped"), "{body}");
    browser.client.enter_parent_frame().await.unwrap();
    browser
        .wait_text("#folder-list [data-folder=\"INBOX\"]", "6")
        .await
        .unwrap();
    browser
        .wait_for(Duration::from_secs(20), |c| async move {
            let row = c.find(Locator::Css("[data-uid=\"7\"]")).await.ok()?;
            let class = row.attr("class").await.ok()??;
            (!class.contains("unread")).then_some(())
        })
        .await
        .unwrap();
    browser.screenshot("reader.png").await.unwrap();
    assert!(
        sanitizer_loaded(browser).await,
        "an HTML message loaded the sanitizer"
    );

    // The 5 MB message opens by moving its text, not its attachment.
    let before = setup.server.bytes_to_client();
    browser.click("[data-uid=\"10\"]").await.unwrap();
    browser
        .wait_text("#reader pre.text", "raw survey data")
        .await
        .unwrap();
    browser
        .wait_text("#reader .attachments", "survey.bin")
        .await
        .unwrap();
    let moved = setup.server.bytes_to_client() - before;
    assert!(moved < 100 * 1024, "opening moved {moved} bytes");

    // The attachment downloads intact when clicked.
    browser.click("#reader .download").await.unwrap();
    let saved = setup.downloads.path().join("survey.bin");
    let downloaded = browser
        .wait_for(Duration::from_secs(30), |_| {
            let saved = saved.clone();
            async move {
                let bytes = std::fs::read(&saved).ok()?;
                (bytes.len() == 5 * 1024 * 1024).then_some(bytes)
            }
        })
        .await
        .unwrap();
    assert!(downloaded == corpus::large_attachment_bytes());

    // Inline images come from the message itself.
    browser.click("[data-uid=\"9\"]").await.unwrap();
    browser
        .wait_text("#reader .attachments", "agenda.pdf")
        .await
        .unwrap();
    let frame = browser
        .client
        .find(Locator::Css("#reader iframe.html"))
        .await
        .unwrap();
    let srcdoc = frame.attr("srcdoc").await.unwrap().unwrap();
    assert!(
        srcdoc.contains("data:image/png;base64,"),
        "cid: image not resolved"
    );
    assert!(!srcdoc.contains("cid:site-photo"));
}

/// A message built to attack its reader: none of it may run or reach out.
fn hostile(trap: u16) -> Message {
    let trap = format!("http://127.0.0.1:{trap}");
    Message::new(format!(
        "From: Mallory <mallory@example.net>\r\nTo: alice@example.org\r\nSubject: Invoice overdue\r\n\
Message-ID: <hostile@example.net>\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
<html><head><meta http-equiv=\"refresh\" content=\"0;url={trap}/refresh\">\
<link rel=\"stylesheet\" href=\"{trap}/style.css\"><base href=\"{trap}/\">\
<style>body {{ background: url({trap}/bg.png) }} p {{ width: expression(alert(1)) }}</style></head>\
<body onload=\"window.top.pwned = 1\">\
<script>window.top.pwned = 2; new Image().src = '{trap}/script';</script>\
<img src=\"{trap}/pixel.gif\" onerror=\"window.top.pwned = 3\">\
<img src=\"x\" onerror=\"window.top.pwned = 4\">\
<svg><animate onbegin=\"window.top.pwned = 5\" attributeName=\"x\" dur=\"1s\"/><image href=\"{trap}/svg.png\"/></svg>\
<a id=\"js\" href=\"javascript:window.top.pwned = 6\">Pay now</a>\
<form action=\"{trap}/steal\" method=\"post\"><input name=\"card\" value=\"4111\"><button id=\"send\">Send</button></form>\
<iframe src=\"{trap}/frame\"></iframe><object data=\"{trap}/object\"></object>\
<div style=\"background: url({trap}/div.png)\">Please pay the attached invoice.</div>\
</body></html>\r\n"
    ))
}

#[tokio::test]
async fn hostile_mail_runs_nothing_and_reaches_nowhere() {
    // The "remote host" the message points at: it must never be contacted.
    let trap = TcpListener::bind("127.0.0.1:0").unwrap();
    trap.set_nonblocking(true).unwrap();
    let port = trap.local_addr().unwrap().port();
    let setup = setup(&[hostile(port)]).await;
    let browser = &setup.browser;

    sign_in(browser, "plain", "imap", "alice-secret").await;
    browser.wait_text("#rows", "Invoice overdue").await.unwrap();
    browser.click("[data-uid=\"11\"]").await.unwrap();
    let frame = message_frame(browser).await;
    let body = frame_text(browser, &frame).await;
    assert!(body.contains("Please pay the attached invoice"), "{body}");
    // Clicking what is left of the link and the form does nothing either.
    if let Ok(link) = browser.client.find(Locator::Css("a")).await {
        let _ = link.click().await;
    }
    browser.client.enter_parent_frame().await.unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;

    let pwned = browser
        .client
        .execute("return window.pwned === undefined", vec![])
        .await
        .unwrap();
    assert_eq!(pwned, serde_json::Value::Bool(true), "a script ran");
    let mut contacted = Vec::new();
    while let Ok((mut stream, _)) = trap.accept() {
        let mut request = [0u8; 256];
        let n = stream.read(&mut request).unwrap_or(0);
        contacted.push(String::from_utf8_lossy(&request[..n]).into_owned());
    }
    assert!(
        contacted.is_empty(),
        "the message reached out: {contacted:?}"
    );
    browser.screenshot("hostile.png").await.unwrap();

    // Remote images load only once the user asks, and then only the images.
    browser.click("[data-allow-remote]").await.unwrap();
    let request = browser
        .wait_for(Duration::from_secs(20), |_| {
            let accepted = trap.accept();
            async move {
                let (mut stream, _) = accepted.ok()?;
                stream.set_nonblocking(false).ok()?;
                let mut request = [0u8; 256];
                let n = stream.read(&mut request).ok()?;
                Some(String::from_utf8_lossy(&request[..n]).into_owned())
            }
        })
        .await
        .unwrap();
    assert!(request.starts_with("GET /pixel.gif "), "{request}");
    let pwned = browser
        .client
        .execute("return window.pwned === undefined", vec![])
        .await
        .unwrap();
    assert_eq!(pwned, serde_json::Value::Bool(true), "a script ran");
}

/// IMAP's many-clients property, in the page: what another mail program does to the
/// open folder shows up without a reload.
#[tokio::test]
async fn another_clients_changes_appear_live() {
    let setup = signed_in(&[]).await;
    let browser = &setup.browser;

    let mut other = setup.other_client().await;
    let message =
        b"From: Heidi <heidi@example.org>\r\nSubject: Fresh news\r\n\r\nJust arrived.\r\n";
    let appended = other.imap_append("b", "INBOX", message).await.unwrap();
    assert!(appended.starts_with("b OK"), "{appended}");
    other.imap("c", "SELECT INBOX").await.unwrap();

    // New mail appears, and the unread count follows.
    browser.wait_text("#rows", "Fresh news").await.unwrap();
    browser
        .wait_text("#folder-list [data-folder=\"INBOX\"]", "9")
        .await
        .unwrap();

    // A flag set elsewhere shows.
    other
        .imap("d", "UID STORE 1 +FLAGS (\\Flagged)")
        .await
        .unwrap();
    browser
        .wait_for(Duration::from_secs(20), |c| async move {
            let row = c.find(Locator::Css("[data-uid=\"1\"]")).await.ok()?;
            let class = row.attr("class").await.ok()??;
            class.contains("flagged").then_some(())
        })
        .await
        .unwrap();

    // A message moved away elsewhere disappears.
    other.imap("e", "UID MOVE 2 Trash").await.unwrap();
    wait_gone(browser, "[data-uid=\"2\"]").await;

    // Other folders' counts follow too (on a timer, and when the tab gets focus).
    let appended = other.imap_append("f", "Archive", message).await.unwrap();
    assert!(appended.starts_with("f OK"), "{appended}");
    browser
        .client
        .execute("window.dispatchEvent(new Event('focus'))", vec![])
        .await
        .unwrap();
    browser
        .wait_text("#folder-list [data-folder=\"Archive\"]", "1")
        .await
        .unwrap();

    // "?" shows the keys; Escape hides them.
    let body = browser.client.find(Locator::Css("body")).await.unwrap();
    body.send_keys("?").await.unwrap();
    browser
        .wait_text("#shortcuts", "next / previous message")
        .await
        .unwrap();
    body.send_keys("\u{E00C}").await.unwrap();
    browser
        .wait_for(Duration::from_secs(10), |c| async move {
            let help = c.find(Locator::Css("#shortcuts")).await.ok()?;
            help.attr("hidden").await.ok()?.map(|_| ())
        })
        .await
        .unwrap();
}

/// What the buttons and keys do lands on the server.
#[tokio::test]
async fn flag_read_archive_and_delete_by_button_and_key() {
    let setup = signed_in(&[]).await;
    let browser = &setup.browser;
    let mut check = setup.other_client().await;

    // Message 3 is flagged: "s" unflags it.
    browser.click("[data-uid=\"3\"]").await.unwrap();
    browser
        .wait_text("#reader .actions", "Unflag")
        .await
        .unwrap();
    browser
        .client
        .find(Locator::Css("body"))
        .await
        .unwrap()
        .send_keys("s")
        .await
        .unwrap();
    browser.wait_text("#reader .actions", "Flag").await.unwrap();
    check.ask("EXAMINE INBOX").await.unwrap();
    let flags = check.ask("UID FETCH 3 FLAGS").await.unwrap();
    assert!(!flags.contains("\\Flagged"), "{flags}");

    // "Mark unread" undoes the automatic read.
    browser
        .click("[data-action=\"toggle-read\"]")
        .await
        .unwrap();
    browser
        .wait_text("#reader .actions", "Mark read")
        .await
        .unwrap();
    let flags = check.ask("UID FETCH 3 FLAGS").await.unwrap();
    assert!(!flags.contains("\\Seen"), "{flags}");

    // Archive moves it to the Archive folder.
    browser.click("[data-action=\"archive\"]").await.unwrap();
    wait_gone(browser, "[data-uid=\"3\"]").await;
    assert!(
        check
            .ask("STATUS Archive (MESSAGES)")
            .await
            .unwrap()
            .contains("MESSAGES 1")
    );

    // "j" opens the next message; "#" deletes it to the Trash.
    browser.click("[data-uid=\"5\"]").await.unwrap();
    browser.wait_text("#reader h2", "facture").await.unwrap();
    browser
        .client
        .find(Locator::Css("body"))
        .await
        .unwrap()
        .send_keys("j")
        .await
        .unwrap();
    browser.wait_text("#reader h2", "Grüße").await.unwrap();
    browser
        .client
        .find(Locator::Css("body"))
        .await
        .unwrap()
        .send_keys("#")
        .await
        .unwrap();
    wait_gone(browser, "[data-uid=\"4\"]").await;
    assert!(
        check
            .ask("STATUS Trash (MESSAGES)")
            .await
            .unwrap()
            .contains("MESSAGES 1")
    );
    // "Copy to" leaves the message; "Move to" takes it away.
    browser.click("[data-uid=\"7\"]").await.unwrap();
    browser.wait_text("#reader h2", "This week").await.unwrap();
    browser
        .select("[data-transfer=\"copy\"]", "Junk")
        .await
        .unwrap();
    browser
        .wait_text("#connection", "Copied to Junk")
        .await
        .unwrap();
    browser
        .select("[data-transfer=\"move\"]", "Drafts")
        .await
        .unwrap();
    wait_gone(browser, "[data-uid=\"7\"]").await;
    assert!(
        check
            .ask("STATUS Junk (MESSAGES)")
            .await
            .unwrap()
            .contains("MESSAGES 1")
    );
    assert!(
        check
            .ask("STATUS Drafts (MESSAGES)")
            .await
            .unwrap()
            .contains("MESSAGES 1")
    );

    check.ask("UNSELECT").await.unwrap(); // STATUS of the selected mailbox would be this session's view
    let inbox = check.ask("STATUS INBOX (MESSAGES)").await.unwrap();
    assert!(inbox.contains("MESSAGES 7"), "{inbox}");
}

/// A dropped connection (here, an administrator disconnecting the user) is resumed:
/// the page reconnects, keeps the folder, and goes on showing live changes.
#[tokio::test]
async fn a_dropped_connection_is_resumed() {
    let setup = signed_in(&[]).await;
    let browser = &setup.browser;

    setup.dovecot.kick("alice").unwrap();
    // New mail after the drop still shows up: the watcher came back.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut other = setup.other_client().await;
    let message =
        b"From: Ivan <ivan@example.org>\r\nSubject: After the drop\r\n\r\nStill here.\r\n";
    let appended = other.imap_append("a", "INBOX", message).await.unwrap();
    assert!(appended.starts_with("a OK"), "{appended}");
    browser.wait_text("#rows", "After the drop").await.unwrap();
    browser.wait_text("#connection", "Connected").await.unwrap();

    // And the user's own requests work on the new connection.
    browser.click("[data-uid=\"1\"]").await.unwrap();
    browser
        .wait_text("#reader pre.text", "Shall we meet on Thursday")
        .await
        .unwrap();
}

/// Folders are created, renamed and deleted on the server from the page.
#[tokio::test]
async fn folders_are_created_renamed_and_deleted() {
    let setup = signed_in(&[]).await;
    let browser = &setup.browser;
    let mut check = setup.other_client().await;

    browser.click(".new-folder").await.unwrap();
    browser.client.send_alert_text("Projects").await.unwrap();
    browser.client.accept_alert().await.unwrap();
    browser
        .wait_text("#folder-title", "Projects")
        .await
        .unwrap();
    assert!(
        check
            .ask("LIST \"\" *")
            .await
            .unwrap()
            .contains("\"/\" Projects")
    );

    browser
        .click("[data-folder-command=\"rename\"]")
        .await
        .unwrap();
    browser
        .client
        .send_alert_text("Projekte 2026")
        .await
        .unwrap();
    browser.client.accept_alert().await.unwrap();
    browser
        .wait_text("#folder-title", "Projekte 2026")
        .await
        .unwrap();
    let folders = check.ask("LIST \"\" *").await.unwrap();
    assert!(
        folders.contains("\"Projekte 2026\"") && !folders.contains("Projects"),
        "{folders}"
    );

    browser
        .click("[data-folder-command=\"delete\"]")
        .await
        .unwrap();
    browser.client.accept_alert().await.unwrap();
    browser.wait_text("#folder-title", "Inbox").await.unwrap();
    assert!(!check.ask("LIST \"\" *").await.unwrap().contains("Projekte"));
    // Special folders offer no rename or delete.
    let tools = browser
        .client
        .find(Locator::Css("#folder-tools"))
        .await
        .unwrap();
    assert!(tools.attr("hidden").await.unwrap().is_some());
}

/// The page follows the system's dark preference.
#[tokio::test]
async fn dark_mode_follows_the_system() {
    // Blink's PreferredColorScheme: 0 is dark.
    let setup = setup_with(&[], &["--blink-settings=preferredColorScheme=0"]).await;
    let browser = &setup.browser;
    sign_in(browser, "plain", "imap", "alice-secret").await;
    browser.wait_text("#rows", "Survey data").await.unwrap();
    browser.click("[data-uid=\"1\"]").await.unwrap();
    browser
        .wait_text("#reader pre.text", "Thursday")
        .await
        .unwrap();
    let background = browser
        .client
        .execute(
            "return getComputedStyle(document.body).backgroundColor",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(background, serde_json::json!("rgb(20, 23, 28)"));
    browser.screenshot("dark.png").await.unwrap();
}

/// Staying signed in across a reload is opt-in, for this tab only, and Sign out ends it.
#[tokio::test]
async fn staying_signed_in_is_opt_in() {
    let setup = setup(&[]).await;
    let browser = &setup.browser;

    // Without the box: a reload shows the form again.
    sign_in(browser, "plain", "imap", "alice-secret").await;
    browser.wait_text("#rows", "Survey data").await.unwrap();
    browser.client.refresh().await.unwrap();
    browser.wait_text("#login", "Sign in").await.unwrap();
    let stored = browser
        .client
        .execute("return sessionStorage.length", vec![])
        .await
        .unwrap();
    assert_eq!(stored, serde_json::json!(0));

    // With it: the reload signs in by itself.
    browser
        .wait_for(Duration::from_secs(20), |c| async move {
            (c.find_all(Locator::Css("#upstream option"))
                .await
                .ok()?
                .len()
                == 6)
                .then_some(())
        })
        .await
        .unwrap();
    browser.click("#remember").await.unwrap();
    sign_in(browser, "plain", "imap", "alice-secret").await;
    browser.wait_text("#rows", "Survey data").await.unwrap();
    let kept = browser
        .client
        .execute("return localStorage.length", vec![])
        .await
        .unwrap();
    assert_eq!(kept, serde_json::json!(0), "nothing goes to localStorage");
    browser.client.refresh().await.unwrap();
    browser.wait_text("#rows", "Survey data").await.unwrap();

    // Sign out forgets it.
    browser.click("#sign-out").await.unwrap();
    browser.wait_text("#login", "Sign in").await.unwrap();
    let stored = browser
        .client
        .execute("return sessionStorage.length", vec![])
        .await
        .unwrap();
    assert_eq!(stored, serde_json::json!(0));
}

/// A big folder opens with its newest rows; older ones load as the user scrolls.
#[tokio::test]
async fn older_messages_load_on_scroll() {
    let older: Vec<Message> = (0..450).map(|n| corpus::bulk(n, 600)).collect();
    let setup = setup(&older).await;
    let browser = &setup.browser;
    sign_in(browser, "plain", "imap", "alice-secret").await;
    let count = |wanted: usize| {
        move |c: fantoccini::Client| async move {
            let rows = c.find_all(Locator::Css("#rows .row")).await.ok()?;
            (rows.len() == wanted).then_some(())
        }
    };
    browser
        .wait_for(Duration::from_secs(20), count(200))
        .await
        .unwrap();
    // The first window at phone width (the list scrolls by itself there), the next
    // at desktop width.
    for (expected, width) in [(400, 400), (460, 1280)] {
        browser.client.set_window_size(width, 800).await.unwrap();
        browser
            .client
            .execute(
                "const l = document.getElementById('list'); l.scrollTop = l.scrollHeight;",
                vec![],
            )
            .await
            .unwrap();
        browser
            .wait_for(Duration::from_secs(20), count(expected))
            .await
            .unwrap_or_else(|e| panic!("{expected} rows: {e}"));
    }
    // The oldest message is last.
    browser
        .wait_text(
            "#rows .row:last-child .subject",
            "Planning the spring release",
        )
        .await
        .unwrap();
}

/// A POP3 account: headers listed from the server, a message downloaded on opening,
/// moved to a folder that lives in this browser, and still there after a reload.
#[tokio::test]
async fn pop3_mail_lives_in_local_folders_across_a_reload() {
    let setup = setup(&[]).await;
    let browser = &setup.browser;
    let count_rows = |wanted: usize| {
        browser.wait_for(Duration::from_secs(20), move |c| async move {
            let rows = c.find_all(Locator::Css("#rows .row")).await.ok()?;
            (rows.len() == wanted).then_some(())
        })
    };

    sign_in(browser, "plain", "pop3", "wrong").await;
    browser
        .wait_text("#status", "password is wrong")
        .await
        .unwrap();

    browser.click("#remember").await.unwrap();
    sign_in(browser, "plain", "pop3", "alice-secret").await;
    count_rows(10)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", setup.server.log()));
    // Headers only so far (TOP), decoded from their charsets by mail-parser.
    browser.wait_text("#rows", "Reunión mañana").await.unwrap();
    browser
        .wait_text("#connection", "10 new messages")
        .await
        .unwrap();
    let on_server = browser
        .client
        .find_all(Locator::Css("#rows .where[title^=\"On the server\"]"))
        .await
        .unwrap();
    assert_eq!(on_server.len(), 10);
    assert!(
        browser
            .text("#folders .local-note")
            .await
            .unwrap()
            .contains("in this browser"),
        "the page says where POP3 folders live"
    );

    // Opening downloads it (RETR) and shows the sanitized HTML part.
    let lunch = browser
        .client
        .find(Locator::XPath(
            "//li[contains(@class,'row')][.//span[@class='subject' and text()='Lunch on Friday?']]",
        ))
        .await
        .unwrap();
    lunch.click().await.unwrap();
    let frame = message_frame(browser).await;
    assert!(
        frame_text(browser, &frame)
            .await
            .contains("Lunch on Friday at the new café")
    );
    browser.client.enter_parent_frame().await.unwrap();
    browser
        .wait_text("#rows", "Lunch on Friday?")
        .await
        .unwrap();
    let stored = browser
        .client
        .find_all(Locator::Css(
            "#rows .where[title^=\"Stored in this browser\"]",
        ))
        .await
        .unwrap();
    assert!(!stored.is_empty(), "the opened message is stored locally");

    // A folder of this browser, and the message moved into it.
    browser.click("[data-folder-command=create]").await.unwrap();
    browser.client.send_alert_text("Lunches").await.unwrap();
    browser.client.accept_alert().await.unwrap();
    browser.wait_text("#folder-title", "Lunches").await.unwrap();
    browser.click("[data-folder=\"Inbox\"]").await.unwrap();
    count_rows(10).await.unwrap();
    browser
        .client
        .find(Locator::XPath(
            "//li[contains(@class,'row')][.//span[@class='subject' and text()='Lunch on Friday?']]",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    message_frame(browser).await;
    browser
        .select("#reader select[data-move]", "Lunches")
        .await
        .unwrap();
    count_rows(9).await.unwrap();

    // After a reload (staying signed in), the folder and the message are still here,
    // and the message opens from this browser's copy.
    browser.client.refresh().await.unwrap();
    browser
        .wait_text("#folder-list", "Lunches")
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", setup.server.log()));
    browser.click("[data-folder=\"Lunches\"]").await.unwrap();
    count_rows(1).await.unwrap();
    browser.click("#rows .row").await.unwrap();
    let frame = message_frame(browser).await;
    assert!(
        frame_text(browser, &frame)
            .await
            .contains("Lunch on Friday at the new café")
    );
    browser.client.enter_parent_frame().await.unwrap();

    // Kept on the server (the default): all ten are still there.
    let on_disk = std::fs::read_dir(setup.dovecot.maildir("alice", "INBOX").join("cur"))
        .unwrap()
        .count()
        + std::fs::read_dir(setup.dovecot.maildir("alice", "INBOX").join("new"))
            .unwrap()
            .count();
    assert_eq!(on_disk, 10);
    browser.screenshot("pop3.png").await.unwrap();

    // "Download everything", then "Delete after download": each checked by hand.
    browser.click("#download-all").await.unwrap();
    browser
        .wait_text("#connection", "Settings saved")
        .await
        .unwrap();
    browser.click("#check").await.unwrap();
    browser
        .wait_text("#connection", "9 downloaded")
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", setup.server.log()));
    browser
        .select("#leave-on-server", "download")
        .await
        .unwrap();
    browser
        .wait_text("#connection", "Settings saved")
        .await
        .unwrap();
    browser.click("#check").await.unwrap();
    browser
        .wait_text("#connection", "10 deleted from the server")
        .await
        .unwrap();
    let left = std::fs::read_dir(setup.dovecot.maildir("alice", "INBOX").join("cur"))
        .unwrap()
        .count()
        + std::fs::read_dir(setup.dovecot.maildir("alice", "INBOX").join("new"))
            .unwrap()
            .count();
    assert_eq!(left, 0, "the server copies are gone");
    browser.click("[data-folder=\"Inbox\"]").await.unwrap();
    count_rows(9).await.unwrap();
    let only_here = browser
        .client
        .find_all(Locator::Css(
            "#rows .where[title=\"Stored in this browser only\"]",
        ))
        .await
        .unwrap();
    assert_eq!(only_here.len(), 9);
}

/// The flags Dovecot keeps in a Maildir file name (`...:2,RS`).
fn maildir_flags(dir: &std::path::Path) -> Vec<String> {
    ["cur", "new"]
        .iter()
        .flat_map(|sub| std::fs::read_dir(dir.join(sub)).into_iter().flatten())
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            Some(
                name.rsplit_once(":2,")
                    .map(|(_, f)| f.to_owned())
                    .unwrap_or_default(),
            )
        })
        .collect()
}

fn maildir_messages(dir: &std::path::Path) -> Vec<Vec<u8>> {
    ["cur", "new"]
        .iter()
        .flat_map(|sub| std::fs::read_dir(dir.join(sub)).into_iter().flatten())
        .filter_map(|e| std::fs::read(e.ok()?.path()).ok())
        .collect()
}

/// Alice writes to Bob with an attachment and a non-ASCII subject through the real
/// Postfix; Bob receives it intact and replies; the reply threads under the original
/// in Alice's conversation view, and Bob's original is marked answered.
/// Dovecot, Postfix delivering into it, the server for both, and a browser on the
/// sign-in form.
struct MailSystem {
    dovecot: Dovecot,
    postfix: postern_tests::postfix::Postfix,
    server: PosternServer,
    browser: Browser,
    downloads: tempfile::TempDir,
}

async fn mail_system() -> MailSystem {
    require_bundle();
    let dovecot = Dovecot::start().unwrap();
    dovecot
        .seed("alice", "INBOX", &corpus::standard_mailbox())
        .unwrap();
    let postfix = postern_tests::postfix::Postfix::start(&dovecot).unwrap();
    let server = PosternServer::start(&ServerConfig::mail_system(&dovecot, &postfix)).unwrap();
    let downloads = tempfile::tempdir().unwrap();
    let browser = Browser::start(downloads.path()).await.unwrap();
    browser.client.goto(&server.http_url("/")).await.unwrap();
    sign_in_form(&browser).await;
    MailSystem {
        dovecot,
        postfix,
        server,
        browser,
        downloads,
    }
}

/// Waits for the sign-in form with the three upstreams of a mail system.
async fn sign_in_form(browser: &Browser) {
    browser.wait_text("#login", "Sign in").await.unwrap();
    browser
        .wait_for(Duration::from_secs(20), |c| async move {
            let options = c.find_all(Locator::Css("#upstream option")).await.ok()?;
            (options.len() == 3).then_some(())
        })
        .await
        .unwrap();
}

/// Opens the compose form.
async fn write(browser: &Browser) {
    browser.click("#write").await.unwrap();
    browser
        .wait_for(Duration::from_secs(10), |c| async move {
            c.find(Locator::Css("#compose-to")).await.ok()
        })
        .await
        .unwrap();
}

/// Attaches `file` with the compose form's picker and waits until it is listed.
async fn attach(browser: &Browser, file: &std::path::Path) {
    browser
        .client
        .find(Locator::Css("#compose-files"))
        .await
        .unwrap()
        .send_keys(file.to_str().unwrap())
        .await
        .unwrap();
    let name = file.file_name().unwrap().to_str().unwrap();
    browser
        .wait_text("#compose-attachments", name)
        .await
        .unwrap();
}

async fn field_value(browser: &Browser, css: &str) -> String {
    browser
        .client
        .find(Locator::Css(css))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default()
}

#[tokio::test]
async fn compose_send_and_reply_through_real_smtp() {
    let system = mail_system().await;
    let (dovecot, postfix, server, browser, downloads) = (
        &system.dovecot,
        &system.postfix,
        &system.server,
        &system.browser,
        &system.downloads,
    );
    browser
        .sign_in("plain", "imap", "alice", "alice-secret")
        .await;
    browser.wait_text("#rows", "Survey data").await.unwrap();
    browser.click("#write").await.unwrap();
    browser
        .wait_for(Duration::from_secs(10), |c| async move {
            c.find(Locator::Css("#compose-to")).await.ok()
        })
        .await
        .unwrap();
    let subject = "Grüße — Plan für März ✓";
    let attachment: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let file = downloads.path().join("plan-märz.bin");
    std::fs::write(&file, &attachment).unwrap();
    browser
        .fill(&[
            ("#compose-from", "Alice Smith <alice@postern.test>"),
            ("#compose-to", "Bob <bob@postern.test>"),
            ("#compose-cc", "alice@postern.test"),
            ("#compose-subject", subject),
            ("#compose-text", "Hallo Bob,\nder Plan ist im Anhang.\n"),
        ])
        .await;
    attach(browser, &file).await;
    browser.screenshot("compose.png").await.unwrap();
    browser.click("#compose-send").await.unwrap();
    browser
        .wait_text("#connection", "Message sent.")
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}\n{}", server.log(), postfix.log()));

    // Bob's copy: the subject decoded back, the attachment byte for byte.
    let bob_inbox = dovecot.maildir("bob", "INBOX");
    let arrived = browser
        .wait_for(Duration::from_secs(20), |_| {
            let found = maildir_messages(&bob_inbox);
            async move { found.into_iter().next() }
        })
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", postfix.log()));
    let row = postern_shared::reader::mime::summarize(&arrived, 1, 0);
    assert_eq!(row.subject, subject);
    assert_eq!(row.from[0].email, "alice@postern.test");
    let parts = postern_shared::reader::mime::parts(&arrived).unwrap();
    assert_eq!(parts.attachments.len(), 1);
    assert_eq!(parts.attachments[0].filename, "plan-märz.bin");
    assert!(
        parts.attachments[0].bytes == attachment,
        "the attachment changed on the way"
    );
    assert!(parts.text.unwrap().contains("der Plan ist im Anhang."));
    // Alice's Sent keeps a copy.
    assert_eq!(maildir_messages(&dovecot.maildir("alice", "Sent")).len(), 1);

    // Bob replies from his own session.
    browser.click("#sign-out").await.unwrap();
    sign_in_form(browser).await;
    browser.sign_in("plain", "imap", "bob", "bob-secret").await;
    browser.wait_text("#rows", "Plan für März").await.unwrap();
    browser.click("#rows .row").await.unwrap();
    browser
        .wait_text("#reader", "der Plan ist im Anhang")
        .await
        .unwrap();
    browser.click("[data-compose=reply]").await.unwrap();
    let to = browser
        .wait_for(Duration::from_secs(10), |c| async move {
            let field = c.find(Locator::Css("#compose-to")).await.ok()?;
            field.prop("value").await.ok()?
        })
        .await
        .unwrap();
    assert_eq!(to, "Alice Smith <alice@postern.test>");
    let subject_field = field_value(browser, "#compose-subject").await;
    assert_eq!(subject_field, format!("Re: {subject}"));
    browser
        .type_into("#compose-text", "Klingt gut!")
        .await
        .unwrap();
    browser.click("#compose-send").await.unwrap();
    browser
        .wait_text("#connection", "Message sent.")
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", postfix.log()));
    let flags = maildir_flags(&bob_inbox);
    assert!(
        flags.iter().any(|f| f.contains('R')),
        "the original is not marked answered: {flags:?}"
    );

    // Alice sees the reply under her message.
    browser.click("#sign-out").await.unwrap();
    sign_in_form(browser).await;
    browser
        .sign_in("plain", "imap", "alice", "alice-secret")
        .await;
    browser
        .wait_text("#rows", &format!("Re: {subject}"))
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", postfix.log()));
    browser.click("#conversations").await.unwrap();
    let order = threaded_rows(
        browser,
        "r.className + '|' + r.querySelector('.subject').textContent",
    )
    .await;
    let original = order
        .iter()
        .position(|r| r.ends_with(&format!("|{subject}")))
        .unwrap_or_else(|| panic!("{order:?}"));
    assert!(
        order[original + 1].contains("depth-1") && order[original + 1].contains("Re: "),
        "{order:?}"
    );
}

/// A refused recipient keeps the message in the form with the reason; drafts are
/// saved as the user types (each save replacing the last), resumed from Drafts, and
/// removed once the message is sent.
#[tokio::test]
async fn drafts_are_kept_resumed_and_cleared_and_refusals_lose_nothing() {
    let system = mail_system().await;
    let browser = &system.browser;
    let drafts = system.dovecot.maildir("alice", "Drafts");
    browser
        .sign_in("plain", "imap", "alice", "alice-secret")
        .await;
    browser.wait_text("#rows", "Survey data").await.unwrap();
    write(browser).await;
    browser
        .fill(&[
            ("#compose-from", "alice@postern.test"),
            ("#compose-to", "bob@postern.test, nobody@postern.test"),
            ("#compose-subject", "Draft one"),
            ("#compose-text", "Words worth keeping."),
        ])
        .await;

    browser.click("#compose-send").await.unwrap();
    let said = browser
        .wait_text("#compose-status", "Not sent")
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", system.postfix.log()));
    assert!(said.contains("nobody@postern.test"), "{said}");
    assert!(said.contains("There is no such mailbox"), "{said}");
    assert_eq!(field_value(browser, "#compose-subject").await, "Draft one");

    // Autosave: one draft in Drafts, flagged \Draft; a change replaces it.
    let wait_drafts = |wanted: &'static str| {
        let drafts = drafts.clone();
        browser.wait_for(Duration::from_secs(20), move |_| {
            let found = maildir_messages(&drafts);
            let flags = maildir_flags(&drafts);
            async move {
                (found.len() == 1
                    && String::from_utf8_lossy(&found[0]).contains(wanted)
                    && flags[0].contains('D'))
                .then_some(())
            }
        })
    };
    wait_drafts("Subject: Draft one").await.unwrap();
    browser
        .type_into("#compose-subject", " and two")
        .await
        .unwrap();
    wait_drafts("Subject: Draft one and two").await.unwrap();

    // Leave the form, come back through Drafts.
    browser.click("#rows .row").await.unwrap();
    browser.click("[data-folder=\"Drafts\"]").await.unwrap();
    browser
        .wait_text("#rows", "Draft one and two")
        .await
        .unwrap();
    browser.click("#rows .row").await.unwrap();
    browser.click("[data-compose=resume]").await.unwrap();
    browser
        .wait_for(Duration::from_secs(10), |c| async move {
            let subject = c.find(Locator::Css("#compose-subject")).await.ok()?;
            (subject.prop("value").await.ok()?? == "Draft one and two").then_some(())
        })
        .await
        .unwrap();
    assert!(
        field_value(browser, "#compose-text")
            .await
            .contains("Words worth keeping.")
    );

    // Fixed and sent: the draft is gone, Bob has the message.
    browser.fill(&[("#compose-to", "bob@postern.test")]).await;
    browser.click("#compose-send").await.unwrap();
    browser
        .wait_text("#connection", "Message sent.")
        .await
        .unwrap();
    browser
        .wait_for(Duration::from_secs(20), |_| {
            let left = maildir_messages(&drafts).len();
            async move { (left == 0).then_some(()) }
        })
        .await
        .unwrap();
    let bob = system.dovecot.maildir("bob", "INBOX");
    browser
        .wait_for(Duration::from_secs(20), |_| {
            let found = maildir_messages(&bob);
            async move {
                found
                    .iter()
                    .any(|m| String::from_utf8_lossy(m).contains("Subject: Draft one and two"))
                    .then_some(())
            }
        })
        .await
        .unwrap();
}

/// Rows picked by checkbox and Shift-click get one action together; picked rows
/// dragged onto a folder move there.
#[tokio::test]
async fn many_messages_at_once_by_checkbox_and_by_dragging_onto_a_folder() {
    let setup = signed_in(&[]).await;
    let browser = &setup.browser;
    let mut check = setup.other_client().await;

    browser.click("[data-uid=\"1\"] .pick").await.unwrap();
    // Shift-click on row 2 picks the range from the last pick: rows 1 and 2.
    browser
        .client
        .execute(
            "document.querySelector('[data-uid=\"2\"] .subject').dispatchEvent(\
             new MouseEvent('click', {bubbles: true, shiftKey: true}))",
            vec![],
        )
        .await
        .unwrap();
    browser
        .wait_text("#selection-count", "2 selected")
        .await
        .unwrap();
    assert!(
        browser
            .text("#reader")
            .await
            .unwrap_or_default()
            .contains("Select a message"),
        "picking rows opens none"
    );
    browser.click("[data-bulk=flag]").await.unwrap();
    browser
        .wait_text("#connection", "Done for 2 message(s).")
        .await
        .unwrap();
    check.ask("EXAMINE INBOX").await.unwrap();
    let flags = check.ask("UID FETCH 1:2 FLAGS").await.unwrap();
    assert_eq!(flags.matches("\\Flagged").count(), 2, "{flags}");

    // Drag two picked rows onto Archive (synthetic drag events: WebDriver cannot
    // drive HTML drag and drop in Chromium).
    browser.click("[data-uid=\"4\"] .pick").await.unwrap();
    browser.click("[data-uid=\"5\"] .pick").await.unwrap();
    browser
        .wait_text("#selection-count", "2 selected")
        .await
        .unwrap();
    browser
        .client
        .execute(
            "const dt = new DataTransfer();\
             const row = document.querySelector('[data-uid=\"4\"]');\
             row.dispatchEvent(new DragEvent('dragstart', {bubbles: true, dataTransfer: dt}));\
             const folder = document.querySelector('[data-folder=\"Archive\"]');\
             folder.dispatchEvent(new DragEvent('dragover', {bubbles: true, cancelable: true, dataTransfer: dt}));\
             folder.dispatchEvent(new DragEvent('drop', {bubbles: true, cancelable: true, dataTransfer: dt}));",
            vec![],
        )
        .await
        .unwrap();
    wait_gone(browser, "[data-uid=\"4\"]").await;
    wait_gone(browser, "[data-uid=\"5\"]").await;
    let status = check.ask("STATUS Archive (MESSAGES)").await.unwrap();
    assert!(status.contains("MESSAGES 2"), "{status}");
}

/// A folder opened before shows its cached rows at once and asks the server only
/// what changed: which messages left (one UID SEARCH), whose flags changed
/// (CHANGEDSINCE), and the summaries of new ones.
#[tokio::test]
async fn a_folder_reopens_from_the_cache_and_syncs_only_changes() {
    let older: Vec<Message> = (0..60).map(|n| corpus::bulk(n, 600)).collect();
    let setup = setup(&older).await;
    let browser = &setup.browser;
    let rows = |wanted: usize| {
        browser.wait_for(Duration::from_secs(20), move |c| async move {
            let rows = c.find_all(Locator::Css("#rows .row")).await.ok()?;
            (rows.len() == wanted).then_some(())
        })
    };

    let before = setup.server.bytes_to_client();
    sign_in(browser, "plain", "imap", "alice-secret").await;
    rows(70).await.unwrap();
    let first_visit = setup.server.bytes_to_client() - before;

    // Another client changes the folder while this page is gone.
    browser.click("#sign-out").await.unwrap();
    browser.wait_text("#login", "Sign in").await.unwrap();
    let mut other = setup.other_client().await;
    other.ask("SELECT INBOX").await.unwrap();
    other.ask("UID STORE 1 +FLAGS (\\Flagged)").await.unwrap();
    other.ask("UID STORE 2 +FLAGS (\\Deleted)").await.unwrap();
    other.ask("UID EXPUNGE 2").await.unwrap();
    other
        .imap_append(
            "a1",
            "INBOX",
            b"From: Zoe <zoe@example.org>\r\nSubject: Arrived while away\r\n\r\nHello\r\n",
        )
        .await
        .unwrap();
    other.ask("LOGOUT").await.ok();

    browser
        .wait_for(Duration::from_secs(20), |c| async move {
            let options = c.find_all(Locator::Css("#upstream option")).await.ok()?;
            (options.len() == 6).then_some(())
        })
        .await
        .unwrap();
    let before = setup.server.bytes_to_client();
    sign_in(browser, "plain", "imap", "alice-secret").await;
    browser
        .wait_text("#rows", "Arrived while away")
        .await
        .unwrap();
    rows(70).await.unwrap();
    let second_visit = setup.server.bytes_to_client() - before;
    assert!(
        browser
            .client
            .find(Locator::Css("[data-uid=\"2\"]"))
            .await
            .is_err(),
        "the expunged message is gone"
    );
    let flagged = browser
        .client
        .find(Locator::Css("[data-uid=\"1\"]"))
        .await
        .unwrap()
        .attr("class")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(flagged.contains("flagged"), "{flagged}");
    println!("bytes to the page: first visit {first_visit}, second visit {second_visit}");
    assert!(
        second_visit * 2 < first_visit,
        "the second visit fetched {second_visit} bytes, the first {first_visit}"
    );

    // "Sign out and clear this browser" leaves nothing of the account cached.
    let cached = |c: fantoccini::Client| async move {
        let count = c
            .execute_async(
                "const done = arguments[0];\
                 const open = indexedDB.open('postern');\
                 open.onsuccess = () => { const db = open.result;\
                   const count = db.transaction('imap_rows').objectStore('imap_rows').count();\
                   count.onsuccess = () => { done(count.result); db.close(); }; };",
                vec![],
            )
            .await
            .ok()?;
        count.as_u64()
    };
    assert!(cached(browser.client.clone()).await.unwrap() >= 70);
    browser.click("#sign-out-clear").await.unwrap();
    browser.wait_text("#login", "Sign in").await.unwrap();
    assert_eq!(cached(browser.client.clone()).await, Some(0));
    sign_in(browser, "plain", "imap", "alice-secret").await;
    rows(70).await.unwrap();

    // A cache the user cleared costs only speed: the folder loads from the server.
    browser
        .client
        .execute("indexedDB.deleteDatabase('postern')", vec![])
        .await
        .unwrap();
    browser.click("[data-folder=\"Archive\"]").await.unwrap();
    browser.wait_text("#folder-title", "Archive").await.unwrap();
    browser.click("[data-folder=\"INBOX\"]").await.unwrap();
    browser
        .wait_text("#rows", "Arrived while away")
        .await
        .unwrap();
    rows(70).await.unwrap();
}

/// "Mark read on open" can be turned off (and stays off); "o" opens the first row.
#[tokio::test]
async fn opening_without_marking_read() {
    let setup = signed_in(&[]).await;
    let browser = &setup.browser;
    let mut check = setup.other_client().await;
    browser.click("#auto-read").await.unwrap();
    let newest = browser
        .client
        .execute(
            "return document.querySelector('#rows .row').dataset.uid",
            vec![],
        )
        .await
        .unwrap();
    let newest: String = serde_json::from_value(newest).unwrap();
    browser
        .client
        .find(Locator::Css("body"))
        .await
        .unwrap()
        .send_keys("o")
        .await
        .unwrap();
    browser
        .wait_text("#reader .subject", "Survey data")
        .await
        .unwrap();
    browser
        .wait_text("#reader .actions", "Mark read")
        .await
        .unwrap();
    check.ask("EXAMINE INBOX").await.unwrap();
    let flags = check
        .ask(&format!("UID FETCH {newest} FLAGS"))
        .await
        .unwrap();
    assert!(!flags.contains("\\Seen"), "{flags}");
    let kept = browser
        .client
        .execute("return localStorage.getItem('postern.auto-read')", vec![])
        .await
        .unwrap();
    assert_eq!(kept, serde_json::json!("off"));
}

/// A big folder opens as a virtual list: as tall as the folder, with only the rows
/// near the viewport in the page and fetched; a jump to the middle fetches that
/// stretch alone.
#[tokio::test]
async fn a_big_folder_is_a_virtual_list() {
    let big: Vec<Message> = (0..3000).map(|n| corpus::bulk(n, 300)).collect();
    let setup = setup(&big).await;
    let browser = &setup.browser;
    sign_in(browser, "plain", "imap", "alice-secret").await;
    browser
        .wait_text("#rows", "Bulk message 2999")
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", setup.server.log()));
    let in_page = || async {
        browser
            .client
            .find_all(Locator::Css("#rows .row"))
            .await
            .unwrap()
            .len()
    };
    assert!(
        in_page().await < 100,
        "{} rows in the page",
        in_page().await
    );
    let height = browser
        .client
        .execute(
            "return document.getElementById('rows').offsetHeight",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(height, serde_json::json!(3010 * 76));

    // Position 1499 from the newest is bulk message 1500 (10 older messages first).
    let before = setup.server.bytes_to_client();
    browser
        .client
        .execute(
            "const l = document.getElementById('list'); const r = document.getElementById('rows');\
             l.scrollTop = r.offsetTop + 1499 * 76 - 40;",
            vec![],
        )
        .await
        .unwrap();
    browser
        .wait_text("#rows", "Bulk message 1500")
        .await
        .unwrap();
    let jump = setup.server.bytes_to_client() - before;
    assert!(
        in_page().await < 100,
        "{} rows in the page",
        in_page().await
    );
    // Every summary would be over 1 MB; the stretch around the viewport is a fraction.
    assert!(jump < 200_000, "the jump moved {jump} bytes");
    browser.click("[data-uid=\"1511\"]").await.unwrap();
    browser
        .wait_text("#reader .subject", "Bulk message 1500")
        .await
        .unwrap();
}

/// Forwarding as an attachment sends the original whole; a message over the
/// server's SIZE is refused before sending, with the form kept.
#[tokio::test]
async fn forward_as_attachment_and_a_message_too_big() {
    let system = mail_system().await;
    let browser = &system.browser;
    browser
        .sign_in("plain", "imap", "alice", "alice-secret")
        .await;
    browser
        .wait_text("#rows", "Lunch on Friday?")
        .await
        .unwrap();
    browser
        .client
        .find(Locator::XPath(
            "//li[contains(@class,'row')][.//span[@class='subject' and text()='Lunch on Friday?']]",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait_text("#reader .subject", "Lunch on Friday?")
        .await
        .unwrap();
    browser
        .click("[data-compose=forward-attached]")
        .await
        .unwrap();
    let attached = browser
        .wait_text("#compose-attachments", "Lunch on Friday")
        .await
        .unwrap();
    assert!(attached.contains(".eml"), "{attached}");
    assert_eq!(
        field_value(browser, "#compose-subject").await,
        "Fwd: Lunch on Friday?"
    );
    browser
        .fill(&[
            ("#compose-from", "alice@postern.test"),
            ("#compose-to", "bob@postern.test"),
        ])
        .await;
    browser.click("#compose-send").await.unwrap();
    browser
        .wait_text("#connection", "Message sent.")
        .await
        .unwrap();
    let bob = system.dovecot.maildir("bob", "INBOX");
    let arrived = browser
        .wait_for(Duration::from_secs(20), |_| {
            let found = maildir_messages(&bob);
            async move { found.into_iter().next() }
        })
        .await
        .unwrap();
    let parts = postern_shared::reader::mime::parts(&arrived).unwrap();
    assert_eq!(parts.attachments.len(), 1, "{parts:?}");
    let forwarded = postern_shared::reader::mime::summarize(&parts.attachments[0].bytes, 1, 0);
    assert_eq!(forwarded.subject, "Lunch on Friday?");
    assert_eq!(forwarded.message_id.as_deref(), Some("<lunch@example.net>"));

    // Over Postfix's 10 MiB: refused before anything is sent, the message kept.
    write(browser).await;
    let big = system.downloads.path().join("big.bin");
    std::fs::write(&big, vec![7u8; 11 << 20]).unwrap();
    browser
        .fill(&[
            ("#compose-from", "alice@postern.test"),
            ("#compose-to", "bob@postern.test"),
            ("#compose-subject", "Too big"),
        ])
        .await;
    attach(browser, &big).await;
    browser.click("#compose-send").await.unwrap();
    let said = browser
        .wait_text("#compose-status", "accepts at most")
        .await
        .unwrap();
    assert!(said.contains("Not sent"), "{said}");
    assert_eq!(field_value(browser, "#compose-subject").await, "Too big");
    assert_eq!(maildir_messages(&bob).len(), 1, "nothing more arrived");
}

/// Clicking the open folder again replaces its live watcher; the old one's tunnel is
/// closed on purpose and must not be taken for a dropped connection (it was: a new
/// login about once a second, for ever).
#[tokio::test]
async fn reopening_the_open_folder_does_not_start_a_reconnect_loop() {
    let setup = signed_in(&[]).await;
    let browser = &setup.browser;
    let logins = || setup.dovecot.log().matches("Login: user=<alice>").count();
    // Let the watcher of the first opening sign in.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = logins();
    for _ in 0..3 {
        browser.click("[data-folder=\"INBOX\"]").await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    tokio::time::sleep(Duration::from_secs(8)).await;
    let after = logins();
    // One new watcher per click at most; a loop makes one more every second or so.
    assert!(
        after - before <= 3,
        "{} logins in 9 s after three clicks",
        after - before
    );
    let status = browser.text("#connection").await.unwrap_or_default();
    assert!(!status.contains("Reconnecting"), "{status}");
}

/// The user may choose which folder is the Trash (for servers that flag none, or the
/// wrong one); Delete then moves there. The choice is remembered in this browser.
#[tokio::test]
async fn the_trash_chosen_in_settings_is_where_delete_moves() {
    let setup = signed_in(&[]).await;
    let browser = &setup.browser;
    browser.click("#folder-roles").await.unwrap();
    browser
        .select("#folder-roles-dialog [data-role=\"trash\"]", "Archive")
        .await
        .unwrap();
    browser.click("#folder-roles-save").await.unwrap();
    browser
        .wait_text("#connection", "Folder roles saved")
        .await
        .unwrap();
    browser.click("[data-uid=\"1\"]").await.unwrap();
    browser
        .wait_text("#reader pre.text", "Shall we meet on Thursday")
        .await
        .unwrap();
    browser.click("[data-action=\"delete\"]").await.unwrap();
    let archive = setup.dovecot.maildir("alice", "Archive");
    let trash = setup.dovecot.maildir("alice", "Trash");
    browser
        .wait_for(Duration::from_secs(20), |_| {
            let moved = postern_tests::mail_store::message_files(&archive).len() == 1;
            async move { moved.then_some(()) }
        })
        .await
        .unwrap();
    assert!(postern_tests::mail_store::message_files(&trash).is_empty());
    // Shown with the Trash's icon in the pane.
    let icon = browser
        .text("[data-folder=\"Archive\"] .icon")
        .await
        .unwrap();
    assert_eq!(icon, "✖");
}

/// HTML mail is shown with its inline styles (allow-listed) and the frame's own
/// stylesheet: the page's CSP lets the message frame style itself, scripts stay off.
#[tokio::test]
async fn html_mail_keeps_its_inline_styles() {
    let styled = Message::new(
        [
            "From: Design <design@example.com>",
            "To: alice@example.org",
            "Subject: Styled newsletter",
            "Date: Sat, 07 Mar 2026 08:00:00 +0000",
            "MIME-Version: 1.0",
            "Content-Type: text/html; charset=utf-8",
            "",
            "<p style=\"color: rgb(200, 0, 0); position: fixed; top: 0\">Styled words</p>",
            "",
        ]
        .join("\r\n"),
    );
    let setup = signed_in(&[styled]).await;
    let browser = &setup.browser;
    browser.click("[data-uid=\"11\"]").await.unwrap();
    let frame = message_frame(browser).await;
    assert!(frame_text(browser, &frame).await.contains("Styled words"));
    let words = browser
        .client
        .find(Locator::XPath("//p[contains(., 'Styled words')]"))
        .await
        .unwrap();
    assert_eq!(
        words.css_value("color").await.unwrap(),
        "rgba(200, 0, 0, 1)"
    );
    assert_eq!(words.css_value("position").await.unwrap(), "static");
    let body = browser.client.find(Locator::Css("body")).await.unwrap();
    assert!(
        body.css_value("font-family")
            .await
            .unwrap()
            .contains("system-ui"),
        "the frame's own stylesheet applies"
    );
    browser.client.enter_parent_frame().await.unwrap();
}

/// The open folder's unread count comes from SEARCH UNSEEN: STATUS of the selected
/// folder is a client bug to servers (RFC 3501 §6.3.10; Dovecot answers
/// `[CLIENTBUG]`). Checked in what the page really sent (Dovecot's rawlog).
#[tokio::test]
async fn the_open_folder_is_never_asked_for_status() {
    let dovecot = Dovecot::start_with(postern_tests::dovecot::RECORD_IMAP).unwrap();
    dovecot.record_sessions("alice").unwrap();
    let setup = setup_on(dovecot, &[], &[]).await;
    let browser = &setup.browser;
    sign_in(browser, "plain", "imap", "alice-secret").await;
    browser.wait_text("#rows", "Survey data").await.unwrap();
    // An action refreshes the list and the counts.
    browser.click("[data-uid=\"2\"]").await.unwrap();
    browser
        .click("[data-action=\"toggle-flag\"]")
        .await
        .unwrap();
    browser
        .wait_for(Duration::from_secs(20), |c| async move {
            let row = c.find(Locator::Css("[data-uid=\"2\"]")).await.ok()?;
            let class = row.attr("class").await.ok()??;
            class.contains("flagged").then_some(())
        })
        .await
        .unwrap();
    // The record is complete once the sessions end.
    browser.click("#sign-out").await.unwrap();
    browser.wait_text("#login", "Sign in").await.unwrap();
    let sessions = browser
        .wait_for(Duration::from_secs(10), |_| {
            let sessions = setup.dovecot.client_commands("alice");
            let done = sessions.len() >= 2 && sessions.iter().all(|s| !s.is_empty());
            async move { done.then_some(sessions) }
        })
        .await
        .unwrap();
    for sent in &sessions {
        // Only what follows a SELECT of INBOX is about the open folder.
        let Some(at) = sent.find("SELECT INBOX") else {
            continue;
        };
        assert!(
            !sent[at..].contains("STATUS INBOX"),
            "STATUS of the selected folder:\n{sent}"
        );
    }
    assert!(
        sessions
            .iter()
            .any(|s| s.contains("SEARCH") && s.contains("UNSEEN")),
        "the open folder was counted another way: {sessions:?}"
    );
}

/// Reply all to a sender whose display name holds an address and a comma: the draft
/// has exactly the sender and the other recipient, once each, and the reader shows
/// the name quoted, so it cannot pass for two senders.
#[tokio::test]
async fn reply_all_keeps_hostile_names_as_one_address_each() {
    let tricky = Message::new(
        [
            "From: \"boss@corp.example, Mallory\" <mallory@evil.example>",
            "To: Alice <alice@postern.test>, \"Smith; Bob\" <bob@example.org>",
            "Subject: Urgent transfer",
            "Date: Sat, 07 Mar 2026 09:00:00 +0000",
            "Message-ID: <tricky@evil.example>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "",
            "Please act now.",
            "",
        ]
        .join("\r\n"),
    );
    let system = mail_system().await;
    system.dovecot.seed("alice", "INBOX", &[tricky]).unwrap();
    let browser = &system.browser;
    browser
        .sign_in("plain", "imap", "alice", "alice-secret")
        .await;
    browser.wait_text("#rows", "Urgent transfer").await.unwrap();
    browser.click("[data-uid=\"11\"]").await.unwrap();
    let shown = browser
        .wait_text("#reader", "Please act now.")
        .await
        .unwrap();
    assert!(
        shown.contains("\"boss@corp.example, Mallory\" <mallory@evil.example>"),
        "{shown}"
    );
    browser.click("[data-compose=reply-all]").await.unwrap();
    browser
        .wait_for(Duration::from_secs(10), |c| async move {
            c.find(Locator::Css("#compose-to")).await.ok()
        })
        .await
        .unwrap();
    let to = postern_shared::compose::parse_addresses(&field_value(browser, "#compose-to").await)
        .unwrap();
    let cc = postern_shared::compose::parse_addresses(&field_value(browser, "#compose-cc").await)
        .unwrap();
    let emails = |list: &[postern_shared::summary::Address]| {
        list.iter().map(|a| a.email.clone()).collect::<Vec<_>>()
    };
    assert_eq!(emails(&to), ["mallory@evil.example"]);
    assert_eq!(emails(&cc), ["bob@example.org"]);
}

/// An attachment name cannot disguise its extension with a direction override, and
/// a name of thousands of characters wraps inside the reader.
#[tokio::test]
async fn attachment_names_show_what_they_are() {
    let long = "x".repeat(3000);
    let message = Message::new(
        [
            "From: Billing <billing@example.com>",
            "To: alice@example.org",
            "Subject: Your invoice",
            "Date: Sat, 07 Mar 2026 10:00:00 +0000",
            "MIME-Version: 1.0",
            "Content-Type: multipart/mixed; boundary=\"b\"",
            "",
            "--b",
            "Content-Type: text/plain",
            "",
            "See attached.",
            "--b",
            "Content-Type: application/octet-stream",
            "Content-Disposition: attachment; filename*=utf-8''invoice%E2%80%AEgnp.exe",
            "Content-Transfer-Encoding: base64",
            "",
            "TVo=",
            "--b",
            "Content-Type: application/octet-stream",
            &format!("Content-Disposition: attachment; filename=\"{long}.bin\""),
            "Content-Transfer-Encoding: base64",
            "",
            "AAA=",
            "--b--",
            "",
        ]
        .join("\r\n"),
    );
    let setup = signed_in(&[message]).await;
    let browser = &setup.browser;
    browser.click("[data-uid=\"11\"]").await.unwrap();
    let listed = browser
        .wait_text("#reader .attachments", "invoice")
        .await
        .unwrap();
    assert!(listed.contains("invoice[U+202E]gnp.exe"), "{listed}");
    let widths = browser
        .client
        .execute(
            "const reader = document.querySelector('#reader').getBoundingClientRect().width;\
             const widest = Math.max(...Array.from(document.querySelectorAll('#reader .download'))\
                 .map(b => b.getBoundingClientRect().width));\
             return [reader, widest];",
            vec![],
        )
        .await
        .unwrap();
    let [reader, widest]: [f64; 2] = serde_json::from_value(widths).unwrap();
    assert!(
        widest <= reader,
        "an attachment {widest}px wide in a {reader}px reader"
    );
}

/// A part whose transfer encoding is damaged or unknown: the server refuses to decode
/// it (BINARY answers NO); the reader shows it as sent, decoded as far as possible,
/// and says what was wrong.
#[tokio::test]
async fn messages_with_broken_transfer_encoding_still_open() {
    let broken = |subject: &str, encoding: &str, body: &str| {
        Message::new(
            [
                "From: Old Mailer <old@example.com>",
                "To: alice@example.org",
                &format!("Subject: {subject}"),
                "Date: Sat, 07 Mar 2026 11:00:00 +0000",
                "MIME-Version: 1.0",
                "Content-Type: text/plain; charset=us-ascii",
                &format!("Content-Transfer-Encoding: {encoding}"),
                "",
                body,
                "",
            ]
            .join("\r\n"),
        )
    };
    let setup = signed_in(&[
        broken("Bad base64", "base64", "SGVsbG8gd29ybGQ=!!not*base64**"),
        broken("Unknown encoding", "x-made-up", "Readable words inside"),
    ])
    .await;
    let browser = &setup.browser;
    browser.click("[data-uid=\"12\"]").await.unwrap();
    browser
        .wait_text("#reader pre.text", "Readable words inside")
        .await
        .unwrap();
    browser
        .wait_text("#reader .body .note", "damaged")
        .await
        .unwrap();
    browser.click("[data-uid=\"11\"]").await.unwrap();
    browser
        .wait_text("#reader pre.text", "not*base64")
        .await
        .unwrap();
    // The note belongs to the message it was about; the status line holds no error.
    let said = browser.text("#connection").await.unwrap_or_default();
    assert_eq!(said, "Connected");
}

/// A message whose structure the parser cannot read is listed with the others and
/// still opens, from its source, with a note.
#[tokio::test]
async fn a_message_too_deep_to_describe_still_opens() {
    let setup = signed_in(&[corpus::deeply_nested(12)]).await;
    let browser = &setup.browser;
    browser
        .wait_text("#rows", "Fwd: Fwd: Fwd: deep")
        .await
        .unwrap();
    browser.click("[data-uid=\"11\"]").await.unwrap();
    let shown = browser
        .wait_text("#reader .body", "At the bottom.")
        .await
        .unwrap();
    assert!(shown.contains("could not be read"), "{shown}");
}
