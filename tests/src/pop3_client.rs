//! The POP3 engine over a tunnel, with waits shaped for POP3 tests.

use postern_shared::pop3::{Event, Session};
use postern_shared::tunnel::Protocol;

use crate::engine_client::EngineClient;

pub type Pop3Client = EngineClient<Session>;

impl EngineClient<Session> {
    /// Opens a tunnel to `upstream` and waits for the greeting.
    pub async fn connect(
        tunnel_url: &str,
        upstream: &str,
        max_response: usize,
    ) -> anyhow::Result<Pop3Client> {
        let session = Session::new(max_response);
        let mut client = EngineClient::open(tunnel_url, upstream, Protocol::Pop3, session).await?;
        client
            .pump_until(|e| matches!(e, Event::Greeting { .. }))
            .await?;
        Ok(client)
    }
}
