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
use crate::imap_connection::ConnectionError;
use crate::tunnel::TunnelCloser;

/// The running watcher of one folder; dropping it closes its connection.
pub(crate) struct Watcher {
    folder: String,
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
    *mail.watcher.borrow_mut() = Some(Watcher {
        folder: folder.to_owned(),
        closer: None,
    });
    let mail = Rc::clone(mail);
    let folder = folder.to_owned();
    wasm_bindgen_futures::spawn_local(async move {
        let result = run(&mail, &folder).await;
        // A watcher that was replaced ends with its tunnel closed: not an error.
        if !is_current(&mail, &folder) {
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
            if is_current(&mail, &folder) {
                watch(&mail, &folder);
            }
        }
    });
}

fn is_current(mail: &Mail, folder: &str) -> bool {
    mail.watcher
        .borrow()
        .as_ref()
        .is_some_and(|w| w.folder == folder)
}

async fn run(mail: &Rc<Mail>, folder: &str) -> Result<(), ConnectionError> {
    // Read-only: watching must not change what the main connection sees (\Recent).
    let mut imap = mail.open_connection(Some(folder), true).await?;
    if !is_current(mail, folder) {
        return Ok(());
    }
    if let Some(watcher) = mail.watcher.borrow_mut().as_mut() {
        watcher.closer = Some(imap.closer());
    }
    if imap.session.idle().is_err() {
        return Ok(()); // no IDLE: the folder refreshes when the user acts
    }
    imap.pump_until(|e| matches!(e, Event::Idling)).await?;
    loop {
        imap.pump_until(|e| matches!(e, Event::Changed(_))).await?;
        if !is_current(mail, folder) {
            return Ok(());
        }
        // Several changes often come together (a move is an EXPUNGE and more):
        // one refresh covers them all.
        imap.backlog.retain(|e| !matches!(e, Event::Changed(_)));
        if let Err(error) = list::refresh(mail).await {
            show_connection(&format!("Cannot refresh: {error}"));
        }
    }
}
