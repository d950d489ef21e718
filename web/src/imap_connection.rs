//! The shared IMAP engine over the browser's tunnel: the engine decides what to send
//! and what it means, this module only moves bytes.

use postern_shared::imap::{CommandError, Event, Outcome, ProtocolError, RequestId, Session, Step};
use postern_shared::tunnel::{Protocol, TunnelRequest};

use crate::tunnel::{Tunnel, TunnelError};

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
}

pub struct ImapConnection {
    pub session: Session,
    tunnel: Tunnel,
    /// Events that arrived while waiting for something else, oldest first.
    pub backlog: Vec<Event>,
}

impl ImapConnection {
    /// Opens a tunnel to `upstream` and waits for the server's greeting.
    pub async fn open(tunnel_url: &str, upstream: &str) -> Result<ImapConnection, ConnectionError> {
        let request = TunnelRequest {
            upstream: upstream.to_owned(),
            protocol: Protocol::Imap,
        };
        let tunnel = Tunnel::open(tunnel_url, &request).await?;
        let mut connection = ImapConnection {
            session: Session::new(MAX_RESPONSE),
            tunnel,
            backlog: Vec::new(),
        };
        match connection
            .pump_until(|e| matches!(e, Event::Greeting { .. } | Event::Bye(_)))
            .await?
        {
            Event::Bye(text) => Err(ConnectionError::Bye(text)),
            _ => Ok(connection),
        }
    }

    /// Waits for request `id`; a NO or BAD becomes [`ConnectionError::Refused`].
    pub async fn run(&mut self, id: RequestId) -> Result<Outcome, ConnectionError> {
        match self
            .pump_until(|e| matches!(e, Event::Completed { id: done, .. } if *done == id))
            .await?
        {
            Event::Completed { result, .. } => Ok(result?),
            _ => unreachable!("pump_until returns the matching event"),
        }
    }

    async fn pump_until(
        &mut self,
        wanted: impl Fn(&Event) -> bool,
    ) -> Result<Event, ConnectionError> {
        if let Some(at) = self.backlog.iter().position(&wanted) {
            return Ok(self.backlog.remove(at));
        }
        loop {
            match self.session.progress()? {
                Step::Send(bytes) => self.tunnel.send(&bytes)?,
                Step::Event(event) if wanted(&event) => return Ok(event),
                Step::Event(event) => self.backlog.push(event),
                Step::NeedInput => {
                    let bytes = self.tunnel.recv().await?;
                    self.session.receive(&bytes);
                }
            }
        }
    }
}
