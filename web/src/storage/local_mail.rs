//! The local mailbox of POP3 accounts, in IndexedDB.
//!
//! Three object stores of the `postern` database (see [`super::database`]), every key prefixed by the account
//! (`upstream/user`) so accounts sharing a browser never see each other's mail:
//! - `pop3_accounts`: the account's settings and folders (`AccountState`, as JSON);
//! - `pop3_messages`: one `LocalMessage` per UIDL (as JSON): the list rows;
//! - `pop3_bodies`: the full message bytes, only for downloaded messages.
//!
//! A message's body and its record are written in one transaction, so a record that
//! says "downloaded" always has its body.

use postern_shared::pop3::mailbox::{AccountState, LocalMessage};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::IdbKeyRange;

use super::idb::{Database, StoreError};
use super::{
    POP3_ACCOUNTS as ACCOUNTS, POP3_BODIES as BODIES, POP3_MESSAGES as MESSAGES, from_json, to_json,
};

/// The local mailbox of one account.
#[derive(Clone)]
pub struct LocalMail {
    db: Database,
    account: String,
}

impl LocalMail {
    pub async fn open(account: &str) -> Result<LocalMail, StoreError> {
        let db = super::database().await?;
        Ok(LocalMail {
            db,
            account: account.to_owned(),
        })
    }

    /// Lets go of the database (another tab may then upgrade it).
    pub fn close(&self) {
        self.db.close();
    }

    fn key(&self, uidl: &str) -> JsValue {
        // U+0001 cannot occur in a UIDL (RFC 1939: 0x21 to 0x7E) or a user name the
        // form accepts, so no account's keys can run into another's.
        JsValue::from_str(&format!("{}\u{1}{uidl}", self.account))
    }

    /// Every key of this account, and nothing of any other.
    fn range(&self) -> Result<IdbKeyRange, StoreError> {
        Ok(IdbKeyRange::bound(
            &JsValue::from_str(&format!("{}\u{1}", self.account)),
            &JsValue::from_str(&format!("{}\u{2}", self.account)),
        )?)
    }

    /// The account's settings and folders (defaults for an account never seen here).
    pub async fn state(&self) -> Result<AccountState, StoreError> {
        match self.db.get(ACCOUNTS, &self.account.as_str().into()).await? {
            Some(json) => from_json(&json),
            None => Ok(AccountState::default()),
        }
    }

    pub async fn save_state(&self, state: &AccountState) -> Result<(), StoreError> {
        let json = to_json(state)?;
        let key = JsValue::from_str(&self.account);
        self.db
            .write(&[ACCOUNTS], |stores| {
                stores.store(ACCOUNTS)?.put_with_key(&json, &key)?;
                Ok(())
            })
            .await
    }

    /// Every message record of the account (deleted ones included).
    pub async fn messages(&self) -> Result<Vec<LocalMessage>, StoreError> {
        self.db
            .get_all(MESSAGES, &self.range()?)
            .await?
            .iter()
            .map(from_json)
            .collect()
    }

    /// Stores message records (their bodies untouched), all or none.
    pub async fn put_messages(&self, messages: &[LocalMessage]) -> Result<(), StoreError> {
        let rows = messages
            .iter()
            .map(|m| Ok((self.key(&m.uidl), to_json(m)?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        self.db
            .write(&[MESSAGES], |stores| {
                let store = stores.store(MESSAGES)?;
                for (key, json) in &rows {
                    store.put_with_key(json, key)?;
                }
                Ok(())
            })
            .await
    }

    /// Stores a downloaded message: its body and its record (which must say when it
    /// was downloaded) in one transaction. Resolves once the browser has committed
    /// both; only then may the server copy be deleted.
    pub async fn store_download(
        &self,
        message: &LocalMessage,
        raw: &[u8],
    ) -> Result<(), StoreError> {
        debug_assert!(message.is_downloaded());
        let key = self.key(&message.uidl);
        let json = to_json(message)?;
        let body = js_sys::Uint8Array::from(raw);
        self.db
            .write(&[MESSAGES, BODIES], |stores| {
                stores.store(BODIES)?.put_with_key(&body, &key)?;
                stores.store(MESSAGES)?.put_with_key(&json, &key)?;
                Ok(())
            })
            .await
    }

    /// The full message, when it was downloaded.
    pub async fn body(&self, uidl: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .db
            .get(BODIES, &self.key(uidl))
            .await?
            .and_then(|v| v.dyn_into::<js_sys::Uint8Array>().ok())
            .map(|a| a.to_vec()))
    }

    /// Removes records and their bodies for good.
    pub async fn remove(&self, uidls: &[String]) -> Result<(), StoreError> {
        let keys: Vec<JsValue> = uidls.iter().map(|u| self.key(u)).collect();
        self.db
            .write(&[MESSAGES, BODIES], |stores| {
                let messages = stores.store(MESSAGES)?;
                let bodies = stores.store(BODIES)?;
                for key in &keys {
                    messages.delete(key)?;
                    bodies.delete(key)?;
                }
                Ok(())
            })
            .await
    }

    /// Marks messages deleted here: the body goes, a record without it stays while
    /// the server has the message (see `LocalMessage::deleted`).
    pub async fn delete_locally(&self, messages: &[LocalMessage]) -> Result<(), StoreError> {
        let rows = messages
            .iter()
            .map(|m| {
                let tombstone = LocalMessage {
                    deleted: true,
                    downloaded_at: None,
                    ..m.clone()
                };
                Ok((self.key(&m.uidl), to_json(&tombstone)?))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        self.db
            .write(&[MESSAGES, BODIES], |stores| {
                let records = stores.store(MESSAGES)?;
                let bodies = stores.store(BODIES)?;
                for (key, json) in &rows {
                    records.put_with_key(json, key)?;
                    bodies.delete(key)?;
                }
                Ok(())
            })
            .await
    }

    /// Forgets everything of this account in this browser.
    pub async fn forget_account(&self) -> Result<(), StoreError> {
        let range = self.range()?;
        let account = JsValue::from_str(&self.account);
        self.db
            .write(&[ACCOUNTS, MESSAGES, BODIES], |stores| {
                stores.store(ACCOUNTS)?.delete(&account)?;
                stores.store(MESSAGES)?.delete(&range)?;
                stores.store(BODIES)?.delete(&range)?;
                Ok(())
            })
            .await
    }
}
