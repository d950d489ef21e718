//! Postern behind the reverse proxies of `deploy/` (issue 14), each run from the
//! shipped site file with the test certificate: the page over HTTPS in headless
//! Chromium, a quiet IMAP IDLE longer than nginx's default 60 s proxy timeout, and
//! two instances behind one nginx, one of them drained while 200 tunnels are open.

use std::time::{Duration, Instant};

use fantoccini::Locator;
use postern_shared::tunnel::{CloseReason, Protocol};
use postern_tests::browser::Browser;
use postern_tests::certs::TestPki;
use postern_tests::client::{self, Tunnel};
use postern_tests::corpus;
use postern_tests::dovecot::Dovecot;
use postern_tests::proxies::{Caddy, Nginx, nginx_site, spki_hash};
use postern_tests::server::{PosternServer, ServerConfig, upstream};

/// An instance as the deployment docs configure it behind a proxy on this machine.
fn instance(dovecot: &Dovecot) -> PosternServer {
    PosternServer::start(
        &ServerConfig::for_dovecot(dovecot)
            .setting("trusted_proxies", "[\"127.0.0.1\"]")
            .limit("max_tunnels_per_ip", 500)
            .limit("shutdown_grace_secs", 3),
    )
    .unwrap()
}

/// A tunnel through the proxy at `url`, signed in.
async fn signed_in_through(url: &str, ca: &std::path::Path) -> Tunnel {
    let ws = client::connect_tls(url, ca).await.unwrap();
    let mut tunnel = Tunnel::handshake(ws, upstream::PLAIN, Protocol::Imap)
        .await
        .unwrap()
        .unwrap_or_else(|refused| panic!("{refused:?}"));
    tunnel.read_line().await.unwrap();
    let login = tunnel.imap("a", "LOGIN alice alice-secret").await.unwrap();
    assert!(login.last().unwrap().starts_with("a OK"), "{login:?}");
    tunnel
}

/// New mail in Alice's Inbox, appended by another client through `server`.
async fn deliver(server: &PosternServer, message: &[u8]) {
    let mut other = Tunnel::imap_signed_in(
        &server.tunnel_url(),
        upstream::PLAIN,
        "alice",
        "alice-secret",
    )
    .await
    .unwrap();
    let appended = other.imap_append("x", "INBOX", message).await.unwrap();
    assert!(appended.starts_with("x OK"), "{appended}");
}

/// A browser that trusts the test certificate (and no other), at the proxy's page,
/// signed in.
async fn browser_through(page: &str, pki: &TestPki) -> (Browser, tempfile::TempDir) {
    let trust = format!(
        "--ignore-certificate-errors-spki-list={}",
        spki_hash(&pki.cert_file).unwrap()
    );
    let downloads = tempfile::tempdir().unwrap();
    let browser = Browser::start_with(downloads.path(), &[&trust])
        .await
        .unwrap();
    browser.client.goto(page).await.unwrap();
    browser
        .wait_for(Duration::from_secs(20), |c| async move {
            c.find(Locator::Css("#upstream option")).await.ok()
        })
        .await
        .unwrap();
    browser
        .sign_in("plain", "imap", "alice", "alice-secret")
        .await;
    browser.wait_text("#rows", "Survey data").await.unwrap();
    (browser, downloads)
}

