//! The IMAP client engine: sans-IO, on imap-codec and imap-next.
//!
//! - [`Session`]: the state machine. Requests are typed methods that return a
//!   [`RequestId`]; bytes from the server go in with [`Session::receive`]; bytes to
//!   send and [`Event`]s come out of [`Session::progress`]. Several requests may be in
//!   flight at once (pipelining); each completes with its own [`Event::Completed`].
//! - [`outcome`]: what completed requests return: mailboxes, the selected mailbox,
//!   message summaries, body sections, flag changes, errors.
//! - [`utf7`]: modified UTF-7 mailbox names.
//!
//! Timeouts, reconnects and the transport are the caller's: the engine has no clock.

pub mod outcome;
mod session;
pub mod utf7;

pub use outcome::{
    CommandError, FlagUpdate, MailboxChange, MailboxInfo, Outcome, SelectedMailbox, SpecialUse,
};
pub use session::{Event, FlagOperation, ProtocolError, RequestError, RequestId, Session, Step};

#[cfg(test)]
mod tests;
