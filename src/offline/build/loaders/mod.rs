//! Reading catalogs and interactions from disk: MovieLens 100K, goodbooks-10k,
//! Kith's generic CSV folder, and plain train/test interaction files.
//!
//! Every loader is strict by default: a malformed row is an error naming the
//! file and line. With `lenient`, bad rows are skipped and counted in the
//! [`LoadReport`]. Interactions naming unknown items are never dropped
//! silently: an error when strict, counted when lenient.
//!
//! One file per format (`ml100k.rs`, `goodbooks.rs`, `csv_folder.rs`,
//! `plain.rs`); this one holds what they share: options, the report, errors,
//! CSV reading with messages that name the file and line, and the builder
//! that maps user and item ids to indices.

mod csv_folder;
mod goodbooks;
mod ml100k;
mod plain;

pub use csv_folder::{load_csv_folder, load_csv_readers};
pub use goodbooks::load_goodbooks;
pub use ml100k::load_ml100k;
pub use plain::{parse_plain_interactions, read_plain_interactions, RawInteraction};

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use crate::core::catalog::{parse_series, Catalog, CatalogError, Item, ItemIdx};
use crate::core::interactions::{Interaction, Interactions, UserIdx};

use super::tags::{clean_tags, TagCleaning};

/// How strictly input is read.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadOptions {
    /// Skip malformed rows (and interactions with unknown items) instead of failing.
    pub lenient: bool,
}

/// What a load did besides returning data: rows skipped, duplicates merged.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadReport {
    /// Malformed rows skipped (lenient mode only).
    pub skipped_rows: usize,
    /// Interactions skipped because their item is not in the catalog (lenient only).
    pub unknown_items: usize,
    /// Rows that repeated an earlier (user, item) pair; the last one wins.
    pub duplicates_merged: usize,
    /// The first few skipped rows, as "file:line: reason".
    pub examples: Vec<String>,
}

impl LoadReport {
    fn skip(&mut self, what: String) {
        if self.examples.len() < 5 {
            self.examples.push(what);
        }
    }

    /// One line for humans, or `None` when nothing noteworthy happened.
    pub fn summary(&self) -> Option<String> {
        if self.skipped_rows == 0 && self.unknown_items == 0 && self.duplicates_merged == 0 {
            return None;
        }
        let mut s = format!(
            "skipped {} malformed row(s) and {} interaction(s) with unknown items; merged {} duplicate (user, item) row(s), last wins",
            self.skipped_rows, self.unknown_items, self.duplicates_merged
        );
        if !self.examples.is_empty() {
            s.push_str(&format!(" (e.g. {})", self.examples.join("; ")));
        }
        Some(s)
    }
}

/// A catalog with its interactions, ready to train on or to bundle.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// The items.
    pub catalog: Catalog,
    /// Who chose what.
    pub interactions: Interactions,
    /// What the load skipped or merged.
    pub report: LoadReport,
}

/// Why data could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A file could not be opened or read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A row did not have the expected shape.
    #[error("{}:{line}: {reason}", file.display())]
    Malformed {
        /// The file.
        file: PathBuf,
        /// 1-based line number.
        line: u64,
        /// What was wrong.
        reason: String,
    },
    /// An interaction named an item the catalog does not have.
    #[error("{}:{line}: unknown item {item:?} (use --lenient to skip such rows)", file.display())]
    UnknownItem {
        /// The file.
        file: PathBuf,
        /// 1-based line number.
        line: u64,
        /// The id as written.
        item: String,
    },
    /// The catalog itself was inconsistent.
    #[error("{}: {source}", file.display())]
    Catalog {
        /// The items file.
        file: PathBuf,
        /// What was wrong.
        source: CatalogError,
    },
    /// A required file or column was missing.
    #[error("{0}")]
    Missing(String),
}

/// Which kind of source `--format` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// MovieLens 100K (`u.data`, `u.item`).
    Ml100k,
    /// goodbooks-10k (`books.csv`, `tags.csv`, `book_tags.csv`, ratings).
    Goodbooks,
    /// Kith's generic folder (`items.csv`, `interactions.csv`).
    Csv,
}

/// Loads a data set of the given format from a folder.
pub fn load(format: Format, dir: &Path, opts: LoadOptions) -> Result<Dataset, LoadError> {
    match format {
        Format::Ml100k => load_ml100k(dir, opts),
        Format::Goodbooks => load_goodbooks(dir, opts),
        Format::Csv => load_csv_folder(dir, opts),
    }
}

/// Opens `dir/name`, or `dir/name.gz` decompressed on the fly (the embedded
/// catalog is stored compressed).
pub fn open_data_file(dir: &Path, name: &str) -> Result<(PathBuf, Box<dyn Read>), LoadError> {
    let plain = dir.join(name);
    let gz = dir.join(format!("{name}.gz"));
    let path = if plain.exists() || !gz.exists() {
        plain
    } else {
        gz
    };
    Ok((path.clone(), open_path(&path)?))
}

