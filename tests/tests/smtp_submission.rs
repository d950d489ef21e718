//! The SMTP engine through the real tunnel to a real Postfix (submission with
//! Dovecot SASL) that delivers into the real Dovecot: what is sent arrives.

use std::path::Path;
use std::time::{Duration, Instant};

use postern_shared::smtp::{CommandError, Mailbox, Outcome, Refusal};
use postern_tests::dovecot::Dovecot;
use postern_tests::postfix::{MESSAGE_SIZE_LIMIT, Postfix};
use postern_tests::server::{PosternServer, ServerConfig};
use postern_tests::smtp_client::SmtpClient;

struct MailSystem {
    dovecot: Dovecot,
    postfix: Postfix,
    server: PosternServer,
}

fn start() -> MailSystem {
    let dovecot = Dovecot::start().unwrap();
    let postfix = Postfix::start(&dovecot).unwrap();
    let server = PosternServer::start(&ServerConfig::mail_system(&dovecot, &postfix)).unwrap();
    MailSystem {
        dovecot,
        postfix,
        server,
    }
}

fn mailbox(address: &str) -> Mailbox {
    Mailbox::parse(address).unwrap()
}

fn message(subject: &str) -> Vec<u8> {
    format!(
        "From: Alice <alice@postern.test>\r\nTo: Bob <bob@postern.test>\r\n\
         Subject: {subject}\r\nMessage-ID: <{subject}@postern.test>\r\n\
         Date: Sat, 28 Nov 2026 10:00:00 +0000\r\n\r\nHello Bob.\r\n.A line with a dot.\r\n"
    )
    .into_bytes()
}

/// The messages delivered to `user`'s INBOX so far, waiting up to 20 s for `count`.
fn delivered(system: &MailSystem, user: &str, count: usize) -> Vec<Vec<u8>> {
    let new = system.dovecot.maildir(user, "INBOX").join("new");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let files = read_all(&new);
        if files.len() >= count || Instant::now() > deadline {
            return files;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A message as Dovecot's Maildir keeps it: LF line ends.
fn as_stored(message: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(message)
        .replace("\r\n", "\n")
        .into_bytes()
}

fn read_all(dir: &Path) -> Vec<Vec<u8>> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| std::fs::read(e.ok()?.path()).ok())
                .collect()
        })
        .unwrap_or_default()
}

async fn signed_in(system: &MailSystem, upstream: &str) -> SmtpClient {
    let mut client = SmtpClient::connect(&system.server.tunnel_url(), upstream)
        .await
        .unwrap();
    let auth = client
        .session
        .authenticate("alice", "alice-secret")
        .unwrap();
    client.ok(auth).await;
    client
}

#[tokio::test]
async fn submits_over_plain_starttls_and_implicit_tls() {
    let system = start();
    let mut sent = Vec::new();
    for upstream in ["plain", "starttls", "implicit"] {
        let mut client = signed_in(&system, upstream).await;
        let extensions = client.session.extensions().unwrap().clone();
        assert_eq!(extensions.size, Some(MESSAGE_SIZE_LIMIT));
        assert!(extensions.pipelining && extensions.enhanced_status_codes);
        let text = message(&format!("via-{upstream}"));
        let send = client
            .session
            .send(
                &mailbox("alice@postern.test"),
                &[mailbox("bob@postern.test")],
                text.clone(),
            )
            .unwrap();
        let Outcome::Sent(reply) = client.ok(send).await else {
            panic!("not sent");
        };
        assert!(reply.text().contains("queued"), "{reply:?}");
        let quit = client.session.quit();
        client.ok(quit).await;
        sent.push(text);
    }
    let arrived = delivered(&system, "bob", 3);
    assert_eq!(arrived.len(), 3, "{}", system.postfix.log());
    for text in &sent {
        // The MTA and LMTP add trace headers above; the message itself is intact
        // (and the dot-stuffed line arrived with one dot).
        assert!(
            arrived.iter().any(|a| a.ends_with(&as_stored(text))),
            "{} did not arrive intact",
            String::from_utf8_lossy(text)
        );
    }
}

#[tokio::test]
async fn a_wrong_password_is_refused_in_words() {
    let system = start();
    let mut client = SmtpClient::connect(&system.server.tunnel_url(), "starttls")
        .await
        .unwrap();
    let auth = client.session.authenticate("alice", "wrong").unwrap();
    let Err(Refusal::Reply(reply)) = client.run(auth).await.unwrap() else {
        panic!("a wrong password was accepted");
    };
    assert_eq!(reply.code, 535);
    assert!(
        reply
            .describe()
            .starts_with("The user name or password is wrong.")
    );
}

#[tokio::test]
async fn an_unknown_recipient_is_named_and_nobody_gets_the_message() {
    let system = start();
    let mut client = signed_in(&system, "implicit").await;
    let send = client
        .session
        .send(
            &mailbox("alice@postern.test"),
            &[mailbox("bob@postern.test"), mailbox("nobody@postern.test")],
            message("half"),
        )
        .unwrap();
    let Err(Refusal::Recipients(refused)) = client.run(send).await.unwrap() else {
        panic!("sent despite an unknown recipient");
    };
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].0.as_str(), "nobody@postern.test");
    assert_eq!(refused[0].1.code, 550);

    // The session is still good: the next message goes.
    let send = client
        .session
        .send(
            &mailbox("alice@postern.test"),
            &[mailbox("bob@postern.test")],
            message("whole"),
        )
        .unwrap();
    client.ok(send).await;
    let arrived = delivered(&system, "bob", 1);
    assert_eq!(arrived.len(), 1);
    assert!(arrived[0].ends_with(&as_stored(&message("whole"))));
}

#[tokio::test]
async fn a_message_over_the_servers_size_is_refused_before_sending() {
    let system = start();
    let mut client = signed_in(&system, "plain").await;
    let error = client
        .session
        .send(
            &mailbox("alice@postern.test"),
            &[mailbox("bob@postern.test")],
            vec![b'x'; MESSAGE_SIZE_LIMIT as usize + 1],
        )
        .unwrap_err();
    assert_eq!(
        error,
        CommandError::TooBig {
            size: MESSAGE_SIZE_LIMIT + 1,
            limit: MESSAGE_SIZE_LIMIT
        }
    );
}
