//! What the browser keeps between visits, in IndexedDB.
//!
//! - [`idb`]: IndexedDB as futures; writes resolve when committed;
//! - [`local_mail`]: the local mailbox of POP3 accounts (messages by UIDL, bodies,
//!   folders and settings).

pub mod idb;
pub mod local_mail;
