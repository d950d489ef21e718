//! What a test asks of a mail server's store, whichever server keeps it, so one
//! scenario runs against Dovecot, Courier and Cyrus: seed mail, count messages, find
//! flags and folders. Dovecot and Courier are read on disk (Maildir++); Cyrus, whose
//! spool is its own, through a second IMAP connection of its own.

use std::path::Path;

use crate::corpus::Message;

/// A running mail server whose users' mail a test can seed and inspect.
pub trait MailStore {
    /// Adds messages to a folder (named as the server names it: `Trash`,
    /// `INBOX.Trash`); the server sees them at its next scan.
    fn seed(&self, user: &str, folder: &str, messages: &[Message]) -> anyhow::Result<()>;
    /// How many messages the folder holds (0 when it does not exist).
    fn count(&self, user: &str, folder: &str) -> usize;
    /// How many of them are flagged (`\Flagged`).
    fn flagged(&self, user: &str, folder: &str) -> usize;
    /// Whether the folder exists.
    fn has_folder(&self, user: &str, folder: &str) -> bool;
}

/// [`MailStore`] answers for servers that keep Maildir++ where a test can read it.
pub trait MaildirStore {
    /// The Maildir of `folder`.
    fn maildir(&self, user: &str, folder: &str) -> std::path::PathBuf;
    fn seed_maildir(&self, user: &str, folder: &str, messages: &[Message]) -> anyhow::Result<()>;
}

impl<T: MaildirStore> MailStore for T {
    fn seed(&self, user: &str, folder: &str, messages: &[Message]) -> anyhow::Result<()> {
        self.seed_maildir(user, folder, messages)
    }
    fn count(&self, user: &str, folder: &str) -> usize {
        message_files(&self.maildir(user, folder)).len()
    }
    fn flagged(&self, user: &str, folder: &str) -> usize {
        message_files(&self.maildir(user, folder))
            .iter()
            .filter(|name| {
                name.rsplit_once(":2,")
                    .is_some_and(|(_, flags)| flags.contains('F'))
            })
            .count()
    }
    fn has_folder(&self, user: &str, folder: &str) -> bool {
        self.maildir(user, folder).is_dir()
    }
}

impl MaildirStore for crate::dovecot::Dovecot {
    fn maildir(&self, user: &str, folder: &str) -> std::path::PathBuf {
        crate::dovecot::Dovecot::maildir(self, user, folder)
    }
    fn seed_maildir(&self, user: &str, folder: &str, messages: &[Message]) -> anyhow::Result<()> {
        crate::dovecot::Dovecot::seed(self, user, folder, messages)
    }
}

impl MaildirStore for crate::courier::Courier {
    fn maildir(&self, user: &str, folder: &str) -> std::path::PathBuf {
        crate::courier::Courier::maildir(self, user, folder)
    }
    fn seed_maildir(&self, user: &str, folder: &str, messages: &[Message]) -> anyhow::Result<()> {
        crate::courier::Courier::seed(self, user, folder, messages)
    }
}

/// Where a seeded message goes in a Maildir, and under which name: `new/` while it
/// has no flag, else `cur/` with its flags (`:2,FS`). Names sort in seeding order,
/// so UIDs follow it, and never repeat, even for two seedings in the same second.
pub(crate) fn maildir_place(message: &Message) -> (&'static str, String) {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let unique = format!("{stamp}.P{:09}.postern-test", crate::next_seed_number());
    let mut flags: Vec<char> = message.flags.chars().collect();
    if message.seen {
        flags.push('S');
    }
    if flags.is_empty() {
        return ("new", unique);
    }
    flags.sort_unstable();
    flags.dedup();
    let flags: String = flags.into_iter().collect();
    ("cur", format!("{unique}:2,{flags}"))
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
