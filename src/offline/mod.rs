//! Native-only work on whole data sets, for site owners and for Kith's own
//! measurements: loading catalogs and building bundles ([`build`]),
//! choosing MF settings on the owner's data ([`calibrate`], [`validation`]),
//! offline evaluation ([`eval`], [`metrics`], [`report`], [`coldstart`]),
//! simulated visitors and requests ([`simulate`], [`requests`]), and the
//! phrasing model measured on their dialogues ([`phrasing`]).
//!
//! It may use files, threads (rayon) and the native-only crates, and
//! import the [`crate::core`]; the core never imports it, and neither
//! does the browser's shell. The `cli` is its only caller besides tests
//! and benchmarks.

pub mod build;
pub mod calibrate;
pub mod coldstart;
pub mod eval;
pub mod metrics;
pub mod phrasing;
pub mod report;
pub mod requests;
pub mod simulate;
pub mod validation;
