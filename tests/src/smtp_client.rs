//! The SMTP engine over a tunnel, with waits shaped for submission tests.

use postern_shared::smtp::{Event, Session};
use postern_shared::tunnel::Protocol;

use crate::engine_client::EngineClient;

pub type SmtpClient = EngineClient<Session>;

impl EngineClient<Session> {
    /// Opens a tunnel to `upstream`'s submission port, waits for the greeting and
    /// says EHLO.
    pub async fn connect(tunnel_url: &str, upstream: &str) -> anyhow::Result<SmtpClient> {
        let mut client =
            EngineClient::open(tunnel_url, upstream, Protocol::Smtp, Session::new()).await?;
        client
            .pump_until(|e| matches!(e, Event::Greeting(_)))
            .await?;
        let ehlo = client.session.ehlo("postern")?;
        client.ok(ehlo).await;
        Ok(client)
    }
}
