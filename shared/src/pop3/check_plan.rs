//! What one mail check does, decided from the server's UIDL listing and what is
//! stored locally. Deterministic (the time is passed in), so the rules that keep
//! mail from being lost or duplicated are tested here, not in a browser:
//!
//! - a message is identified by its UIDL; one already known is never fetched again
//!   as new, so a check interrupted anywhere and run again duplicates nothing;
//! - DELE is planned only for messages whose full copy is already stored (the
//!   caller stores first, waits for the commit, and only then plans again), so no
//!   interruption can lose one;
//! - a message the user deleted here is deleted from the server too, unless the
//!   account keeps everything there: the user asked for it gone;
//! - the server deletes only after a clean QUIT, so deletions cut short simply stay
//!   planned for the next check.

use std::collections::{HashMap, HashSet};

use super::mailbox::{LeaveOnServer, LocalMessage};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// A message as this session's UIDL listing names it. Numbers are valid only in the
/// session that listed them; the UIDL is the message's identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerMessage {
    pub number: u32,
    pub uidl: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckPlan {
    /// Not seen before: fetch their headers (TOP n 0) and add them to the Inbox.
    pub new: Vec<ServerMessage>,
    /// To download in full now (only when the account downloads everything).
    pub download: Vec<ServerMessage>,
    /// Stored locally in full, and due for deletion from the server.
    pub delete: Vec<ServerMessage>,
    /// Known locally, on the server at the last check, and gone from it now.
    pub gone: Vec<String>,
}

/// Plans a check. `listing` is the server's UIDL answer; `local` every stored
/// message of the account; `now_ms` the current time.
pub fn plan(
    listing: &[(u32, String)],
    local: &[LocalMessage],
    policy: LeaveOnServer,
    download_all: bool,
    now_ms: i64,
) -> CheckPlan {
    let known: HashMap<&str, &LocalMessage> = local.iter().map(|m| (m.uidl.as_str(), m)).collect();
    let mut plan = CheckPlan::default();
    let mut listed = HashSet::new();
    for (number, uidl) in listing {
        // A server must not list a UIDL twice; if one does, the first wins.
        if !listed.insert(uidl.as_str()) {
            continue;
        }
        let message = ServerMessage {
            number: *number,
            uidl: uidl.clone(),
        };
        match known.get(uidl.as_str()) {
            None => {
                if download_all {
                    plan.download.push(message.clone());
                }
                plan.new.push(message);
            }
            Some(stored) if stored.deleted => {
                if policy != LeaveOnServer::Keep {
                    plan.delete.push(message);
                }
            }
            Some(stored) => match stored.downloaded_at {
                None if download_all => plan.download.push(message),
                None => {}
                Some(at) if due(policy, at, now_ms) => plan.delete.push(message),
                Some(_) => {}
            },
        }
    }
    plan.gone = local
        .iter()
        .filter(|m| m.on_server && !listed.contains(m.uidl.as_str()))
        .map(|m| m.uidl.clone())
        .collect();
    plan
}

/// Whether a message stored at `downloaded_at` is due for deletion under `policy`.
pub fn due(policy: LeaveOnServer, downloaded_at: i64, now_ms: i64) -> bool {
    match policy {
        LeaveOnServer::Keep => false,
        LeaveOnServer::DeleteAfterDownload => true,
        LeaveOnServer::DeleteAfterDays(days) => now_ms - downloaded_at >= i64::from(days) * DAY_MS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pop3::mailbox::INBOX;
    use crate::reader::mime::summarize;

    fn stored(uidl: &str, downloaded_at: Option<i64>) -> LocalMessage {
        LocalMessage {
            uidl: uidl.to_owned(),
            summary: summarize(b"Subject: x\r\n\r\n", 1, 10),
            folder: INBOX.to_owned(),
            downloaded_at,
            on_server: true,
            deleted: false,
        }
    }

    fn listing(uidls: &[&str]) -> Vec<(u32, String)> {
        uidls
            .iter()
            .enumerate()
            .map(|(i, u)| (i as u32 + 1, (*u).to_owned()))
            .collect()
    }

    fn uidls(messages: &[ServerMessage]) -> Vec<&str> {
        messages.iter().map(|m| m.uidl.as_str()).collect()
    }

    #[test]
    fn new_messages_are_the_unknown_uidls() {
        let local = [stored("a", None), stored("b", Some(0))];
        let plan = plan(
            &listing(&["a", "b", "c"]),
            &local,
            LeaveOnServer::Keep,
            false,
            0,
        );
        assert_eq!(uidls(&plan.new), ["c"]);
        assert_eq!(plan.new[0].number, 3);
        assert!(plan.download.is_empty());
        assert!(plan.delete.is_empty());
        assert!(plan.gone.is_empty());
    }

    #[test]
    fn download_all_fetches_everything_not_yet_stored_in_full() {
        let local = [stored("a", None), stored("b", Some(0))];
        let plan = plan(
            &listing(&["a", "b", "c"]),
            &local,
            LeaveOnServer::Keep,
            true,
            0,
        );
        assert_eq!(uidls(&plan.download), ["a", "c"]);
    }

    #[test]
    fn only_messages_stored_in_full_are_ever_deleted() {
        let local = [stored("headers-only", None), stored("full", Some(5))];
        for policy in [
            LeaveOnServer::DeleteAfterDownload,
            LeaveOnServer::DeleteAfterDays(0),
        ] {
            let plan = plan(
                &listing(&["headers-only", "full", "unknown"]),
                &local,
                policy,
                false,
                10,
            );
            assert_eq!(uidls(&plan.delete), ["full"], "{policy:?}");
        }
        let keep = plan(
            &listing(&["full"]),
            &local,
            LeaveOnServer::Keep,
            false,
            i64::MAX,
        );
        assert!(keep.delete.is_empty());
    }

    #[test]
    fn messages_deleted_here_leave_the_server_unless_it_keeps_everything() {
        let mut deleted = stored("d", None);
        deleted.deleted = true;
        let local = [deleted];
        let delete = plan(
            &listing(&["d"]),
            &local,
            LeaveOnServer::DeleteAfterDays(30),
            true,
            0,
        );
        assert_eq!(uidls(&delete.delete), ["d"]);
        assert!(delete.download.is_empty() && delete.new.is_empty());
        let keep = plan(&listing(&["d"]), &local, LeaveOnServer::Keep, true, 0);
        assert!(keep.delete.is_empty() && keep.download.is_empty() && keep.new.is_empty());
    }

    #[test]
    fn deletion_after_days_counts_from_the_download() {
        let local = [stored("old", Some(0)), stored("young", Some(2 * DAY_MS))];
        let plan = plan(
            &listing(&["old", "young"]),
            &local,
            LeaveOnServer::DeleteAfterDays(3),
            false,
            3 * DAY_MS,
        );
        assert_eq!(uidls(&plan.delete), ["old"]);
    }

    #[test]
    fn messages_gone_from_the_server_are_reported_once() {
        let mut already_gone = stored("x", Some(0));
        already_gone.on_server = false;
        let local = [stored("a", None), stored("b", Some(0)), already_gone];
        let plan = plan(&listing(&["b"]), &local, LeaveOnServer::Keep, false, 0);
        assert_eq!(plan.gone, ["a"]);
    }

    #[test]
    fn a_uidl_listed_twice_counts_once() {
        let plan = plan(&listing(&["a", "a"]), &[], LeaveOnServer::Keep, true, 0);
        assert_eq!(uidls(&plan.new), ["a"]);
        assert_eq!(uidls(&plan.download), ["a"]);
    }
}
