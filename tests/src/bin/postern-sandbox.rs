//! `postern-sandbox`: a seeded Dovecot, a Postfix for sending (users are
//! `<user>@postern.test`), and a `postern-server` configured for both, for the
//! demo (`scripts/demo.sh`) and for the in-browser tests (`scripts/test.sh`).
//!
//! Prints `POSTERN_URL=...` and `POSTERN_TUNNEL_URL=...` once both are up, then runs
//! until SIGINT or SIGTERM, and removes everything it made.

use std::time::Duration;

use clap::Parser;
use postern_tests::corpus;
use postern_tests::dovecot::{Dovecot, USERS};
use postern_tests::postfix::{DOMAIN, Postfix};
use postern_tests::server::{PosternServer, ServerConfig};

/// A throwaway Dovecot with demo mail, and Postern in front of it.
#[derive(Debug, Parser)]
struct Args {
    /// Address for postern-server (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: String,
    /// Page origins allowed to open tunnels instead of the server's own (e.g. the
    /// wasm test runner's).
    #[arg(long = "allow-origin")]
    allow_origins: Vec<String>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dovecot = Dovecot::start()?;
    dovecot.seed("alice", "INBOX", &corpus::standard_mailbox())?;
    dovecot.seed(
        "alice",
        "Work/Projects",
        &[corpus::plain_text(), corpus::alternative()],
    )?;
    dovecot.seed("bob", "INBOX", &[corpus::reply_to_plain()])?;

    // Submission through a real Postfix, so the demo can send.
    let postfix = Postfix::start(&dovecot)?;
    let mut config = ServerConfig::mail_system(&dovecot, &postfix);
    config.listen = Some(args.listen);
    // Listed origins replace the default (the server's own origin), as in production.
    config.allowed_origins = args.allow_origins;
    let server = PosternServer::start(&config)?;

    println!("POSTERN_URL=http://{}/", server.address);
    println!("POSTERN_TUNNEL_URL={}", server.tunnel_url());
    for (user, password) in USERS {
        println!("POSTERN_LOGIN={user}:{password}");
    }
    println!("POSTERN_MAIL_DOMAIN={DOMAIN}");
    eprintln!(
        "Postern is at http://{}/ : pick \"Test Dovecot (plain)\" and sign in as {} / {}. Ctrl-C stops it.",
        server.address, USERS[0].0, USERS[0].1
    );

    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        _ = terminate.recv() => {},
    }
    server.terminate();
    tokio::time::sleep(Duration::from_millis(100)).await;
    drop(server);
    drop(dovecot);
    Ok(())
}
