//! The IMAP engine over a tunnel, with waits shaped for IMAP tests.

use postern_shared::imap::{Event, MailboxChange, Outcome, Session, UidSet};
use postern_shared::summary::MessageSummary;
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

    /// The summaries of every message of the selected folder (`UID FETCH 1:*`).
    pub async fn all_summaries(&mut self) -> Vec<MessageSummary> {
        let fetch = self
            .session
            .fetch_summaries(&UidSet::range(1, None))
            .expect("1:* is a valid set");
        match self.ok(fetch).await {
            Outcome::Summaries(rows) => rows,
            other => panic!("FETCH answered with {other:?}"),
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
