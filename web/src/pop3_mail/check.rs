//! Checking a POP3 account: new messages' headers, downloads, and deletions under
//! the leave-on-server policy, following `postern_shared::pop3::check_plan`.
//!
//! The order of the steps is what keeps mail safe when the tunnel drops, the tab
//! closes or the user cancels at any moment:
//! 1. headers of new messages are stored (a record per UIDL, so a rerun finds them
//!    known and adds nothing twice);
//! 2. each download is stored, body and record in one transaction, and only after
//!    the browser reports it committed is the message marked for deletion (DELE);
//! 3. the server deletes marked messages only at a clean QUIT; a session cut
//!    earlier deletes nothing, and the next check plans the same deletions again.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use postern_shared::pop3::check_plan::{self, ServerMessage};
use postern_shared::pop3::mailbox::{AccountState, INBOX, LocalMessage};
use postern_shared::pop3::{Capabilities, Outcome, RequestId};
use postern_shared::reader::mime;

use crate::pop3_connection::{Pop3Connection, Pop3ConnectionError};
use crate::storage::idb::StoreError;
use crate::storage::local_mail::LocalMail;
use crate::tunnel::TunnelCloser;

/// How many header requests go out before their answers are stored (one
/// transaction per batch).
const HEADER_BATCH: usize = 200;

/// Who to sign in as, and where.
#[derive(Clone)]
pub struct Pop3Account {
    pub tunnel_url: String,
    pub upstream: String,
    pub user: String,
    pub password: String,
}

impl Pop3Account {
    /// The key of this account's local mailbox.
    pub fn storage_key(&self) -> String {
        format!("{}/{}", self.upstream, self.user)
    }

