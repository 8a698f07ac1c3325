//! The bundle: the one versioned file the browser loads, holding everything a
//! session needs (catalog, MF item factors, item and tag embeddings, the
//! bridge, attribute statistics and the encoder with its tokenizer).
//!
//! One writer ([`Bundle::to_bytes`], called by `kith build`) and one reader
//! ([`Bundle::from_bytes`], native and wasm). For the browser the same file
//! splits into parts ([`Bundle::to_parts`], `kith split`), each a file of
//! this format holding some of the sections: the page answers from the
//! small core part while the others stream in ([`Bundle::attach`],
//! `crate::core::parts`). Layout, all little-endian:
//!
//! ```text
//! magic "KITHBNDL" | version u32 | section count u32
//! per section: name [16 bytes, NUL-padded] | offset u64 | length u64 | crc32 u32
//! crc32 of everything above | section bytes…
//! ```
//!
//! Every section carries a CRC-32 and the file must end exactly where its
//! last section does, so truncation, corruption and version skew are typed
//! errors rather than garbage recommendations.

use serde::{Deserialize, Serialize};

use crate::core::bridge::Bridge;
use crate::core::catalog::{Catalog, Item, TagStat};
use crate::core::embeddings::QuantizedEmbeddings;
use crate::core::mf::params::AlsParams;
use crate::core::mf::{FoldInParams, MfModel};
use crate::core::parts::{Part, PartInfo};

/// The file's first eight bytes.
pub const MAGIC: &[u8; 8] = b"KITHBNDL";
/// The format version this build writes. Version 2 compresses the catalog
/// and the int8 MF factors (a scale per item) with zlib; version 1
/// files (plain JSON catalog, f32 factors) still read.
pub const VERSION: u32 = 2;
/// The oldest format version this build reads.
pub const OLDEST_VERSION: u32 = 1;
/// Largest plain size a compressed section may declare (decompression-bomb guard).
const MAX_PLAIN_SECTION: u64 = 1 << 31;
/// Largest MF dimension a bundle may declare: every turn solves a dim × dim
/// system, so an absurd stored dimension would cost gigabytes or minutes
/// per turn (trained models use 16–256).
pub const MAX_MF_DIM: usize = 1024;
/// Largest embedding dimension a bundle may declare (MiniLM's is 384).
pub const MAX_EMBEDDING_DIM: usize = 4096;
/// Largest magnitude of a stored MF factor or bias. Trained values are
/// a few units; far larger ones overflow the fold-in's sums to infinity.
const MAX_MF_VALUE: f32 = 1.0e4;

const NAME_LEN: usize = 16;
const ENTRY_LEN: usize = NAME_LEN + 8 + 8 + 4;

/// Why a bundle could not be read or written.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum BundleError {
    /// The file does not start with the bundle magic.
    #[error("not a Kith bundle (bad magic bytes)")]
    BadMagic,
    /// A bundle from another format version.
    #[error("bundle format version {found} is not supported (this build reads versions 1 to {supported}); rebuild it with `kith build`")]
    UnsupportedVersion {
        /// Version in the file.
        found: u32,
        /// Version this build reads.
        supported: u32,
    },
    /// The file ends before its declared content does.
    #[error("bundle is truncated: {needed} bytes declared, {got} present")]
    Truncated {
        /// Bytes the header declares.
        needed: u64,
        /// Bytes present.
        got: u64,
    },
    /// Bytes after the last section: the file was appended to or mis-assembled.
    #[error("bundle has {0} unexpected trailing bytes")]
    TrailingBytes(u64),
    /// A checksum did not match.
    #[error("bundle checksum mismatch in {0}: the file is corrupt")]
    Checksum(String),
    /// A required section is absent.
    #[error("bundle has no {0:?} section")]
    MissingSection(&'static str),
    /// A section's content is invalid.
    #[error("bundle section {section:?} is invalid: {reason}")]
    Section {
        /// Section name.
        section: String,
        /// What is wrong.
        reason: String,
    },
}

fn invalid(section: &str, reason: impl std::fmt::Display) -> BundleError {
    BundleError::Section {
        section: section.to_string(),
        reason: reason.to_string(),
    }
}

