//! The pipe: raw bytes between an accepted WebSocket and its upstream, until one side
//! ends, a limit is hit, or the server shuts down.
//!
//! Each direction awaits its write before it reads again, so a slow reader on either
//! side stalls the other side's TCP window instead of growing a buffer here: at most
//! one chunk per direction is held in memory per tunnel.

use std::io::ErrorKind;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::Notify;
use tokio::time::timeout;
use tokio_util::sync::CancellationToken;

use postern_shared::tunnel::CloseReason;

use crate::config::Limits;
use crate::metrics::{Direction, Metrics};
use crate::upstream::Connected;

/// Upstream bytes are forwarded in WebSocket messages of at most this size.
const CHUNK: usize = 64 * 1024;
/// How long the closing handshake may take before the connection is simply dropped.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// What a finished relay reports.
pub struct Outcome {
    pub reason: CloseReason,
    pub bytes_to_upstream: u64,
    pub bytes_to_client: u64,
}

pub async fn run(
    ws: WebSocket,
    connected: Connected,
    limits: &Limits,
    shutdown: &CancellationToken,
    metrics: &Metrics,
) -> Outcome {
    let to_upstream = AtomicU64::new(0);
    let to_client = AtomicU64::new(0);
    let activity = Notify::new();
    let (mut ws_tx, mut ws_rx) = ws.split();
    let (upstream_rx, mut upstream_tx) = tokio::io::split(connected.io);

    let reason = {
        let downlink = downlink(
            upstream_rx,
            &mut ws_tx,
            connected.replay,
            &to_client,
            &activity,
            metrics,
        );
        let uplink = uplink(
            &mut ws_rx,
            &mut upstream_tx,
            &to_upstream,
            &activity,
            metrics,
        );
        tokio::select! {
            reason = downlink => reason,
            reason = uplink => reason,
            reason = idle_watchdog(&activity, limits.idle_timeout()) => reason,
            () = tokio::time::sleep(limits.max_session()) => CloseReason::SessionExpired,
            () = shutdown.cancelled() => CloseReason::ServerShutdown,
        }
    };

    let closing = async {
        if reason == CloseReason::ClientClosed {
            // The client's close frame is already answered by the WebSocket layer;
            // flush that answer.
            let _ = ws_tx.close().await;
        } else {
            let frame = CloseFrame {
                code: reason.code(),
                reason: reason.as_str().into(),
            };
            let _ = ws_tx.send(Message::Close(Some(frame))).await;
        }
        let _ = upstream_tx.shutdown().await;
    };
    let _ = timeout(CLOSE_TIMEOUT, closing).await;

    Outcome {
        reason,
        bytes_to_upstream: to_upstream.into_inner(),
        bytes_to_client: to_client.into_inner(),
    }
}

async fn downlink(
    mut upstream: impl AsyncRead + Unpin,
    ws_tx: &mut SplitSink<WebSocket, Message>,
    replay: Vec<u8>,
    counter: &AtomicU64,
    activity: &Notify,
    metrics: &Metrics,
) -> CloseReason {
    if !replay.is_empty() && ws_tx.send(Message::Binary(replay.into())).await.is_err() {
        return CloseReason::ClientClosed;
    }
    let mut buffer = vec![0u8; CHUNK];
    loop {
        let n = match upstream.read(&mut buffer).await {
            Ok(0) => return CloseReason::UpstreamClosed,
            Ok(n) => n,
            // A TLS peer that closes without close_notify has still closed.
            Err(e) if e.kind() == ErrorKind::UnexpectedEof => return CloseReason::UpstreamClosed,
            Err(e) => {
                tracing::debug!(error = %e, "reading from the upstream failed");
                return CloseReason::UpstreamError;
            }
        };
        activity.notify_one();
        counter.fetch_add(n as u64, Ordering::Relaxed);
        metrics.count_bytes(Direction::ToClient, n);
        let chunk = axum::body::Bytes::copy_from_slice(&buffer[..n]);
        if ws_tx.send(Message::Binary(chunk)).await.is_err() {
            return CloseReason::ClientClosed;
        }
    }
}

async fn uplink(
    ws_rx: &mut SplitStream<WebSocket>,
    upstream: &mut (impl AsyncWrite + Unpin),
    counter: &AtomicU64,
    activity: &Notify,
    metrics: &Metrics,
) -> CloseReason {
    loop {
        let data = match ws_rx.next().await {
            None | Some(Ok(Message::Close(_))) => return CloseReason::ClientClosed,
            Some(Ok(Message::Binary(data))) => data,
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(Message::Text(_))) => return CloseReason::ProtocolViolation,
            Some(Err(e)) => return classify_ws_error(e),
        };
        activity.notify_one();
        counter.fetch_add(data.len() as u64, Ordering::Relaxed);
        metrics.count_bytes(Direction::ToUpstream, data.len());
        // Flush each message: TLS streams hold records back until flushed.
        let written = async {
            upstream.write_all(&data).await?;
            upstream.flush().await
        };
        if let Err(e) = written.await {
            tracing::debug!(error = %e, "writing to the upstream failed");
            return CloseReason::UpstreamError;
        }
    }
}

fn classify_ws_error(error: axum::Error) -> CloseReason {
    let oversized = std::error::Error::source(&error)
        .and_then(|source| source.downcast_ref::<tungstenite::Error>())
        .is_some_and(|e| matches!(e, tungstenite::Error::Capacity(_)));
    if oversized {
        CloseReason::MessageTooBig
    } else {
        tracing::debug!(%error, "the client connection failed");
        CloseReason::ClientClosed
    }
}

async fn idle_watchdog(activity: &Notify, idle: Duration) -> CloseReason {
    // `notify_one` stores a permit when nobody waits, so activity between two turns of
    // this loop is never missed.
    while timeout(idle, activity.notified()).await.is_ok() {}
    CloseReason::IdleTimeout
}
