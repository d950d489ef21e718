//! A native client of the tunnel contract, for tests and benchmarks.

use futures_util::{SinkExt, StreamExt};
use postern_shared::tunnel::{ErrorCode, Protocol, TunnelReply, TunnelRequest};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Bytes, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type WebSocket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long a read waits before the test fails.
pub const READ_PATIENCE: std::time::Duration = std::time::Duration::from_secs(30);

/// Opens the WebSocket, optionally with an `Origin` header as a browser would send.
pub async fn connect(url: &str, origin: Option<&str>) -> anyhow::Result<WebSocket> {
    let mut request = url.into_client_request()?;
    if let Some(origin) = origin {
        request
            .headers_mut()
            .insert("Origin", HeaderValue::from_str(origin)?);
    }
    let (ws, _) = tokio_tungstenite::connect_async(request).await?;
    Ok(ws)
}

/// Opens a `wss://` WebSocket, trusting only the CA in `ca_file` (a reverse proxy
/// of the tests, with the test PKI), from the origin of the page it serves.
pub async fn connect_tls(url: &str, ca_file: &std::path::Path) -> anyhow::Result<WebSocket> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, ServerName};

    let request = url.into_client_request()?;
    let authority = request.uri().authority().expect("a wss:// URL").clone();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from_pem_file(ca_file)?)?;
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let tcp = TcpStream::connect(authority.as_str()).await?;
    let tls = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
        .connect(ServerName::try_from(authority.host().to_owned())?, tcp)
        .await?;
    let mut request = request;
    request.headers_mut().insert(
        "Origin",
        HeaderValue::from_str(&format!("https://{authority}"))?,
    );
    let (ws, _) = tokio_tungstenite::client_async(request, MaybeTlsStream::Rustls(tls)).await?;
    Ok(ws)
}

/// Reads the server's JSON reply to the handshake.
pub async fn read_reply(ws: &mut WebSocket) -> anyhow::Result<TunnelReply> {
    match ws.next().await {
        Some(Ok(Message::Text(text))) => Ok(TunnelReply::from_json(text.as_str())?),
        other => anyhow::bail!("expected the JSON reply, got {other:?}"),
    }
}

/// Reads until the server closes; returns its close frame.
pub async fn read_close(ws: &mut WebSocket) -> Option<CloseFrame> {
    while let Some(message) = ws.next().await {
        match message {
            Ok(Message::Close(frame)) => return frame,
            Ok(_) => continue,
            Err(_) => return None,
        }
    }
    None
}

/// An open tunnel with a read buffer for line-oriented protocols.
pub struct Tunnel {
    pub ws: WebSocket,
    buffer: Vec<u8>,
    /// Set once the server closed the tunnel.
    pub close: Option<CloseFrame>,
    /// Tags handed out by [`Tunnel::ask`].
    asked: u32,
}

/// A refused tunnel: the code from the reply and the close frame that followed.
#[derive(Debug)]
pub struct Refused {
    pub code: ErrorCode,
    pub message: String,
    pub close: Option<CloseFrame>,
}

impl Tunnel {
    /// Connects and completes the handshake, from the server's own origin.
    pub async fn open(url: &str, upstream: &str, protocol: Protocol) -> anyhow::Result<Tunnel> {
        match Tunnel::try_open(url, None, upstream, protocol).await? {
            Ok(tunnel) => Ok(tunnel),
            Err(refused) => anyhow::bail!("tunnel refused: {refused:?}"),
        }
    }

    /// A tunnel on a WebSocket whose handshake was accepted.
    pub fn from_socket(ws: WebSocket) -> Tunnel {
        Tunnel {
            ws,
            buffer: Vec::new(),
            close: None,
            asked: 0,
        }
    }

    pub async fn try_open(
        url: &str,
        origin: Option<&str>,
        upstream: &str,
        protocol: Protocol,
    ) -> anyhow::Result<Result<Tunnel, Refused>> {
        Tunnel::handshake(connect(url, origin).await?, upstream, protocol).await
    }

    /// Asks for `upstream` on an open WebSocket.
    pub async fn handshake(
        mut ws: WebSocket,
        upstream: &str,
        protocol: Protocol,
    ) -> anyhow::Result<Result<Tunnel, Refused>> {
        let request = TunnelRequest {
            upstream: upstream.to_owned(),
            protocol,
        };
        ws.send(Message::text(request.to_json())).await?;
        match read_reply(&mut ws).await? {
            TunnelReply::Accepted { .. } => Ok(Ok(Tunnel::from_socket(ws))),
            TunnelReply::Refused { error, message } => {
                let close = read_close(&mut ws).await;
                Ok(Err(Refused {
                    code: error,
                    message,
                    close,
                }))
            }
        }
    }

    pub async fn send(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        self.ws
            .send(Message::Binary(Bytes::copy_from_slice(bytes)))
            .await?;
        Ok(())
    }

