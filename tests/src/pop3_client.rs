//! The POP3 engine over a tunnel, with waits shaped for POP3 tests.

use postern_shared::pop3::{Event, Outcome, Refusal, RequestId, Session};
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
}
