//! A bundle split for the browser: which parts there are, what each says
//! about itself, and the manifest a page reads to find them.
//!
//! The page downloads the small core part first (catalog, MF, attributes:
//! the engine answers from titles, creators, tags and MF), then the text
//! part (item and tag embeddings, the bridge) and the encoder, attaching
//! each as it lands ([`crate::core::bundle::Bundle::attach`]). Every part is
//! content-addressed — its file name carries a hash of its bytes — so a
//! new catalog version re-downloads only the parts that changed, and the
//! encoder part, identical across catalogs, is fetched once.

use serde::{Deserialize, Serialize};

/// One downloadable part of a bundle, in download order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Part {
    /// Meta, catalog, attributes and MF: enough to answer.
    Core,
    /// Item and tag embeddings and the text-to-MF bridge.
    Text,
    /// The sentence encoder (model and tokenizer).
    Encoder,
}

impl Part {
    /// Every part, in the order a page downloads them.
    pub const ALL: [Part; 3] = [Part::Core, Part::Text, Part::Encoder];

    /// The part's name as in file names and the manifest.
    pub fn name(self) -> &'static str {
        match self {
            Part::Core => "core",
            Part::Text => "text",
            Part::Encoder => "encoder",
        }
    }
}

/// What a part file says about itself (its `part` section).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartInfo {
    /// Which part this is.
    pub part: Part,
    /// The catalog's fingerprint (`Catalog::fingerprint`), for the core and
    /// text parts: a text part is refused by another catalog's core.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog: Option<u32>,
    /// For the text part: the CRC-32 of the encoder its embeddings were
    /// made with; another encoder's vectors would not be comparable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoder: Option<u32>,
}

/// The format name a manifest declares.
pub const MANIFEST_FORMAT: &str = "kith-parts";
/// The manifest version this build reads and writes.
pub const MANIFEST_VERSION: u32 = 1;

/// The small JSON file a page loads first: the catalog's name and its
/// parts in download order (`kith split` writes it next to the parts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`MANIFEST_FORMAT`].
    pub format: String,
    /// [`MANIFEST_VERSION`].
    pub version: u32,
    /// The catalog's name.
    pub name: String,
    /// The parts, core first.
    pub parts: Vec<ManifestPart>,
}

/// One part as the manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestPart {
    /// Which part.
    pub part: Part,
    /// Its file, relative to the manifest (or an absolute URL).
    pub file: String,
    /// Its size in bytes, for progress before the server says.
    pub bytes: u64,
    /// SHA-256 of its bytes, hex (also in the file name).
    pub sha256: String,
}

/// Why a manifest cannot be used.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ManifestError {
    /// Not JSON of the right shape.
    #[error("the parts manifest is not valid: {0}")]
    Invalid(String),
    /// Another format or a newer version.
    #[error("the parts manifest is {format:?} version {version}; this build reads {MANIFEST_FORMAT:?} version {MANIFEST_VERSION} (rebuild it with `kith split`)")]
    Unsupported {
        /// Declared format.
        format: String,
        /// Declared version.
        version: u32,
    },
    /// The parts list is not core first with each part at most once.
    #[error("the parts manifest must list the core part first and each part once")]
    BadParts,
}

impl Manifest {
    /// Reads and checks a manifest.
    pub fn from_json(text: &str) -> Result<Manifest, ManifestError> {
        let m: Manifest =
            serde_json::from_str(text).map_err(|e| ManifestError::Invalid(e.to_string()))?;
        if m.format != MANIFEST_FORMAT || m.version != MANIFEST_VERSION {
            return Err(ManifestError::Unsupported {
                format: m.format,
                version: m.version,
            });
        }
        let first_is_core = m.parts.first().map(|p| p.part) == Some(Part::Core);
        let unique = Part::ALL
            .iter()
            .all(|k| m.parts.iter().filter(|p| p.part == *k).count() <= 1);
        if !first_is_core || !unique || m.parts.iter().any(|p| p.file.trim().is_empty()) {
            return Err(ManifestError::BadParts);
        }
        Ok(m)
    }

    /// The manifest as pretty JSON.
    pub fn to_json(&self) -> String {
        // Plain data: serializing cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(p: Part) -> ManifestPart {
        ManifestPart {
            part: p,
            file: format!("x.{}.kith", p.name()),
            bytes: 1,
            sha256: "00".into(),
        }
    }

    fn manifest(parts: Vec<ManifestPart>) -> Manifest {
        Manifest {
            format: MANIFEST_FORMAT.into(),
            version: MANIFEST_VERSION,
            name: "x".into(),
            parts,
        }
    }

    #[test]
    fn a_manifest_round_trips_and_bad_ones_are_refused() {
        let good = manifest(Part::ALL.iter().map(|&p| part(p)).collect());
        assert_eq!(Manifest::from_json(&good.to_json()), Ok(good.clone()));
        let text_first = manifest(vec![part(Part::Text), part(Part::Core)]);
        assert_eq!(
            Manifest::from_json(&text_first.to_json()),
            Err(ManifestError::BadParts)
        );
        let twice = manifest(vec![part(Part::Core), part(Part::Text), part(Part::Text)]);
        assert_eq!(
            Manifest::from_json(&twice.to_json()),
            Err(ManifestError::BadParts)
        );
        let mut newer = good.clone();
        newer.version = 2;
        assert!(matches!(
            Manifest::from_json(&newer.to_json()),
            Err(ManifestError::Unsupported { version: 2, .. })
        ));
        assert!(matches!(
            Manifest::from_json("{\"format\": 1}"),
            Err(ManifestError::Invalid(_))
        ));
    }
}
