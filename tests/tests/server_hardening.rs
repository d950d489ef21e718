//! The server against clients from the internet (issue 14): slow and stuck HTTP
//! clients, shutdown whatever they do, `/healthz` and `/readyz`, forwarded client
//! addresses believed only from trusted proxies, `/metrics` kept private, built-in
//! TLS reloaded on SIGHUP, and the page served from the executable itself.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use postern_shared::tunnel::{CloseReason, ErrorCode, Protocol};
use postern_tests::certs::TestPki;
use postern_tests::client::{self, Tunnel};
use postern_tests::dovecot::Dovecot;
use postern_tests::repo_root;
use postern_tests::server::{PosternServer, ServerConfig, upstream};

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// Sends `bytes` on a new connection and returns it, without reading.
fn raw(server: &PosternServer, bytes: &[u8]) -> TcpStream {
    let mut stream = TcpStream::connect(server.address).unwrap();
    stream.write_all(bytes).unwrap();
    stream
}

/// Whether the server closed `stream` (reads to the end, up to `limit`).
fn closed_within(stream: &mut TcpStream, limit: Duration) -> bool {
    stream.set_read_timeout(Some(limit)).unwrap();
    let mut sink = Vec::new();
    match stream.read_to_end(&mut sink) {
        Ok(_) => true,
        Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
    }
}

#[tokio::test]
async fn sigterm_ends_the_process_whatever_http_clients_do() {
    let dovecot = Dovecot::start().unwrap();
    let mut server = PosternServer::start(
        &ServerConfig::for_dovecot(&dovecot)
            .limit("shutdown_grace_secs", 1)
            .limit("header_read_timeout_secs", 600)
            .limit("send_timeout_secs", 600),
    )
    .unwrap();
    // Half a request, never finished.
    let _half = raw(&server, b"GET / HTTP/1.1\r\nHost: postern.test\r\nX-Slow: ");
    // A client that asks for the bundle and stops reading.
    let _stalled = raw(
        &server,
        b"GET /pkg/postern_web_bg.wasm HTTP/1.1\r\nHost: postern.test\r\n\r\n",
    );
    // An open tunnel.
    let mut tunnel = Tunnel::open(&server.tunnel_url(), upstream::PLAIN, Protocol::Imap)
        .await
        .unwrap();
    tunnel.read_line().await.unwrap();

    std::thread::sleep(Duration::from_millis(300));
    let asked = Instant::now();
    server.terminate();
    let close = tunnel.closed().await.expect("a close frame");
    assert_eq!(close.reason.as_str(), CloseReason::ServerShutdown.as_str());
    // Grace (1 s) + close flush (3 s) + the HTTP connections' last chance (3 s).
    let status = server.wait_exit(Duration::from_secs(12));
    assert!(
        status.is_some(),
        "still running {:?} after SIGTERM\n{}",
        asked.elapsed(),
        server.log()
    );
}

