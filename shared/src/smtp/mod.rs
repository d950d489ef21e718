//! The SMTP submission client (RFC 6409 on RFC 5321): sans-IO, one module per RFC
//! where a module is one RFC's work.
//!
//! - [`rfc5321`]: typed commands, checked mailbox addresses, dot-stuffing;
//! - [`reply`]: replies read from any split of the stream, with RFC 3463 enhanced
//!   status codes and a sentence for the user;
//! - [`extensions`]: what EHLO announces (SIZE, PIPELINING, 8BITMIME, SMTPUTF8,
//!   ENHANCEDSTATUSCODES, AUTH, STARTTLS);
//! - [`rfc4954`]: AUTH PLAIN and LOGIN;
//! - [`rfc3207`]: STARTTLS, which the tunnel performs (documentation only);
//! - [`Session`]: requests in order, the envelope pipelined when allowed, DATA only
//!   when every recipient was accepted.

pub mod extensions;
pub mod reply;
pub mod rfc3207;
pub mod rfc4954;
pub mod rfc5321;
mod session;

pub use extensions::Extensions;
pub use reply::{Reply, StatusCode};
pub use rfc5321::{CommandError, Mailbox};
pub use session::{Event, Outcome, ProtocolError, Refusal, RequestId, Session, Step};

#[cfg(test)]
mod tests;
