//! Accepting browser connections.
//!
//! Each accepted TCP connection (after a TLS handshake when the server terminates
//! TLS itself, `server.tls_certificate`) is served HTTP/1.1 by hyper, WebSocket
//! upgrades included, under these rules:
//!
//! - `TCP_NODELAY`: an IMAP answer relayed in two writes must not wait for Nagle's
//!   40 ms, on every round trip of a sign-in;
//! - a request head must arrive within `limits.header_read_timeout_secs`, counted
//!   from the connection's start or from the end of its previous answer: this is
//!   also how long a kept-alive connection may sit idle;
//! - at most `limits.max_unfinished_requests` connections may be waiting for their
//!   first request head; a connection past that is closed at once, so clients that
//!   trickle their requests ("slowloris") cannot take every socket;
//! - a connection that moves no byte either way for `limits.send_timeout_secs`
//!   while an answer is being sent (a client that stopped reading) is dropped;
//! - when `stop` is cancelled, the listener closes. Open connections are left to
//!   finish what they are doing (upgraded tunnels are the tunnel module's to end,
//!   with `server_shutdown`); a kept-alive connection ends by its header timeout,
//!   and whatever is left when the caller's deadline passes is dropped with the
//!   process.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::Service;

use crate::config::{Limits, TlsFiles};

/// How often a connection checks whether its answer has stalled.
const IDLE_CHECK: Duration = Duration::from_secs(1);

/// The TLS configuration of the listener, replaced whole when the files are read
/// again (SIGHUP): connections already open keep the one they started with.
pub struct ListenerTls {
    files: TlsFiles,
    current: RwLock<Arc<rustls::ServerConfig>>,
}

#[derive(Debug, thiserror::Error)]
pub enum TlsFilesError {
    #[error("cannot read the certificate chain {path}: {source}")]
    Certificate {
        path: std::path::PathBuf,
        source: rustls::pki_types::pem::Error,
    },
    #[error("{path} holds no certificate")]
    NoCertificate { path: std::path::PathBuf },
    #[error("cannot read the private key {path}: {source}")]
    Key {
        path: std::path::PathBuf,
        source: rustls::pki_types::pem::Error,
    },
    #[error("the certificate and the key do not go together: {0}")]
    Mismatch(rustls::Error),
}

impl ListenerTls {
    pub fn load(files: &TlsFiles) -> Result<ListenerTls, TlsFilesError> {
        Ok(ListenerTls {
            current: RwLock::new(Arc::new(Self::read(files)?)),
            files: files.clone(),
        })
    }

    fn read(files: &TlsFiles) -> Result<rustls::ServerConfig, TlsFilesError> {
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.certificate)
            .and_then(|certs| certs.collect())
            .map_err(|source| TlsFilesError::Certificate {
                path: files.certificate.clone(),
                source,
            })?;
        if chain.is_empty() {
            return Err(TlsFilesError::NoCertificate {
                path: files.certificate.clone(),
            });
        }
        let key =
            PrivateKeyDer::from_pem_file(&files.key).map_err(|source| TlsFilesError::Key {
                path: files.key.clone(),
                source,
            })?;
        let mut config = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(TlsFilesError::Mismatch)?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(config)
    }

    /// Reads the files again; on an error the old configuration stays in use.
    pub fn reload(&self) -> Result<(), TlsFilesError> {
        let fresh = Arc::new(Self::read(&self.files)?);
        *self.current.write().expect("never poisoned") = fresh;
        Ok(())
    }

    fn acceptor(&self) -> tokio_rustls::TlsAcceptor {
        tokio_rustls::TlsAcceptor::from(Arc::clone(&self.current.read().expect("never poisoned")))
    }
}