#[tokio::test]
async fn slow_and_idle_http_clients_are_cut_off() {
    let dovecot = Dovecot::start().unwrap();
    let server = PosternServer::start(
        &ServerConfig::for_dovecot(&dovecot)
            .limit("header_read_timeout_secs", 1)
            .limit("send_timeout_secs", 2),
    )
    .unwrap();
    // A request head that trickles in is cut off by the header timeout (without
    // it, the read below would wait its whole 10 s and fail).
    let mut trickle = raw(&server, b"GET / HTTP/1.1\r\n");
    assert!(closed_within(&mut trickle, Duration::from_secs(10)));

    // Three connections waiting for their request head are all there may be: a
    // fourth is closed at once (the header timeout here is ten minutes, so only the
    // cap can close it), while a finished request is still served.
    let capped = PosternServer::start(
        &ServerConfig::for_dovecot(&dovecot)
            .limit("header_read_timeout_secs", 600)
            .limit("max_unfinished_requests", 3),
    )
    .unwrap();
    let waiting: Vec<TcpStream> = (0..3).map(|_| raw(&capped, b"GE")).collect();
    std::thread::sleep(Duration::from_millis(200));
    let mut fourth = raw(&capped, b"");
    assert!(closed_within(&mut fourth, Duration::from_secs(5)));
    // Once they go, their places are free again (as soon as the server sees them
    // close).
    drop(waiting);
    let served = (0..50).any(|_| {
        std::thread::sleep(Duration::from_millis(100));
        agent()
            .get(&capped.http_url("/healthz"))
            .call()
            .is_ok_and(|r| r.status() == 200)
    });
    assert!(served);

    // A kept-alive connection with nothing to do is closed when the next request
    // head does not come within the header timeout.
    let mut kept = raw(
        &server,
        b"GET /healthz HTTP/1.1\r\nHost: postern.test\r\n\r\n",
    );
    let mut answer = [0u8; 512];
    let n = kept.read(&mut answer).unwrap();
    assert!(String::from_utf8_lossy(&answer[..n]).starts_with("HTTP/1.1 200"));
    assert!(closed_within(&mut kept, Duration::from_secs(10)));

    // A client that asks for the bundle and stops reading is dropped once the
    // server's writes have been blocked for the send timeout.
    let mut stalled = raw(
        &server,
        b"GET /pkg/postern_web_bg.wasm HTTP/1.1\r\nHost: postern.test\r\n\r\n",
    );
    std::thread::sleep(Duration::from_secs(5));
    assert!(closed_within(&mut stalled, Duration::from_secs(2)));
}

#[tokio::test]
async fn readiness_turns_off_at_shutdown_while_health_stays() {
    let dovecot = Dovecot::start().unwrap();
    let mut server = PosternServer::start(
        &ServerConfig::for_dovecot(&dovecot)
            .limit("shutdown_delay_secs", 3)
            .limit("shutdown_grace_secs", 1),
    )
    .unwrap();
    let get = |path: &str| agent().get(&server.http_url(path)).call().unwrap().status();
    assert_eq!(get("/healthz"), 200);
    assert_eq!(get("/readyz"), 200);
    server.terminate();
    std::thread::sleep(Duration::from_millis(500));
    // Still accepting during the delay, but not ready: new tunnels go elsewhere.
    assert_eq!(get("/readyz"), 503);
    assert_eq!(get("/healthz"), 200);
    let refused = Tunnel::try_open(&server.tunnel_url(), None, upstream::PLAIN, Protocol::Imap)
        .await
        .unwrap()
        .err()
        .expect("refused while draining");
    assert_eq!(refused.code, ErrorCode::ShuttingDown);
    assert!(server.wait_exit(Duration::from_secs(12)).is_some());
}

