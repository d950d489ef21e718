//! The HTTP application: shared state and routes.
//!
//! Routes: `/` (the page), `/pkg/*` (the wasm bundle), `/static/*` (styles, the loader),
//! `/api/upstreams` (what the login page offers), `/tunnel` (WebSocket), `/metrics`
//! (Prometheus, loopback clients only).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower_http::compression::CompressionLayer;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

use postern_shared::tunnel::UpstreamListing;

use crate::config::Config;
use crate::metrics::Metrics;
use crate::tunnel::{self, Slots};
use crate::upstream::TlsConfigs;

/// The page runs only its own scripts and wasm, talks only to this server, and may not
/// be framed. Message bodies are shown in sandboxed `srcdoc` frames that inherit this
/// policy and add their own, stricter one (images from `data:` only, unless the user
/// allowed remote images for that message: hence `http:`/`https:` here, which the
/// page itself never uses). `frame-src` admits only those frames.
///
/// `style-src 'unsafe-inline'` is there for those frames: a `srcdoc` document gets
/// this policy, and its own meta policy can only narrow it, so without it a message's
/// sanitized `style` attributes and the frame's own `<style>` do not apply. The page
/// itself builds its DOM from text nodes and never inserts markup, so inline style
/// gives nothing to an attacker there; scripts stay `'self'` only. The reasoning and
/// the alternatives weighed are in docs/message-display.md.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data: blob: https: http:; font-src 'self'; connect-src 'self'; \
     frame-src blob: about:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

pub struct App {
    pub config: Config,
    pub tls: TlsConfigs,
    pub slots: Arc<Slots>,
    pub metrics: Metrics,
    /// Every tunnel session, so shutdown can wait for them.
    pub tracker: TaskTracker,
    /// Cancelled when open sessions must close (after the shutdown grace period).
    pub shutdown: CancellationToken,
    session_ids: AtomicU64,
}

impl App {
    pub fn new(config: Config) -> anyhow::Result<Arc<App>> {
        let tls = TlsConfigs::build(&config.upstreams)?;
        let slots = Slots::new(config.limits.max_tunnels, config.limits.max_tunnels_per_ip);
        Ok(Arc::new(App {
            config,
            tls,
            slots,
            metrics: Metrics::new(),
            tracker: TaskTracker::new(),
            shutdown: CancellationToken::new(),
            session_ids: AtomicU64::new(1),
        }))
    }

    pub fn next_session_id(&self) -> u64 {
        self.session_ids.fetch_add(1, Ordering::Relaxed)
    }
}

pub fn router(app: Arc<App>) -> Router {
    let static_files = Router::new()
        .route_service("/", ServeFile::new(&app.config.index_file))
        .nest_service("/pkg", ServeDir::new(&app.config.pkg_dir))
        .nest_service("/static", ServeDir::new(&app.config.static_dir))
        // Bundle names carry no content hash, so browsers must revalidate each load
        // (cheap: ServeDir answers If-Modified-Since with 304).
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ))
        .layer(CompressionLayer::new());

    Router::new()
        .route("/tunnel", get(tunnel::handle))
        .route("/api/upstreams", get(upstreams))
        .route("/metrics", get(metrics))
        .merge(static_files)
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .with_state(app)
}

async fn upstreams(State(app): State<Arc<App>>) -> Response {
    let listing: Vec<UpstreamListing> = app.config.upstreams.iter().map(|u| u.listing()).collect();
    ([(header::CACHE_CONTROL, "no-store")], Json(listing)).into_response()
}

/// Metrics describe the server's traffic; only the machine itself (a local Prometheus
/// or a reverse proxy's health check) may read them.
async fn metrics(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
) -> Response {
    if !peer.ip().is_loopback() {
        return (
            StatusCode::FORBIDDEN,
            "metrics are served to loopback clients only\n",
        )
            .into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        app.metrics.render(),
    )
        .into_response()
}
