//! The shape both protocol engines share: bytes in, steps out.
//!
//! A driver (the browser's tunnel, a test's WebSocket, a fuzzer) owns the I/O and
//! loops: send what [`Step::Send`] gives, hand [`Step::Event`]s to the application,
//! and feed received bytes with [`Engine::receive`] when asked ([`Step::NeedInput`]).

/// What an engine asks of its driver next.
#[derive(Debug)]
pub enum Step<E> {
    /// Write these bytes to the server, then progress again.
    Send(Vec<u8>),
    /// Something happened; progress again.
    Event(E),
    /// Nothing to do until more bytes arrive.
    NeedInput,
}

/// A sans-IO protocol client.
pub trait Engine {
    type Event;
    type Error;
    /// Names one request until it completes.
    type RequestId: Copy + PartialEq;
    /// What a successful request returns.
    type Outcome;
    /// What the server says when it refuses a request.
    type Refusal;

    /// The request this event completes, if it completes one.
    fn completed_request(event: &Self::Event) -> Option<Self::RequestId>;

    /// The request an event completes, and its result; other events come back.
    #[allow(clippy::type_complexity)]
    fn completion(
        event: Self::Event,
    ) -> Result<(Self::RequestId, Result<Self::Outcome, Self::Refusal>), Self::Event>;

    /// Bytes received from the server.
    fn receive(&mut self, bytes: &[u8]);

    /// Advances the engine by one step.
    fn progress(&mut self) -> Result<Step<Self::Event>, Self::Error>;
}

/// Implements [`Engine`] for a session whose `Event` ends requests with
/// `Completed { id, result }` and whose own `receive` and `progress` do the work. The
/// IMAP, POP3 and SMTP sessions are shaped alike, so they say so once:
/// `impl_engine!(Session, Event, ProtocolError, RequestId, Outcome, Refusal)`.
macro_rules! impl_engine {
    ($session:ident, $event:ident, $error:ident, $id:ident, $outcome:ident, $refusal:ident) => {
        impl $crate::engine::Engine for $session {
            type Event = $event;
            type Error = $error;
            type RequestId = $id;
            type Outcome = $outcome;
            type Refusal = $refusal;

            fn completed_request(event: &$event) -> Option<$id> {
                match event {
                    $event::Completed { id, .. } => Some(*id),
                    _ => None,
                }
            }

            fn completion(event: $event) -> Result<($id, Result<$outcome, $refusal>), $event> {
                match event {
                    $event::Completed { id, result } => Ok((id, result)),
                    other => Err(other),
                }
            }

            fn receive(&mut self, bytes: &[u8]) {
                $session::receive(self, bytes);
            }

            fn progress(&mut self) -> Result<$crate::engine::Step<$event>, $error> {
                $session::progress(self)
            }
        }
    };
}
pub(crate) use impl_engine;

/// Drivers for transcript tests: feed recorded server bytes in pieces and collect
/// what the engine sends (one entry per write) and reports.
#[cfg(test)]
pub(crate) mod transcript {
    use std::fmt::Debug;

    use super::{Engine, Step};

    pub fn drive<S: Engine>(session: &mut S, pieces: &[&[u8]]) -> (Vec<Vec<u8>>, Vec<S::Event>)
    where
        S::Error: Debug,
    {
        let mut sent = Vec::new();
        let mut events = Vec::new();
        let mut pieces = pieces.iter();
        loop {
            match session.progress().expect("the transcript is well-formed") {
                Step::Send(bytes) => sent.push(bytes),
                Step::Event(event) => events.push(event),
                Step::NeedInput => match pieces.next() {
                    Some(piece) => session.receive(piece),
                    None => return (sent, events),
                },
            }
        }
    }

    /// Checks that feeding `server` byte by byte, or split in two at any position,
    /// gives what feeding it whole gives; returns that (writes concatenated).
    pub fn every_split<S: Engine>(make: impl Fn() -> S, server: &[u8]) -> (Vec<u8>, Vec<S::Event>)
    where
        S::Error: Debug,
        S::Event: PartialEq + Debug,
    {
        let flat = |(sent, events): (Vec<Vec<u8>>, Vec<S::Event>)| (sent.concat(), events);
        let whole = flat(drive(&mut make(), &[server]));
        let bytes: Vec<&[u8]> = server.chunks(1).collect();
        assert_eq!(flat(drive(&mut make(), &bytes)), whole, "fed byte by byte");
        for at in 1..server.len() {
            let (a, b) = server.split_at(at);
            assert_eq!(flat(drive(&mut make(), &[a, b])), whole, "split at {at}");
        }
        whole
    }
}