    /// Receives more bytes into the buffer; false once the tunnel has closed. A
    /// server that says nothing for [`READ_PATIENCE`] fails the test instead of
    /// hanging it.
    async fn fill(&mut self) -> anyhow::Result<bool> {
        loop {
            let next = tokio::time::timeout(READ_PATIENCE, self.ws.next())
                .await
                .map_err(|_| anyhow::anyhow!("nothing arrived for {READ_PATIENCE:?}"))?;
            match next {
                Some(Ok(Message::Binary(data))) => {
                    self.buffer.extend_from_slice(&data);
                    return Ok(true);
                }
                Some(Ok(Message::Close(frame))) => {
                    self.close = frame;
                    return Ok(false);
                }
                Some(Ok(Message::Text(text))) => {
                    anyhow::bail!("text frame inside a session: {text}")
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(e.into()),
                None => return Ok(false),
            }
        }
    }

    /// Whatever bytes come next (buffered first); `None` once the tunnel has closed.
    pub async fn recv_chunk(&mut self) -> anyhow::Result<Option<Vec<u8>>> {
        if self.buffer.is_empty() && !self.fill().await? {
            return Ok(None);
        }
        Ok(Some(std::mem::take(&mut self.buffer)))
    }

    /// One CRLF-terminated line, without the CRLF.
    pub async fn read_line(&mut self) -> anyhow::Result<String> {
        loop {
            if let Some(end) = self.buffer.windows(2).position(|w| w == b"\r\n") {
                let line: Vec<u8> = self.buffer.drain(..end + 2).take(end).collect();
                return Ok(String::from_utf8_lossy(&line).into_owned());
            }
            if !self.fill().await? {
                anyhow::bail!("the tunnel closed mid-line ({:?})", self.close);
            }
        }
    }

    /// Exactly `n` bytes.
    pub async fn read_exact(&mut self, n: usize) -> anyhow::Result<Vec<u8>> {
        while self.buffer.len() < n {
            if !self.fill().await? {
                anyhow::bail!("the tunnel closed with {} of {n} bytes", self.buffer.len());
            }
        }
        Ok(self.buffer.drain(..n).collect())
    }

    /// Sends an IMAP command under `tag` and returns every line up to and including
    /// the tagged completion (literals are returned inline).
    pub async fn imap(&mut self, tag: &str, command: &str) -> anyhow::Result<Vec<String>> {
        self.send(format!("{tag} {command}\r\n").as_bytes()).await?;
        self.read_tagged(tag).await
    }

    /// Every line up to and including the one tagged `tag`.
    async fn read_tagged(&mut self, tag: &str) -> anyhow::Result<Vec<String>> {
        let mut lines = Vec::new();
        loop {
            let line = self.read_line().await?;
            let done = line.starts_with(&format!("{tag} "));
            lines.push(line);
            if done {
                return Ok(lines);
            }
        }
    }

    /// Sends an IMAP command under a fresh tag; returns the whole answer as text.
    pub async fn ask(&mut self, command: &str) -> anyhow::Result<String> {
        self.asked += 1;
        let tag = format!("ask{}", self.asked);
        Ok(self.imap(&tag, command).await?.join("\n"))
    }

    /// A raw IMAP session signed in as `user`: "another mail program" in tests.
    pub async fn imap_signed_in(
        url: &str,
        upstream: &str,
        user: &str,
        password: &str,
    ) -> anyhow::Result<Tunnel> {
        let mut tunnel = Tunnel::open(url, upstream, Protocol::Imap).await?;
        tunnel.read_line().await?;
        let login = tunnel
            .imap("login", &format!("LOGIN {user} {password}"))
            .await?;
        anyhow::ensure!(
            login.last().is_some_and(|l| l.starts_with("login OK")),
            "{login:?}"
        );
        Ok(tunnel)
    }

    /// APPENDs `message` to `mailbox` (a non-synchronising literal, LITERAL+);
    /// returns the tagged answer.
    pub async fn imap_append(
        &mut self,
        tag: &str,
        mailbox: &str,
        message: &[u8],
    ) -> anyhow::Result<String> {
        self.send(format!("{tag} APPEND {mailbox} {{{}+}}\r\n", message.len()).as_bytes())
            .await?;
        self.send(message).await?;
        self.send(b"\r\n").await?; // ends the APPEND command line
        let answer = self.read_tagged(tag).await?;
        Ok(answer.last().cloned().unwrap_or_default())
    }

    /// Sends a POP3 command and returns its one-line status.
    pub async fn pop3(&mut self, command: &str) -> anyhow::Result<String> {
        self.send(format!("{command}\r\n").as_bytes()).await?;
        self.read_line().await
    }

    /// Waits for the server to close the tunnel; returns its close frame.
    pub async fn closed(&mut self) -> Option<CloseFrame> {
        while self.close.is_none() {
            match self.fill().await {
                Ok(true) => continue,
                _ => break,
            }
        }
        self.close.clone()
    }
}
