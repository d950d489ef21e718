//! What a test reads of a mail server's Maildir++ store, whichever server keeps it:
//! the same checks run against Dovecot and Courier.

use std::path::{Path, PathBuf};

use crate::corpus::Message;

/// A running mail server whose users' mail a test can seed and inspect on disk.
pub trait MailStore {
    /// The Maildir of `folder`, named as the server names it (`Trash`, `INBOX.Trash`).
    fn maildir(&self, user: &str, folder: &str) -> PathBuf;
    /// Writes messages into a folder; the server sees them at its next scan.
    fn seed(&self, user: &str, folder: &str, messages: &[Message]) -> anyhow::Result<()>;
}

impl MailStore for crate::dovecot::Dovecot {
    fn maildir(&self, user: &str, folder: &str) -> PathBuf {
        crate::dovecot::Dovecot::maildir(self, user, folder)
    }
    fn seed(&self, user: &str, folder: &str, messages: &[Message]) -> anyhow::Result<()> {
        crate::dovecot::Dovecot::seed(self, user, folder, messages)
    }
}

impl MailStore for crate::courier::Courier {
    fn maildir(&self, user: &str, folder: &str) -> PathBuf {
        crate::courier::Courier::maildir(self, user, folder)
    }
    fn seed(&self, user: &str, folder: &str, messages: &[Message]) -> anyhow::Result<()> {
        crate::courier::Courier::seed(self, user, folder, messages)
    }
}

/// The file names of a Maildir's messages (`cur` and `new`); flags follow `:2,`.
pub fn message_files(maildir: &Path) -> Vec<String> {
    ["cur", "new"]
        .iter()
        .filter_map(|sub| std::fs::read_dir(maildir.join(sub)).ok())
        .flatten()
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect()
}