/// What the bundle is and where it came from: shown to the visitor and used
/// to phrase questions ("books" or "films").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BundleMeta {
    /// Catalog name, e.g. "goodbooks-10k".
    pub name: String,
    /// The noun for one item, singular and plural ("book", "books").
    pub item_noun: (String, String),
    /// The verb for consuming an item ("read", "watched").
    pub consume_verb: String,
    /// What a creator did to an item ("wrote", "directed", "made"); empty
    /// in older bundles ([`BundleMeta::creator_verb`] then derives one).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub creator_verb: String,
    /// Attribution and licence of the catalog data.
    pub attribution: String,
    /// The Kith version that wrote it.
    pub created_by: String,
    /// How the MF factors were trained (e.g. "als dim 64", "imported CSV").
    pub mf_source: String,
    /// Users the MF model was trained on (0 for imported factors).
    pub training_users: usize,
    /// The MF trainer's settings and how they were chosen (absent in bundles
    /// from before self-calibration, and for imported factors).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mf_choice: Option<MfChoice>,
    /// The bridge's ridge penalty (absent in older bundles).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bridge_lambda: Option<f32>,
}

impl BundleMeta {
    /// What a creator did to an item: the bundle's own word, else one that
    /// fits its consume verb ("read" → "wrote"), else the neutral "made".
    pub fn creator_verb(&self) -> &str {
        if !self.creator_verb.trim().is_empty() {
            return self.creator_verb.trim();
        }
        match self.consume_verb.as_str() {
            "read" => "wrote",
            _ => "made",
        }
    }
}

/// The weighted-ALS settings a bundle's factors were trained with, and the
/// validation that chose them: tools that retrain on a split of the same
/// data (`kith simulate`, `kith coldstart`) use these, not a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MfChoice {
    /// The settings (seed included), flattened into the record.
    #[serde(flatten)]
    pub params: AlsParams,
    /// "validation search" or "given" (`kith build --als`).
    pub chosen_by: String,
    /// Validation NDCG@`k` of the chosen settings (search only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation_ndcg: Option<f64>,
    /// Its standard error across validation folds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation_std_error: Option<f64>,
    /// Popularity's validation NDCG@`k` on the same folds, for scale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub popularity_ndcg: Option<f64>,
    /// The K of those NDCGs.
    #[serde(default)]
    pub k: usize,
    /// Configurations the search scored.
    #[serde(default)]
    pub configurations: usize,
    /// False when the search's time budget ran out first.
    #[serde(default)]
    pub search_complete: bool,
}

/// Attribute statistics: what the conversation can ask about and how common
/// each answer is across the catalog.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AttributeStats {
    /// Every clean tag with the number of items carrying it, most common first.
    pub tags: Vec<TagStat>,
    /// Oldest and newest year, when items have years.
    pub year_range: Option<(i32, i32)>,
    /// Shortest and longest length, when items have lengths.
    pub length_range: Option<(u32, u32)>,
    /// Which tags carry which mood, audience, pace or length, learned from
    /// the tag names' meaning when the bundle was built (empty without an
    /// encoder, and in bundles from before facets).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub facets: Vec<crate::core::facets::FacetTags>,
}

impl AttributeStats {
    /// Statistics of a catalog's tags, years and lengths.
    pub fn of(catalog: &Catalog) -> AttributeStats {
        let mut counts: std::collections::BTreeMap<&str, u32> = Default::default();
        for item in catalog.items() {
            for t in &item.tags {
                *counts.entry(t.as_str()).or_default() += 1;
            }
        }
        let mut tags: Vec<TagStat> = counts
            .into_iter()
            .map(|(name, items)| TagStat {
                name: name.to_string(),
                items,
                aliases: Vec::new(),
            })
            .collect();
        tags.sort_by(|a, b| b.items.cmp(&a.items).then(a.name.cmp(&b.name)));
        let range =
            |xs: Vec<i64>| -> Option<(i64, i64)> { Some((*xs.iter().min()?, *xs.iter().max()?)) };
        let years = range(
            catalog
                .items()
                .iter()
                .filter_map(|i| i.year.map(i64::from))
                .collect(),
        );
        let lengths = range(
            catalog
                .items()
                .iter()
                .filter_map(|i| i.length.map(i64::from))
                .collect(),
        );
        AttributeStats {
            tags,
            year_range: years.map(|(a, b)| (a as i32, b as i32)),
            length_range: lengths.map(|(a, b)| (a as u32, b as u32)),
            facets: Vec::new(),
        }
    }

