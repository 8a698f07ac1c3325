//! The pure core: everything a visitor's device runs, and everything the
//! offline tools reuse. It compiles for native targets and
//! `wasm32-unknown-unknown` alike, so what lives here knows nothing of JS,
//! the terminal or files: it takes bytes and text and returns values and
//! typed errors. It may import only other core modules and crates that run
//! in wasm; `offline`, `cli` and `wasm` import it, never the reverse.
//!
//! From the bottom up: vectors and the catalog's data ([`vectors`],
//! [`catalog`], [`interactions`], [`embeddings`], [`graph`], [`words`]);
//! the models ([`mf`], [`bridge`], [`encoder`], [`llm`]); the bundle file
//! ([`bundle`], [`parts`], [`facets`]); reading the visitor ([`mentions`],
//! [`dialogue`]); the visitor's state ([`profile`], [`sync`], [`variant`]);
//! and the engine that ties them into turns ([`rank`], [`session`]), with
//! [`phrasing`] as an optional layer over its replies.

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
