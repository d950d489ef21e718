//! The message summary: one row of a message list, as the IMAP engine produces it and
//! the browser shows and caches it. One type for every layer that handles a row.

use serde::{Deserialize, Serialize};

/// A mailbox address, decoded for display.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// The display name, RFC 2047-decoded; empty when there is none.
    pub name: String,
    /// `local@domain`.
    pub email: String,
}

/// What a message list needs of one message, without its body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageSummary {
    pub uid: u32,
    /// System flags as `\Seen`, `\Flagged`...; keywords as sent.
    pub flags: Vec<String>,
    /// The subject, RFC 2047-decoded.
    pub subject: String,
    pub from: Vec<Address>,
    pub to: Vec<Address>,
    pub cc: Vec<Address>,
    /// The Date header as sent (display code parses it; servers vary).
    pub date: Option<String>,
    /// When the server received the message, RFC 3339.
    pub received: Option<String>,
    /// RFC822.SIZE in bytes.
    pub size: u32,
    pub message_id: Option<String>,
    pub in_reply_to: Option<String>,
    /// Message ids from the References header, oldest first (for threading).
    pub references: Vec<String>,
    /// Whether the structure has a part meant as an attachment.
    pub has_attachments: bool,
}

impl MessageSummary {
    pub fn has_flag(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f.eq_ignore_ascii_case(flag))
    }

    pub fn is_seen(&self) -> bool {
        self.has_flag("\\Seen")
    }
}