#[tokio::test]
async fn through_nginx_the_page_works_and_a_quiet_idle_outlasts_its_default_timeout() {
    // Dovecot's "* OK Still here" during IDLE would keep the connection from being
    // quiet: pushed past the test.
    let dovecot = Dovecot::start_with("imap_idle_notify_interval = 10 mins").unwrap();
    dovecot
        .seed("alice", "INBOX", &corpus::standard_mailbox())
        .unwrap();
    let pki_dir = tempfile::tempdir().unwrap();
    let pki = TestPki::create(pki_dir.path()).unwrap();
    let server = instance(&dovecot);
    let nginx = Nginx::start(&nginx_site(
        &[server.address],
        postern_tests::free_port(),
        &pki,
    ))
    .unwrap();

    // A quiet IDLE through nginx, for longer than nginx's default proxy_read_timeout.
    let mut idle = signed_in_through(&nginx.tunnel_url(), &pki.ca_file).await;
    let selected = idle.imap("s", "SELECT INBOX").await.unwrap();
    assert!(selected.last().unwrap().starts_with("s OK"), "{selected:?}");
    idle.send(b"i IDLE\r\n").await.unwrap();
    assert!(idle.read_line().await.unwrap().starts_with('+'));
    let idle_started = Instant::now();

    // Meanwhile the page, over HTTPS through the same nginx, in Chromium.
    let (browser, _downloads) = browser_through(&nginx.url("/"), &pki).await;
    browser.click("[data-uid=\"1\"]").await.unwrap();
    browser
        .wait_text("#reader pre.text", "Shall we meet on Thursday")
        .await
        .unwrap();
    // /metrics is not the public site's.
    let metrics = std::process::Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert"])
        .arg(&pki.ca_file)
        .arg(nginx.url("/metrics"))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&metrics.stdout), "404");
    browser.close().await;

    // Nothing crosses the tunnel for 70 s (reads that find nothing prove it).
    while idle_started.elapsed() < Duration::from_secs(70) {
        let left = Duration::from_secs(70).saturating_sub(idle_started.elapsed());
        if let Ok(Ok(line)) = tokio::time::timeout(left, idle.read_line()).await {
            panic!(
                "the IDLE was not quiet after {:?}: {line}",
                idle_started.elapsed()
            );
        }
    }
    deliver(
        &server,
        b"Subject: After the quiet\r\n\r\nStill listening.\r\n",
    )
    .await;
    let pushed = tokio::time::timeout(Duration::from_secs(15), idle.read_line())
        .await
        .expect("the IDLE still open after 70 s of silence")
        .unwrap();
    assert!(pushed.contains("EXISTS"), "{pushed}");
}