    /// The tags that carry a facet in this catalog (empty when none does).
    pub fn facet_tags(&self, facet: crate::core::facets::Facet) -> &[String] {
        self.facets
            .iter()
            .find(|f| f.facet == facet)
            .map_or(&[], |f| f.tags.as_slice())
    }

    /// Facets name only the catalog's own tags, each facet once, each with
    /// a handful of tags.
    fn check_facets(&self) -> Result<(), String> {
        const MAX_FACET_TAGS: usize = 64;
        let names: std::collections::HashSet<&str> =
            self.tags.iter().map(|s| s.name.as_str()).collect();
        let mut seen = Vec::new();
        for f in &self.facets {
            if seen.contains(&f.facet) {
                return Err(format!("facet {:?} listed twice", f.facet));
            }
            seen.push(f.facet);
            if f.tags.len() > MAX_FACET_TAGS {
                return Err(format!(
                    "facet {:?} has {} tags (at most {MAX_FACET_TAGS})",
                    f.facet,
                    f.tags.len()
                ));
            }
            if let Some(t) = f.tags.iter().find(|t| !names.contains(t.as_str())) {
                return Err(format!("facet {:?} names unknown tag {t:?}", f.facet));
            }
        }
        Ok(())
    }
}

/// Everything a session loads, in memory.
#[derive(Debug, Clone)]
pub struct Bundle {
    /// What the bundle is.
    pub meta: BundleMeta,
    /// The items (ids, titles, creators, clean tags, series, popularity).
    pub catalog: Catalog,
    /// Tag support, year and length ranges.
    pub attributes: AttributeStats,
    /// One embedding per tag of `attributes.tags`, same order (empty without an encoder).
    pub tag_embeddings: QuantizedEmbeddings,
    /// One embedding per catalog item (empty without an encoder).
    pub item_embeddings: QuantizedEmbeddings,
    /// MF item factors and biases, and the fold-in parameters.
    pub mf: MfModel,
    /// Text embedding → MF factors (absent without an encoder).
    pub bridge: Option<Bridge>,
    /// The encoder GGUF (model and tokenizer), absent in an encoder-less bundle.
    pub encoder: Option<Vec<u8>>,
}

/// A little-endian writer for section payloads.
#[derive(Default)]
struct Writer(Vec<u8>);

impl Writer {
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn f32s(&mut self, v: &[f32]) {
        for x in v {
            self.0.extend_from_slice(&x.to_le_bytes());
        }
    }
}

/// A bounds-checked little-endian reader over one section.
struct Reader<'a> {
    section: &'static str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(section: &'static str, bytes: &'a [u8]) -> Self {
        Reader {
            section,
            bytes,
            pos: 0,
        }
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], BundleError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| invalid(self.section, "ends early"))?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u32(&mut self) -> Result<u32, BundleError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn f32(&mut self) -> Result<f32, BundleError> {
        Ok(f32::from_bits(self.u32()?))
    }
    fn f32s(&mut self, n: usize) -> Result<Vec<f32>, BundleError> {
        let bytes = self.take(
            n.checked_mul(4)
                .ok_or_else(|| invalid(self.section, "size overflow"))?,
        )?;
        Ok(bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }
    fn finish(&self) -> Result<(), BundleError> {
        if self.pos != self.bytes.len() {
            return Err(invalid(self.section, "has unexpected extra bytes"));
        }
        Ok(())
    }
}

fn write_embeddings(e: &QuantizedEmbeddings) -> Vec<u8> {
    let mut w = Writer::default();
    w.u32(e.dim() as u32);
    w.u32(e.len() as u32);
    w.f32s(e.scales());
    w.0.extend(e.values().iter().map(|&v| v as u8));
    w.0
}

