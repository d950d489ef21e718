//! The POP3 engine from `postern_shared::pop3` driven natively over a tunnel.

use std::time::Duration;

use postern_shared::pop3::{Event, Outcome, Refusal, RequestId, Session, Step};
use postern_shared::tunnel::Protocol;

use crate::client::Tunnel;

const PATIENCE: Duration = Duration::from_secs(15);

pub struct Pop3Client {
    pub session: Session,
    tunnel: Tunnel,
    /// How many writes went to the server (one per command in lockstep).
    pub writes: usize,
    pub backlog: Vec<Event>,
}

impl Pop3Client {
    pub async fn connect(
        tunnel_url: &str,
        upstream: &str,
        max_response: usize,
    ) -> anyhow::Result<Pop3Client> {
        let tunnel = Tunnel::open(tunnel_url, upstream, Protocol::Pop3).await?;
        let mut client = Pop3Client {
            session: Session::new(max_response),
            tunnel,
            writes: 0,
            backlog: Vec::new(),
        };
        client
            .pump_until(|e| matches!(e, Event::Greeting { .. }))
            .await?;
        Ok(client)
    }

    pub async fn run(&mut self, id: RequestId) -> anyhow::Result<Result<Outcome, Refusal>> {
        match self
            .pump_until(|e| matches!(e, Event::Completed { id: done, .. } if *done == id))
            .await?
        {
            Event::Completed { result, .. } => Ok(result),
            _ => unreachable!("pump_until returns the matching event"),
        }
    }

    pub async fn ok(&mut self, id: RequestId) -> Outcome {
        match self.run(id).await {
            Ok(Ok(outcome)) => outcome,
            other => panic!("request failed: {other:?}"),
        }
    }

    async fn pump_until(&mut self, wanted: impl Fn(&Event) -> bool) -> anyhow::Result<Event> {
        if let Some(at) = self.backlog.iter().position(&wanted) {
            return Ok(self.backlog.remove(at));
        }
        tokio::time::timeout(PATIENCE, async {
            loop {
                match self.session.progress()? {
                    Step::Send(bytes) => {
                        self.writes += 1;
                        self.tunnel.send(&bytes).await?
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
        .map_err(|_| anyhow::anyhow!("nothing of the kind within {PATIENCE:?}"))?
    }
}
