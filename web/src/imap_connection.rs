//! The shared IMAP engine over the browser's tunnel.

use postern_shared::imap::{
    CommandError, Event, Outcome, ProtocolError, RequestError, RequestId, Session,
};
use postern_shared::tunnel::Protocol;

use crate::engine_connection::{DriveError, EngineConnection};
use crate::tunnel::TunnelError;

/// Largest single response the browser accepts (a big body part is fetched in pieces).
const MAX_RESPONSE: u32 = 64 << 20;

/// Why an IMAP exchange in the browser failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConnectionError {
    #[error(transparent)]
    Tunnel(#[from] TunnelError),
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    #[error(transparent)]
    Refused(#[from] CommandError),
    #[error("the mail server said goodbye: {0}")]
    Bye(String),
    /// A request the engine would not send (e.g. LOGIN where the server disabled it).
    #[error(transparent)]
    Request(#[from] RequestError),
}

impl From<DriveError<ProtocolError>> for ConnectionError {
    fn from(error: DriveError<ProtocolError>) -> Self {
        match error {
            DriveError::Tunnel(e) => e.into(),
            DriveError::Engine(e) => e.into(),
        }
    }
}

pub type ImapConnection = EngineConnection<Session>;

impl EngineConnection<Session> {
    /// Opens a tunnel to `upstream` and waits for the server's greeting.
    pub async fn connect(
        tunnel_url: &str,
        upstream: &str,
    ) -> Result<ImapConnection, ConnectionError> {
        let mut connection = EngineConnection::open(
            tunnel_url,
            upstream,
            Protocol::Imap,
            Session::new(MAX_RESPONSE),
        )
        .await?;
        match connection
            .pump_until(|e| matches!(e, Event::Greeting { .. } | Event::Bye(_)))
            .await?
        {
            Event::Bye(text) => Err(ConnectionError::Bye(text)),
            _ => Ok(connection),
        }
    }

    /// Signs in with LOGIN, then learns the capabilities of the signed-in session if
    /// the server did not announce them on the way (a greeting replayed after the
    /// Postern server's STARTTLS has none; Courier's LOGIN answer has none): one
    /// CAPABILITY then, rather than guessing what the server can do.
    pub async fn sign_in(&mut self, user: &str, password: &str) -> Result<(), ConnectionError> {
        let login = self.session.login(user, password)?;
        self.run(login).await?;
        if !self.session.capabilities_known() {
            let capability = self.session.capability();
            self.run(capability).await?;
        }
        Ok(())
    }

    /// Waits for request `id`; a NO or BAD becomes [`ConnectionError::Refused`].
    pub async fn run(&mut self, id: RequestId) -> Result<Outcome, ConnectionError> {
        Ok(self.complete(id).await??)
    }
}
