//! Splitting a bundle into the content-addressed parts a page downloads in
//! stages, with the manifest that lists them (`kith split`).

use sha2::{Digest, Sha256};

use crate::core::bundle::Bundle;
use crate::core::parts::{Manifest, ManifestPart, MANIFEST_FORMAT, MANIFEST_VERSION};

/// Hex digits of the content hash kept in a part's file name: 64 bits,
/// plenty to tell versions of one catalog apart.
const NAME_HASH_DIGITS: usize = 16;

/// One part file to write: its name (`STEM.PART.HASH.kith`) and bytes.
#[derive(Debug, Clone)]
pub struct PartFile {
    /// File name, relative to the manifest.
    pub name: String,
    /// The part's bytes (a file of the bundle format).
    pub bytes: Vec<u8>,
}

/// The parts of `bundle` and their manifest; `stem` starts every file name.
pub fn split(bundle: &Bundle, stem: &str) -> (Manifest, Vec<PartFile>) {
    let mut files = Vec::new();
    let mut listed = Vec::new();
    for (part, bytes) in bundle.to_parts() {
        let sha: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let name = format!("{stem}.{}.{}.kith", part.name(), &sha[..NAME_HASH_DIGITS]);
        listed.push(ManifestPart {
            part,
            file: name.clone(),
            bytes: bytes.len() as u64,
            sha256: sha,
        });
        files.push(PartFile { name, bytes });
    }
    let manifest = Manifest {
        format: MANIFEST_FORMAT.into(),
        version: MANIFEST_VERSION,
        name: bundle.meta.name.clone(),
        parts: listed,
    };
    (manifest, files)
}
