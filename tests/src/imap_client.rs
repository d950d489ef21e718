//! The IMAP engine over a tunnel, with waits shaped for IMAP tests.

use postern_shared::imap::{Event, MailboxChange, Session};
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
