//! Kith: a recommender that runs entirely on the visitor's device.
//!
//! The crate is four layers, one directory each, and each imports only the
//! layers listed before it (docs/ARCHITECTURE.md draws them):
//!
//! - [`core`] — the pure core: catalogs, the encoder, MF, the conversation,
//!   ranking, profiles. No JS, no terminal, no files; compiles for native
//!   targets and `wasm32-unknown-unknown`. Imports only itself.
//! - `offline` — native-only work on whole data sets: building bundles,
//!   calibrating and evaluating MF, simulating visitors. Imports the core.
//! - `cli` — the `kith` command line, a thin shell over the two above.
//! - `wasm` — the browser's thin shell over the core (wasm32 only).

#![warn(missing_docs)]

pub mod core;

#[cfg(not(target_arch = "wasm32"))]
pub mod offline;

#[cfg(not(target_arch = "wasm32"))]
pub mod cli;

#[cfg(target_arch = "wasm32")]
pub mod wasm;