#[tokio::test]
async fn through_caddy_the_page_and_the_tunnel_work() {
    let dovecot = Dovecot::start().unwrap();
    let pki_dir = tempfile::tempdir().unwrap();
    let pki = TestPki::create(pki_dir.path()).unwrap();
    let server = instance(&dovecot);
    let caddy = Caddy::start(server.address, &pki).unwrap();
    let get = |path: &str| {
        let output = std::process::Command::new("curl")
            .args(["-s", "-w", "\n%{http_code} %{http_version}", "--cacert"])
            .arg(&pki.ca_file)
            .arg(caddy.url(path))
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let page = get("/");
    assert!(page.contains("<title>Postern</title>"), "{page}");
    assert!(page.ends_with("200 2"), "HTTP/2 to the browser: {page}");
    assert!(get("/metrics").ends_with("404 2"));
    let mut tunnel = signed_in_through(&caddy.tunnel_url(), &pki.ca_file).await;
    let noop = tunnel.imap("n", "NOOP").await.unwrap();
    assert!(noop.last().unwrap().starts_with("n OK"), "{noop:?}");
}

/// How many tunnels an instance has accepted, from its metrics.
fn tunnels_accepted(server: &PosternServer) -> u64 {
    server
        .metrics()
        .lines()
        .filter(|l| l.starts_with("postern_tunnels_total{"))
        .filter_map(|l| l.split_whitespace().last()?.parse::<u64>().ok())
        .sum()
}

#[tokio::test]
async fn two_instances_behind_nginx_and_one_drained() {
    let dovecot = Dovecot::start().unwrap();
    dovecot
        .seed("alice", "INBOX", &corpus::standard_mailbox())
        .unwrap();
    let pki_dir = tempfile::tempdir().unwrap();
    let pki = TestPki::create(pki_dir.path()).unwrap();
    let instances = [instance(&dovecot), instance(&dovecot)];
    let addresses = [instances[0].address, instances[1].address];
    let nginx = Nginx::start(&nginx_site(&addresses, postern_tests::free_port(), &pki)).unwrap();

    // A browser first; the instance that carries its session is the one drained.
    let (browser, _downloads) = browser_through(&nginx.url("/"), &pki).await;
    let browser_on: Vec<u64> = instances.iter().map(tunnels_accepted).collect();
    let victim = if browser_on[0] > 0 { 0 } else { 1 };
    let survivor = 1 - victim;

    // 200 tunnels through nginx, spread over both.
    let mut tunnels = Vec::new();
    for _ in 0..200 {
        let ws = client::connect_tls(&nginx.tunnel_url(), &pki.ca_file)
            .await
            .unwrap();
        let mut tunnel = Tunnel::handshake(ws, upstream::PLAIN, Protocol::Imap)
            .await
            .unwrap()
            .unwrap_or_else(|refused| panic!("{refused:?}"));
        assert!(tunnel.read_line().await.unwrap().starts_with("* OK"));
        tunnels.push(tunnel);
    }
    let before: Vec<u64> = instances.iter().map(tunnels_accepted).collect();
    let on_victim = before[victim] - browser_on[victim];
    assert!(on_victim > 50 && on_victim < 150, "{before:?}");

    let mut instances = instances;
    let asked = Instant::now();
    instances[victim].terminate();
    tokio::time::sleep(Duration::from_millis(300)).await;

    // (a) New sessions go to the other instance only.
    let mut fresh = Vec::new();
    for _ in 0..20 {
        let ws = client::connect_tls(&nginx.tunnel_url(), &pki.ca_file)
            .await
            .unwrap();
        let tunnel = Tunnel::handshake(ws, upstream::PLAIN, Protocol::Imap)
            .await
            .unwrap()
            .unwrap_or_else(|refused| panic!("a new session was refused: {refused:?}"));
        fresh.push(tunnel);
    }
    assert!(tunnels_accepted(&instances[survivor]) >= before[survivor] + 20);

    // (b) The drained instance's tunnels end with `server_shutdown` within the grace
    // period (3 s) and the close flush (3 s): all closed 7 s after SIGTERM; (d) the
    // others keep working.
    tokio::time::sleep(Duration::from_secs(7).saturating_sub(asked.elapsed())).await;
    let mut shut_down = 0;
    for tunnel in &mut tunnels {
        if let Ok(Some(close)) =
            tokio::time::timeout(Duration::from_millis(100), tunnel.closed()).await
        {
            assert_eq!(close.reason.as_str(), CloseReason::ServerShutdown.as_str());
            shut_down += 1;
        }
    }
    assert_eq!(shut_down as u64, on_victim);
    for tunnel in tunnels.iter_mut().filter(|t| t.close.is_none()) {
        let noop = tunnel.imap("m", "NOOP").await.unwrap();
        assert!(noop.last().unwrap().starts_with("m OK"), "{noop:?}");
    }
    assert!(
        instances[victim]
            .wait_exit(Duration::from_secs(10))
            .is_some()
    );

    // (c) The browser, whose session was on the drained instance, reconnects through
    // nginx by itself: new mail shows live, and reading works.
    deliver(
        &instances[survivor],
        b"From: Ivan <ivan@example.org>\r\nSubject: After the drain\r\n\r\nHello.\r\n",
    )
    .await;
    browser.wait_text("#rows", "After the drain").await.unwrap();
    browser.wait_text("#connection", "Connected").await.unwrap();
    browser.click("[data-uid=\"1\"]").await.unwrap();
    browser
        .wait_text("#reader pre.text", "Shall we meet on Thursday")
        .await
        .unwrap();
    browser.close().await;
}

/// The systemd unit loads cleanly, and its sandbox scores as systemd rates it
/// (`systemd-analyze security`, offline: 0 is a fully locked down service, 10 an
/// unprotected one).
#[test]
fn the_systemd_unit_verifies_and_is_sandboxed() {
    let dir = tempfile::tempdir().unwrap();
    let unit = dir.path().join("postern.service");
    let shipped =
        std::fs::read_to_string(postern_tests::repo_root().join("deploy/systemd/postern.service"))
            .unwrap();
    // The binary where the unit expects it is this build's.
    std::fs::write(
        &unit,
        shipped.replace(
            "/usr/local/bin/postern-server",
            &PosternServer::binary().display().to_string(),
        ),
    )
    .unwrap();
    let verify = std::process::Command::new("systemd-analyze")
        .arg("verify")
        .arg(&unit)
        .output()
        .unwrap();
    assert!(
        verify.status.success() && verify.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    let security = std::process::Command::new("systemd-analyze")
        .args(["security", "--offline=yes", "--no-pager"])
        .arg(&unit)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&security.stdout);
    let score: f64 = report
        .lines()
        .find_map(|l| l.split("exposure level for postern.service: ").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{report}"));
    println!("systemd-analyze security: exposure {score}");
    assert!(score <= 2.0, "{report}");
}
