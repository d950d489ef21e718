//! The cache of IMAP folders in IndexedDB: what a folder's list showed (its rows,
//! with the UIDVALIDITY and MODSEQ they were current at) and the body parts the user
//! opened. Keys start with the account and the folder, and rows and bodies carry the
//! UIDVALIDITY, so a renumbered folder can never show another message's row.
//!
//! Everything here is an optimisation: a failure (storage disabled, quota, a cleared
//! cache) only means the folder loads from the server as if nothing were cached.

use postern_shared::summary::MessageSummary;
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::IdbKeyRange;

use super::idb::{Database, StoreError};
use super::{IMAP_BODIES, IMAP_FOLDERS, IMAP_ROWS, from_json, to_json};

/// What the cached rows of a folder were current at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolderState {
    pub uid_validity: u32,
    /// HIGHESTMODSEQ when the rows were last synced (CONDSTORE), if the server has it.
    pub highest_modseq: Option<u64>,
    /// The lowest UID the cached list covers (it covers from there to the newest).
    pub window_start: u32,
}

#[derive(Clone)]
pub struct MailCache {
    db: Database,
    account: String,
}

impl MailCache {
    /// The cache of `account` (`upstream/user`).
    pub async fn open(account: &str) -> Result<MailCache, StoreError> {
        Ok(MailCache {
            db: super::database().await?,
            account: account.to_owned(),
        })
    }

    fn folder_key(&self, folder: &str) -> JsValue {
        JsValue::from_str(&format!("{}\u{1}{folder}", self.account))
    }

    /// Every row key of `folder`, under any UIDVALIDITY.
    fn folder_range(&self, folder: &str) -> Result<IdbKeyRange, StoreError> {
        Ok(IdbKeyRange::bound(
            &JsValue::from_str(&format!("{}\u{1}{folder}\u{1}", self.account)),
            &JsValue::from_str(&format!("{}\u{1}{folder}\u{2}", self.account)),
        )?)
    }

    fn row_key(&self, folder: &str, uid_validity: u32, uid: u32) -> String {
        // Zero-padded, so keys sort as numbers.
        format!(
            "{}\u{1}{folder}\u{1}{uid_validity:010}\u{1}{uid:010}",
            self.account
        )
    }

    /// The cached state and rows of `folder`, if any.
    pub async fn folder(
        &self,
        folder: &str,
    ) -> Result<Option<(FolderState, Vec<MessageSummary>)>, StoreError> {
        let Some(state) = self.db.get(IMAP_FOLDERS, &self.folder_key(folder)).await? else {
            return Ok(None);
        };
        let state: FolderState = from_json(&state)?;
        let rows = self
            .db
            .get_all(IMAP_ROWS, &self.folder_range(folder)?)
            .await?
            .iter()
            .map(from_json)
            .collect::<Result<Vec<MessageSummary>, _>>()?;
        Ok(Some((state, rows)))
    }

    /// Replaces what is cached of `folder` with `rows`, current at `state`.
    pub async fn save_folder(
        &self,
        folder: &str,
        state: FolderState,
        rows: &[MessageSummary],
    ) -> Result<(), StoreError> {
        let folder_key = self.folder_key(folder);
        let range = self.folder_range(folder)?;
        let validity = state.uid_validity;
        let state = to_json(&state)?;
        let rows = rows
            .iter()
            .map(|row| {
                Ok((
                    JsValue::from_str(&self.row_key(folder, validity, row.uid)),
                    to_json(row)?,
                ))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        self.db
            .write(&[IMAP_FOLDERS, IMAP_ROWS], |stores| {
                let store = stores.store(IMAP_ROWS)?;
                store.delete(&range)?;
                for (key, row) in &rows {
                    store.put_with_key(row, key)?;
                }
                stores
                    .store(IMAP_FOLDERS)?
                    .put_with_key(&state, &folder_key)?;
                Ok(())
            })
            .await
    }

    /// Forgets `folder`: its rows and bodies (its UIDVALIDITY changed).
    pub async fn forget_folder(&self, folder: &str) -> Result<(), StoreError> {
        let folder_key = self.folder_key(folder);
        let range = self.folder_range(folder)?;
        self.db
            .write(&[IMAP_FOLDERS, IMAP_ROWS, IMAP_BODIES], |stores| {
                stores.store(IMAP_FOLDERS)?.delete(&folder_key)?;
                stores.store(IMAP_ROWS)?.delete(&range)?;
                stores.store(IMAP_BODIES)?.delete(&range)?;
                Ok(())
            })
            .await
    }

    /// Removes everything cached of this account: folders, rows and bodies.
    pub async fn forget_account(&self) -> Result<(), StoreError> {
        let range = IdbKeyRange::bound(
            &JsValue::from_str(&format!("{}\u{1}", self.account)),
            &JsValue::from_str(&format!("{}\u{2}", self.account)),
        )?;
        self.db
            .write(&[IMAP_FOLDERS, IMAP_ROWS, IMAP_BODIES], |stores| {
                for store in [IMAP_FOLDERS, IMAP_ROWS, IMAP_BODIES] {
                    stores.store(store)?.delete(&range)?;
                }
                Ok(())
            })
            .await
    }

    fn body_key(&self, folder: &str, uid_validity: u32, uid: u32, section: &str) -> JsValue {
        JsValue::from_str(&format!(
            "{}\u{1}{section}",
            self.row_key(folder, uid_validity, uid)
        ))
    }

    /// A body part opened before (`section` as the reader names it).
    pub async fn body(
        &self,
        folder: &str,
        uid_validity: u32,
        uid: u32,
        section: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .db
            .get(
                IMAP_BODIES,
                &self.body_key(folder, uid_validity, uid, section),
            )
            .await?
            .and_then(|v| v.dyn_into::<js_sys::Uint8Array>().ok())
            .map(|a| a.to_vec()))
    }

    pub async fn save_body(
        &self,
        folder: &str,
        uid_validity: u32,
        uid: u32,
        section: &str,
        bytes: &[u8],
    ) -> Result<(), StoreError> {
        let key = self.body_key(folder, uid_validity, uid, section);
        let value = js_sys::Uint8Array::from(bytes);
        self.db
            .write(&[IMAP_BODIES], |stores| {
                stores.store(IMAP_BODIES)?.put_with_key(&value, &key)?;
                Ok(())
            })
            .await
    }
}
