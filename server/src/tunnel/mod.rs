//! `GET /tunnel`: the WebSocket endpoint that carries one mail session per connection.
//!
//! - `origin`: which pages may open tunnels.
//! - `slots`: how many tunnels may be open, globally and per client.
//! - `relay`: the byte pipe once a tunnel is accepted.
//!
//! The checks run in order of cost: origin and limits before the upgrade completes,
//! then the client's request, then the upstream connection.

mod origin;
mod relay;
mod slots;

pub use slots::Slots;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use tracing::Instrument;

use postern_shared::tunnel::{ErrorCode, TunnelReply, TunnelRequest};

use crate::app::App;
use crate::upstream;

/// Close code sent after a refusal (RFC 6455 "policy violation").
const REFUSAL_CLOSE_CODE: u16 = 1008;
/// Initial WebSocket read buffer per tunnel; it grows for larger client messages.
const IDLE_READ_BUFFER: usize = 8 * 1024;
/// How long a refused client gets to acknowledge the close.
const REFUSAL_DRAIN: std::time::Duration = std::time::Duration::from_secs(2);

/// A tunnel turned down, with the stable code and a sentence for the user.
struct Refusal {
    code: ErrorCode,
    message: String,
}

impl Refusal {
    fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Refusal {
            code,
            message: message.into(),
        }
    }

    fn shutting_down() -> Self {
        Refusal::new(ErrorCode::ShuttingDown, "the server is shutting down")
    }
}

pub async fn handle(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    tracing::debug!(origin = ?headers.get(header::ORIGIN), host = ?headers.get(header::HOST), "upgrade requested");
    // Behind a trusted reverse proxy, the client it forwards for.
    let client = app.client_address(peer, &headers);
    let gate = admit(&app, client, &headers);
    // Counted from the moment the upgrade is answered, not from when the upgraded
    // connection's task starts: a shutdown in between must still wait for it (and
    // refuse it with `shutting_down`) rather than exit under it.
    let tracked = app.tracker.token();
    let limits = &app.config.limits;
    let app = Arc::clone(&app);
    upgrade
        .max_message_size(limits.max_message_bytes)
        .max_frame_size(limits.max_message_bytes)
        // Most tunnels sit idle in IMAP IDLE; tungstenite's 128 KiB default read buffer
        // would be most of their memory.
        .read_buffer_size(IDLE_READ_BUFFER)
        .on_upgrade(move |ws| async move {
            session(app, ws, client, gate).await;
            drop(tracked);
        })
}

/// The checks that need no I/O: origin, shutdown, limits.
fn admit(app: &App, client: IpAddr, headers: &HeaderMap) -> Result<slots::Slot, Refusal> {
    if !origin::is_allowed(
        headers.get(header::ORIGIN),
        headers.get(header::HOST),
        &app.config.allowed_origins,
    ) {
        return Err(Refusal::new(
            ErrorCode::ForbiddenOrigin,
            "this page's origin may not open tunnels on this server",
        ));
    }
    if app.draining.is_cancelled() {
        return Err(Refusal::shutting_down());
    }
    app.slots
        .try_acquire(client)
        .map_err(|hit| Refusal::new(ErrorCode::TooManyConnections, hit.message()))
}