fn read_embeddings(
    section: &'static str,
    bytes: &[u8],
) -> Result<QuantizedEmbeddings, BundleError> {
    let mut r = Reader::new(section, bytes);
    let dim = r.u32()? as usize;
    let rows = r.u32()? as usize;
    if dim > MAX_EMBEDDING_DIM {
        return Err(invalid(
            section,
            format!("dimension {dim} is above the limit of {MAX_EMBEDDING_DIM}"),
        ));
    }
    let scales = r.f32s(rows)?;
    let n = rows
        .checked_mul(dim)
        .ok_or_else(|| invalid(section, "size overflow"))?;
    let values = r.take(n)?.iter().map(|&b| b as i8).collect();
    r.finish()?;
    QuantizedEmbeddings::from_parts(dim, values, scales).map_err(|e| invalid(section, e))
}

fn read_mf(bytes: &[u8]) -> Result<MfModel, BundleError> {
    read_mf_as("mf", bytes, false)
}

/// Version 2's MF section (stored through [`zlib`]): the same header, then
/// the item biases, a scale per item and `dim` int8 values per item
/// (factor = value × scale). A quarter of the f32
/// size, which every visitor downloads; docs/BENCHMARKS.md §4 measures the
/// ranking cost.
fn write_mf_q8(m: &MfModel) -> Vec<u8> {
    let mut w = Writer::default();
    mf_header(&mut w, m);
    w.f32s(&m.item_bias);
    let rows: Vec<&[f32]> = if m.dim == 0 {
        Vec::new()
    } else {
        m.item_factors.chunks(m.dim).collect()
    };
    let scales: Vec<f32> = rows
        .iter()
        .map(|r| r.iter().fold(0f32, |a, x| a.max(x.abs())) / 127.0)
        .collect();
    w.f32s(&scales);
    for (row, &scale) in rows.iter().zip(&scales) {
        w.0.extend(row.iter().map(|&x| {
            let q = if scale > 0.0 {
                (x / scale).round()
            } else {
                0.0
            };
            q.clamp(-127.0, 127.0) as i8 as u8
        }));
    }
    w.0
}

fn mf_header(w: &mut Writer, m: &MfModel) {
    w.u32(m.dim as u32);
    w.u32(m.n_items() as u32);
    w.f32s(&[
        m.global_bias,
        m.fold_in.reg,
        m.fold_in.alpha,
        m.fold_in.alpha_negative,
        m.fold_in.reg_exponent,
    ]);
}

fn read_mf_as(
    section: &'static str,
    bytes: &[u8],
    quantized: bool,
) -> Result<MfModel, BundleError> {
    let mut r = Reader::new(section, bytes);
    let dim = r.u32()? as usize;
    let n = r.u32()? as usize;
    if dim == 0 || dim > MAX_MF_DIM {
        return Err(invalid(
            section,
            format!("dimension {dim} is outside 1..={MAX_MF_DIM}"),
        ));
    }
    let global_bias = r.f32()?;
    let fold_in = FoldInParams {
        reg: r.f32()?,
        alpha: r.f32()?,
        alpha_negative: r.f32()?,
        reg_exponent: r.f32()?,
    };
    let item_bias = r.f32s(n)?;
    let values = n
        .checked_mul(dim)
        .ok_or_else(|| invalid(section, "size overflow"))?;
    let factors = if quantized {
        let scales = r.f32s(n)?;
        let q = r.take(values)?;
        if scales.iter().any(|s| !s.is_finite() || *s < 0.0) {
            return Err(invalid(section, "a scale is negative or not finite"));
        }
        let mut out = Vec::with_capacity(values);
        if dim > 0 {
            for (row, &scale) in q.chunks(dim).zip(&scales) {
                out.extend(row.iter().map(|&b| f32::from(b as i8) * scale));
            }
        }
        out
    } else {
        r.f32s(values)?
    };
    r.finish()?;
    if item_bias
        .iter()
        .chain(&factors)
        .chain([&global_bias])
        .any(|x| !x.is_finite() || x.abs() > MAX_MF_VALUE)
    {
        return Err(invalid(
            section,
            format!("a factor or bias is not finite or above {MAX_MF_VALUE} in magnitude"),
        ));
    }
    fold_in.validate().map_err(|e| invalid(section, e))?;
    let mut m = MfModel::from_items(dim, factors, item_bias).map_err(|e| invalid(section, e))?;
    m.global_bias = global_bias;
    m.fold_in = fold_in;
    Ok(m)
}

