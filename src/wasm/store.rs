//! The visitor's profile in IndexedDB (web-sys), in a page or a worker.
//!
//! Database "kith", schema version 1: store "profiles" (key: catalog name,
//! value: the profile's JSON, whose own version the core migrates) and store
//! "backups" (auto-increment: unreadable records kept aside with the reason,
//! never dropped). Every write waits for its transaction to complete, and a
//! failed one says why in the browser's words (`QuotaExceededError: …`).
//!
//! Kith's "delete everything" clears the stores and keeps the database, so
//! a database that has to be created again after this instance had opened
//! it was wiped by the browser (eviction, the visitor clearing site data):
//! [`storage_wiped`] tells the worker, which then writes the tab's whole
//! profile back instead of adopting "nothing stored".

use js_sys::{Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    IdbDatabase, IdbFactory, IdbObjectStoreParameters, IdbRequest, IdbTransaction,
    IdbTransactionMode,
};

/// Database name.
const DB: &str = "kith";
/// Schema version of the database (stores), not of the profile JSON.
const DB_VERSION: u32 = 1;
const PROFILES: &str = "profiles";
const BACKUPS: &str = "backups";

thread_local! {
    /// This instance opened the database at least once.
    static OPENED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// The database had to be created again since (not yet reported).
    static WIPED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether the browser wiped Kith's database since this instance last
/// looked (reported once).
#[wasm_bindgen(js_name = storageWiped)]
pub fn storage_wiped() -> bool {
    WIPED.with(|w| w.replace(false))
}

/// "Name: message" of a DOMException (what the visitor's message needs:
/// `QuotaExceededError` is the one that says storage is full).
fn dom_error(e: Option<web_sys::DomException>, fallback: &str) -> JsValue {
    match e {
        Some(d) if !d.message().is_empty() => {
            JsValue::from_str(&format!("{}: {}", d.name(), d.message()))
        }
        Some(d) => JsValue::from_str(&d.name()),
        None => JsValue::from_str(fallback),
    }
}

fn err(context: &str, e: JsValue) -> JsError {
    let detail = super::js_message(&e, "unknown error");
    JsError::new(&format!("IndexedDB {context}: {detail}"))
}

/// Resolves when a request succeeds (with its result), rejects when it fails.
fn request(req: &IdbRequest) -> JsFuture {
    let req = req.clone();
    let p = Promise::new(&mut |resolve, reject| {
        let r = req.clone();
        let ok = Closure::once_into_js(move |_: web_sys::Event| {
            let v = r.result().unwrap_or(JsValue::UNDEFINED);
            let _ = resolve.call1(&JsValue::NULL, &v);
        });
        let r2 = req.clone();
        let fail = Closure::once_into_js(move |_: web_sys::Event| {
            let e = dom_error(r2.error().ok().flatten(), "request failed");
            let _ = reject.call1(&JsValue::NULL, &e);
        });
        req.set_onsuccess(Some(ok.unchecked_ref()));
        req.set_onerror(Some(fail.unchecked_ref()));
    });
    JsFuture::from(p)
}

/// Resolves when a transaction commits.
fn committed(tx: &IdbTransaction) -> JsFuture {
    let tx = tx.clone();
    let p = Promise::new(&mut |resolve, reject| {
        let done = Closure::once_into_js(move |_: web_sys::Event| {
            let _ = resolve.call0(&JsValue::NULL);
        });
        let reject2 = reject.clone();
        let (t1, t2) = (tx.clone(), tx.clone());
        let fail = Closure::once_into_js(move |_: web_sys::Event| {
            let e = dom_error(t1.error(), "transaction failed");
            let _ = reject.call1(&JsValue::NULL, &e);
        });
        let abort = Closure::once_into_js(move |_: web_sys::Event| {
            let e = dom_error(t2.error(), "transaction aborted");
            let _ = reject2.call1(&JsValue::NULL, &e);
        });
        tx.set_oncomplete(Some(done.unchecked_ref()));
        tx.set_onerror(Some(fail.unchecked_ref()));
        tx.set_onabort(Some(abort.unchecked_ref()));
    });
    JsFuture::from(p)
}

/// Opens (creating or upgrading) the database in a window or a worker.
async fn open() -> Result<IdbDatabase, JsError> {
    let factory: IdbFactory = Reflect::get(&js_sys::global(), &JsValue::from_str("indexedDB"))
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or_else(|| {
            JsError::new("IndexedDB is not available here (private mode or an old browser)")
        })?;
    let req = factory
        .open_with_u32(DB, DB_VERSION)
        .map_err(|e| err("open", e))?;
    let upgrade_req = req.clone();
    let upgrade = Closure::once_into_js(move |e: web_sys::Event| {
        let created = e
            .dyn_ref::<web_sys::IdbVersionChangeEvent>()
            .is_some_and(|v| v.old_version() == 0.0);
        if created && OPENED.with(|o| o.get()) {
            WIPED.with(|w| w.set(true));
        }
        // Migrations of the store layout go here, by old version.
        if let Ok(db) = upgrade_req
            .result()
            .and_then(|r| r.dyn_into::<IdbDatabase>())
        {
            let names = db.object_store_names();
            if !names.contains(PROFILES) {
                let _ = db.create_object_store(PROFILES);
            }
            if !names.contains(BACKUPS) {
                let params = IdbObjectStoreParameters::new();
                params.set_auto_increment(true);
                let _ = db.create_object_store_with_optional_parameters(BACKUPS, &params);
            }
        }
    });
    req.set_onupgradeneeded(Some(upgrade.unchecked_ref()));
    let db = request(&req).await.map_err(|e| err("open", e))?;
    let db = db.dyn_into::<IdbDatabase>().map_err(|e| err("open", e))?;
    OPENED.with(|o| o.set(true));
    Ok(db)
}

/// The stored profile JSON of a catalog, or `undefined` when there is none.
/// A value that is not a string is returned as its JSON text, so the core
/// can judge it (and the caller back it up) rather than lose it.
#[wasm_bindgen(js_name = loadProfile)]
pub async fn load_profile(catalog: String) -> Result<JsValue, JsError> {
    let db = open().await?;
    let tx = db
        .transaction_with_str(PROFILES)
        .map_err(|e| err("read", e))?;
    let store = tx.object_store(PROFILES).map_err(|e| err("read", e))?;
    let req = store
        .get(&JsValue::from_str(&catalog))
        .map_err(|e| err("read", e))?;
    let v = request(&req).await.map_err(|e| err("read", e))?;
    db.close();
    if v.is_undefined() || v.is_null() || v.is_string() {
        return Ok(v);
    }
    let text = js_sys::JSON::stringify(&v)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_else(|| "<unserializable value>".into());
    Ok(JsValue::from_str(&text))
}

/// Writes a catalog's profile JSON and waits until it is committed.
#[wasm_bindgen(js_name = saveProfile)]
pub async fn save_profile(catalog: String, json: String) -> Result<(), JsError> {
    let db = open().await?;
    let tx = db
        .transaction_with_str_and_mode(PROFILES, IdbTransactionMode::Readwrite)
        .map_err(|e| err("write", e))?;
    let store = tx.object_store(PROFILES).map_err(|e| err("write", e))?;
    store
        .put_with_key(&JsValue::from_str(&json), &JsValue::from_str(&catalog))
        .map_err(|e| err("write", e))?;
    committed(&tx).await.map_err(|e| err("write", e))?;
    db.close();
    Ok(())
}

/// Keeps an unreadable record aside with the reason and the time.
#[wasm_bindgen(js_name = backupProfile)]
pub async fn backup_profile(catalog: String, raw: String, reason: String) -> Result<(), JsError> {
    let db = open().await?;
    let tx = db
        .transaction_with_str_and_mode(BACKUPS, IdbTransactionMode::Readwrite)
        .map_err(|e| err("backup", e))?;
    let store = tx.object_store(BACKUPS).map_err(|e| err("backup", e))?;
    let record = js_sys::Object::new();
    let set = |k: &str, v: JsValue| Reflect::set(&record, &JsValue::from_str(k), &v);
    set("catalog", JsValue::from_str(&catalog)).map_err(|e| err("backup", e))?;
    set("raw", JsValue::from_str(&raw)).map_err(|e| err("backup", e))?;
    set("reason", JsValue::from_str(&reason)).map_err(|e| err("backup", e))?;
    set("at", JsValue::from_f64(js_sys::Date::now())).map_err(|e| err("backup", e))?;
    store.add(&record).map_err(|e| err("backup", e))?;
    committed(&tx).await.map_err(|e| err("backup", e))?;
    db.close();
    Ok(())
}

/// How many unreadable records are kept aside.
#[wasm_bindgen(js_name = countBackups)]
pub async fn count_backups() -> Result<u32, JsError> {
    let db = open().await?;
    let tx = db
        .transaction_with_str(BACKUPS)
        .map_err(|e| err("count", e))?;
    let store = tx.object_store(BACKUPS).map_err(|e| err("count", e))?;
    let req = store.count().map_err(|e| err("count", e))?;
    let n = request(&req).await.map_err(|e| err("count", e))?;
    db.close();
    Ok(n.as_f64().unwrap_or(0.0) as u32)
}

/// Deletes everything Kith stored: profiles and backups.
#[wasm_bindgen(js_name = deleteEverything)]
pub async fn delete_everything() -> Result<(), JsError> {
    let db = open().await?;
    let stores = js_sys::Array::of2(&JsValue::from_str(PROFILES), &JsValue::from_str(BACKUPS));
    let tx = db
        .transaction_with_str_sequence_and_mode(&stores, IdbTransactionMode::Readwrite)
        .map_err(|e| err("delete", e))?;
    for name in [PROFILES, BACKUPS] {
        tx.object_store(name)
            .and_then(|s| s.clear())
            .map_err(|e| err("delete", e))?;
    }
    committed(&tx).await.map_err(|e| err("delete", e))?;
    db.close();
    Ok(())
}
