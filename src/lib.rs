//! Kith: a recommender that runs entirely on the visitor's device.
//!
//! The crate is a pure core (no JS, no terminal, no files) that compiles for
//! native targets and `wasm32-unknown-unknown`, plus native-only build steps
//! and CLI. See `docs/ARCHITECTURE.md`.

pub mod catalog;
pub mod encoder;
pub mod interactions;
pub mod metrics;
pub mod mf;

#[cfg(not(target_arch = "wasm32"))]
pub mod build;
#[cfg(not(target_arch = "wasm32"))]
pub mod cli;
#[cfg(not(target_arch = "wasm32"))]
pub mod eval;
#[cfg(target_arch = "wasm32")]
pub mod wasm;
