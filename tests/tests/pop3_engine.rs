//! The shared POP3 engine against real Dovecot through the tunnel: every command, over
//! plain, STLS and POP3S upstreams, pipelined and in lockstep.

use postern_shared::pop3::{Outcome, ResponseCode};
use postern_tests::corpus::{self, Message};
use postern_tests::dovecot::Dovecot;
use postern_tests::pop3_client::Pop3Client;
use postern_tests::server::{PosternServer, ServerConfig, upstream};

fn mailbox() -> Vec<Message> {
    let mut messages = corpus::standard_mailbox();
    // Lines that start with a dot must survive dot-stuffing both ways.
    messages.push(Message::new(
        "From: dots@example.org\r\nSubject: Dots\r\n\r\n.leading dot\r\n..two dots\r\n.\r\nend\r\n",
    ));
    messages
}

fn start() -> (Dovecot, PosternServer, Vec<Message>) {
    let dovecot = Dovecot::start().unwrap();
    let messages = mailbox();
    dovecot.seed("alice", "INBOX", &messages).unwrap();
    let server = PosternServer::start(&ServerConfig::for_dovecot(&dovecot)).unwrap();
    (dovecot, server, messages)
}

async fn signed_in(server: &PosternServer, upstream: &str, lockstep: bool) -> Pop3Client {
    let mut client = Pop3Client::connect(&server.tunnel_url(), upstream, 64 << 20)
        .await
        .unwrap();
    client.session.set_lockstep(lockstep);
    let capa = client.session.capa();
    let Outcome::Capabilities(capabilities) = client.ok(capa).await else {
        panic!()
    };
    assert!(
        capabilities.uidl && capabilities.top && capabilities.pipelining,
        "{capabilities:?}"
    );
    let login = client.session.login("alice", "alice-secret").unwrap();
    client.ok(login).await;
    client
}

/// Every read-only command; returns the outcomes in order for comparison.
async fn read_everything(client: &mut Pop3Client, messages: &[Message]) -> Vec<Outcome> {
    let count = messages.len() as u32;
    // Queue everything before reading anything: pipelined when allowed.
    let mut ids = vec![
        client.session.stat(),
        client.session.list(None).unwrap(),
        client.session.uidl(None).unwrap(),
        client.session.list(Some(2)).unwrap(),
        client.session.uidl(Some(2)).unwrap(),
    ];
    for n in 1..=count {
        ids.push(client.session.top(n, 0).unwrap());
    }
    for n in 1..=count {
        ids.push(client.session.retr(n).unwrap());
    }
    let mut outcomes = Vec::new();
    for id in ids {
        outcomes.push(client.ok(id).await);
    }

    let total: u64 = messages.iter().map(|m| m.raw.len() as u64).sum();
    assert_eq!(outcomes[0], Outcome::Stat { count, size: total });
    let Outcome::Sizes(sizes) = &outcomes[1] else {
        panic!()
    };
    assert_eq!(sizes.len(), messages.len());
    assert_eq!(sizes[9].1, messages[9].raw.len() as u64);
    let Outcome::UniqueIds(uids) = &outcomes[2] else {
        panic!()
    };
    let mut distinct: Vec<&String> = uids.iter().map(|(_, uid)| uid).collect();
    distinct.dedup();
    assert_eq!(distinct.len(), messages.len());
    assert_eq!(outcomes[3], Outcome::Sizes(vec![sizes[1]]));
    assert_eq!(outcomes[4], Outcome::UniqueIds(vec![uids[1].clone()]));
    for (n, message) in messages.iter().enumerate() {
        let Outcome::Message(top) = &outcomes[5 + n] else {
            panic!()
        };
        let header_end = message
            .raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap()
            + 4;
        assert_eq!(top[..], message.raw[..header_end], "TOP {} 0", n + 1);
        let Outcome::Message(whole) = &outcomes[5 + messages.len() + n] else {
            panic!()
        };
        assert!(whole == &message.raw, "RETR {} differs", n + 1);
    }
    outcomes
}

