//! Bulk data through the tunnel: byte-identical delivery, bounded server memory when
//! the browser stops reading, and draining on shutdown.

use std::time::Duration;

use postern_shared::tunnel::{CloseReason, Protocol};
use postern_tests::client::Tunnel;
use postern_tests::corpus::{self, Message};
use postern_tests::dovecot::Dovecot;
use postern_tests::server::{PosternServer, ServerConfig, upstream};

/// 12 messages of 4.5 MB: 54 MB in one FETCH.
fn seed_bulk(dovecot: &Dovecot) -> Vec<Message> {
    let messages: Vec<Message> = (0..12).map(|n| corpus::bulk(n, 4_500_000)).collect();
    dovecot.seed("alice", "INBOX", &messages).unwrap();
    messages
}

async fn logged_in(server: &PosternServer, upstream: &str) -> Tunnel {
    let mut tunnel = Tunnel::open(&server.tunnel_url(), upstream, Protocol::Imap)
        .await
        .unwrap();
    tunnel.read_line().await.unwrap();
    let login = tunnel.imap("l", "LOGIN alice alice-secret").await.unwrap();
    assert!(login.last().unwrap().starts_with("l OK"), "{login:?}");
    let select = tunnel.imap("s", "SELECT INBOX").await.unwrap();
    assert!(select.last().unwrap().starts_with("s OK"), "{select:?}");
    tunnel
}

/// Reads `* n FETCH (UID u BODY[] {size}` + literal + `)` for each message, in order.
async fn read_bodies(tunnel: &mut Tunnel, count: usize) -> Vec<Vec<u8>> {
    let mut bodies = Vec::new();
    while bodies.len() < count {
        let line = tunnel.read_line().await.unwrap();
        let Some(size) = line
            .strip_suffix('}')
            .and_then(|l| l.rsplit_once('{'))
            .and_then(|(_, n)| n.parse::<usize>().ok())
        else {
            continue; // an untagged response without a literal
        };
        bodies.push(tunnel.read_exact(size).await.unwrap());
        let rest = tunnel.read_line().await.unwrap();
        assert!(rest.ends_with(')'), "after the literal: {rest:?}");
    }
    bodies
}

#[tokio::test]
async fn fifty_megabytes_arrive_byte_identical_over_tls() {
    let dovecot = Dovecot::start().unwrap();
    let seeded = seed_bulk(&dovecot);
    let server = PosternServer::start(&ServerConfig::for_dovecot(&dovecot)).unwrap();
    let mut tunnel = logged_in(&server, upstream::IMPLICIT).await;

    tunnel
        .send(b"f UID FETCH 1:* (BODY.PEEK[])\r\n")
        .await
        .unwrap();
    let bodies = read_bodies(&mut tunnel, seeded.len()).await;
    let done = tunnel.read_line().await.unwrap();
    assert!(done.starts_with("f OK"), "{done}");

    let total: usize = bodies.iter().map(Vec::len).sum();
    assert!(total >= 50_000_000, "only {total} bytes");
    for (n, (body, message)) in bodies.iter().zip(&seeded).enumerate() {
        assert!(body == &message.raw, "message {n} differs");
    }
}

#[tokio::test]
async fn a_client_that_stops_reading_does_not_grow_the_server() {
    let dovecot = Dovecot::start().unwrap();
    let seeded = seed_bulk(&dovecot);
    let server = PosternServer::start(&ServerConfig::for_dovecot(&dovecot)).unwrap();
    let mut tunnel = logged_in(&server, upstream::PLAIN).await;
    let before = server.rss_bytes();

    tunnel
        .send(b"f UID FETCH 1:* (BODY.PEEK[])\r\n")
        .await
        .unwrap();
    // Read nothing while 54 MB wait upstream; sample the server as it would buffer.
    let mut peak = before;
    for _ in 0..30 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        peak = peak.max(server.rss_bytes());
    }
    let growth = peak.saturating_sub(before);
    eprintln!("server RSS {before} -> peak {peak} bytes while the client did not read");
    assert!(
        growth < 16 * 1024 * 1024,
        "the server grew by {growth} bytes while its client did not read"
    );

    // Nothing was lost on the way: the whole FETCH still arrives.
    let bodies = read_bodies(&mut tunnel, seeded.len()).await;
    assert_eq!(bodies.len(), seeded.len());
    assert!(bodies.iter().zip(&seeded).all(|(b, m)| b == &m.raw));
}

#[tokio::test]
async fn shutdown_drains_then_closes_with_a_reason() {
    let dovecot = Dovecot::start().unwrap();
    let mut server =
        PosternServer::start(&ServerConfig::for_dovecot(&dovecot).limit("shutdown_grace_secs", 1))
            .unwrap();
    let mut idle = logged_in(&server, upstream::IMPLICIT).await;
    let mut finishing = logged_in(&server, upstream::PLAIN).await;

    server.terminate();
    // During the grace period an open session keeps working and can end normally...
    let logout = finishing.imap("o", "LOGOUT").await.unwrap();
    assert!(logout.last().unwrap().starts_with("o OK"), "{logout:?}");
    let close = finishing.closed().await.expect("close frame");
    assert_eq!(close.reason.as_str(), CloseReason::UpstreamClosed.as_str());

    // ...and one still open when it ends is closed with a reason.
    let close = idle.closed().await.expect("close frame");
    assert_eq!(close.reason.as_str(), CloseReason::ServerShutdown.as_str());
    assert_eq!(u16::from(close.code), 1001);

    // Grace (1 s) plus the close flush (3 s) bound the exit.
    let status = server.wait_exit(Duration::from_secs(8));
    assert!(
        status.is_some_and(|s| s.success()),
        "exit: {status:?}\n{}",
        server.log()
    );
    // No new tunnels once it has gone.
    assert!(
        Tunnel::open(&server.tunnel_url(), upstream::PLAIN, Protocol::Imap)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn a_handshake_pending_at_shutdown_is_refused_with_its_code() {
    use postern_shared::tunnel::{ErrorCode, TunnelReply};
    use postern_tests::client;

    let dovecot = Dovecot::start().unwrap();
    let mut server = PosternServer::start(
        &ServerConfig::for_dovecot(&dovecot)
            .limit("shutdown_grace_secs", 1)
            .limit("handshake_timeout_secs", 30),
    )
    .unwrap();
    // Upgraded, but no tunnel request yet when the server is told to stop.
    let mut ws = client::connect(&server.tunnel_url(), None).await.unwrap();
    server.terminate();
    match client::read_reply(&mut ws).await.unwrap() {
        TunnelReply::Refused { error, .. } => assert_eq!(error, ErrorCode::ShuttingDown),
        accepted => panic!("{accepted:?}"),
    }
    let close = client::read_close(&mut ws).await.expect("close frame");
    assert_eq!(close.reason.as_str(), ErrorCode::ShuttingDown.as_str());
    assert!(server.wait_exit(Duration::from_secs(10)).is_some());
}
