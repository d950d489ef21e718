//! The shared SMTP engine over the browser's tunnel.

use postern_shared::smtp::{
    CommandError, Event, Outcome, ProtocolError, Refusal, Reply, RequestId, Session,
};
use postern_shared::tunnel::Protocol;

use crate::engine_connection::{DriveError, EngineConnection};
use crate::tunnel::TunnelError;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SmtpConnectionError {
    #[error(transparent)]
    Tunnel(#[from] TunnelError),
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("{0}")]
    Command(#[from] CommandError),
    #[error("{}", .0.describe())]
    Greeting(Reply),
}

impl From<DriveError<ProtocolError>> for SmtpConnectionError {
    fn from(error: DriveError<ProtocolError>) -> Self {
        match error {
            DriveError::Tunnel(e) => e.into(),
            DriveError::Engine(e) => e.into(),
        }
    }
}

pub type SmtpConnection = EngineConnection<Session>;

impl EngineConnection<Session> {
    /// Opens a tunnel to `upstream`'s submission port, waits for the greeting, says
    /// EHLO and signs in.
    pub async fn sign_in(
        tunnel_url: &str,
        upstream: &str,
        user: &str,
        password: &str,
    ) -> Result<SmtpConnection, SmtpConnectionError> {
        let mut smtp =
            EngineConnection::open(tunnel_url, upstream, Protocol::Smtp, Session::new()).await?;
        if let Event::Rejected(reply) = smtp
            .pump_until(|e| matches!(e, Event::Greeting(_) | Event::Rejected(_)))
            .await?
        {
            return Err(SmtpConnectionError::Greeting(reply));
        }
        let ehlo = smtp.session.ehlo("postern")?;
        smtp.run(ehlo).await?;
        let auth = smtp.session.authenticate(user, password)?;
        smtp.run(auth).await?;
        Ok(smtp)
    }

    /// Waits for request `id`; a refusal becomes [`SmtpConnectionError::Refused`].
    pub async fn run(&mut self, id: RequestId) -> Result<Outcome, SmtpConnectionError> {
        Ok(self.complete(id).await??)
    }
}
