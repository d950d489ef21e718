//! One function, [`connect`], from a configured upstream to a ready byte stream.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, BufReader};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout_at};
use tokio_rustls::TlsConnector;

use postern_shared::tunnel::{ErrorCode, Protocol, TlsMode};

use super::policy::permitted;
use super::starttls;
use super::tls::TlsConfigs;
use crate::config::{Endpoint, Upstream};

/// A byte stream to the upstream, plain or TLS.
pub trait UpstreamIo: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> UpstreamIo for T {}

/// A connection ready to relay.
pub struct Connected {
    pub io: Box<dyn UpstreamIo>,
    /// Bytes the client must receive before anything read from `io`: the greeting the
    /// server consumed while performing STARTTLS on the client's behalf.
    pub replay: Vec<u8>,
    pub peer: SocketAddr,
}

/// Why an upstream could not be reached; `code` is what the client is told.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ConnectError {
    pub code: ErrorCode,
    pub message: String,
}

impl ConnectError {
    fn unreachable(message: impl Into<String>) -> Self {
        ConnectError {
            code: ErrorCode::UpstreamUnreachable,
            message: message.into(),
        }
    }
    fn tls(message: impl Into<String>) -> Self {
        ConnectError {
            code: ErrorCode::UpstreamTlsFailed,
            message: message.into(),
        }
    }
}

/// Resolves, checks policy, connects, and secures the link, all within `limit`.
pub async fn connect(
    upstream: &Upstream,
    protocol: Protocol,
    endpoint: Endpoint,
    tls: &TlsConfigs,
    limit: Duration,
) -> Result<Connected, ConnectError> {
    let deadline = Instant::now() + limit;
    let late = || ConnectError::unreachable(format!("no answer within {} s", limit.as_secs()));
    timeout_at(deadline, connect_inner(upstream, protocol, endpoint, tls))
        .await
        .map_err(|_| late())?
}

async fn connect_inner(
    upstream: &Upstream,
    protocol: Protocol,
    endpoint: Endpoint,
    tls: &TlsConfigs,
) -> Result<Connected, ConnectError> {
    let (tcp, peer) = connect_tcp(upstream, endpoint.port).await?;
    // Mail protocols are chatty in small lines; don't let Nagle delay each one.
    let _ = tcp.set_nodelay(true);
    match endpoint.tls {
        TlsMode::None => Ok(Connected {
            io: Box::new(tcp),
            replay: Vec::new(),
            peer,
        }),
        TlsMode::Implicit => Ok(Connected {
            io: Box::new(handshake(upstream, tls, tcp).await?),
            replay: Vec::new(),
            peer,
        }),
        TlsMode::Starttls => {
            let mut buffered = BufReader::new(tcp);
            let replay =
                starttls::negotiate(&mut buffered, protocol)
                    .await
                    .map_err(|e| match e {
                        starttls::StarttlsError::Refused(_) => ConnectError::tls(e.to_string()),
                        _ => ConnectError::unreachable(e.to_string()),
                    })?;
            let tcp = buffered.into_inner();
            Ok(Connected {
                io: Box::new(handshake(upstream, tls, tcp).await?),
                replay,
                peer,
            })
        }
    }
}

async fn connect_tcp(
    upstream: &Upstream,
    port: u16,
) -> Result<(TcpStream, SocketAddr), ConnectError> {
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host((upstream.host.as_str(), port))
        .await
        .map_err(|e| ConnectError::unreachable(format!("cannot resolve the mail server: {e}")))?
        .collect();
    let deliberate = upstream.allow_internal_address || upstream.host_is_deliberately_internal();
    let allowed = permitted(&addresses, deliberate);
    if allowed.is_empty() {
        return Err(ConnectError::unreachable(if addresses.is_empty() {
            "the mail server's name resolves to no address".to_owned()
        } else {
            "the mail server's name resolves only to internal addresses, which this server \
             refuses (set allow_internal_address for this upstream if that is intended)"
                .to_owned()
        }));
    }
    let mut last_error = None;
    for address in allowed {
        match TcpStream::connect(address).await {
            Ok(stream) => return Ok((stream, address)),
            Err(e) => last_error = Some(e),
        }
    }
    Err(ConnectError::unreachable(format!(
        "cannot connect to the mail server: {}",
        last_error.expect("at least one address was tried")
    )))
}

async fn handshake(
    upstream: &Upstream,
    tls: &TlsConfigs,
    tcp: TcpStream,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, ConnectError> {
    let name = ServerName::try_from(upstream.tls_server_name.clone()).map_err(|_| {
        ConnectError::tls(format!(
            "{:?} is not a valid TLS server name",
            upstream.tls_server_name
        ))
    })?;
    let connector = TlsConnector::from(Arc::clone(&tls.for_upstream(&upstream.id)));
    connector.connect(name, tcp).await.map_err(|e| {
        let reason = e
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
            .map_or_else(
                || e.to_string(),
                |e| explain_tls(e, &upstream.tls_server_name),
            );
        ConnectError::tls(format!("TLS with the mail server failed: {reason}"))
    })
}

/// A TLS failure in words an administrator (and the user who reports it) can act on.
fn explain_tls(error: &rustls::Error, name: &str) -> String {
    use rustls::CertificateError as Certificate;
    let rustls::Error::InvalidCertificate(problem) = error else {
        return error.to_string();
    };
    match problem {
        Certificate::Expired | Certificate::ExpiredContext { .. } => {
            "the mail server's certificate has expired".to_owned()
        }
        Certificate::NotValidYet | Certificate::NotValidYetContext { .. } => {
            "the mail server's certificate is not valid yet (check the clocks)".to_owned()
        }
        Certificate::NotValidForName | Certificate::NotValidForNameContext { .. } => {
            format!("the mail server's certificate is not made out to {name:?}")
        }
        Certificate::UnknownIssuer => "the mail server's certificate is signed by an \
            authority this Postern server does not trust; for a private CA, set ca_file \
            for this upstream"
            .to_owned(),
        Certificate::Other(other)
            if matches!(
                other.0.downcast_ref::<webpki::Error>(),
                Some(webpki::Error::CaUsedAsEndEntity)
            ) =>
        {
            "the mail server presents a CA certificate as its own (a self-signed \
             certificate made with `openssl req -x509` is one); give the mail server a \
             certificate signed by that CA instead, with CA:FALSE (README, \"Mail server certificates\")"
                .to_owned()
        }
        Certificate::Other(other) => {
            format!("the mail server's certificate is not acceptable: {}", other.0)
        }
        other => format!("the mail server's certificate is not acceptable: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn certificate_failures_are_said_in_words() {
        let ca_as_leaf = rustls::Error::InvalidCertificate(rustls::CertificateError::Other(
            rustls::OtherError(Arc::new(webpki::Error::CaUsedAsEndEntity)),
        ));
        let said = explain_tls(&ca_as_leaf, "mail.example.org");
        assert!(said.contains("CA certificate as its own"), "{said}");
        assert!(!said.contains("CaUsedAsEndEntity"), "{said}");
        let unknown = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        assert!(explain_tls(&unknown, "x").contains("ca_file"));
        let name = rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForName);
        assert!(explain_tls(&name, "mail.example.org").contains("mail.example.org"));
    }
}
