//! The POP3 client engine: sans-IO, one module per RFC.
//!
//! - [`rfc1939`]: the base protocol: typed commands (USER, PASS, STAT, LIST, UIDL,
//!   TOP, RETR, DELE, RSET, NOOP, QUIT, APOP) and their encoding;
//! - [`rfc2449`]: CAPA and extended response codes (`[LOGIN-DELAY]`, `[IN-USE]`,
//!   `[SYS/TEMP]`, `[SYS/PERM]`, `[AUTH]`);
//! - [`rfc2595`]: STLS (performed by the tunnel for STARTTLS upstreams);
//! - [`rfc5034`]: AUTH PLAIN with an initial response;
//! - `response`: the streaming reader of single- and multi-line responses, with
//!   dot-unstuffing and a size cap;
//! - [`Session`]: requests, pipelining when the server allows it (lockstep
//!   otherwise), and typed outcomes.
//!
//! Above the protocol, the POP3 account mode's model:
//! - [`mailbox`]: the records the browser keeps (messages by UIDL, local folders,
//!   the leave-on-server policy);
//! - [`check_plan`]: what a mail check fetches and deletes, with the rules that keep
//!   mail from being lost or duplicated.

pub mod check_plan;
pub mod mailbox;
mod response;
pub mod rfc1939;
pub mod rfc2449;
pub mod rfc2595;
pub mod rfc5034;
mod session;

pub use rfc1939::{Command, CommandError};
pub use rfc2449::{Capabilities, ResponseCode};
pub use session::{Event, Outcome, ProtocolError, Refusal, RequestId, Session, Step};

#[cfg(test)]
mod tests;