    /// Opens a session and signs in; returns it with the server's capabilities.
    pub async fn sign_in(&self) -> Result<(Pop3Connection, Capabilities), CheckError> {
        let mut pop3 = Pop3Connection::connect(&self.tunnel_url, &self.upstream).await?;
        let capa = pop3.session.capa();
        // CAPA is optional (RFC 2449); without it, the base protocol is assumed.
        let capabilities = match pop3.run(capa).await {
            Ok(Outcome::Capabilities(capabilities)) => capabilities,
            Ok(_) | Err(Pop3ConnectionError::Refused(_)) => Capabilities::default(),
            Err(error) => return Err(error.into()),
        };
        let login = pop3
            .session
            .login(&self.user, &self.password)
            .map_err(|e| CheckError::Refused(e.to_string()))?;
        pop3.run(login).await?;
        Ok((pop3, capabilities))
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CheckError {
    #[error("{0}")]
    Connection(String),
    /// The server said no (wrong password, mailbox in use, login too soon...).
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Storage(#[from] StoreError),
    #[error("cancelled")]
    Cancelled,
    #[error("the message is no longer on the server")]
    NotOnServer,
}

impl From<Pop3ConnectionError> for CheckError {
    fn from(error: Pop3ConnectionError) -> Self {
        match error {
            Pop3ConnectionError::Refused(refusal) => CheckError::Refused(refusal.describe()),
            other => CheckError::Connection(other.to_string()),
        }
    }
}

/// Stops a running check by closing its connection, which is as abrupt as a network
/// failure and exactly as safe (see the module notes).
#[derive(Clone, Default)]
pub struct Cancel {
    cancelled: Rc<Cell<bool>>,
    closer: Rc<RefCell<Option<TunnelCloser>>>,
}

impl Cancel {
    pub fn cancel(&self) {
        self.cancelled.set(true);
        if let Some(closer) = self.closer.borrow_mut().take() {
            closer.close();
        }
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled.get()
    }

    /// Lets [`Cancel::cancel`] close `pop3`; closes it now if cancel came first.
    fn watch(&self, pop3: &Pop3Connection) -> Result<(), CheckError> {
        if self.is_cancelled() {
            pop3.closer().close();
            return Err(CheckError::Cancelled);
        }
        *self.closer.borrow_mut() = Some(pop3.closer());
        Ok(())
    }

    /// Turns the error of an operation cut short by [`Cancel::cancel`] into
    /// [`CheckError::Cancelled`].
    fn explain(&self, error: CheckError) -> CheckError {
        if self.is_cancelled() {
            CheckError::Cancelled
        } else {
            error
        }
    }
}

/// How far a check is, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    Headers { done: usize, total: usize },
    Downloads { done: usize, total: usize },
}

/// What a finished check did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckReport {
    pub new: usize,
    pub downloaded: usize,
    pub deleted_from_server: usize,
    /// The server's policies in sentences (EXPIRE, LOGIN-DELAY).
    pub server_notes: Vec<String>,
    /// The server's minimum seconds between logins, 0 if it set none.
    pub login_delay: u32,
}

/// Checks the account once. `now_ms` is the time the policy counts from.
pub async fn check(
    account: &Pop3Account,
    store: &LocalMail,
    now_ms: i64,
    progress: &dyn Fn(Progress),
    cancel: &Cancel,
) -> Result<CheckReport, CheckError> {
    run_check(account, store, now_ms, progress, cancel)
        .await
        .map_err(|e| cancel.explain(e))
}

async fn run_check(
    account: &Pop3Account,
    store: &LocalMail,
    now_ms: i64,
    progress: &dyn Fn(Progress),
    cancel: &Cancel,
) -> Result<CheckReport, CheckError> {
    let (mut pop3, capabilities) = account.sign_in().await?;
    cancel.watch(&pop3)?;
    let state = store.state().await?;
    let listing = unique_ids(&mut pop3).await?;
    let sizes = sizes(&mut pop3).await?;
    let mut local = store.messages().await?;
    let plan = check_plan::plan(
        &listing,
        &local,
        state.leave_on_server,
        state.download_all,
        now_ms,
    );
    let mut report = CheckReport {
        server_notes: capabilities.policy_notes(),
        login_delay: capabilities.login_delay.unwrap_or(0),
        ..CheckReport::default()
    };

    // Messages another client removed from the server stay here; tombstones of
    // messages deleted here are no longer needed once the server lost them too.
    if !plan.gone.is_empty() {
        let gone: HashSet<&str> = plan.gone.iter().map(String::as_str).collect();
        let (tombstones, kept): (Vec<_>, Vec<_>) = local
            .iter_mut()
            .filter(|m| gone.contains(m.uidl.as_str()))
            .partition(|m| m.deleted);
        let tombstones: Vec<String> = tombstones.into_iter().map(|m| m.uidl.clone()).collect();
        let kept: Vec<LocalMessage> = kept
            .into_iter()
            .map(|m| {
                m.on_server = false;
                m.clone()
            })
            .collect();
        store.remove(&tombstones).await?;
        store.put_messages(&kept).await?;
    }

    let mut next_id = local.iter().map(|m| m.summary.uid).max().unwrap_or(0) + 1;
    let mut by_uidl: HashMap<String, LocalMessage> =
        local.into_iter().map(|m| (m.uidl.clone(), m)).collect();
    for (done, batch) in plan.new.chunks(HEADER_BATCH).enumerate() {
        progress(Progress::Headers {
            done: done * HEADER_BATCH,
            total: plan.new.len(),
        });
        // Queued together, so a pipelining server gets them in one go.
        let requests: Vec<(RequestId, &ServerMessage)> = batch
            .iter()
            .map(|m| Ok((pop3.session.top(m.number, 0)?, m)))
            .collect::<Result<_, postern_shared::pop3::CommandError>>()
            .map_err(|e| CheckError::Refused(e.to_string()))?;
        let mut rows = Vec::with_capacity(batch.len());
        for (id, message) in requests {
            let Outcome::Message(headers) = pop3.run(id).await? else {
                return Err(CheckError::Connection(
                    "TOP answered without a message".into(),
                ));
            };
            let size = sizes.get(&message.number).copied().unwrap_or(0);
            rows.push(LocalMessage {
                uidl: message.uidl.clone(),
                summary: mime::summarize(&headers, next_id, size),
                folder: INBOX.to_owned(),
                downloaded_at: None,
                on_server: true,
                deleted: false,
            });
            next_id += 1;
        }
        store.put_messages(&rows).await?;
        report.new += rows.len();
        by_uidl.extend(rows.into_iter().map(|m| (m.uidl.clone(), m)));
    }

    let mut delete: Vec<ServerMessage> = plan.delete;
    for (done, message) in plan.download.iter().enumerate() {
        progress(Progress::Downloads {
            done,
            total: plan.download.len(),
        });
        let Some(record) = by_uidl.get(&message.uidl) else {
            continue;
        };
        let (record, _) = download(&mut pop3, store, record, message.number, now_ms).await?;
        report.downloaded += 1;
        if check_plan::due(state.leave_on_server, now_ms, now_ms) {
            delete.push(message.clone());
        }
        by_uidl.insert(record.uidl.clone(), record);
    }
    if !plan.download.is_empty() {
        progress(Progress::Downloads {
            done: plan.download.len(),
            total: plan.download.len(),
        });
    }

    report.deleted_from_server = delete_and_quit(&mut pop3, store, &by_uidl, &delete).await?;
    Ok(report)
}

/// Downloads one message (the user opened it): stores it, then deletes it from the
/// server if the policy says so. Returns the stored record and the message.
pub async fn download_one(
    account: &Pop3Account,
    store: &LocalMail,
    record: &LocalMessage,
    now_ms: i64,
) -> Result<(LocalMessage, Vec<u8>), CheckError> {
    let (mut pop3, _) = account.sign_in().await?;
    let listing = unique_ids(&mut pop3).await?;
    let Some((number, _)) = listing.iter().find(|(_, uidl)| *uidl == record.uidl) else {
        return Err(CheckError::NotOnServer);
    };
    let (stored, raw) = download(&mut pop3, store, record, *number, now_ms).await?;
    let state: AccountState = store.state().await?;
    let mut delete = Vec::new();
    if check_plan::due(state.leave_on_server, now_ms, now_ms) {
        delete.push(ServerMessage {
            number: *number,
            uidl: record.uidl.clone(),
        });
    }
    let by_uidl = HashMap::from([(stored.uidl.clone(), stored.clone())]);
    delete_and_quit(&mut pop3, store, &by_uidl, &delete).await?;
    Ok((stored, raw))
}

/// RETR, then body and record committed together; returns both.
async fn download(
    pop3: &mut Pop3Connection,
    store: &LocalMail,
    record: &LocalMessage,
    number: u32,
    now_ms: i64,
) -> Result<(LocalMessage, Vec<u8>), CheckError> {
    let retr = pop3
        .session
        .retr(number)
        .map_err(|e| CheckError::Refused(e.to_string()))?;
    let Outcome::Message(raw) = pop3.run(retr).await? else {
        return Err(CheckError::Connection(
            "RETR answered without a message".into(),
        ));
    };
    let mut stored = record.clone();
    stored.downloaded_at = Some(now_ms);
    stored.summary.size = u32::try_from(raw.len()).unwrap_or(u32::MAX);
    stored.summary.has_attachments = mime::parts(&raw).is_some_and(|p| !p.attachments.is_empty());
    store.store_download(&stored, &raw).await?;
    Ok((stored, raw))
}

/// DELE for each message (each already stored in full, or deleted here by the
/// user), then QUIT, which is when the server deletes. Afterwards the records say
/// the messages left the server. Returns how many were deleted.
async fn delete_and_quit(
    pop3: &mut Pop3Connection,
    store: &LocalMail,
    by_uidl: &HashMap<String, LocalMessage>,
    delete: &[ServerMessage],
) -> Result<usize, CheckError> {
    let mut requests = Vec::new();
    for message in delete {
        let safe = by_uidl
            .get(&message.uidl)
            .is_some_and(|m| m.is_downloaded() || m.deleted);
        // The plan never asks otherwise; this guard makes the rule local too.
        if safe {
            let id = pop3
                .session
                .dele(message.number)
                .map_err(|e| CheckError::Refused(e.to_string()))?;
            requests.push((id, &message.uidl));
        }
    }
    let quit = pop3.session.quit();
    for (id, _) in &requests {
        pop3.run(*id).await?;
    }
    pop3.run(quit).await?;
    // The server has deleted them now.
    let (tombstones, records): (Vec<&LocalMessage>, Vec<&LocalMessage>) = requests
        .iter()
        .filter_map(|(_, uidl)| by_uidl.get(*uidl))
        .partition(|m| m.deleted);
    let tombstones: Vec<String> = tombstones.iter().map(|m| m.uidl.clone()).collect();
    let records: Vec<LocalMessage> = records
        .into_iter()
        .map(|m| LocalMessage {
            on_server: false,
            ..m.clone()
        })
        .collect();
    store.remove(&tombstones).await?;
    store.put_messages(&records).await?;
    Ok(requests.len())
}

/// UIDL: message numbers and unique ids.
async fn unique_ids(pop3: &mut Pop3Connection) -> Result<Vec<(u32, String)>, CheckError> {
    let uidl = pop3
        .session
        .uidl(None)
        .map_err(|e| CheckError::Refused(e.to_string()))?;
    match pop3.run(uidl).await {
        Ok(Outcome::UniqueIds(ids)) => Ok(ids),
        Ok(_) => Err(CheckError::Connection("UIDL answered without ids".into())),
        Err(Pop3ConnectionError::Refused(_)) => Err(CheckError::Refused(
            "This server does not offer UIDL, without which Postern cannot tell new mail from \
             old safely."
                .into(),
        )),
        Err(error) => Err(error.into()),
    }
}

/// LIST: message sizes by number.
async fn sizes(pop3: &mut Pop3Connection) -> Result<HashMap<u32, u32>, CheckError> {
    let list = pop3
        .session
        .list(None)
        .map_err(|e| CheckError::Refused(e.to_string()))?;
    let Outcome::Sizes(sizes) = pop3.run(list).await? else {
        return Err(CheckError::Connection("LIST answered without sizes".into()));
    };
    Ok(sizes
        .into_iter()
        .map(|(n, size)| (n, u32::try_from(size).unwrap_or(u32::MAX)))
        .collect())
}
