//! `postern-server`: serves the Postern webmail page and tunnels each browser mail
//! session (IMAP, POP3, SMTP submission) over a WebSocket to an allow-listed server.
//!
//! Map of the modules:
//! - `config`: the TOML file and every rule that makes a config safe;
//! - `app`: shared state and the HTTP routes;
//! - `tunnel`: the `/tunnel` endpoint: admission, handshake, relay;
//! - `upstream`: resolving, policing and securing the connection to a mail server;
//! - `metrics`: Prometheus counters.
//!
//! Lifecycle: bind, serve, and on SIGTERM or SIGINT stop accepting, let open tunnels go
//! on for `limits.shutdown_grace_secs`, then close the rest with `server_shutdown`.
#![forbid(unsafe_code)]

mod app;
mod config;
mod metrics;
mod tunnel;
mod upstream;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use tokio::net::TcpListener;

use crate::app::App;
use crate::config::Config;

/// How long sessions get to send their close frames once told to close.
const CLOSE_FLUSH: Duration = Duration::from_secs(3);

/// Postern's server: the webmail page, and a WebSocket tunnel to configured mail servers.
///
/// Clients pick a configured upstream by id; they can never name a host or port, so this
/// is not an open proxy. Logs go to stderr (filter with RUST_LOG, e.g.
/// RUST_LOG=postern_server=debug). The first line on stdout is the listening address.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Configuration file (TOML). See server/postern.example.toml for every option.
    #[arg(short, long, env = "POSTERN_CONFIG", default_value = "postern.toml")]
    config: PathBuf,

    /// Listen on this address instead of `server.listen` (port 0 picks a free port).
    #[arg(long, env = "POSTERN_LISTEN")]
    listen: Option<SocketAddr>,

    /// Check the configuration, print what it serves, and exit.
    #[arg(long)]
    check: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();

    let mut config = Config::load(&args.config)?;
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    if args.check {
        print_summary(&config);
        return Ok(());
    }
    if config.upstreams.is_empty() {
        tracing::warn!("no [[upstream]] is configured: every tunnel will be refused");
    }

    // Each tunnel holds two sockets; the usual soft limit of 1024 would cap the server
    // near 500 tunnels whatever `max_tunnels` says.
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::debug!(limit, "open file limit"),
        Err(error) => tracing::warn!(%error, "cannot raise the open file limit"),
    }

    let app = App::new(config)?;
    let listener = TcpListener::bind(app.config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", app.config.listen))?;
    let address = listener.local_addr()?;
    println!("postern-server listening on http://{address}/");
    tracing::info!(%address, upstreams = app.config.upstreams.len(), "listening");

    let accepting = axum::serve(
        listener,
        app::router(app.clone()).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal());
    accepting.await?;

    // No new connections now. Sessions get the grace period to end by themselves.
    app.tracker.close();
    let grace = app.config.limits.shutdown_grace();
    tracing::info!(
        open = app.slots.open(),
        grace_secs = grace.as_secs(),
        "shutting down: waiting for open tunnels"
    );
    if tokio::time::timeout(grace, app.tracker.wait())
        .await
        .is_err()
    {
        tracing::info!(
            open = app.slots.open(),
            "grace period over: closing open tunnels"
        );
        app.shutdown.cancel();
        let _ = tokio::time::timeout(CLOSE_FLUSH, app.tracker.wait()).await;
    }
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("installing a SIGTERM handler works on Unix");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        _ = terminate.recv() => {},
    }
    tracing::info!("shutdown requested");
}

fn print_summary(config: &Config) {
    println!("listen: http://{}/", config.listen);
    for upstream in &config.upstreams {
        let mut offered: Vec<String> = upstream
            .endpoints
            .iter()
            .map(|(p, e)| format!("{p} port {} tls {}", e.port, e.tls.as_str()))
            .collect();
        offered.sort();
        println!(
            "upstream {:?} ({}) at {}: {}",
            upstream.id,
            upstream.name,
            upstream.host,
            offered.join(", ")
        );
    }
}
