//! Live updates: a second IMAP connection IDLEs on the open folder (RFC 2177) and,
//! when the server reports a change (new mail, flags, deletions by another client),
//! the view refreshes through the main connection.
//!
//! IDLE occupies its connection, so the main one stays free for the user's clicks.
//! Switching folders closes the old watcher and starts a new one.

use std::rc::Rc;

use postern_shared::imap::Event;

use super::{Mail, list, show_connection};
use crate::dom::sleep;
use crate::imap_connection::{ConnectionError, ImapConnection};
use crate::tunnel::TunnelCloser;

/// The running watcher of one folder; dropping it closes its connection.
pub(crate) struct Watcher {
    /// Tells this watcher from the one that replaces it, even on the same folder
    /// (the folder clicked again, a search cleared): the old one's tunnel is closed
    /// on purpose and its ending must not be taken for a dropped connection.
    generation: u64,
    closer: Option<TunnelCloser>,
}

impl Drop for Watcher {
    fn drop(&mut self) {
        if let Some(closer) = &self.closer {
            closer.close();
        }
    }
}

/// Starts watching `folder`, replacing any previous watcher.
pub(crate) fn watch(mail: &Rc<Mail>, folder: &str) {
    let generation = mail
        .watcher
        .borrow()
        .as_ref()
        .map_or(0, |w| w.generation + 1);
    *mail.watcher.borrow_mut() = Some(Watcher {
        generation,
        closer: None,
    });
    let mail = Rc::clone(mail);
    let folder = folder.to_owned();
    wasm_bindgen_futures::spawn_local(async move {
        let result = run(&mail, &folder, generation).await;
        // A watcher that was replaced ends with its tunnel closed: not an error.
        if !is_current(&mail, generation) {
            return;
        }
        if let Err(error) = result {
            // The connection dropped (or the server went away): resume. The refresh
            // reconnects the main connection, with backoff, and catches up on what
            // happened meanwhile; then the folder is watched again.
            show_connection(&format!("Reconnecting: {error}"));
            sleep(1_000).await;
            if let Err(error) = list::refresh(&mail).await {
                show_connection(&format!("Cannot refresh: {error}"));
            }
            if is_current(&mail, generation) {
                watch(&mail, &folder);
            }
        }
    });
}

fn is_current(mail: &Mail, generation: u64) -> bool {
    mail.watcher
        .borrow()
        .as_ref()
        .is_some_and(|w| w.generation == generation)
}

async fn run(mail: &Rc<Mail>, folder: &str, generation: u64) -> Result<(), ConnectionError> {
    // Read-only: watching must not change what the main connection sees (\Recent).
    let mut imap = mail.open_connection(Some(folder), true).await?;
    if !is_current(mail, generation) {
        return Ok(());
    }
    if let Some(watcher) = mail.watcher.borrow_mut().as_mut() {
        watcher.closer = Some(imap.closer());
    }
    loop {
        let idling = match imap.session.idle() {
            // A server may refuse IDLE although it announced it: then ask instead.
            Ok(id) => matches!(
                imap.pump_until(|e| matches!(e, Event::Idling)
                    || matches!(e, Event::Completed { id: done, .. } if *done == id))
                    .await?,
                Event::Idling
            ),
            Err(_) => false,
        };
        let changed = if idling {
            let pushed = imap
                .pump_until_within(|e| matches!(e, Event::Changed(_)), CHECK_EVERY_MS)
                .await?;
            if pushed.is_none() {
                // Nothing pushed for a while: leave IDLE and ask, since some servers
                // accept IDLE and never report (Courier without FAM), and an IDLE
                // held too long is dropped by servers and proxies (RFC 2177: 29 min).
                end_idle(&mut imap).await?;
                ask_for_news(&mut imap).await?
            } else {
                true
            }
        } else {
            // No IDLE at all: ask now and then.
            sleep(CHECK_EVERY_MS).await;
            ask_for_news(&mut imap).await?
        };
        if !is_current(mail, generation) {
            return Ok(());
        }
        if changed {
            // Several changes often come together (a move is an EXPUNGE and more):
            // one refresh covers them all.
            imap.backlog.retain(|e| !matches!(e, Event::Changed(_)));
            if let Err(error) = list::refresh(mail).await {
                show_connection(&format!("Cannot refresh: {error}"));
            }
        }
        end_idle(&mut imap).await?;
    }
}

/// How long the watcher waits for the server to push a change before it asks.
const CHECK_EVERY_MS: i32 = 30_000;

/// Ends IDLE, if the session idles, and waits for the server to acknowledge it.
async fn end_idle(imap: &mut ImapConnection) -> Result<(), ConnectionError> {
    if let Some(id) = imap.session.idle_request() {
        let _ = imap.session.idle_done();
        imap.run(id).await?;
    }
    Ok(())
}

/// NOOP, which makes any server report what changed; whether something did.
async fn ask_for_news(imap: &mut ImapConnection) -> Result<bool, ConnectionError> {
    let noop = imap.session.noop();
    imap.run(noop).await?;
    Ok(imap.backlog.iter().any(|e| matches!(e, Event::Changed(_))))
}
