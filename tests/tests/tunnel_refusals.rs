//! Every way the tunnel says no, with its stable code, and every way an accepted tunnel
//! is closed by the server, with its reason.

use std::time::Duration;

use futures_util::SinkExt;
use postern_shared::tunnel::{CloseReason, ErrorCode, Protocol};
use postern_tests::client::{self, Refused, Tunnel};
use postern_tests::dovecot::Dovecot;
use postern_tests::server::{PosternServer, ServerConfig, upstream};
use tokio_tungstenite::tungstenite::{Bytes, Message};

fn start(config: impl FnOnce(ServerConfig) -> ServerConfig) -> (Dovecot, PosternServer) {
    let dovecot = Dovecot::start().expect("dovecot starts");
    let server =
        PosternServer::start(&config(ServerConfig::for_dovecot(&dovecot))).expect("server starts");
    (dovecot, server)
}

async fn refused(
    server: &PosternServer,
    origin: Option<&str>,
    upstream: &str,
    protocol: Protocol,
) -> Refused {
    match Tunnel::try_open(&server.tunnel_url(), origin, upstream, protocol)
        .await
        .expect("the WebSocket opens")
    {
        Ok(_) => panic!("{upstream}/{protocol} was accepted"),
        Err(refused) => refused,
    }
}

fn assert_refusal(refused: &Refused, code: ErrorCode) {
    assert_eq!(refused.code, code, "{refused:?}");
    assert!(!refused.message.is_empty());
    let close = refused
        .close
        .as_ref()
        .expect("a close frame follows the refusal");
    assert_eq!(u16::from(close.code), 1008);
    assert_eq!(close.reason.as_str(), code.as_str());
}

/// Sends a raw first frame and returns the refusal.
async fn refused_first_frame(server: &PosternServer, first: Option<Message>) -> Refused {
    let mut ws = client::connect(&server.tunnel_url(), None).await.unwrap();
    if let Some(first) = first {
        ws.send(first).await.unwrap();
    }
    match client::read_reply(&mut ws).await.unwrap() {
        postern_shared::tunnel::TunnelReply::Refused { error, message } => Refused {
            code: error,
            message,
            close: client::read_close(&mut ws).await,
        },
        accepted => panic!("accepted: {accepted:?}"),
    }
}