/// A compressed section's payload: the plain length (u64), then the bytes
/// compressed with zlib. Version 2 stores the catalog JSON this way (2.7 MB
/// → 0.6 MB on the demo catalog) and the int8 MF section (−10%).
fn zlib(plain: &[u8]) -> Vec<u8> {
    let mut out = (plain.len() as u64).to_le_bytes().to_vec();
    out.extend(miniz_oxide::deflate::compress_to_vec_zlib(plain, 9));
    out
}

/// The plain bytes of a [`zlib`] payload, refusing more than
/// `MAX_PLAIN_SECTION` (a decompression bomb) or a length that disagrees.
fn unzlib(section: &'static str, bytes: &[u8]) -> Result<Vec<u8>, BundleError> {
    let (len, stream) = bytes
        .split_first_chunk::<8>()
        .ok_or_else(|| invalid(section, "ends early"))?;
    let declared = u64::from_le_bytes(*len);
    if declared > MAX_PLAIN_SECTION {
        return Err(invalid(section, format!("declares {declared} plain bytes")));
    }
    let plain = miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(stream, declared as usize)
        .map_err(|e| invalid(section, format!("does not decompress ({:?})", e.status)))?;
    if plain.len() as u64 != declared {
        return Err(invalid(
            section,
            format!("holds {} plain bytes, declares {declared}", plain.len()),
        ));
    }
    Ok(plain)
}

fn write_bridge(b: &Bridge) -> Vec<u8> {
    let mut w = Writer::default();
    w.u32(b.text_dim as u32);
    w.u32(b.mf_dim as u32);
    w.f32s(&[b.lambda]);
    w.f32s(&b.weights);
    w.0
}

fn read_bridge(bytes: &[u8]) -> Result<Bridge, BundleError> {
    let mut r = Reader::new("bridge", bytes);
    let text_dim = r.u32()? as usize;
    let mf_dim = r.u32()? as usize;
    let lambda = r.f32()?;
    if text_dim > MAX_EMBEDDING_DIM || mf_dim > MAX_MF_DIM {
        return Err(invalid(
            "bridge",
            format!("dimensions {text_dim}→{mf_dim} are above the limits"),
        ));
    }
    if !lambda.is_finite() {
        return Err(invalid("bridge", "its regularisation is not finite"));
    }
    let n = text_dim
        .checked_add(1)
        .zip(mf_dim.checked_add(1))
        .and_then(|(a, b)| a.checked_mul(b))
        .ok_or_else(|| invalid("bridge", "size overflow"))?;
    let weights = r.f32s(n)?;
    r.finish()?;
    let b = Bridge {
        text_dim,
        mf_dim,
        lambda,
        weights,
    };
    b.validate().map_err(|e| invalid("bridge", e))?;
    Ok(b)
}

fn json<T: Serialize>(v: &T) -> Vec<u8> {
    // Serializing plain data structs to JSON cannot fail.
    serde_json::to_vec(v).unwrap_or_default()
}

fn from_json<'a, T: Deserialize<'a>>(section: &str, bytes: &'a [u8]) -> Result<T, BundleError> {
    serde_json::from_slice(bytes).map_err(|e| invalid(section, e))
}

/// One section as found in a file's table.
struct Entry<'a> {
    name: String,
    bytes: &'a [u8],
}

/// The part a section travels in when a bundle is split for the browser.
fn part_of(section: &str) -> Part {
    match section {
        "item_embeddings" | "tag_embeddings" | "bridge" => Part::Text,
        "encoder" => Part::Encoder,
        _ => Part::Core,
    }
}

/// Serializes named sections: header, table with checksums, sections.
fn write_file(sections: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let header_len = 8 + 4 + 4 + sections.len() * ENTRY_LEN + 4;
    let mut out =
        Vec::with_capacity(header_len + sections.iter().map(|s| s.1.len()).sum::<usize>());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&(sections.len() as u32).to_le_bytes());
    let mut offset = header_len as u64;
    for (name, bytes) in sections {
        let mut n = [0u8; NAME_LEN];
        n[..name.len()].copy_from_slice(name.as_bytes());
        out.extend_from_slice(&n);
        out.extend_from_slice(&offset.to_le_bytes());
        out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        out.extend_from_slice(&crc32fast::hash(bytes).to_le_bytes());
        offset += bytes.len() as u64;
    }
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    for (_, bytes) in sections {
        out.extend_from_slice(bytes);
    }
    out
}

