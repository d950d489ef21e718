//! Checking a POP3 mailbox of 10,000 messages: the headers of every message (TOP n 0),
//! pipelined (RFC 2449) against lockstep, through the tunnel to the same Dovecot in
//! the same run.
//!
//! Run: `cargo bench -p postern-tests --bench pop3` (after `cargo build --release -p
//! postern-server`).

use std::time::Instant;

use postern_shared::pop3::Outcome;
use postern_tests::corpus;
use postern_tests::dovecot::Dovecot;
use postern_tests::pop3_client::Pop3Client;
use postern_tests::server::{PosternServer, ServerConfig, upstream};

const MESSAGES: u32 = 10_000;

async fn headers(server: &PosternServer, lockstep: bool) -> (f64, usize, usize) {
    let mut client = Pop3Client::connect(&server.tunnel_url(), upstream::PLAIN, 1 << 20)
        .await
        .unwrap();
    client.session.set_lockstep(lockstep);
    let capa = client.session.capa();
    client.ok(capa).await;
    let login = client.session.login("alice", "alice-secret").unwrap();
    client.ok(login).await;
    let writes = client.writes;
    let started = Instant::now();
    let ids: Vec<_> = (1..=MESSAGES)
        .map(|n| client.session.top(n, 0).unwrap())
        .collect();
    let mut bytes = 0;
    for id in ids {
        let Outcome::Message(top) = client.ok(id).await else {
            panic!()
        };
        bytes += top.len();
    }
    (
        started.elapsed().as_secs_f64(),
        bytes,
        client.writes - writes,
    )
}

#[tokio::main]
async fn main() {
    let dovecot = Dovecot::start().unwrap();
    let messages: Vec<_> = (0..MESSAGES as usize)
        .map(|n| corpus::bulk(n, 2_000))
        .collect();
    dovecot.seed("alice", "INBOX", &messages).unwrap();
    let server = PosternServer::start(&ServerConfig::for_dovecot(&dovecot)).unwrap();
    // Dovecot builds its POP3 index on the first session; keep that out of the figures.
    headers(&server, false).await;

    let (lockstep, bytes, lockstep_writes) = headers(&server, true).await;
    let (pipelined, _, pipelined_writes) = headers(&server, false).await;
    println!("POP3 headers of {MESSAGES} messages (TOP n 0, {bytes} bytes) through the tunnel:");
    println!("  lockstep:  {lockstep:7.2} s  ({lockstep_writes} writes)");
    println!("  pipelined: {pipelined:7.2} s  ({pipelined_writes} writes)");
    println!("  lockstep/pipelined time: {:.1}", lockstep / pipelined);
}
