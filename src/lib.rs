//! Kith: a recommender that runs entirely on the visitor's device.
//!
//! The crate is a pure core (no JS, no terminal, no files) that compiles for
//! native targets and `wasm32-unknown-unknown`, plus native-only build steps
//! and CLI. See `docs/ARCHITECTURE.md`.

pub mod bridge;
pub mod bundle;
pub mod catalog;
pub mod dialogue;
pub mod embeddings;
pub mod encoder;
pub mod facets;
pub mod graph;
pub mod interactions;
pub mod llm;
pub mod mentions;
pub mod metrics;
pub mod mf;
pub mod parts;
pub mod phrasing;
pub mod profile;
pub mod rank;
pub mod session;
pub mod sync;
pub mod variant;
pub mod vectors;
pub mod words;

#[cfg(not(target_arch = "wasm32"))]
pub mod build;
#[cfg(not(target_arch = "wasm32"))]
pub mod calibrate;
#[cfg(not(target_arch = "wasm32"))]
pub mod cli;
#[cfg(not(target_arch = "wasm32"))]
pub mod coldstart;
#[cfg(not(target_arch = "wasm32"))]
pub mod eval;
#[cfg(not(target_arch = "wasm32"))]
pub mod requests;
#[cfg(not(target_arch = "wasm32"))]
pub mod simulate;
#[cfg(not(target_arch = "wasm32"))]
pub mod validation;
#[cfg(target_arch = "wasm32")]
pub mod wasm;