/// Opens a file, decompressing it when its name ends in `.gz`.
pub fn open_path(path: &Path) -> Result<Box<dyn Read>, LoadError> {
    let file = File::open(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(if path.extension().is_some_and(|e| e == "gz") {
        Box::new(flate2::read::GzDecoder::new(BufReader::new(file)))
    } else {
        Box::new(BufReader::new(file))
    })
}

fn csv_reader(r: Box<dyn Read>, delimiter: u8, headers: bool) -> csv::Reader<Box<dyn Read>> {
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(headers)
        .flexible(true)
        .from_reader(r)
}

/// Turns a csv error into a typed one with the file and line.
fn csv_error(path: &Path, e: csv::Error) -> LoadError {
    let line = e.position().map(|p| p.line()).unwrap_or(0);
    match e.into_kind() {
        csv::ErrorKind::Io(source) => LoadError::Io {
            path: path.to_path_buf(),
            source,
        },
        other => LoadError::Malformed {
            file: path.to_path_buf(),
            line,
            reason: describe_csv_error(&other),
        },
    }
}

/// A csv error in words (the crate's `Debug` form is a Rust dump).
fn describe_csv_error(kind: &csv::ErrorKind) -> String {
    match kind {
        csv::ErrorKind::Utf8 { err, .. } => format!(
            "field {} is not valid UTF-8 text (byte {} of the field); save the file as UTF-8",
            err.field() + 1,
            err.valid_up_to() + 1
        ),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("expected {expected_len} fields, found {len}"),
        csv::ErrorKind::Deserialize { err, .. } => err.to_string(),
        csv::ErrorKind::Seek => "the file could not be re-read".into(),
        other => format!("unreadable row ({other:?})"),
    }
}

/// Reads the next record into `rec` like [`next_record`], but a row that
/// is not UTF-8 is, in lenient mode, skipped and counted like any other bad
/// row (strict mode stops with the file and line).
fn next_text_record(
    rdr: &mut csv::Reader<Box<dyn Read>>,
    rec: &mut csv::StringRecord,
    path: &Path,
    opts: LoadOptions,
    report: &mut LoadReport,
) -> Result<Option<u64>, LoadError> {
    loop {
        match rdr.read_record(rec) {
            Ok(false) => return Ok(None),
            Ok(true) => return Ok(Some(rec.position().map(|p| p.line()).unwrap_or(0))),
            Err(e) if matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                reject(opts, report, path, line, describe_csv_error(e.kind()))?;
            }
            Err(e) => return Err(csv_error(path, e)),
        }
    }
}

/// An optional whole-number field: empty is absent; anything else that is
/// not a number in range is a bad row (not silently dropped).
fn parse_optional<T: std::str::FromStr>(s: &str, what: &str) -> Result<Option<T>, String> {
    if s.is_empty() {
        return Ok(None);
    }
    s.parse::<T>()
        .map(Some)
        .map_err(|_| format!("{what} {s:?} is not a whole number in range"))
}

/// Reads the next record into `rec`: its line number, or `None` at the end.
fn next_record(
    rdr: &mut csv::Reader<Box<dyn Read>>,
    rec: &mut csv::StringRecord,
    path: &Path,
) -> Result<Option<u64>, LoadError> {
    match rdr.read_record(rec) {
        Ok(false) => Ok(None),
        Ok(true) => Ok(Some(rec.position().map(|p| p.line()).unwrap_or(0))),
        Err(e) => Err(csv_error(path, e)),
    }
}

/// [`next_record`] for raw bytes (files that are not UTF-8, like `u.item`).
fn next_byte_record(
    rdr: &mut csv::Reader<Box<dyn Read>>,
    rec: &mut csv::ByteRecord,
    path: &Path,
) -> Result<Option<u64>, LoadError> {
    match rdr.read_byte_record(rec) {
        Ok(false) => Ok(None),
        Ok(true) => Ok(Some(rec.position().map(|p| p.line()).unwrap_or(0))),
        Err(e) => Err(csv_error(path, e)),
    }
}

/// Collects interactions while mapping users to dense ids and merging
/// repeated (user, item) pairs.
struct InteractionBuilder {
    users: Vec<String>,
    user_idx: HashMap<String, UserIdx>,
    entries: Vec<Interaction>,
    seen: HashMap<(UserIdx, ItemIdx), usize>,
}

impl InteractionBuilder {
    fn new() -> Self {
        InteractionBuilder {
            users: Vec::new(),
            user_idx: HashMap::new(),
            entries: Vec::new(),
            seen: HashMap::new(),
        }
    }

    fn push(
        &mut self,
        user: &str,
        item: ItemIdx,
        rating: f32,
        ts: Option<i64>,
        report: &mut LoadReport,
    ) {
        let next = self.users.len() as UserIdx;
        let u = *self.user_idx.entry(user.to_string()).or_insert_with(|| {
            self.users.push(user.to_string());
            next
        });
        let e = Interaction {
            user: u,
            item,
            rating,
            timestamp: ts,
        };
        match self.seen.get(&(u, item)) {
            Some(&pos) => {
                self.entries[pos] = e;
                report.duplicates_merged += 1;
            }
            None => {
                self.seen.insert((u, item), self.entries.len());
                self.entries.push(e);
            }
        }
    }