#[tokio::test]
async fn unknown_upstream_and_protocol_not_offered() {
    let (_dovecot, server) = start(|c| c);
    let r = refused(&server, None, "nowhere", Protocol::Imap).await;
    assert_refusal(&r, ErrorCode::UnknownUpstream);
    let r = refused(&server, None, upstream::IMAP_ONLY, Protocol::Pop3).await;
    assert_refusal(&r, ErrorCode::ProtocolNotOffered);
    let r = refused(&server, None, upstream::PLAIN, Protocol::Smtp).await;
    assert_refusal(&r, ErrorCode::ProtocolNotOffered);

    let text = server.metrics();
    assert!(
        text.contains(r#"postern_tunnel_refusals_total{code="unknown_upstream"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(r#"postern_tunnel_refusals_total{code="protocol_not_offered"} 2"#),
        "{text}"
    );
}

#[tokio::test]
async fn malformed_or_missing_first_frames() {
    let (_dovecot, server) = start(|c| c.limit("handshake_timeout_secs", 1));
    let cases = [
        Some(Message::text("not json")),
        Some(Message::text(r#"{"upstream":"plain"}"#)),
        Some(Message::text(r#"{"upstream":"plain","protocol":"ftp"}"#)),
        // The contract has no host or port: a request naming one is refused whole.
        Some(Message::text(
            r#"{"upstream":"plain","protocol":"imap","host":"10.0.0.1","port":25}"#,
        )),
        Some(Message::Binary(Bytes::from_static(b"a1 LOGIN alice x\r\n"))),
        // The fields in order, as an array: not the contract's object.
        Some(Message::text(r#"["plain","imap"]"#)),
        None, // nothing at all: the handshake timeout ends it
    ];
    for first in cases {
        let r = refused_first_frame(&server, first).await;
        assert_refusal(&r, ErrorCode::BadRequest);
    }
}

#[tokio::test]
async fn foreign_origin_is_refused_and_own_origin_accepted() {
    let (_dovecot, server) = start(|c| c);
    let r = refused(
        &server,
        Some("https://evil.example"),
        upstream::PLAIN,
        Protocol::Imap,
    )
    .await;
    assert_refusal(&r, ErrorCode::ForbiddenOrigin);
    let own = server.origin();
    let ok = Tunnel::try_open(
        &server.tunnel_url(),
        Some(&own),
        upstream::PLAIN,
        Protocol::Imap,
    )
    .await
    .unwrap();
    assert!(ok.is_ok(), "own origin refused: {:?}", ok.err());
}

#[tokio::test]
async fn configured_origins_replace_the_default() {
    let (_dovecot, server) = start(|c| c.allow_origin("https://mail.example.org"));
    let own = server.origin();
    let r = refused(&server, Some(&own), upstream::PLAIN, Protocol::Imap).await;
    assert_refusal(&r, ErrorCode::ForbiddenOrigin);
    let ok = Tunnel::try_open(
        &server.tunnel_url(),
        Some("https://mail.example.org"),
        upstream::PLAIN,
        Protocol::Imap,
    )
    .await
    .unwrap();
    assert!(ok.is_ok());
}

#[tokio::test]
async fn per_client_limit_holds_and_frees() {
    let (_dovecot, server) = start(|c| c.limit("max_tunnels_per_ip", 2));
    let url = server.tunnel_url();
    let mut first = Tunnel::open(&url, upstream::PLAIN, Protocol::Imap)
        .await
        .unwrap();
    let _second = Tunnel::open(&url, upstream::PLAIN, Protocol::Pop3)
        .await
        .unwrap();
    let r = refused(&server, None, upstream::PLAIN, Protocol::Imap).await;
    assert_refusal(&r, ErrorCode::TooManyConnections);

    // Ending a session gives its slot back.
    first.read_line().await.unwrap();
    first.imap("a1", "LOGOUT").await.unwrap();
    first.closed().await;
    let mut again = None;
    for _ in 0..50 {
        match Tunnel::try_open(&url, None, upstream::PLAIN, Protocol::Imap)
            .await
            .unwrap()
        {
            Ok(tunnel) => {
                again = Some(tunnel);
                break;
            }
            // The server frees the slot right after the close frame is sent.
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
    assert!(again.is_some(), "the freed slot was not given back");
}

#[tokio::test]
async fn global_limit_holds() {
    let (_dovecot, server) = start(|c| c.limit("max_tunnels", 1));
    let _only = Tunnel::open(&server.tunnel_url(), upstream::PLAIN, Protocol::Imap)
        .await
        .unwrap();
    let r = refused(&server, None, upstream::PLAIN, Protocol::Pop3).await;
    assert_refusal(&r, ErrorCode::TooManyConnections);
}

#[tokio::test]
async fn upstream_down_and_untrusted_certificate() {
    let (_dovecot, server) = start(|c| c);
    let r = refused(&server, None, upstream::DOWN, Protocol::Imap).await;
    assert_refusal(&r, ErrorCode::UpstreamUnreachable);
    let r = refused(&server, None, upstream::UNTRUSTED, Protocol::Imap).await;
    assert_refusal(&r, ErrorCode::UpstreamTlsFailed);
    assert!(r.message.contains("certificate"), "{}", r.message);
}

#[tokio::test]
async fn certificate_for_another_name_is_refused() {
    let dovecot = Dovecot::start().unwrap();
    let mut config = ServerConfig::for_dovecot(&dovecot);
    config.upstreams.push_str(&format!(
        "\n[[upstream]]\nid = \"wrong-name\"\nhost = \"127.0.0.1\"\ntls_server_name = \"mail.example.org\"\nca_file = \"{}\"\nimap = {{ port = {}, tls = \"starttls\" }}\n",
        dovecot.pki.ca_file.display(),
        dovecot.ports.imap
    ));
    let server = PosternServer::start(&config).unwrap();
    let r = refused(&server, None, "wrong-name", Protocol::Imap).await;
    assert_refusal(&r, ErrorCode::UpstreamTlsFailed);
}

#[tokio::test]
async fn accepted_tunnels_close_with_a_reason() {
    let (_dovecot, server) = start(|c| {
        c.limit("max_message_bytes", 4096)
            .limit("idle_timeout_secs", 1)
    });
    let url = server.tunnel_url();

    // A message over the size limit.
    let mut tunnel = Tunnel::open(&url, upstream::PLAIN, Protocol::Imap)
        .await
        .unwrap();
    tunnel.read_line().await.unwrap();
    tunnel.send(&vec![b'x'; 8192]).await.unwrap();
    let close = tunnel.closed().await.expect("close frame");
    assert_eq!(close.reason.as_str(), CloseReason::MessageTooBig.as_str());
    assert_eq!(u16::from(close.code), 1009);

    // Text inside the session breaks the contract.
    let mut tunnel = Tunnel::open(&url, upstream::PLAIN, Protocol::Imap)
        .await
        .unwrap();
    tunnel.read_line().await.unwrap();
    tunnel.ws.send(Message::text("a1 NOOP\r\n")).await.unwrap();
    let close = tunnel.closed().await.expect("close frame");
    assert_eq!(
        close.reason.as_str(),
        CloseReason::ProtocolViolation.as_str()
    );

    // Silence both ways.
    let mut tunnel = Tunnel::open(&url, upstream::PLAIN, Protocol::Imap)
        .await
        .unwrap();
    tunnel.read_line().await.unwrap();
    let close = tunnel.closed().await.expect("close frame");
    assert_eq!(close.reason.as_str(), CloseReason::IdleTimeout.as_str());
    assert_eq!(u16::from(close.code), CloseReason::IdleTimeout.code());

    let text = server.metrics();
    for reason in ["message_too_big", "protocol_violation", "idle_timeout"] {
        assert!(
            text.contains(&format!(
                "postern_tunnel_closes_total{{reason=\"{reason}\"}} 1"
            )),
            "{reason}: {text}"
        );
    }
}

#[tokio::test]
async fn sessions_end_at_the_maximum_length() {
    let (_dovecot, server) = start(|c| c.limit("max_session_secs", 1));
    let mut tunnel = Tunnel::open(&server.tunnel_url(), upstream::PLAIN, Protocol::Imap)
        .await
        .unwrap();
    tunnel.read_line().await.unwrap();
    // Busy, but not forever.
    let close = loop {
        if tunnel.imap("n", "NOOP").await.is_err() {
            break tunnel.close.clone().expect("close frame");
        }
    };
    assert_eq!(close.reason.as_str(), CloseReason::SessionExpired.as_str());
}

/// A real TLS server presenting what `openssl req -x509` makes: a self-signed
/// certificate that is its own CA (CA:TRUE). Returns its port and the certificate's
/// PEM file; the mail protocol never starts.
async fn self_signed_tls_server(dir: &std::path::Path) -> (u16, std::path::PathBuf) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

    let mut params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let key = KeyPair::generate().unwrap();
    let certificate = params.self_signed(&key).unwrap();
    let pem = dir.join("self-signed.pem");
    std::fs::write(&pem, certificate.pem()).unwrap();
    let tls = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(
            vec![certificate.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(tls));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // Hold the connection open after the handshake, as a mail server would.
                if let Ok(mut stream) = acceptor.accept(tcp).await {
                    let mut buffer = [0u8; 1024];
                    while tokio::io::AsyncReadExt::read(&mut stream, &mut buffer)
                        .await
                        .is_ok_and(|n| n > 0)
                    {}
                }
            });
        }
    });
    (port, pem)
}

/// rustls refuses a CA certificate as a server's own even when it is the configured
/// CA; the refusal says so in words and says how to fix it.
#[tokio::test]
async fn a_ca_certificate_as_the_servers_own_is_refused_in_words() {
    let dir = tempfile::tempdir().unwrap();
    let (port, pem) = self_signed_tls_server(dir.path()).await;
    let config = ServerConfig {
        upstreams: format!(
            "\n[[upstream]]\nid = \"ca-as-leaf\"\nhost = \"localhost\"\nca_file = \"{}\"\nimap = {{ port = {port}, tls = \"implicit\" }}\n",
            pem.display()
        ),
        ..ServerConfig::default()
    };
    let server = PosternServer::start(&config).unwrap();
    let r = refused(&server, None, "ca-as-leaf", Protocol::Imap).await;
    assert_refusal(&r, ErrorCode::UpstreamTlsFailed);
    assert!(
        r.message.contains("CA certificate as its own"),
        "{}",
        r.message
    );
    assert!(!r.message.contains("CaUsedAsEndEntity"), "{}", r.message);
}

/// The way to reach such a server: pin its certificate. That one is accepted, any
/// other refused, with the reason.
#[tokio::test]
async fn a_pinned_certificate_is_accepted_and_only_that_one() {
    let dir = tempfile::tempdir().unwrap();
    let (port, pem) = self_signed_tls_server(dir.path()).await;
    let other_dir = tempfile::tempdir().unwrap();
    let (_, other_pem) = self_signed_tls_server(other_dir.path()).await;
    let upstream = |id: &str, pinned: &std::path::Path| {
        format!(
            "\n[[upstream]]\nid = \"{id}\"\nhost = \"localhost\"\npinned_certificate = \"{}\"\nimap = {{ port = {port}, tls = \"implicit\" }}\n",
            pinned.display()
        )
    };
    let config = ServerConfig {
        upstreams: upstream("pinned", &pem) + &upstream("pinned-other", &other_pem),
        ..ServerConfig::default()
    };
    let server = PosternServer::start(&config).unwrap();
    let opened = Tunnel::try_open(&server.tunnel_url(), None, "pinned", Protocol::Imap)
        .await
        .unwrap();
    assert!(opened.is_ok(), "{:?}", opened.err());
    let r = refused(&server, None, "pinned-other", Protocol::Imap).await;
    assert_refusal(&r, ErrorCode::UpstreamTlsFailed);
    assert!(r.message.contains("pinned"), "{}", r.message);
}