/// Serves `router` on `listener` until `stop` is cancelled; returns once the
/// listener is closed. Open connections are tracked by `connections`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    tls: Option<Arc<ListenerTls>>,
    limits: Limits,
    stop: CancellationToken,
    connections: TaskTracker,
) {
    let unfinished = Arc::new(Semaphore::new(limits.max_unfinished_requests));
    let rules = Rules {
        header_read_timeout: limits.header_read_timeout(),
        send_timeout: limits.send_timeout(),
    };
    loop {
        let (tcp, peer) = tokio::select! {
            () = stop.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, or a connection reset before accept:
                    // wait a moment instead of spinning.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Ok(permit) = Arc::clone(&unfinished).try_acquire_owned() else {
            tracing::warn!(client = %peer.ip(), "too many connections without a request: closed");
            continue;
        };
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!(%error, "cannot set TCP_NODELAY");
        }
        let router = router.clone();
        let tls = tls.as_ref().map(|t| t.acceptor());
        connections.spawn(async move {
            match tls {
                None => connection(tcp, peer, router, permit, rules).await,
                Some(acceptor) => {
                    match tokio::time::timeout(rules.header_read_timeout, acceptor.accept(tcp))
                        .await
                    {
                        Ok(Ok(stream)) => {
                            connection(stream, peer, router, permit, rules).await;
                        }
                        Ok(Err(error)) => {
                            tracing::debug!(client = %peer.ip(), %error, "TLS handshake failed");
                        }
                        Err(_) => tracing::debug!(client = %peer.ip(), "TLS handshake too slow"),
                    }
                }
            }
        });
    }
}

#[derive(Clone, Copy)]
struct Rules {
    header_read_timeout: Duration,
    send_timeout: Duration,
}

/// One HTTP connection, until it closes, is upgraded, or stalls.
async fn connection<I>(
    io: I,
    peer: SocketAddr,
    router: Router,
    permit: OwnedSemaphorePermit,
    rules: Rules,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let activity = Arc::new(Activity::new());
    let io = Watched {
        inner: io,
        activity: Arc::clone(&activity),
    };
    // Held until the first request head has arrived.
    let waiting_for_head = Arc::new(Mutex::new(Some(permit)));
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        waiting_for_head.lock().expect("never poisoned").take();
        request.extensions_mut().insert(ConnectInfo(peer));
        let mut router = router.clone();
        async move {
            let response = router.call(request.map(Body::new)).await;
            Ok::<_, Infallible>(response.unwrap_or_else(|never| match never {}))
        }
    });
    let served = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(rules.header_read_timeout)
        .serve_connection(TokioIo::new(io), service)
        .with_upgrades();
    tokio::pin!(served);
    let mut check = tokio::time::interval(IDLE_CHECK);
    loop {
        tokio::select! {
            result = served.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(client = %peer.ip(), %error, "HTTP connection ended");
                }
                return;
            }
            _ = check.tick() => {
                if activity.stalled_for() >= rules.send_timeout {
                    tracing::debug!(client = %peer.ip(), "the client stopped reading: connection dropped");
                    return;
                }
            }
        }
    }
}

/// Whether a connection's writes are blocked (the client is not reading), and
/// since when.
struct Activity {
    epoch: Instant,
    /// Milliseconds since `epoch` when a write first found the socket full, plus
    /// one; 0 while writes go through.
    blocked_since: AtomicU64,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            epoch: Instant::now(),
            blocked_since: AtomicU64::new(0),
        }
    }

    fn wrote<T>(&self, polled: &Poll<io::Result<T>>) {
        match polled {
            Poll::Pending => {
                let now = self.epoch.elapsed().as_millis() as u64 + 1;
                let _ = self.blocked_since.compare_exchange(
                    0,
                    now,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                );
            }
            Poll::Ready(_) => self.blocked_since.store(0, Ordering::Relaxed),
        }
    }

    /// How long writes have been blocked; zero when they are not.
    fn stalled_for(&self) -> Duration {
        match self.blocked_since.load(Ordering::Relaxed) {
            0 => Duration::ZERO,
            since => self
                .epoch
                .elapsed()
                .saturating_sub(Duration::from_millis(since - 1)),
        }
    }
}

/// An I/O stream that records when its writes block.
struct Watched<I> {
    inner: I,
    activity: Arc<Activity>,
}

impl<I: AsyncRead + Unpin> AsyncRead for Watched<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for Watched<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, data);
        self.activity.wrote(&polled);
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.activity.wrote(&polled);
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
