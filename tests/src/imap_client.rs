//! The IMAP engine from `postern_shared::imap` driven natively over a tunnel: the
//! same sans-IO session the browser runs, with this crate's WebSocket client as I/O.

use std::time::Duration;

use postern_shared::imap::{CommandError, Event, MailboxChange, Outcome, RequestId, Session, Step};
use postern_shared::tunnel::Protocol;

use crate::client::Tunnel;

/// How long a test waits for something the server should do before it gives up.
const PATIENCE: Duration = Duration::from_secs(15);

pub struct ImapClient {
    pub session: Session,
    tunnel: Tunnel,
    /// Events that arrived while waiting for something else.
    pub backlog: Vec<Event>,
}

impl ImapClient {
    /// Opens a tunnel to `upstream` and waits for the greeting.
    pub async fn connect(tunnel_url: &str, upstream: &str) -> anyhow::Result<ImapClient> {
        let tunnel = Tunnel::open(tunnel_url, upstream, Protocol::Imap).await?;
        let mut client = ImapClient {
            session: Session::new(64 << 20),
            tunnel,
            backlog: Vec::new(),
        };
        client
            .pump_until(|e| matches!(e, Event::Greeting { .. }))
            .await?;
        Ok(client)
    }

    /// Waits for request `id` and returns its result.
    pub async fn run(&mut self, id: RequestId) -> anyhow::Result<Result<Outcome, CommandError>> {
        match self
            .pump_until(|e| matches!(e, Event::Completed { id: done, .. } if *done == id))
            .await?
        {
            Event::Completed { result, .. } => Ok(result),
            _ => unreachable!("pump_until returns the matching event"),
        }
    }

    /// Waits for request `id` and insists it succeeded.
    pub async fn ok(&mut self, id: RequestId) -> Outcome {
        match self.run(id).await {
            Ok(Ok(outcome)) => outcome,
            other => panic!("request failed: {other:?}"),
        }
    }

    /// The next change to the selected mailbox.
    pub async fn next_change(&mut self) -> anyhow::Result<MailboxChange> {
        match self.pump_until(|e| matches!(e, Event::Changed(_))).await? {
            Event::Changed(change) => Ok(change),
            _ => unreachable!("pump_until returns the matching event"),
        }
    }

    /// Waits for the server to accept IDLE.
    pub async fn idling(&mut self) -> anyhow::Result<()> {
        self.pump_until(|e| matches!(e, Event::Idling))
            .await
            .map(|_| ())
    }

    async fn pump_until(&mut self, wanted: impl Fn(&Event) -> bool) -> anyhow::Result<Event> {
        if let Some(at) = self.backlog.iter().position(&wanted) {
            return Ok(self.backlog.remove(at));
        }
        tokio::time::timeout(PATIENCE, async {
            loop {
                match self.session.progress()? {
                    Step::Send(bytes) => self.tunnel.send(&bytes).await?,
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
