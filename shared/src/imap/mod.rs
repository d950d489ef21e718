//! The IMAP client engine: sans-IO, on imap-codec and imap-next.
//!
//! - [`Session`]: the state machine. Requests are typed methods that return a
//!   [`RequestId`]; bytes from the server go in with [`Session::receive`]; bytes to
//!   send and [`Event`]s come out of [`Session::progress`]. Several requests may be in
//!   flight at once (pipelining); each completes with its own [`Event::Completed`].
//! - [`outcome`]: what completed requests return: mailboxes, the selected mailbox,
//!   message summaries, body sections, flag changes, errors.
//! - [`UidSet`], [`SearchQuery`], [`SortBy`]: typed inputs (no text is pasted into a
//!   command);
//! - [`structure`]: a message's MIME parts and which of them to fetch to show it;
//! - [`threading`]: RFC 5256 REFERENCES threading on the client, for servers without
//!   THREAD;
//! - [`folder_roles`]: which folder is the Trash, Sent... when the server does not
//!   say (usual names in the personal namespace, the user's choice), and folder names
//!   as the user sees them;
//! - [`list_window`]: which messages a folder's list asks for first;
//! - [`utf7`]: modified UTF-7 mailbox names.
//!
//! Timeouts, reconnects and the transport are the caller's: the engine has no clock.

pub mod folder_roles;
pub mod list_window;
pub mod outcome;
mod search;
mod session;
pub mod structure;
pub mod threading;
mod uid_set;
pub mod utf7;

pub use outcome::{
    AppendUid, CommandError, CopyUid, FlagUpdate, MailboxChange, MailboxInfo, MailboxStatus,
    Outcome, SelectedMailbox, SpecialUse, ThreadNode,
};
pub use search::{SearchQuery, SortBy};
pub use session::{
    CachedState, Event, Extension, FlagOperation, ProtocolError, RequestError, RequestId, Session,
    Step,
};
pub use uid_set::UidSet;

#[cfg(test)]
mod tests;
