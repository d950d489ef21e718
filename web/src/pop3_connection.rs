//! The shared POP3 engine over the browser's tunnel.

use postern_shared::pop3::{Event, Outcome, ProtocolError, Refusal, RequestId, Session, Step};
use postern_shared::tunnel::{Protocol, TunnelRequest};

use crate::tunnel::{Tunnel, TunnelError};

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

pub struct Pop3Connection {
    pub session: Session,
    tunnel: Tunnel,
}

impl Pop3Connection {
    /// Opens a tunnel and waits for the greeting (a refusing greeting is an error).
    pub async fn open(
        tunnel_url: &str,
        upstream: &str,
    ) -> Result<Pop3Connection, Pop3ConnectionError> {
        let request = TunnelRequest {
            upstream: upstream.to_owned(),
            protocol: Protocol::Pop3,
        };
        let tunnel = Tunnel::open(tunnel_url, &request).await?;
        let mut connection = Pop3Connection {
            session: Session::new(MAX_RESPONSE),
            tunnel,
        };
        loop {
            match connection.next_event().await? {
                Event::Greeting { .. } => return Ok(connection),
                Event::Rejected(refusal) => return Err(refusal.into()),
                Event::Completed { .. } => {}
            }
        }
    }

    /// Waits for request `id`; a `-ERR` becomes [`Pop3ConnectionError::Refused`].
    pub async fn run(&mut self, id: RequestId) -> Result<Outcome, Pop3ConnectionError> {
        loop {
            if let Event::Completed { id: done, result } = self.next_event().await?
                && done == id
            {
                return Ok(result?);
            }
        }
    }

    async fn next_event(&mut self) -> Result<Event, Pop3ConnectionError> {
        loop {
            match self.session.progress()? {
                Step::Send(bytes) => self.tunnel.send(&bytes)?,
                Step::Event(event) => return Ok(event),
                Step::NeedInput => {
                    let bytes = self.tunnel.recv().await?;
                    self.session.receive(&bytes);
                }
            }
        }
    }
}
