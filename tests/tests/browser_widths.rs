//! The page at phone, tablet and desk widths (issue 12, the layout part): no screen
//! scrolls sideways or has a serious accessibility violation (axe-core), the header
//! keeps Sign out in view, the search box stays usable, and the selection bar shows
//! only while something is selected.

use std::time::Duration;

use fantoccini::Locator;
use postern_tests::browser::Browser;
use postern_tests::corpus;
use postern_tests::dovecot::Dovecot;
use postern_tests::server::{PosternServer, ServerConfig};

/// How far the document scrolls sideways beyond the window, in CSS pixels.
async fn sideways_overflow(browser: &Browser) -> i64 {
    browser
        .client
        .execute(
            "return document.documentElement.scrollWidth - window.innerWidth;",
            vec![],
        )
        .await
        .unwrap()
        .as_i64()
        .unwrap_or(i64::MAX)
}

/// The box of the first element matching `css`, as `[left, right, width, height]`
/// in CSS pixels; `None` when nothing matches or it is not displayed.
async fn rect(browser: &Browser, css: &str) -> Option<[f64; 4]> {
    let answer = browser
        .client
        .execute(
            "const e = document.querySelector(arguments[0]);\
             if (!e || e.offsetParent === null) return null;\
             const r = e.getBoundingClientRect();\
             return [r.left, r.right, r.width, r.height];",
            vec![serde_json::json!(css)],
        )
        .await
        .ok()?;
    let values: Vec<f64> = answer
        .as_array()?
        .iter()
        .filter_map(|v| v.as_f64())
        .collect();
    values.try_into().ok()
}

async fn inner_width(browser: &Browser) -> f64 {
    browser
        .client
        .execute("return window.innerWidth;", vec![])
        .await
        .unwrap()
        .as_f64()
        .unwrap()
}

/// What axe-core (from `scripts/setup.sh`) finds serious or critical on the page as
/// it is, one line per rule: its id, how many elements, the first two.
async fn accessibility_violations(browser: &Browser) -> Vec<String> {
    let loaded = browser
        .client
        .execute("return typeof axe !== 'undefined';", vec![])
        .await
        .unwrap();
    if loaded.as_bool() != Some(true) {
        let axe = std::fs::read_to_string(
            postern_tests::tools_dir().join("node_modules/axe-core/axe.min.js"),
        )
        .expect("axe-core, installed by scripts/setup.sh");
        browser
            .client
            .execute(&format!("{axe}\nreturn true;"), vec![])
            .await
            .unwrap();
    }
    let found = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];\
             axe.run(document, { resultTypes: ['violations'] }).then(r => done(r.violations\
               .filter(v => v.impact === 'serious' || v.impact === 'critical')\
               .map(v => v.id + ' (' + v.nodes.length + '): ' + v.nodes.slice(0, 2)\
                 .map(n => n.target.join(' ')).join(' | '))));",
            vec![],
        )
        .await
        .unwrap();
    found
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// A screenshot of the screen, and what is wrong with it: sideways scrolling,
/// serious accessibility violations.
async fn screen_fits(browser: &Browser, width: &str, screen: &str) -> Vec<String> {
    browser
        .screenshot(&format!("width-{width}-{screen}.png"))
        .await
        .unwrap();
    let mut problems = Vec::new();
    let overflow = sideways_overflow(browser).await;
    if overflow > 0 {
        problems.push(format!("{width} {screen}: scrolls {overflow}px sideways"));
    }
    for violation in accessibility_violations(browser).await {
        problems.push(format!("{width} {screen}: axe: {violation}"));
    }
    problems
}