/// Opens a tunnel as if forwarded for `client` by a proxy.
async fn forwarded_tunnel(server: &PosternServer, client: &str) -> Result<Tunnel, client::Refused> {
    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;

    let mut request = server.tunnel_url().into_client_request().unwrap();
    request
        .headers_mut()
        .insert("X-Forwarded-For", client.parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let handshake = postern_shared::tunnel::TunnelRequest {
        upstream: upstream::PLAIN.into(),
        protocol: Protocol::Imap,
    };
    ws.send(Message::text(handshake.to_json())).await.unwrap();
    match client::read_reply(&mut ws).await.unwrap() {
        postern_shared::tunnel::TunnelReply::Accepted { .. } => Ok(Tunnel::from_socket(ws)),
        postern_shared::tunnel::TunnelReply::Refused { error, message } => Err(client::Refused {
            code: error,
            message,
            close: None,
        }),
    }
}

#[tokio::test]
async fn forwarded_addresses_count_only_from_trusted_proxies() {
    let dovecot = Dovecot::start().unwrap();
    let trusting = PosternServer::start(
        &ServerConfig::for_dovecot(&dovecot)
            .limit("max_tunnels_per_ip", 1)
            .setting("trusted_proxies", "[\"127.0.0.1\"]"),
    )
    .unwrap();
    // Behind a trusted proxy, two clients are two clients...
    let _first = forwarded_tunnel(&trusting, "203.0.113.1").await.unwrap();
    let _second = forwarded_tunnel(&trusting, "203.0.113.2").await.unwrap();
    // ...and one client is limited as one, whichever proxy hop it came through.
    let again = forwarded_tunnel(&trusting, "203.0.113.1")
        .await
        .err()
        .unwrap();
    assert_eq!(again.code, ErrorCode::TooManyConnections);
    assert!(trusting.log().contains("203.0.113.2"), "{}", trusting.log());

    // Without trusted proxies, the header is the client's own claim: ignored.
    let plain =
        PosternServer::start(&ServerConfig::for_dovecot(&dovecot).limit("max_tunnels_per_ip", 1))
            .unwrap();
    let _first = forwarded_tunnel(&plain, "203.0.113.1").await.unwrap();
    let spoofed = forwarded_tunnel(&plain, "203.0.113.2").await.err().unwrap();
    assert_eq!(spoofed.code, ErrorCode::TooManyConnections);
}

#[test]
fn metrics_stay_private() {
    let dovecot = Dovecot::start().unwrap();
    // On `[::]`, an IPv4 client on loopback arrives as ::ffff:127.0.0.1: still loopback.
    let dual = PosternServer::start(&ServerConfig {
        listen: Some("[::]:0".into()),
        ..ServerConfig::for_dovecot(&dovecot)
    })
    .unwrap();
    let url = format!("http://127.0.0.1:{}/metrics", dual.address.port());
    assert_eq!(agent().get(&url).call().unwrap().status(), 200);
    // A request that came through a proxy is not the machine itself.
    let proxied = agent()
        .get(&url)
        .header("X-Forwarded-For", "203.0.113.9")
        .call()
        .unwrap();
    assert_eq!(proxied.status(), 403);

    // With a listen address of their own, metrics are there and only there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let separate = PosternServer::start(
        &ServerConfig::for_dovecot(&dovecot)
            .setting("metrics_listen", format!("\"127.0.0.1:{port}\"")),
    )
    .unwrap();
    let main = agent().get(&separate.http_url("/metrics")).call().unwrap();
    assert_eq!(main.status(), 404);
    let own = agent()
        .get(&format!("http://127.0.0.1:{port}/metrics"))
        .call()
        .unwrap();
    assert_eq!(own.status(), 200);
    assert!(
        own.into_body()
            .read_to_string()
            .unwrap()
            .contains("postern_")
    );
}

/// The certificate the server at `port` presents, if it is one `ca_file` vouches
/// for under the name `localhost`.
async fn certificate_from(port: u16, ca_file: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, ServerName};

    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from_pem_file(ca_file)?)?;
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    let stream = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost")?, tcp)
        .await?;
    let (_, session) = stream.get_ref();
    Ok(session
        .peer_certificates()
        .and_then(|c| c.first())
        .map(|c| c.to_vec())
        .unwrap_or_default())
}

