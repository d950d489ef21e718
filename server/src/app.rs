//! The HTTP application: shared state and routes.
//!
//! Routes: `/` (the page), `/pkg/*` (the wasm bundle), `/static/*` (styles, the loader),
//! built into the executable or read from disk (`server.assets`); `/api/upstreams`
//! (what the login page offers), `/tunnel` (WebSocket), `/healthz` (alive),
//! `/readyz` (ready for new sessions: 503 once shutdown begins), `/metrics`
//! (Prometheus: loopback clients only, or on `server.metrics_listen` instead).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower_http::compression::CompressionLayer;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

use postern_shared::tunnel::UpstreamListing;

use crate::assets;
use crate::config::{AssetSource, Config};
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
    /// Cancelled as soon as shutdown is requested: `/readyz` answers 503 and new
    /// tunnels are refused from then on.
    pub draining: CancellationToken,
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
            draining: CancellationToken::new(),
            session_ids: AtomicU64::new(1),
        }))
    }

    pub fn next_session_id(&self) -> u64 {
        self.session_ids.fetch_add(1, Ordering::Relaxed)
    }

    /// Who a request is from: the peer, or whom a trusted proxy forwards for.
    pub fn client_address(&self, peer: SocketAddr, headers: &HeaderMap) -> std::net::IpAddr {
        self.config.trusted_proxies.client(peer.ip(), headers)
    }

    /// Whether the page comes from the executable rather than from disk.
    pub fn serves_embedded_page(&self) -> bool {
        match self.config.assets {
            Some(AssetSource::Embedded) | None => assets::embedded(),
            Some(AssetSource::Disk) => false,
        }
    }
}

pub fn router(app: Arc<App>) -> Router {
    let page = if app.serves_embedded_page() {
        Router::new()
            .route("/", get(assets::serve))
            .route("/pkg/{*file}", get(assets::serve))
            .route("/static/{*file}", get(assets::serve))
    } else {
        Router::new()
            .route_service("/", ServeFile::new(&app.config.index_file))
            .nest_service("/pkg", ServeDir::new(&app.config.pkg_dir))
            .nest_service("/static", ServeDir::new(&app.config.static_dir))
            // Bundle names carry no content hash, so browsers must revalidate each
            // load (cheap: ServeDir answers If-Modified-Since with 304).
            .layer(SetResponseHeaderLayer::overriding(
                header::CACHE_CONTROL,
                HeaderValue::from_static("no-cache"),
            ))
            .layer(CompressionLayer::new())
    };
    let mut routes = Router::new()
        .route("/tunnel", get(tunnel::handle))
        .route("/api/upstreams", get(upstreams))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(ready));
    if app.config.metrics_listen.is_none() {
        routes = routes.route("/metrics", get(loopback_metrics));
    }
    with_headers(routes.merge(page)).with_state(app)
}

/// The router of `server.metrics_listen`: `/metrics` for whoever reaches it.
pub fn metrics_router(app: Arc<App>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .with_state(app)
}

/// The headers every answer of the page's origin carries.
fn with_headers(router: Router<Arc<App>>) -> Router<Arc<App>> {
    router
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
}

async fn ready(State(app): State<Arc<App>>) -> Response {
    if app.draining.is_cancelled() {
        (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n").into_response()
    } else {
        "ready\n".into_response()
    }
}

async fn upstreams(State(app): State<Arc<App>>) -> Response {
    let listing: Vec<UpstreamListing> = app.config.upstreams.iter().map(|u| u.listing()).collect();
    ([(header::CACHE_CONTROL, "no-store")], Json(listing)).into_response()
}

/// Metrics describe the server's traffic; on the main listener only the machine
/// itself (a local Prometheus) may read them. The peer is the connection's own
/// address, never a forwarded one: a reverse proxy on the same machine is loopback
/// too, so with a proxy in front, use `server.metrics_listen`. `::ffff:127.0.0.1`
/// (IPv4 on an `[::]` listener) is loopback.
async fn loopback_metrics(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let forwarded = headers.contains_key("forwarded") || headers.contains_key("x-forwarded-for");
    if !peer.ip().to_canonical().is_loopback() || forwarded {
        return (
            StatusCode::FORBIDDEN,
            "metrics are served to loopback clients only (see server.metrics_listen)\n",
        )
            .into_response();
    }
    metrics(State(app)).await
}

async fn metrics(State(app): State<Arc<App>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        app.metrics.render(),
    )
        .into_response()
}