#[tokio::test]
async fn every_screen_fits_phone_tablet_and_desk() {
    let dovecot = Dovecot::start().unwrap();
    dovecot
        .seed("alice", "INBOX", &corpus::standard_mailbox())
        .unwrap();
    let postfix = postern_tests::postfix::Postfix::start(&dovecot).unwrap();
    let server = PosternServer::start(&ServerConfig::mail_system(&dovecot, &postfix)).unwrap();
    let downloads = tempfile::tempdir().unwrap();
    let browser = Browser::start(downloads.path()).await.unwrap();
    let mut problems = Vec::new();
    for (width, name) in [(360u32, "phone"), (768, "tablet"), (1280, "desk")] {
        browser.client.set_window_size(width, 800).await.unwrap();
        browser.client.goto(&server.http_url("/")).await.unwrap();
        browser
            .wait_for(Duration::from_secs(20), |c| async move {
                c.find(Locator::Css("#upstream option")).await.ok()
            })
            .await
            .unwrap();
        let window = inner_width(&browser).await;
        problems.extend(screen_fits(&browser, name, "login").await);
        browser
            .sign_in("plain", "imap", "alice", "alice-secret")
            .await;
        browser.wait_text("#rows", "Survey data").await.unwrap();
        problems.extend(screen_fits(&browser, name, "inbox").await);

        // Sign out stays on screen; the search box is wide enough to type in.
        match rect(&browser, "#sign-out").await {
            Some([_, right, ..]) if right <= window => {}
            other => problems.push(format!("{name}: Sign out at {other:?} in {window}px")),
        }
        match rect(&browser, "#search-box").await {
            Some([_, _, box_width, _]) if box_width >= 120.0 => {}
            other => problems.push(format!("{name}: search box {other:?}")),
        }
        // This year's mail by day and month (the corpus is dated March 2026), the
        // full date on hover.
        let date = browser
            .client
            .execute(
                "const d = document.querySelector('[data-uid=\"1\"] .date');\
                 return [d.textContent, d.title];",
                vec![],
            )
            .await
            .unwrap();
        let shown = date[0].as_str().unwrap_or_default();
        let full = date[1].as_str().unwrap_or_default();
        if shown.contains("2026") || !shown.contains("Mar") || !full.contains("2026") {
            problems.push(format!("{name}: the date reads {shown:?} ({full:?})"));
        }
        // The Inbox's unread count is in the tab's title.
        let title = browser.client.title().await.unwrap();
        if !title.starts_with('(') || !title.ends_with(") Postern") {
            problems.push(format!("{name}: the title is {title:?}"));
        }
        // The selection bar shows only while something is selected.
        if rect(&browser, "#selection").await.is_some() {
            problems.push(format!(
                "{name}: the selection bar shows with nothing selected"
            ));
        }
        browser.click("[data-uid=\"2\"] .pick").await.unwrap();
        browser.wait_text("#selection", "1 selected").await.unwrap();
        problems.extend(screen_fits(&browser, name, "selection").await);
        browser.click("[data-bulk=clear]").await.unwrap();
        browser
            .wait_for(Duration::from_secs(10), |_| async {
                rect(&browser, "#selection").await.is_none().then_some(())
            })
            .await
            .unwrap();

        browser.click("[data-uid=\"1\"]").await.unwrap();
        browser
            .wait_text("#reader pre.text", "Shall we meet on Thursday")
            .await
            .unwrap();
        problems.extend(screen_fits(&browser, name, "message").await);
        if name == "phone" {
            // One pane at a time: the message alone, and Back (the browser's) returns
            // to the list; the list's Folders button shows the folders, and picking
            // one returns to its list; the page's Back button works too.
            if rect(&browser, "#rows").await.is_some() {
                problems.push("phone: the list shows beside the message".into());
            }
            browser.client.back().await.unwrap();
            browser
                .wait_for(Duration::from_secs(10), |_| async {
                    (rect(&browser, "#rows").await.is_some()
                        && rect(&browser, "#reader").await.is_none())
                    .then_some(())
                })
                .await
                .expect("Back returns to the list");
            browser.click("#pane-folders").await.unwrap();
            browser
                .wait_for(Duration::from_secs(10), |_| async {
                    (rect(&browser, "#folders").await.is_some()
                        && rect(&browser, "#rows").await.is_none())
                    .then_some(())
                })
                .await
                .expect("the folders alone");
            problems.extend(screen_fits(&browser, name, "folders").await);
            browser.click("#pane-back").await.unwrap();
            browser
                .wait_for(Duration::from_secs(10), |_| async {
                    rect(&browser, "#rows").await.is_some().then_some(())
                })
                .await
                .expect("the page's Back returns to the list");
            browser.click("[data-uid=\"1\"]").await.unwrap();
            browser
                .wait_text("#reader pre.text", "Shall we meet")
                .await
                .unwrap();
        }
        browser.click("[data-compose=reply]").await.unwrap();
        browser
            .wait_for(Duration::from_secs(10), |c| async move {
                c.find(Locator::Css("#compose-to")).await.ok()
            })
            .await
            .unwrap();
        problems.extend(screen_fits(&browser, name, "compose").await);
        browser.click("#sign-out").await.unwrap();
        browser.wait_text("#login", "Sign in").await.unwrap();
    }
    browser.close().await;
    assert!(problems.is_empty(), "{problems:#?}");
}