#[tokio::test]
async fn built_in_tls_is_read_again_on_sighup() {
    let dovecot = Dovecot::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let first = TestPki::create(&dir.path().join("first")).unwrap();
    let second = TestPki::create(&dir.path().join("second")).unwrap();
    let live_cert = dir.path().join("live-cert.pem");
    let live_key = dir.path().join("live-key.pem");
    std::fs::copy(&first.cert_file, &live_cert).unwrap();
    std::fs::copy(&first.key_file, &live_key).unwrap();
    let server = PosternServer::start(
        &ServerConfig::for_dovecot(&dovecot)
            .setting("tls_certificate", format!("{live_cert:?}"))
            .setting("tls_key", format!("{live_key:?}")),
    )
    .unwrap();
    let port = server.address.port();
    certificate_from(port, &first.ca_file).await.unwrap();
    // The page over HTTPS, from the built-in listener.
    assert!(certificate_from(port, &second.ca_file).await.is_err());

    // New files; nothing changes until SIGHUP.
    std::fs::copy(&second.cert_file, &live_cert).unwrap();
    std::fs::copy(&second.key_file, &live_key).unwrap();
    certificate_from(port, &first.ca_file).await.unwrap();
    server.hang_up();
    let mut reloaded = false;
    for _ in 0..50 {
        if certificate_from(port, &second.ca_file).await.is_ok() {
            reloaded = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(reloaded, "{}", server.log());
    assert!(certificate_from(port, &first.ca_file).await.is_err());

    // A broken file on SIGHUP leaves the working certificate in place.
    std::fs::write(&live_key, "not a key").unwrap();
    server.hang_up();
    tokio::time::sleep(Duration::from_millis(500)).await;
    certificate_from(port, &second.ca_file).await.unwrap();
    assert!(
        server.log().contains("TLS files not reloaded"),
        "{}",
        server.log()
    );
}

#[test]
fn the_executable_carries_the_page() {
    let dovecot = Dovecot::start().unwrap();
    // A copy of the binary alone in an empty directory, with a config that names no
    // page on disk.
    let dir = tempfile::tempdir().unwrap();
    let binary = dir.path().join("postern-server");
    std::fs::copy(PosternServer::binary(), &binary).unwrap();
    let config = dir.path().join("postern.toml");
    let mut settings = ServerConfig::for_dovecot(&dovecot).to_toml();
    settings = settings
        .lines()
        .filter(|l| {
            !(l.starts_with("index_file")
                || l.starts_with("pkg_dir")
                || l.starts_with("static_dir")
                || l.starts_with("assets"))
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&config, settings).unwrap();
    let mut child = std::process::Command::new(&binary)
        .arg("--config")
        .arg(&config)
        .current_dir(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let base = line
        .trim()
        .strip_prefix("postern-server listening on ")
        .unwrap()
        .trim_end_matches('/')
        .to_owned();

    let page = agent().get(&format!("{base}/")).call().unwrap();
    assert_eq!(page.status(), 200);
    let on_disk = std::fs::read_to_string(repo_root().join("index.html")).unwrap();
    assert_eq!(page.into_body().read_to_string().unwrap(), on_disk);

    // The bundle, compressed at build time, by what the browser accepts.
    let wasm = format!("{base}/pkg/postern_web_bg.wasm");
    for encoding in ["br", "gzip"] {
        let response = agent()
            .get(&wasm)
            .header("Accept-Encoding", encoding)
            .call()
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers().get("content-encoding").unwrap(),
            encoding
        );
        assert_eq!(
            response.headers().get("content-type").unwrap(),
            "application/wasm"
        );
        assert_eq!(response.headers().get("cache-control").unwrap(), "no-cache");
    }
    let plain = agent()
        .get(&wasm)
        .header("Accept-Encoding", "identity")
        .call()
        .unwrap();
    let etag = plain
        .headers()
        .get("etag")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(plain.headers().get("content-encoding").is_none());
    let bytes = plain
        .into_body()
        .with_config()
        .limit(64 << 20)
        .read_to_vec()
        .unwrap();
    assert_eq!(&bytes[..4], b"\0asm");
    // A second visit costs a 304 and no body.
    let again = agent()
        .get(&wasm)
        .header("If-None-Match", &etag)
        .call()
        .unwrap();
    assert_eq!(again.status(), 304);
    let missing = agent()
        .get(&format!("{base}/pkg/nothing.js"))
        .call()
        .unwrap();
    assert_eq!(missing.status(), 404);
    let _ = child.kill();
    let _ = child.wait();

    // And it says what it is.
    let version = std::process::Command::new(&binary)
        .arg("--version")
        .output()
        .unwrap();
    let version = String::from_utf8(version.stdout).unwrap();
    assert!(
        version.starts_with("postern-server 0.1.0 (commit "),
        "{version}"
    );
}
