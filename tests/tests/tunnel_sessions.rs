//! Real sessions through the real tunnel to real Dovecot: IMAP and POP3, each over a
//! plain, a STARTTLS (done by the server) and an implicit-TLS upstream.

use postern_shared::tunnel::{CloseReason, Protocol};
use postern_tests::client::Tunnel;
use postern_tests::corpus;
use postern_tests::dovecot::{Dovecot, USERS};
use postern_tests::server::{PosternServer, ServerConfig, upstream};

fn start() -> (Dovecot, PosternServer) {
    let dovecot = Dovecot::start().expect("dovecot starts");
    dovecot
        .seed("alice", "INBOX", &corpus::standard_mailbox())
        .expect("seeding works");
    let server = PosternServer::start(&ServerConfig::for_dovecot(&dovecot)).expect("server starts");
    (dovecot, server)
}

async fn imap_login_logout(server: &PosternServer, upstream: &str) {
    let (user, password) = USERS[0];
    let mut tunnel = Tunnel::open(&server.tunnel_url(), upstream, Protocol::Imap)
        .await
        .unwrap();
    let greeting = tunnel.read_line().await.unwrap();
    assert!(
        greeting.starts_with("* OK"),
        "{upstream}: greeting {greeting:?}"
    );
    if upstream == upstream::STARTTLS {
        // Capabilities seen before TLS must not be offered as valid after it.
        assert!(!greeting.contains("CAPABILITY"), "{upstream}: {greeting}");
    }

    let capability = tunnel.imap("a1", "CAPABILITY").await.unwrap();
    let tls_in_place = upstream != upstream::PLAIN;
    assert!(
        capability[0].contains("IMAP4rev1"),
        "{upstream}: {capability:?}"
    );
    // Dovecot stops offering STARTTLS once the session is encrypted.
    assert_eq!(
        capability[0].contains("STARTTLS"),
        !tls_in_place,
        "{upstream}: {capability:?}"
    );

    let login = tunnel
        .imap("a2", &format!("LOGIN {user} {password}"))
        .await
        .unwrap();
    assert!(
        login.last().unwrap().starts_with("a2 OK"),
        "{upstream}: {login:?}"
    );
    let select = tunnel.imap("a3", "SELECT INBOX").await.unwrap();
    assert!(
        select.iter().any(|l| l == "* 10 EXISTS"),
        "{upstream}: {select:?}"
    );
    let logout = tunnel.imap("a4", "LOGOUT").await.unwrap();
    assert!(logout.iter().any(|l| l.starts_with("* BYE")), "{logout:?}");
    let close = tunnel
        .closed()
        .await
        .expect("the server sends a close frame");
    assert_eq!(close.reason.as_str(), CloseReason::UpstreamClosed.as_str());
}

async fn pop3_user_pass_quit(server: &PosternServer, upstream: &str) {
    let (user, password) = USERS[0];
    let mut tunnel = Tunnel::open(&server.tunnel_url(), upstream, Protocol::Pop3)
        .await
        .unwrap();
    let greeting = tunnel.read_line().await.unwrap();
    assert!(greeting.starts_with("+OK"), "{upstream}: {greeting}");
    assert!(
        tunnel
            .pop3(&format!("USER {user}"))
            .await
            .unwrap()
            .starts_with("+OK")
    );
    let pass = tunnel.pop3(&format!("PASS {password}")).await.unwrap();
    assert!(pass.starts_with("+OK"), "{upstream}: {pass}");
    let stat = tunnel.pop3("STAT").await.unwrap();
    assert!(stat.starts_with("+OK 10 "), "{upstream}: {stat}");
    assert!(tunnel.pop3("QUIT").await.unwrap().starts_with("+OK"));
    let close = tunnel
        .closed()
        .await
        .expect("the server sends a close frame");
    assert_eq!(close.reason.as_str(), CloseReason::UpstreamClosed.as_str());
}

#[tokio::test]
async fn imap_over_plain_starttls_and_implicit_tls() {
    let (dovecot, server) = start();
    for upstream in [upstream::PLAIN, upstream::STARTTLS, upstream::IMPLICIT] {
        imap_login_logout(&server, upstream).await;
    }
    drop(dovecot);
}

#[tokio::test]
async fn pop3_over_plain_stls_and_implicit_tls() {
    let (_dovecot, server) = start();
    for upstream in [upstream::PLAIN, upstream::STARTTLS, upstream::IMPLICIT] {
        pop3_user_pass_quit(&server, upstream).await;
    }
}

#[tokio::test]
async fn wrong_password_is_the_mail_servers_answer() {
    let (_dovecot, server) = start();
    let mut tunnel = Tunnel::open(&server.tunnel_url(), upstream::IMPLICIT, Protocol::Imap)
        .await
        .unwrap();
    tunnel.read_line().await.unwrap();
    let login = tunnel.imap("a1", "LOGIN alice wrong").await.unwrap();
    assert!(login.last().unwrap().starts_with("a1 NO"), "{login:?}");
    // The session stays usable: a right password now works.
    let login = tunnel.imap("a2", "LOGIN alice alice-secret").await.unwrap();
    assert!(login.last().unwrap().starts_with("a2 OK"), "{login:?}");
}
