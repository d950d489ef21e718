//! The local mailbox of a POP3 account: what the browser keeps of each message and
//! the folders the user made. POP3 servers have one inbox and no flags, so folders,
//! read state and flags live on the client; these are the records the browser stores
//! (as JSON, in IndexedDB) and the rules for changing them.

use serde::{Deserialize, Serialize};

use crate::summary::MessageSummary;

/// The folder every new message lands in. It cannot be renamed or deleted.
pub const INBOX: &str = "Inbox";

/// One message the account has seen on the server, keyed by its UIDL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalMessage {
    /// The server's unique id (RFC 1939 UIDL): the identity of the message across
    /// sessions, and the key that keeps a message from being stored twice.
    pub uidl: String,
    /// The list row, from the headers (`summary.uid` is a local number for the UI;
    /// `summary.flags` the local `\Seen` and `\Flagged`).
    pub summary: MessageSummary,
    pub folder: String,
    /// When the full message was committed locally (milliseconds since the Unix
    /// epoch); `None` while only its headers are here.
    pub downloaded_at: Option<i64>,
    /// Whether the last check still saw it on the server.
    pub on_server: bool,
    /// Deleted by the user here. The record stays, without its body and out of
    /// every folder, while the server still has the message: without it the next
    /// check would find the UIDL unknown and bring the message back.
    #[serde(default)]
    pub deleted: bool,
}

impl LocalMessage {
    pub fn is_downloaded(&self) -> bool {
        self.downloaded_at.is_some()
    }
}

/// How long messages stay on the server once a full copy is stored here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case", tag = "policy", content = "days")]
pub enum LeaveOnServer {
    /// Never deleted by Postern (the safe default: other devices still see them).
    #[default]
    Keep,
    /// Deleted once the local copy is this many days old.
    DeleteAfterDays(u32),
    /// Deleted as soon as the local copy is committed.
    DeleteAfterDownload,
}

/// The settings of one POP3 account, and its folders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountState {
    pub leave_on_server: LeaveOnServer,
    /// Download every new message in full at each check (else only on opening).
    pub download_all: bool,
    /// Minutes between automatic checks while the page is open; 0 turns them off.
    pub check_every_minutes: u32,
    /// The user's folders besides [`INBOX`], in the order they were made.
    pub folders: Vec<String>,
}

impl Default for AccountState {
    fn default() -> Self {
        AccountState {
            leave_on_server: LeaveOnServer::Keep,
            download_all: false,
            check_every_minutes: 5,
            folders: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FolderError {
    #[error("a folder needs a name")]
    Empty,
    #[error("a folder named “{0}” already exists")]
    Exists(String),
    #[error("the Inbox cannot be renamed or deleted")]
    Inbox,
    #[error("there is no folder named “{0}”")]
    Missing(String),
}

impl AccountState {
    /// Every folder, Inbox first.
    pub fn all_folders(&self) -> Vec<String> {
        std::iter::once(INBOX.to_owned())
            .chain(self.folders.iter().cloned())
            .collect()
    }

    fn has_folder(&self, name: &str) -> bool {
        name.eq_ignore_ascii_case(INBOX) || self.folders.iter().any(|f| f == name)
    }

    /// Adds a folder; returns its name as stored (trimmed).
    pub fn create_folder(&mut self, name: &str) -> Result<String, FolderError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(FolderError::Empty);
        }
        if self.has_folder(name) {
            return Err(FolderError::Exists(name.to_owned()));
        }
        self.folders.push(name.to_owned());
        Ok(name.to_owned())
    }

    /// Renames a folder; the caller moves its messages (see [`rename_in`]).
    pub fn rename_folder(&mut self, from: &str, to: &str) -> Result<String, FolderError> {
        let to = to.trim();
        if from == INBOX {
            return Err(FolderError::Inbox);
        }
        if to.is_empty() {
            return Err(FolderError::Empty);
        }
        if self.has_folder(to) {
            return Err(FolderError::Exists(to.to_owned()));
        }
        let slot = self
            .folders
            .iter_mut()
            .find(|f| *f == from)
            .ok_or_else(|| FolderError::Missing(from.to_owned()))?;
        *slot = to.to_owned();
        Ok(to.to_owned())
    }

    /// Removes a folder; its messages go back to the Inbox (see [`rename_in`]), so
    /// deleting a folder never deletes mail.
    pub fn delete_folder(&mut self, name: &str) -> Result<(), FolderError> {
        if name == INBOX {
            return Err(FolderError::Inbox);
        }
        let before = self.folders.len();
        self.folders.retain(|f| f != name);
        if self.folders.len() == before {
            return Err(FolderError::Missing(name.to_owned()));
        }
        Ok(())
    }
}

/// Moves every message of folder `from` to `to`; returns the ones that changed (to
/// store them again).
pub fn rename_in(messages: &mut [LocalMessage], from: &str, to: &str) -> Vec<LocalMessage> {
    messages
        .iter_mut()
        .filter(|m| m.folder == from)
        .map(|m| {
            m.folder = to.to_owned();
            m.clone()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_are_unique_and_the_inbox_is_fixed() {
        let mut state = AccountState::default();
        assert_eq!(state.create_folder("  Receipts "), Ok("Receipts".into()));
        assert_eq!(
            state.create_folder("Receipts"),
            Err(FolderError::Exists("Receipts".into()))
        );
        assert_eq!(
            state.create_folder("inbox"),
            Err(FolderError::Exists("inbox".into()))
        );
        assert_eq!(state.create_folder(" "), Err(FolderError::Empty));
        assert_eq!(state.rename_folder(INBOX, "Other"), Err(FolderError::Inbox));
        assert_eq!(state.rename_folder("Receipts", "Bills"), Ok("Bills".into()));
        assert_eq!(state.all_folders(), ["Inbox", "Bills"]);
        assert_eq!(state.delete_folder(INBOX), Err(FolderError::Inbox));
        assert_eq!(
            state.delete_folder("Receipts"),
            Err(FolderError::Missing("Receipts".into()))
        );
        assert_eq!(state.delete_folder("Bills"), Ok(()));
        assert_eq!(state.all_folders(), ["Inbox"]);
    }

    #[test]
    fn settings_survive_a_round_trip_through_json() {
        let state = AccountState {
            leave_on_server: LeaveOnServer::DeleteAfterDays(14),
            download_all: true,
            check_every_minutes: 15,
            folders: vec!["Bills".into()],
        };
        let json = serde_json::to_string(&state).unwrap();
        assert!(json.contains(r#""leave_on_server":{"policy":"delete_after_days","days":14}"#));
        assert_eq!(serde_json::from_str::<AccountState>(&json).unwrap(), state);
    }
}
