//! A shared protocol engine (`postern_shared::engine::Engine`) driven over the
//! browser's tunnel: the engine decides what to send and what it means; this only
//! moves bytes.

use postern_shared::engine::{Engine, Step};
use postern_shared::tunnel::{Protocol, TunnelRequest};

use crate::tunnel::{Tunnel, TunnelCloser, TunnelError};

/// Why driving an engine stopped: the tunnel, or the engine's own error.
#[derive(Debug, Clone, PartialEq)]
pub enum DriveError<E> {
    Tunnel(TunnelError),
    Engine(E),
}

pub struct EngineConnection<S: Engine> {
    pub session: S,
    tunnel: Tunnel,
    /// Events that arrived while waiting for something else, oldest first.
    pub backlog: Vec<S::Event>,
}

impl<S: Engine> EngineConnection<S> {
    pub async fn open(
        tunnel_url: &str,
        upstream: &str,
        protocol: Protocol,
        session: S,
    ) -> Result<Self, TunnelError> {
        let request = TunnelRequest {
            upstream: upstream.to_owned(),
            protocol,
        };
        Ok(EngineConnection {
            session,
            tunnel: Tunnel::open(tunnel_url, &request).await?,
            backlog: Vec::new(),
        })
    }

    /// A handle that ends this connection from another task.
    pub fn closer(&self) -> TunnelCloser {
        self.tunnel.closer()
    }

    /// Waits for request `id`: the server's answer, or why it never came.
    #[allow(clippy::type_complexity)]
    pub async fn complete(
        &mut self,
        id: S::RequestId,
    ) -> Result<Result<S::Outcome, S::Refusal>, DriveError<S::Error>> {
        let event = self
            .pump_until(|e| S::completed_request(e) == Some(id))
            .await?;
        match S::completion(event) {
            Ok((_, result)) => Ok(result),
            Err(_) => unreachable!("pump_until returns the completing event"),
        }
    }

    /// Like [`EngineConnection::pump_until`], but gives up after `ms` milliseconds
    /// with `None`; the session is left as it was (no bytes are lost: what arrives
    /// later is read by the next call).
    pub async fn pump_until_within(
        &mut self,
        wanted: impl Fn(&S::Event) -> bool,
        ms: i32,
    ) -> Result<Option<S::Event>, DriveError<S::Error>> {
        use futures_util::future::{Either, select};
        let pump = std::pin::pin!(self.pump_until(wanted));
        let timer = std::pin::pin!(crate::dom::sleep(ms));
        match select(pump, timer).await {
            Either::Left((result, _)) => result.map(Some),
            Either::Right(((), _)) => Ok(None),
        }
    }

    /// Drives the engine until an event `wanted` accepts (looking in the backlog
    /// first); other events are kept in the backlog.
    pub async fn pump_until(
        &mut self,
        wanted: impl Fn(&S::Event) -> bool,
    ) -> Result<S::Event, DriveError<S::Error>> {
        if let Some(at) = self.backlog.iter().position(&wanted) {
            return Ok(self.backlog.remove(at));
        }
        loop {
            match self.session.progress().map_err(DriveError::Engine)? {
                Step::Send(bytes) => self.tunnel.send(&bytes).map_err(DriveError::Tunnel)?,
                Step::Event(event) if wanted(&event) => return Ok(event),
                Step::Event(event) => self.backlog.push(event),
                Step::NeedInput => {
                    let bytes = self.tunnel.recv().await.map_err(DriveError::Tunnel)?;
                    self.session.receive(&bytes);
                }
            }
        }
    }
}
