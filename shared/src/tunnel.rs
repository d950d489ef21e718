//! The `/tunnel` wire contract (see `docs/tunnel-protocol.md`).
//!
//! A tunnel is one WebSocket carrying one mail-protocol session:
//! 1. the client sends a [`TunnelRequest`] as a JSON text frame;
//! 2. the server answers with a [`TunnelReply`] as a JSON text frame;
//! 3. after an accepted reply, binary frames carry the raw protocol bytes both ways;
//! 4. either side ends the session; the server says why with a [`CloseReason`].
//!
//! The client names an upstream by its configured id, never by host or port: that is
//! what keeps the server from being an open proxy.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A mail protocol a tunnel can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Imap,
    Pop3,
    Smtp,
}

impl Protocol {
    pub const ALL: [Protocol; 3] = [Protocol::Imap, Protocol::Pop3, Protocol::Smtp];

    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Imap => "imap",
            Protocol::Pop3 => "pop3",
            Protocol::Smtp => "smtp",
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the server's connection to the upstream is protected.
///
/// The browser always sees the plaintext protocol: with `Implicit` and `Starttls` the
/// server holds the TLS session to the upstream and relays what is inside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// TLS from the first byte (IMAPS 993, POP3S 995, submissions 465).
    Implicit,
    /// Plaintext greeting, then STARTTLS/STLS, performed by the server before relaying.
    Starttls,
    /// No TLS at all: only allowed for loopback upstreams unless forced in the config.
    None,
}

impl TlsMode {
    pub fn as_str(self) -> &'static str {
        match self {
            TlsMode::Implicit => "implicit",
            TlsMode::Starttls => "starttls",
            TlsMode::None => "none",
        }
    }
}

/// The first frame a client sends: which configured upstream, which protocol.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TunnelRequest {
    pub upstream: String,
    pub protocol: Protocol,
}

impl TunnelRequest {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a TunnelRequest always serialises")
    }

    /// Parses the first frame; any deviation from the contract is a [`ErrorCode::BadRequest`].
    /// The frame must be a JSON object: serde would also read a struct from an array
    /// of its fields in order (`["imap-example", "imap"]`), which is not the contract.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        let value: serde_json::Value = serde_json::from_str(text)?;
        if !value.is_object() {
            return Err(serde::de::Error::custom(
                "the handshake must be a JSON object",
            ));
        }
        serde_json::from_value(value)
    }
}

/// Why the server refused a tunnel. The string forms are stable API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The first frame was missing, late, not text, or not a valid [`TunnelRequest`].
    BadRequest,
    /// No upstream with that id is configured.
    UnknownUpstream,
    /// The upstream exists but does not offer that protocol.
    ProtocolNotOffered,
    /// The page that opened the WebSocket is not an allowed origin.
    ForbiddenOrigin,
    /// The global or per-client limit of open tunnels is reached.
    TooManyConnections,
    /// The upstream could not be resolved, reached, or refused by address policy.
    UpstreamUnreachable,
    /// TLS to the upstream failed: untrusted certificate, wrong name, or a refused STARTTLS.
    UpstreamTlsFailed,
    /// The server is shutting down and takes no new tunnels.
    ShuttingDown,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 8] = [
        ErrorCode::BadRequest,
        ErrorCode::UnknownUpstream,
        ErrorCode::ProtocolNotOffered,
        ErrorCode::ForbiddenOrigin,
        ErrorCode::TooManyConnections,
        ErrorCode::UpstreamUnreachable,
        ErrorCode::UpstreamTlsFailed,
        ErrorCode::ShuttingDown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::UnknownUpstream => "unknown_upstream",
            ErrorCode::ProtocolNotOffered => "protocol_not_offered",
            ErrorCode::ForbiddenOrigin => "forbidden_origin",
            ErrorCode::TooManyConnections => "too_many_connections",
            ErrorCode::UpstreamUnreachable => "upstream_unreachable",
            ErrorCode::UpstreamTlsFailed => "upstream_tls_failed",
            ErrorCode::ShuttingDown => "shutting_down",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The server's answer to a [`TunnelRequest`].
///
/// On the wire: `{"ok":true,"upstream":..,"protocol":..,"tls":..}` or
/// `{"ok":false,"error":"<code>","message":"<human text>"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ReplyWire", into = "ReplyWire")]
pub enum TunnelReply {
    Accepted {
        upstream: String,
        protocol: Protocol,
        tls: TlsMode,
    },
    Refused {
        error: ErrorCode,
        message: String,
    },
}

impl TunnelReply {
    pub fn refused(error: ErrorCode, message: impl Into<String>) -> Self {
        TunnelReply::Refused {
            error,
            message: message.into(),
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a TunnelReply always serialises")
    }

    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }
}

/// The flat JSON shape of [`TunnelReply`]: serde cannot tag an enum by a boolean.
#[derive(Serialize, Deserialize)]
struct ReplyWire {
    ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    upstream: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    protocol: Option<Protocol>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tls: Option<TlsMode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<ErrorCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    message: Option<String>,
}

impl From<TunnelReply> for ReplyWire {
    fn from(reply: TunnelReply) -> Self {
        match reply {
            TunnelReply::Accepted {
                upstream,
                protocol,
                tls,
            } => ReplyWire {
                ok: true,
                upstream: Some(upstream),
                protocol: Some(protocol),
                tls: Some(tls),
                error: None,
                message: None,
            },
            TunnelReply::Refused { error, message } => ReplyWire {
                ok: false,
                upstream: None,
                protocol: None,
                tls: None,
                error: Some(error),
                message: Some(message),
            },
        }
    }
}

impl TryFrom<ReplyWire> for TunnelReply {
    type Error = &'static str;

    fn try_from(wire: ReplyWire) -> Result<Self, Self::Error> {
        if wire.ok {
            Ok(TunnelReply::Accepted {
                upstream: wire.upstream.ok_or("accepted reply without \"upstream\"")?,
                protocol: wire.protocol.ok_or("accepted reply without \"protocol\"")?,
                tls: wire.tls.ok_or("accepted reply without \"tls\"")?,
            })
        } else {
            Ok(TunnelReply::Refused {
                error: wire.error.ok_or("refusal without \"error\"")?,
                message: wire.message.unwrap_or_default(),
            })
        }
    }
}

/// Why the server closed an accepted tunnel; sent as the WebSocket close frame.
///
/// Codes 4000-4999 are reserved by RFC 6455 for applications; the standard codes are
/// used where one fits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CloseReason {
    /// The mail server closed its end (e.g. after LOGOUT or QUIT).
    UpstreamClosed,
    /// The client closed the WebSocket.
    ClientClosed,
    /// Neither side sent a byte for the configured idle time.
    IdleTimeout,
    /// The session reached the configured maximum length.
    SessionExpired,
    /// The server is shutting down.
    ServerShutdown,
    /// A client frame exceeded the configured maximum message size.
    MessageTooBig,
    /// The client sent a frame the contract does not allow (text after the handshake).
    ProtocolViolation,
    /// Reading from or writing to the mail server failed.
    UpstreamError,
}