#[tokio::test]
async fn every_command_over_plain_stls_and_pop3s() {
    let (_dovecot, server, messages) = start();
    for upstream in [upstream::PLAIN, upstream::STARTTLS, upstream::IMPLICIT] {
        let mut client = signed_in(&server, upstream, false).await;
        read_everything(&mut client, &messages).await;
        // DELE then RSET: nothing is lost.
        let dele = client.session.dele(1).unwrap();
        client.ok(dele).await;
        let rset = client.session.rset();
        client.ok(rset).await;
        let noop = client.session.noop();
        client.ok(noop).await;
        let quit = client.session.quit();
        client.ok(quit).await;
    }

    // DELE takes effect at QUIT, and only then.
    let mut client = signed_in(&server, upstream::PLAIN, false).await;
    let dele = client.session.dele(1).unwrap();
    client.ok(dele).await;
    let quit = client.session.quit();
    client.ok(quit).await;
    let mut client = signed_in(&server, upstream::IMPLICIT, false).await;
    let stat = client.session.stat();
    assert!(
        matches!(client.ok(stat).await, Outcome::Stat { count, .. } if count as usize == messages.len() - 1)
    );
}

#[tokio::test]
async fn pipelined_and_lockstep_agree() {
    let (_dovecot, server, messages) = start();
    let mut pipelined = signed_in(&server, upstream::PLAIN, false).await;
    assert!(pipelined.session.pipelining());
    let writes_before = pipelined.writes;
    let fast = read_everything(&mut pipelined, &messages).await;
    let pipelined_writes = pipelined.writes - writes_before;

    let mut lockstep = signed_in(&server, upstream::PLAIN, true).await;
    assert!(!lockstep.session.pipelining());
    let writes_before = lockstep.writes;
    let slow = read_everything(&mut lockstep, &messages).await;
    let lockstep_writes = lockstep.writes - writes_before;

    assert_eq!(fast, slow);
    assert_eq!(
        lockstep_writes,
        5 + 2 * messages.len(),
        "one write per command"
    );
    assert_eq!(pipelined_writes, 1, "all commands in one write");
}

#[tokio::test]
async fn authentication_and_refusals() {
    let (_dovecot, server, _) = start();
    let mut client = Pop3Client::connect(&server.tunnel_url(), upstream::IMPLICIT, 1 << 20)
        .await
        .unwrap();
    let auth = client.session.auth_plain("alice", "alice-secret").unwrap();
    client.ok(auth).await;

    let mut client = Pop3Client::connect(&server.tunnel_url(), upstream::PLAIN, 1 << 20)
        .await
        .unwrap();
    let capa = client.session.capa();
    client.ok(capa).await;
    let login = client.session.login("alice", "wrong").unwrap();
    let refusal = client.run(login).await.unwrap().unwrap_err();
    assert_eq!(refusal.code, Some(ResponseCode::Auth), "{refusal:?}");
    assert!(refusal.describe().contains("password is wrong"));

    // A message bigger than the client's cap is refused, not buffered.
    let mut client = Pop3Client::connect(&server.tunnel_url(), upstream::PLAIN, 1 << 20)
        .await
        .unwrap();
    let login = client.session.login("alice", "alice-secret").unwrap();
    client.ok(login).await;
    let retr = client.session.retr(10).unwrap();
    let error = client.run(retr).await.unwrap_err();
    assert!(error.to_string().contains("exceeds"), "{error}");
}

/// A mailbox another session holds is refused with [IN-USE], in words the user can
/// act on.
#[tokio::test]
async fn a_mailbox_in_use_is_reported_in_words() {
    let dovecot = Dovecot::start_with("pop3_lock_session = yes\n").unwrap();
    dovecot.seed("alice", "INBOX", &mailbox()).unwrap();
    let server = PosternServer::start(&ServerConfig::for_dovecot(&dovecot)).unwrap();
    let _holder = signed_in(&server, upstream::PLAIN, false).await;

    let mut second = Pop3Client::connect(&server.tunnel_url(), upstream::PLAIN, 1 << 20)
        .await
        .unwrap();
    let capa = second.session.capa();
    second.ok(capa).await;
    let login = second.session.login("alice", "alice-secret").unwrap();
    let refusal = second.run(login).await.unwrap().unwrap_err();
    assert_eq!(refusal.code, Some(ResponseCode::InUse), "{refusal:?}");
    assert!(
        refusal
            .describe()
            .contains("Another program is reading this mailbox"),
        "{}",
        refusal.describe()
    );
}
