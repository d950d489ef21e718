//! The shared POP3 engine over the browser's tunnel.

use postern_shared::pop3::{Event, Outcome, ProtocolError, Refusal, RequestId, Session};
use postern_shared::tunnel::Protocol;

use crate::engine_connection::{DriveError, EngineConnection};
use crate::tunnel::TunnelError;

/// Largest single message the browser accepts.
const MAX_RESPONSE: usize = 64 << 20;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Pop3ConnectionError {
    #[error(transparent)]
    Tunnel(#[from] TunnelError),
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    #[error("{}", .0.describe())]
    Refused(#[from] Refusal),
}

impl From<DriveError<ProtocolError>> for Pop3ConnectionError {
    fn from(error: DriveError<ProtocolError>) -> Self {
        match error {
            DriveError::Tunnel(e) => e.into(),
            DriveError::Engine(e) => e.into(),
        }
    }
}

pub type Pop3Connection = EngineConnection<Session>;

impl EngineConnection<Session> {
    /// Opens a tunnel and waits for the greeting (a refusing greeting is an error).
    pub async fn connect(
        tunnel_url: &str,
        upstream: &str,
    ) -> Result<Pop3Connection, Pop3ConnectionError> {
        let mut connection = EngineConnection::open(
            tunnel_url,
            upstream,
            Protocol::Pop3,
            Session::new(MAX_RESPONSE),
        )
        .await?;
        match connection
            .pump_until(|e| matches!(e, Event::Greeting { .. } | Event::Rejected(_)))
            .await?
        {
            Event::Rejected(refusal) => Err(refusal.into()),
            _ => Ok(connection),
        }
    }

    /// Waits for request `id`; a `-ERR` becomes [`Pop3ConnectionError::Refused`].
    pub async fn run(&mut self, id: RequestId) -> Result<Outcome, Pop3ConnectionError> {
        Ok(self.complete(id).await??)
    }
}
