//! The IMAP engine over a tunnel, with waits shaped for IMAP tests.

use postern_shared::imap::{CommandError, Event, MailboxChange, Outcome, RequestId, Session};
use postern_shared::tunnel::Protocol;

use crate::engine_client::EngineClient;

pub type ImapClient = EngineClient<Session>;

impl EngineClient<Session> {
    /// Opens a tunnel to `upstream` and waits for the greeting.
    pub async fn connect(tunnel_url: &str, upstream: &str) -> anyhow::Result<ImapClient> {
        let mut client =
            EngineClient::open(tunnel_url, upstream, Protocol::Imap, Session::new(64 << 20))
                .await?;
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
}