impl Bundle {
    /// Every section, in file order.
    fn sections(&self) -> Vec<(&'static str, Vec<u8>)> {
        let mut sections: Vec<(&'static str, Vec<u8>)> = vec![
            ("meta", json(&self.meta)),
            ("catalog_zlib", zlib(&json(&self.catalog.items()))),
            ("attributes", json(&self.attributes)),
            ("mf_q8", zlib(&write_mf_q8(&self.mf))),
        ];
        if !self.item_embeddings.is_empty() {
            sections.push(("item_embeddings", write_embeddings(&self.item_embeddings)));
        }
        if !self.tag_embeddings.is_empty() {
            sections.push(("tag_embeddings", write_embeddings(&self.tag_embeddings)));
        }
        if let Some(b) = &self.bridge {
            sections.push(("bridge", write_bridge(b)));
        }
        if let Some(e) = &self.encoder {
            sections.push(("encoder", e.clone()));
        }
        sections
    }

    /// Serializes the whole bundle into one file (what the CLI reads).
    pub fn to_bytes(&self) -> Vec<u8> {
        write_file(&self.sections())
    }

    /// The bundle split into the parts a page downloads one after another
    /// ([`Part`]), each a file of this format with a `part` section saying
    /// what it is and, for the text part, which catalog and encoder it
    /// belongs to. The encoder part holds nothing catalog-specific, so its
    /// bytes (and its content address) stay the same across catalogs and
    /// versions. Parts with nothing in them are left out.
    pub fn to_parts(&self) -> Vec<(Part, Vec<u8>)> {
        let info = PartInfo {
            part: Part::Core,
            catalog: Some(self.catalog.fingerprint()),
            encoder: None,
        };
        let mut out = Vec::new();
        for part in Part::ALL {
            let mut sections: Vec<(&str, Vec<u8>)> = self
                .sections()
                .into_iter()
                .filter(|(name, _)| part_of(name) == part)
                .collect();
            if sections.is_empty() {
                continue;
            }
            let info = match part {
                Part::Core => info.clone(),
                Part::Text => PartInfo {
                    part,
                    catalog: info.catalog,
                    encoder: self.encoder.as_deref().map(crc32fast::hash),
                },
                Part::Encoder => PartInfo {
                    part,
                    catalog: None,
                    encoder: None,
                },
            };
            sections.insert(0, ("part", json(&info)));
            out.push((part, write_file(&sections)));
        }
        out
    }