async fn session(
    app: Arc<App>,
    mut ws: WebSocket,
    client: IpAddr,
    gate: Result<slots::Slot, Refusal>,
) {
    let id = app.next_session_id();
    let span = tracing::info_span!(
        "tunnel",
        session = id,
        client = %client,
        upstream = tracing::field::Empty,
        protocol = tracing::field::Empty,
    );
    async move {
        let _slot = match gate {
            Ok(slot) => slot,
            Err(refusal) => return refuse(&app, ws, refusal).await,
        };
        let request = match read_request(&app, &mut ws).await {
            Ok(request) => request,
            Err(refusal) => return refuse(&app, ws, refusal).await,
        };
        let span = tracing::Span::current();
        span.record("upstream", request.upstream.as_str());
        span.record("protocol", request.protocol.as_str());

        let Some(upstream) = app.config.upstream(&request.upstream) else {
            let reply = Refusal::new(
                ErrorCode::UnknownUpstream,
                format!(
                    "no mail server called {:?} is configured here",
                    request.upstream
                ),
            );
            return refuse(&app, ws, reply).await;
        };
        let Some(&endpoint) = upstream.endpoints.get(&request.protocol) else {
            let reply = Refusal::new(
                ErrorCode::ProtocolNotOffered,
                format!("{} does not offer {}", upstream.name, request.protocol),
            );
            return refuse(&app, ws, reply).await;
        };

        let connecting = upstream::connect(
            upstream,
            request.protocol,
            endpoint,
            &app.tls,
            app.config.limits.connect_timeout(),
        );
        let connected = tokio::select! {
            result = connecting => result,
            () = app.shutdown.cancelled() => {
                return refuse(&app, ws, Refusal::shutting_down()).await;
            }
        };
        let connected = match connected {
            Ok(connected) => connected,
            Err(e) => {
                tracing::warn!(error = %e, "upstream connection failed");
                return refuse(&app, ws, Refusal::new(e.code, e.message)).await;
            }
        };

        let accepted = TunnelReply::Accepted {
            upstream: upstream.id.clone(),
            protocol: request.protocol,
            tls: endpoint.tls,
        };
        if ws
            .send(Message::Text(accepted.to_json().into()))
            .await
            .is_err()
        {
            return;
        }
        tracing::info!(upstream_addr = %connected.peer, tls = endpoint.tls.as_str(), "tunnel open");
        let started = Instant::now();
        let _open = app.metrics.tunnel_opened(request.protocol);
        let outcome = relay::run(
            ws,
            connected,
            &app.config.limits,
            &app.shutdown,
            &app.metrics,
        )
        .await;
        app.metrics.tunnel_closed(outcome.reason);
        tracing::info!(
            bytes_to_upstream = outcome.bytes_to_upstream,
            bytes_to_client = outcome.bytes_to_client,
            duration_ms = started.elapsed().as_millis() as u64,
            reason = outcome.reason.as_str(),
            "tunnel closed"
        );
    }
    .instrument(span)
    .await
}

/// Waits for the client's first frame, which must be a JSON [`TunnelRequest`].
async fn read_request(app: &App, ws: &mut WebSocket) -> Result<TunnelRequest, Refusal> {
    let bad = |message: &str| Refusal::new(ErrorCode::BadRequest, message);
    let wait = app.config.limits.handshake_timeout();
    let first = tokio::select! {
        first = tokio::time::timeout(wait, ws.recv()) => first,
        () = app.shutdown.cancelled() => {
            return Err(Refusal::shutting_down());
        }
    };
    match first {
        Err(_) => Err(bad("no tunnel request arrived in time")),
        Ok(None | Some(Err(_)) | Some(Ok(Message::Close(_)))) => {
            Err(bad("the connection ended before the tunnel request"))
        }
        Ok(Some(Ok(Message::Text(text)))) => TunnelRequest::from_json(text.as_str())
            .map_err(|e| bad(&format!("the tunnel request is not valid: {e}"))),
        Ok(Some(Ok(_))) => Err(bad(
            "the first message must be a JSON text frame: {\"upstream\": ..., \"protocol\": ...}",
        )),
    }
}

/// Sends the refusal as the handshake reply, then closes with its code as the reason.
async fn refuse(app: &App, mut ws: WebSocket, refusal: Refusal) {
    let Refusal { code, message } = refusal;
    tracing::info!(code = code.as_str(), %message, "tunnel refused");
    app.metrics.tunnel_refused(code);
    let reply = TunnelReply::refused(code, message);
    let close = CloseFrame {
        code: REFUSAL_CLOSE_CODE,
        reason: code.as_str().into(),
    };
    let _ = ws.send(Message::Text(reply.to_json().into())).await;
    let _ = ws.send(Message::Close(Some(close))).await;
    // Finish the closing handshake: dropping the socket now would reset it while a
    // client is still sending its request, and the client would never read the reply.
    let drain = async {
        while let Some(Ok(message)) = ws.recv().await {
            if let Message::Close(_) = message {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(REFUSAL_DRAIN, drain).await;
}
