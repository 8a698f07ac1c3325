//! The wasm-bindgen shells: they convert between JS values and the core,
//! and nothing else. Errors become JS exceptions carrying the core's message.
//!
//! Two wasm modules are built from this crate (`scripts/build-wasm`):
//! - the engine (`kith.js`, the default build): `engine` — the encoder,
//!   bundles, sessions, the phrasing guard — and `store`, the profile in
//!   IndexedDB;
//! - the optional phrasing model (`kith_phrasing.js`, the `phrasing-wasm`
//!   feature): `phrasing_model` alone, so the page downloads its decoder
//!   only when a visitor turns phrasing on. The engine never links the
//!   model, and the model never links the engine: the worker passes text
//!   between them, and every sentence is checked by the engine's guard.

mod download;
#[cfg(not(feature = "phrasing-wasm"))]
mod engine;
#[cfg(feature = "phrasing-wasm")]
mod phrasing_model;
#[cfg(not(feature = "phrasing-wasm"))]
mod store;

use wasm_bindgen::prelude::*;

/// Converts a Rust value to a plain JS object (maps as objects, not Map).
fn to_js<T: serde::Serialize>(v: &T) -> Result<JsValue, JsError> {
    let ser = serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true);
    v.serialize(&ser).map_err(|e| JsError::new(&e.to_string()))
}

fn js_err(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

/// The message of a value JS threw (an Error, a string, or anything else).
fn js_message(e: &JsValue, fallback: &str) -> String {
    use wasm_bindgen::JsCast;
    e.dyn_ref::<js_sys::Error>()
        .map(|x| String::from(x.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| fallback.to_string())
}