    fn finish(self, n_items: usize) -> Interactions {
        Interactions {
            users: self.users,
            n_items,
            entries: self.entries,
        }
    }
}

/// A row-level problem: an error when strict, a counted skip when lenient.
fn reject(
    opts: LoadOptions,
    report: &mut LoadReport,
    file: &Path,
    line: u64,
    reason: String,
) -> Result<(), LoadError> {
    if opts.lenient {
        report.skipped_rows += 1;
        report.skip(format!("{}:{line}: {reason}", file.display()));
        Ok(())
    } else {
        Err(LoadError::Malformed {
            file: file.to_path_buf(),
            line,
            reason,
        })
    }
}

fn reject_unknown(
    opts: LoadOptions,
    report: &mut LoadReport,
    file: &Path,
    line: u64,
    item: &str,
) -> Result<(), LoadError> {
    if opts.lenient {
        report.unknown_items += 1;
        report.skip(format!("{}:{line}: unknown item {item:?}", file.display()));
        Ok(())
    } else {
        Err(LoadError::UnknownItem {
            file: file.to_path_buf(),
            line,
            item: item.to_string(),
        })
    }
}

fn parse_num<T: std::str::FromStr>(s: &str, what: &str) -> Result<T, String> {
    s.trim()
        .parse::<T>()
        .map_err(|_| format!("{what} {s:?} is not a number"))
}

/// Sets each item's popularity to its number of interactions.
fn set_popularity(catalog: &mut Catalog, interactions: &Interactions) {
    let mut counts = vec![0u32; catalog.len()];
    for e in &interactions.entries {
        counts[e.item as usize] += 1;
    }
    for (item, c) in catalog.items_mut().iter_mut().zip(counts) {
        item.popularity = c;
    }
}

/// Column positions by header name, so files whose columns come in another
/// order (goodbooks' two ratings releases) read alike.
fn columns(
    path: &Path,
    headers: &csv::StringRecord,
    wanted: &[&str],
) -> Result<Vec<Option<usize>>, LoadError> {
    let found: Vec<Option<usize>> = wanted
        .iter()
        .map(|w| {
            headers
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(w))
        })
        .collect();
    if found.first().copied().flatten().is_none() {
        return Err(LoadError::Missing(format!(
            "{}: header has no {:?} column (found: {})",
            path.display(),
            wanted[0],
            headers.iter().collect::<Vec<_>>().join(",")
        )));
    }
    Ok(found)
}

/// Reads a headered interactions CSV whose columns are named by `names`
/// (user, item, optional rating, optional timestamp).
fn read_interaction_csv(
    path: &Path,
    r: Box<dyn Read>,
    catalog: &Catalog,
    opts: LoadOptions,
    report: &mut LoadReport,
    names: &[&str; 4],
) -> Result<Interactions, LoadError> {
    let mut rdr = csv_reader(r, b',', true);
    let headers = rdr.headers().map_err(|e| csv_error(path, e))?.clone();
    let col = columns(path, &headers, names)?;
    let c_user = col[0].unwrap_or(0);
    let c_item = col[1].ok_or_else(|| {
        LoadError::Missing(format!("{}: no {:?} column", path.display(), names[1]))
    })?;
    let mut b = InteractionBuilder::new();
    let mut rec = csv::StringRecord::new();
    while let Some(line) = next_text_record(&mut rdr, &mut rec, path, opts, report)? {
        let parsed = (|| {
            if rec.len() != headers.len() {
                return Err(format!(
                    "expected {} fields, found {}",
                    headers.len(),
                    rec.len()
                ));
            }
            let user = rec[c_user].trim();
            if user.is_empty() {
                return Err("empty user id".to_string());
            }
            let rating = match col[2].map(|c| rec[c].trim()) {
                Some(s) if !s.is_empty() => parse_num::<f32>(s, "rating")?,
                _ => 1.0,
            };
            if !rating.is_finite() {
                return Err("rating is not finite".into());
            }
            let ts = match col[3].map(|c| rec[c].trim()) {
                Some(s) if !s.is_empty() => Some(parse_num::<i64>(s, "timestamp")?),
                _ => None,
            };
            Ok((user.to_string(), rating, ts))
        })();
        let (user, rating, ts) = match parsed {
            Ok(v) => v,
            Err(reason) => {
                reject(opts, report, path, line, reason)?;
                continue;
            }
        };
        let Some(item) = catalog.index_of(rec[c_item].trim()) else {
            reject_unknown(opts, report, path, line, &rec[c_item])?;
            continue;
        };
        b.push(&user, item, rating, ts, report);
    }
    Ok(b.finish(catalog.len()))
}
