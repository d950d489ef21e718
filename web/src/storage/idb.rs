//! IndexedDB as Rust futures, over web-sys: open a database, read with one request,
//! write with a transaction whose completion is awaited.
//!
//! Writes resolve only on the transaction's `complete` event, with `durability:
//! "strict"`, which is when the browser reports the data committed to disk: the
//! POP3 mode deletes from the server only after that.

use std::cell::RefCell;
use std::rc::Rc;

use futures_channel::oneshot;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{
    Event, IdbDatabase, IdbKeyRange, IdbObjectStore, IdbOpenDbRequest, IdbRequest, IdbTransaction,
    IdbTransactionMode,
};

/// Why a storage operation failed, as a sentence (quota exceeded, storage disabled,
/// database blocked by another tab...).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("browser storage: {0}")]
pub struct StoreError(pub String);

impl From<JsValue> for StoreError {
    fn from(value: JsValue) -> Self {
        let text = value
            .dyn_ref::<js_sys::Error>()
            .map(|e| String::from(e.message()))
            .or_else(|| {
                value
                    .dyn_ref::<web_sys::DomException>()
                    .map(|e| format!("{}: {}", e.name(), e.message()))
            })
            .or_else(|| value.as_string())
            .unwrap_or_else(|| format!("{value:?}"));
        StoreError(text)
    }
}

/// Waits for the first of `events` on `target`; returns its type.
async fn first_event(target: &web_sys::EventTarget, events: &[&str]) -> String {
    let (sender, receiver) = oneshot::channel::<String>();
    let sender = Rc::new(RefCell::new(Some(sender)));
    let listener = {
        let sender = Rc::clone(&sender);
        Closure::<dyn FnMut(Event)>::new(move |event: Event| {
            if let Some(sender) = sender.borrow_mut().take() {
                let _ = sender.send(event.type_());
            }
        })
    };
    for event in events {
        let _ = target.add_event_listener_with_callback(event, listener.as_ref().unchecked_ref());
    }
    let fired = receiver.await.unwrap_or_default();
    for event in events {
        let _ =
            target.remove_event_listener_with_callback(event, listener.as_ref().unchecked_ref());
    }
    fired
}

/// The result of `request`, once it succeeds.
pub async fn finished(request: &IdbRequest) -> Result<JsValue, StoreError> {
    if first_event(request, &["success", "error"]).await == "success" {
        Ok(request.result()?)
    } else {
        Err(request
            .error()?
            .map(|e| StoreError(format!("{}: {}", e.name(), e.message())))
            .unwrap_or_else(|| StoreError("a request failed".into())))
    }
}

/// An open database.
#[derive(Clone)]
pub struct Database {
    db: IdbDatabase,
}

impl Database {
    /// Opens `name` at `version`, calling `upgrade` with the database and the old
    /// version when it must be created or upgraded.
    pub async fn open(
        name: &str,
        version: u32,
        upgrade: impl Fn(&IdbDatabase, u32) -> Result<(), JsValue> + 'static,
    ) -> Result<Database, StoreError> {
        let factory = web_sys::window()
            .ok_or_else(|| StoreError("no window".into()))?
            .indexed_db()?
            .ok_or_else(|| StoreError("this browser offers no IndexedDB".into()))?;
        let request: IdbOpenDbRequest = factory.open_with_u32(name, version)?;
        let on_upgrade = Closure::<dyn FnMut(web_sys::IdbVersionChangeEvent)>::new({
            let request = request.clone();
            move |event: web_sys::IdbVersionChangeEvent| {
                if let Ok(db) = request.result().and_then(|r| r.dyn_into::<IdbDatabase>()) {
                    let _ = upgrade(&db, event.old_version() as u32);
                }
            }
        });
        request.set_onupgradeneeded(Some(on_upgrade.as_ref().unchecked_ref()));
        let result = finished(&request).await;
        request.set_onupgradeneeded(None);
        let db: IdbDatabase = result?.dyn_into()?;
        // Another tab upgrading the schema asks us to let go; close rather than block.
        let on_version_change = Closure::<dyn FnMut()>::new({
            let db = db.clone();
            move || db.close()
        });
        db.set_onversionchange(Some(on_version_change.as_ref().unchecked_ref()));
        on_version_change.forget();
        Ok(Database { db })
    }

    pub fn close(&self) {
        self.db.close();
    }

    /// Every value in `store` whose key lies in `range`.
    pub async fn get_all(
        &self,
        store: &str,
        range: &IdbKeyRange,
    ) -> Result<Vec<JsValue>, StoreError> {
        let transaction = self
            .db
            .transaction_with_str_and_mode(store, IdbTransactionMode::Readonly)?;
        let request = transaction.object_store(store)?.get_all_with_key(range)?;
        let all: js_sys::Array = finished(&request).await?.dyn_into()?;
        Ok(all.iter().collect())
    }

    /// The value at `key` in `store`, if any.
    pub async fn get(&self, store: &str, key: &JsValue) -> Result<Option<JsValue>, StoreError> {
        let transaction = self
            .db
            .transaction_with_str_and_mode(store, IdbTransactionMode::Readonly)?;
        let value = finished(&transaction.object_store(store)?.get(key)?).await?;
        Ok((!value.is_undefined()).then_some(value))
    }

    /// Runs `write` on the named stores in one transaction and waits until it is
    /// committed. Either everything `write` did is stored, or nothing is.
    pub async fn write(
        &self,
        stores: &[&str],
        write: impl FnOnce(&Stores) -> Result<(), JsValue>,
    ) -> Result<(), StoreError> {
        let transaction = self.strict_transaction(stores)?;
        if let Err(error) = write(&Stores {
            transaction: &transaction,
        }) {
            let _ = transaction.abort();
            return Err(error.into());
        }
        match first_event(&transaction, &["complete", "abort", "error"])
            .await
            .as_str()
        {
            "complete" => Ok(()),
            _ => Err(transaction
                .error()
                .map(|e| StoreError(format!("{}: {}", e.name(), e.message())))
                .unwrap_or_else(|| StoreError("the write was not committed".into()))),
        }
    }

    /// A read-write transaction with `durability: "strict"`. web-sys exposes the
    /// options argument only behind its unstable-API flag, so the call goes through
    /// JavaScript's `transaction(names, mode, options)` directly.
    fn strict_transaction(&self, stores: &[&str]) -> Result<IdbTransaction, JsValue> {
        let names: js_sys::Array = stores.iter().map(|s| JsValue::from_str(s)).collect();
        let options = js_sys::Object::new();
        js_sys::Reflect::set(&options, &"durability".into(), &"strict".into())?;
        let transaction: js_sys::Function =
            js_sys::Reflect::get(&self.db, &"transaction".into())?.dyn_into()?;
        transaction
            .call3(&self.db, &names, &"readwrite".into(), &options)?
            .dyn_into()
    }
}

/// The stores of a write transaction.
pub struct Stores<'t> {
    transaction: &'t IdbTransaction,
}

impl Stores<'_> {
    pub fn store(&self, name: &str) -> Result<IdbObjectStore, JsValue> {
        self.transaction.object_store(name)
    }
}
