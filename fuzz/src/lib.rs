//! Kith's fuzz targets' shared checks (see `checks.rs`).
mod checks;
pub use checks::*;
