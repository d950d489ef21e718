//! What the browser keeps between visits, in IndexedDB (one database, `postern`).
//!
//! - [`folder_roles`]: the folders a user chose as Trash, Sent... (localStorage);
//! - [`idb`]: IndexedDB as futures; writes resolve when committed;
//! - [`local_mail`]: the local mailbox of POP3 accounts (messages by UIDL, bodies,
//!   folders and settings);
//! - [`mail_cache`]: the cache of IMAP folders (the rows a folder showed, and bodies
//!   opened), so a folder reopens at once and then syncs only what changed.
//!
//! [`database`] opens it and creates or upgrades its stores: the schema lives here,
//! once, for every module that uses the database.

pub mod folder_roles;
pub mod idb;
pub mod local_mail;
pub mod mail_cache;

use idb::{Database, StoreError};

const NAME: &str = "postern";
/// 1: the POP3 stores; 2: the IMAP cache.
const VERSION: u32 = 2;

pub(crate) const POP3_ACCOUNTS: &str = "pop3_accounts";
pub(crate) const POP3_MESSAGES: &str = "pop3_messages";
pub(crate) const POP3_BODIES: &str = "pop3_bodies";
pub(crate) const IMAP_FOLDERS: &str = "imap_folders";
pub(crate) const IMAP_ROWS: &str = "imap_rows";
pub(crate) const IMAP_BODIES: &str = "imap_bodies";

/// The database, created or upgraded to the current schema.
pub async fn database() -> Result<Database, StoreError> {
    Database::open(NAME, VERSION, |db, old_version| {
        if old_version < 1 {
            for store in [POP3_ACCOUNTS, POP3_MESSAGES, POP3_BODIES] {
                db.create_object_store(store)?;
            }
        }
        if old_version < 2 {
            for store in [IMAP_FOLDERS, IMAP_ROWS, IMAP_BODIES] {
                db.create_object_store(store)?;
            }
        }
        Ok(())
    })
    .await
}

fn to_json(value: &impl serde::Serialize) -> Result<wasm_bindgen::JsValue, StoreError> {
    serde_json::to_string(value)
        .map(|s| wasm_bindgen::JsValue::from_str(&s))
        .map_err(|e| StoreError(e.to_string()))
}

fn from_json<T: serde::de::DeserializeOwned>(
    value: &wasm_bindgen::JsValue,
) -> Result<T, StoreError> {
    let text = value
        .as_string()
        .ok_or_else(|| StoreError("a stored record is not text".into()))?;
    serde_json::from_str(&text).map_err(|e| StoreError(format!("a stored record: {e}")))
}
