//! `postern-server`: serves the Postern webmail page and tunnels each browser mail
//! session (IMAP, POP3, SMTP submission) over a WebSocket to an allow-listed server.
//!
//! Map of the modules:
//! - `config`: the TOML file and every rule that makes a config safe;
//! - `app`: shared state and the HTTP routes;
//! - `tunnel`: the `/tunnel` endpoint: admission, handshake, relay;
//! - `upstream`: resolving, policing and securing the connection to a mail server;
//! - `metrics`: Prometheus counters;
//! - `serve`: accepting connections (TLS, timeouts, slow clients);
//! - `client_address`: who the client is behind a trusted reverse proxy;
//! - `assets`: the page as built into the executable.
//!
//! Lifecycle: bind, serve, and on SIGTERM or SIGINT: `/readyz` answers 503 at once;
//! after `limits.shutdown_delay_secs` the listener closes (open HTTP connections
//! finish what they are doing); open tunnels go on for `limits.shutdown_grace_secs`, then the
//! rest are closed with `server_shutdown`; a few seconds later the process exits,
//! whatever any client is still doing. SIGHUP reads the TLS files again.
#![forbid(unsafe_code)]

mod app;
mod assets;
mod client_address;
mod config;
mod metrics;
mod serve;
mod tunnel;
mod upstream;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use tokio::net::TcpListener;

use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::app::App;
use crate::config::Config;
use crate::serve::ListenerTls;

/// How long sessions get to send their close frames once told to close; after
/// that the process exits, whatever clients are doing.
const CLOSE_FLUSH: Duration = Duration::from_secs(3);

/// `postern-server --version`: the version and the commit it was built from.
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("POSTERN_COMMIT"),
    ")"
);

/// Postern's server: the webmail page, and a WebSocket tunnel to configured mail servers.
///
/// Clients pick a configured upstream by id; they can never name a host or port, so this
/// is not an open proxy. Logs go to stderr (filter with RUST_LOG, e.g.
/// RUST_LOG=postern_server=debug). The first line on stdout is the listening address.
#[derive(Debug, Parser)]
#[command(version = VERSION)]
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

    // Caught from before the server listens: a signal that arrives before its
    // handler ends the process on the spot, without telling tunnels why. SIGHUP
    // reads built-in TLS files again; without them it is caught and ignored (tokio
    // keeps a handler installed once it was).
    let mut shutdown = ShutdownSignals::install().context("cannot catch signals")?;
    let hangups = signal(SignalKind::hangup()).context("cannot catch SIGHUP")?;
    let app = App::new(config)?;
    let tls = match &app.config.tls {
        Some(files) => Some(Arc::new(ListenerTls::load(files)?)),
        None => None,
    };
    let listener = TcpListener::bind(app.config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", app.config.listen))?;
    let address = listener.local_addr()?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    println!("postern-server listening on {scheme}://{address}/");
    tracing::info!(
        %address,
        upstreams = app.config.upstreams.len(),
        page = if app.serves_embedded_page() { "built in" } else { "from disk" },
        "listening"
    );

    let stop = CancellationToken::new();
    let connections = TaskTracker::new();
    let mut serving = vec![tokio::spawn(serve::serve(
        listener,
        app::router(app.clone()),
        tls.clone(),
        app.config.limits.clone(),
        stop.clone(),
        connections.clone(),
    ))];
    if let Some(metrics_address) = app.config.metrics_listen {
        let listener = TcpListener::bind(metrics_address)
            .await
            .with_context(|| format!("cannot listen on {metrics_address} for metrics"))?;
        tracing::info!(address = %listener.local_addr()?, "metrics listening");
        serving.push(tokio::spawn(serve::serve(
            listener,
            app::metrics_router(app.clone()),
            None,
            app.config.limits.clone(),
            stop.clone(),
            connections.clone(),
        )));
    }
    if let Some(tls) = tls {
        tokio::spawn(reload_on_hangup(tls, hangups));
    }

    shutdown.wait().await;
    // From now on a load balancer polling /readyz takes this instance out.
    app.draining.cancel();
    let delay = app.config.limits.shutdown_delay();
    if !delay.is_zero() {
        tracing::info!(
            delay_secs = delay.as_secs(),
            "draining before the listener closes"
        );
        tokio::time::sleep(delay).await;
    }
    // No new connections now; open ones finish what they are doing.
    stop.cancel();
    for listener in serving {
        let _ = listener.await;
    }
    connections.close();

    // Sessions get the grace period to end by themselves.
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
    // HTTP clients that still hold a connection (half a request, a reader that
    // stopped reading) do not keep the process: a short wait, then it exits.
    if tokio::time::timeout(CLOSE_FLUSH, connections.wait())
        .await
        .is_err()
    {
        tracing::info!("exiting with HTTP connections still open");
    }
    tracing::info!("stopped");
    Ok(())
}

/// Reads the listener's certificate and key again on each SIGHUP.
async fn reload_on_hangup(tls: Arc<ListenerTls>, mut hangups: Signal) {
    while hangups.recv().await.is_some() {
        match tls.reload() {
            Ok(()) => tracing::info!("TLS certificate and key read again"),
            Err(error) => {
                tracing::error!(%error, "TLS files not reloaded; the old ones stay in use")
            }
        }
    }
}

/// SIGTERM and SIGINT, caught from when this is made.
struct ShutdownSignals {
    terminate: Signal,
    interrupt: Signal,
}

impl ShutdownSignals {
    fn install() -> std::io::Result<ShutdownSignals> {
        Ok(ShutdownSignals {
            terminate: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
        })
    }

    /// Waits for either.
    async fn wait(&mut self) {
        tokio::select! {
            _ = self.terminate.recv() => {},
            _ = self.interrupt.recv() => {},
        }
        tracing::info!("shutdown requested");
    }
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
