//! A shared protocol engine (`postern_shared::engine::Engine`) driven natively over
//! a tunnel: the engine decides what to send and what it means; this only moves bytes.

use std::time::Duration;

use postern_shared::engine::{Engine, Step};
use postern_shared::tunnel::Protocol;

use crate::client::Tunnel;

/// How long a test waits for something the server should do before it gives up.
const PATIENCE: Duration = Duration::from_secs(15);

pub struct EngineClient<S: Engine> {
    pub session: S,
    tunnel: Tunnel,
    /// Events that arrived while waiting for something else.
    pub backlog: Vec<S::Event>,
    /// How many writes went to the server (one per command in lockstep).
    pub writes: usize,
}

impl<S> EngineClient<S>
where
    S: Engine,
    S::Event: std::fmt::Debug,
    S::Error: std::error::Error + Send + Sync + 'static,
{
    /// Opens a tunnel for `protocol` to `upstream`, driven by `session`.
    pub async fn open(
        tunnel_url: &str,
        upstream: &str,
        protocol: Protocol,
        session: S,
    ) -> anyhow::Result<Self> {
        Ok(EngineClient {
            session,
            tunnel: Tunnel::open(tunnel_url, upstream, protocol).await?,
            backlog: Vec::new(),
            writes: 0,
        })
    }

    /// Waits for request `id` and returns its result.
    pub async fn run(
        &mut self,
        id: S::RequestId,
    ) -> anyhow::Result<Result<S::Outcome, S::Refusal>> {
        let event = self
            .pump_until(|e| S::completed_request(e) == Some(id))
            .await?;
        let (_, result) = S::completion(event)
            .map_err(|_| anyhow::anyhow!("pump_until returned another event"))?;
        Ok(result)
    }

    /// Waits for request `id` and insists it succeeded.
    pub async fn ok(&mut self, id: S::RequestId) -> S::Outcome
    where
        S::Refusal: std::fmt::Debug,
    {
        match self.run(id).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(refusal)) => panic!("request refused: {refusal:?}"),
            Err(error) => panic!("request failed: {error}"),
        }
    }

    /// Drives the engine until an event `wanted` accepts (looking in the backlog
    /// first); other events are kept in the backlog.
    pub async fn pump_until(
        &mut self,
        wanted: impl Fn(&S::Event) -> bool,
    ) -> anyhow::Result<S::Event> {
        if let Some(at) = self.backlog.iter().position(&wanted) {
            return Ok(self.backlog.remove(at));
        }
        tokio::time::timeout(PATIENCE, async {
            loop {
                match self.session.progress()? {
                    Step::Send(bytes) => {
                        self.writes += 1;
                        self.tunnel.send(&bytes).await?;
                    }
                    Step::Event(event) if wanted(&event) => return Ok(event),
                    Step::Event(event) => self.backlog.push(event),
                    Step::NeedInput => match self.tunnel.recv_chunk().await? {
                        Some(bytes) => self.session.receive(&bytes),
                        None => anyhow::bail!("the tunnel closed ({:?})", self.tunnel.close),
                    },
                }
            }
        })
        .await
        .map_err(|_| {
            anyhow::anyhow!(
                "nothing of the kind within {PATIENCE:?}; got {:?}",
                self.backlog
            )
        })?
    }
}
