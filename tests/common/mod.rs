//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// The shared data folder (`../shared/data`, or `KITH_DATA`). MovieLens is
/// never copied into the project, so tests read it from there; a missing
/// folder fails the test rather than skipping it.
pub fn shared_data(name: &str) -> PathBuf {
    let base = std::env::var_os("KITH_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data"));
    let p = base.join(name);
    assert!(
        p.is_dir(),
        "{} is missing: tests read MovieLens from ../shared/data (or set KITH_DATA)",
        p.display()
    );
    p
}

/// The embedded goodbooks copy shipped with the project.
pub fn embedded_goodbooks() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/goodbooks")
}

/// Writes files into a fresh temporary folder.
pub fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, body) in files {
        std::fs::write(dir.path().join(name), body).expect("write");
    }
    dir
}