    /// Reads and validates a bundle (or a core part): magic, version,
    /// length, every checksum, then every section's content and the
    /// agreement between sections.
    pub fn from_bytes(bytes: &[u8]) -> Result<Bundle, BundleError> {
        let entries = read_table(bytes)?;
        let get = |name: &'static str| -> Option<&[u8]> {
            entries.iter().find(|e| e.name == name).map(|e| e.bytes)
        };
        let need = |name: &'static str| -> Result<&[u8], BundleError> {
            get(name).ok_or(BundleError::MissingSection(name))
        };
        let meta: BundleMeta = from_json("meta", need("meta")?)?;
        let items: Vec<Item> = match get("catalog_zlib") {
            Some(z) => from_json("catalog_zlib", &unzlib("catalog_zlib", z)?)?,
            None => from_json("catalog", need("catalog")?)?,
        };
        let catalog = Catalog::new(items).map_err(|e| invalid("catalog", e))?;
        let attributes: AttributeStats = from_json("attributes", need("attributes")?)?;
        attributes
            .check_facets()
            .map_err(|e| invalid("attributes", e))?;
        let mf = match get("mf_q8") {
            Some(q) => read_mf_as("mf_q8", &unzlib("mf_q8", q)?, true)?,
            None => read_mf(need("mf")?)?,
        };
        if mf.n_items() != catalog.len() {
            return Err(invalid(
                "mf",
                format!("{} items, the catalog has {}", mf.n_items(), catalog.len()),
            ));
        }
        let mut bundle = Bundle {
            meta,
            catalog,
            attributes,
            tag_embeddings: QuantizedEmbeddings::default(),
            item_embeddings: QuantizedEmbeddings::default(),
            mf,
            bridge: None,
            encoder: get("encoder").map(<[u8]>::to_vec),
        };
        bundle.take_text(&entries)?;
        Ok(bundle)
    }

    /// What a part file says it is (its `part` section), checksums checked.
    pub fn part_info(bytes: &[u8]) -> Result<PartInfo, BundleError> {
        let entries = read_table(bytes)?;
        let info = entries
            .iter()
            .find(|e| e.name == "part")
            .ok_or(BundleError::MissingSection("part"))?;
        from_json("part", info.bytes)
    }

    /// Adds a text or encoder part downloaded after the core part. A part
    /// made for another catalog (or another version of this one), a core
    /// part, or a part whose content disagrees with the catalog is an error
    /// and changes nothing. Returns what the part was and, for the text
    /// part, the checksum of the encoder its embeddings were made with.
    pub fn attach(&mut self, bytes: &[u8]) -> Result<PartInfo, BundleError> {
        let entries = read_table(bytes)?;
        let info_bytes = entries
            .iter()
            .find(|e| e.name == "part")
            .ok_or(BundleError::MissingSection("part"))?;
        let info: PartInfo = from_json("part", info_bytes.bytes)?;
        match info.part {
            Part::Core => Err(invalid(
                "part",
                "this is a core part: load it as the bundle, not as an addition",
            )),
            Part::Text => {
                if info.catalog != Some(self.catalog.fingerprint()) {
                    return Err(invalid(
                        "part",
                        "this text part belongs to another catalog or another version of it",
                    ));
                }
                self.take_text(&entries)?;
                Ok(info)
            }
            Part::Encoder => {
                let encoder = entries
                    .iter()
                    .find(|e| e.name == "encoder")
                    .ok_or(BundleError::MissingSection("encoder"))?;
                self.encoder = Some(encoder.bytes.to_vec());
                Ok(info)
            }
        }
    }

    /// Reads the text sections present among `entries` and checks them
    /// against the catalog, the tags and the MF model; on any error the
    /// bundle is left as it was.
    fn take_text(&mut self, entries: &[Entry<'_>]) -> Result<(), BundleError> {
        let get = |name: &'static str| -> Option<&[u8]> {
            entries.iter().find(|e| e.name == name).map(|e| e.bytes)
        };
        let item_embeddings = match get("item_embeddings") {
            Some(b) => read_embeddings("item_embeddings", b)?,
            None => QuantizedEmbeddings::default(),
        };
        if !item_embeddings.is_empty() && item_embeddings.len() != self.catalog.len() {
            return Err(invalid(
                "item_embeddings",
                format!(
                    "{} rows, the catalog has {} items",
                    item_embeddings.len(),
                    self.catalog.len()
                ),
            ));
        }
        let tag_embeddings = match get("tag_embeddings") {
            Some(b) => read_embeddings("tag_embeddings", b)?,
            None => QuantizedEmbeddings::default(),
        };
        if !tag_embeddings.is_empty() && tag_embeddings.len() != self.attributes.tags.len() {
            return Err(invalid(
                "tag_embeddings",
                format!(
                    "{} rows for {} tags",
                    tag_embeddings.len(),
                    self.attributes.tags.len()
                ),
            ));
        }
        let bridge = get("bridge").map(read_bridge).transpose()?;
        if let Some(b) = &bridge {
            if b.mf_dim != self.mf.dim
                || (!item_embeddings.is_empty() && b.text_dim != item_embeddings.dim())
            {
                return Err(invalid(
                    "bridge",
                    "dimensions disagree with the MF model or embeddings",
                ));
            }
        }
        self.item_embeddings = item_embeddings;
        self.tag_embeddings = tag_embeddings;
        self.bridge = bridge;
        Ok(())
    }

    /// Section names and sizes, for `kith build` to report.
    pub fn section_sizes(bytes: &[u8]) -> Result<Vec<(String, usize)>, BundleError> {
        Ok(read_table(bytes)?
            .into_iter()
            .map(|e| (e.name, e.bytes.len()))
            .collect())
    }
}