impl CloseReason {
    pub const ALL: [CloseReason; 8] = [
        CloseReason::UpstreamClosed,
        CloseReason::ClientClosed,
        CloseReason::IdleTimeout,
        CloseReason::SessionExpired,
        CloseReason::ServerShutdown,
        CloseReason::MessageTooBig,
        CloseReason::ProtocolViolation,
        CloseReason::UpstreamError,
    ];

    /// The WebSocket close code.
    pub fn code(self) -> u16 {
        match self {
            CloseReason::UpstreamClosed | CloseReason::ClientClosed => 1000,
            CloseReason::ServerShutdown => 1001,
            CloseReason::ProtocolViolation => 1008,
            CloseReason::MessageTooBig => 1009,
            CloseReason::UpstreamError => 1011,
            CloseReason::IdleTimeout => 4000,
            CloseReason::SessionExpired => 4001,
        }
    }

    /// The stable, machine-readable reason string of the close frame.
    pub fn as_str(self) -> &'static str {
        match self {
            CloseReason::UpstreamClosed => "upstream_closed",
            CloseReason::ClientClosed => "client_closed",
            CloseReason::IdleTimeout => "idle_timeout",
            CloseReason::SessionExpired => "session_expired",
            CloseReason::ServerShutdown => "server_shutdown",
            CloseReason::MessageTooBig => "message_too_big",
            CloseReason::ProtocolViolation => "protocol_violation",
            CloseReason::UpstreamError => "upstream_error",
        }
    }

    /// Recognises a close frame's reason string.
    pub fn from_reason(reason: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == reason)
    }
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One upstream as the login page sees it (`GET /api/upstreams`): no host, no port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpstreamListing {
    pub id: String,
    pub name: String,
    pub protocols: Vec<Protocol>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_round_trips_and_rejects_extras() {
        let request = TunnelRequest {
            upstream: "local".into(),
            protocol: Protocol::Pop3,
        };
        assert_eq!(
            request.to_json(),
            r#"{"upstream":"local","protocol":"pop3"}"#
        );
        assert_eq!(
            TunnelRequest::from_json(&request.to_json()).unwrap(),
            request
        );
        assert!(TunnelRequest::from_json(r#"{"upstream":"x","protocol":"ftp"}"#).is_err());
        assert!(
            TunnelRequest::from_json(r#"{"upstream":"x","protocol":"imap","host":"evil"}"#)
                .is_err()
        );
        assert!(TunnelRequest::from_json(r#"{"protocol":"imap"}"#).is_err());
        // Only an object: serde would read the fields from an array in order too.
        assert!(TunnelRequest::from_json(r#"["x","imap"]"#).is_err());
        assert!(TunnelRequest::from_json(r#"{"upstream":"x","protocol":"imap"}"#).is_ok());
    }

    #[test]
    fn replies_have_the_documented_shape() {
        let ok = TunnelReply::Accepted {
            upstream: "local".into(),
            protocol: Protocol::Imap,
            tls: TlsMode::Starttls,
        };
        assert_eq!(
            ok.to_json(),
            r#"{"ok":true,"upstream":"local","protocol":"imap","tls":"starttls"}"#
        );
        let refused = TunnelReply::refused(ErrorCode::TooManyConnections, "limit reached");
        assert_eq!(
            refused.to_json(),
            r#"{"ok":false,"error":"too_many_connections","message":"limit reached"}"#
        );
        for reply in [ok, refused] {
            assert_eq!(TunnelReply::from_json(&reply.to_json()).unwrap(), reply);
        }
        assert!(TunnelReply::from_json(r#"{"ok":true}"#).is_err());
        assert!(TunnelReply::from_json(r#"{"ok":false}"#).is_err());
    }

    #[test]
    fn string_forms_match_serde() {
        for code in ErrorCode::ALL {
            assert_eq!(
                serde_json::to_string(&code).unwrap(),
                format!("\"{}\"", code.as_str())
            );
        }
        for protocol in Protocol::ALL {
            assert_eq!(
                serde_json::to_string(&protocol).unwrap(),
                format!("\"{protocol}\"")
            );
        }
        for reason in CloseReason::ALL {
            assert_eq!(CloseReason::from_reason(reason.as_str()), Some(reason));
        }
    }
}