fn read_table(bytes: &[u8]) -> Result<Vec<Entry<'_>>, BundleError> {
    let got = bytes.len() as u64;
    if bytes.len() < 16 {
        if bytes.len() >= 8 && &bytes[..8] != MAGIC {
            return Err(BundleError::BadMagic);
        }
        return Err(BundleError::Truncated { needed: 16, got });
    }
    if &bytes[..8] != MAGIC {
        return Err(BundleError::BadMagic);
    }
    let word =
        |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    let version = word(8);
    if !(OLDEST_VERSION..=VERSION).contains(&version) {
        return Err(BundleError::UnsupportedVersion {
            found: version,
            supported: VERSION,
        });
    }
    let count = word(12) as usize;
    if count > 64 {
        return Err(invalid("header", format!("{count} sections")));
    }
    let header_len = 16 + count * ENTRY_LEN + 4;
    if bytes.len() < header_len {
        return Err(BundleError::Truncated {
            needed: header_len as u64,
            got,
        });
    }
    if crc32fast::hash(&bytes[..header_len - 4]) != word(header_len - 4) {
        return Err(BundleError::Checksum("header".into()));
    }
    let mut entries = Vec::with_capacity(count);
    let mut end = header_len as u64;
    for k in 0..count {
        let at = 16 + k * ENTRY_LEN;
        let raw = &bytes[at..at + NAME_LEN];
        let name_len = raw.iter().position(|&b| b == 0).unwrap_or(NAME_LEN);
        let name = String::from_utf8_lossy(&raw[..name_len]).into_owned();
        let u64_at = |p: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&bytes[p..p + 8]);
            u64::from_le_bytes(b)
        };
        let offset = u64_at(at + NAME_LEN);
        let len = u64_at(at + NAME_LEN + 8);
        let crc = word(at + NAME_LEN + 16);
        let stop = offset
            .checked_add(len)
            .ok_or_else(|| invalid(&name, "size overflow"))?;
        if stop > got {
            return Err(BundleError::Truncated { needed: stop, got });
        }
        end = end.max(stop);
        let slice = &bytes[offset as usize..stop as usize];
        if crc32fast::hash(slice) != crc {
            return Err(BundleError::Checksum(name));
        }
        entries.push(Entry { name, bytes: slice });
    }
    if end < got {
        return Err(BundleError::TrailingBytes(got - end));
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compressed_sections_round_trip_and_lies_are_refused() {
        let plain = b"the same words, the same words, the same words".repeat(100);
        let z = zlib(&plain);
        assert!(z.len() < plain.len() / 4);
        assert_eq!(unzlib("x", &z).unwrap(), plain);
        // A length that disagrees with the stream, a bomb, a cut stream.
        let mut short = z.clone();
        short[..8].copy_from_slice(&10u64.to_le_bytes());
        assert!(unzlib("x", &short).is_err());
        let mut bomb = z.clone();
        bomb[..8].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(unzlib("x", &bomb)
            .unwrap_err()
            .to_string()
            .contains("declares"));
        assert!(unzlib("x", &z[..z.len() / 2]).is_err());
        assert!(unzlib("x", &z[..3]).is_err());
    }

    #[test]
    fn meta_from_older_bundles_still_reads() {
        // Before self-calibration: no mf_choice, no bridge_lambda, no creator verb.
        let old = r#"{"name":"x","item_noun":["book","books"],"consume_verb":"read",
            "attribution":"","created_by":"kith 0.1.0","mf_source":"ALS","training_users":3}"#;
        let m: BundleMeta = serde_json::from_str(old).unwrap();
        assert_eq!((&m.mf_choice, m.bridge_lambda), (&None, None));
        assert_eq!(m.creator_verb(), "wrote");
        // A recorded choice missing a field takes that field's default.
        let partial = r#"{"name":"x","item_noun":["film","films"],"consume_verb":"watched",
            "attribution":"","created_by":"kith 0.1.0","mf_source":"ALS","training_users":3,
            "mf_choice":{"dim":16,"iterations":15,"reg":1.0,"alpha":4.0,"reg_exponent":0.0,
            "cg_steps":3,"chosen_by":"validation search"}}"#;
        let m: BundleMeta = serde_json::from_str(partial).unwrap();
        let c = m.mf_choice.clone().unwrap();
        assert_eq!(
            (c.params.dim, c.params.seed),
            (16, AlsParams::default().seed)
        );
        assert_eq!(m.creator_verb(), "made");
    }
}
