//! Reading catalogs and interactions from disk: MovieLens 100K, goodbooks-10k,
//! Kith's generic CSV folder, and plain train/test interaction files.
//!
//! Every loader is strict by default: a malformed row is an error naming the
//! file and line. With `lenient`, bad rows are skipped and counted in the
//! [`LoadReport`]. Interactions naming unknown items are never dropped
//! silently: an error when strict, counted when lenient.

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

const ML100K_GENRES: [&str; 19] = [
    "unknown",
    "Action",
    "Adventure",
    "Animation",
    "Children's",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
];

/// MovieLens 100K: `u.item` (latin-1, `|`-separated, 19 genre flags) and
/// `u.data` (tab-separated user, item, rating, timestamp).
pub fn load_ml100k(dir: &Path, opts: LoadOptions) -> Result<Dataset, LoadError> {
    let mut report = LoadReport::default();
    let (item_path, r) = open_data_file(dir, "u.item")?;
    let mut rdr = csv_reader(r, b'|', false);
    let mut items = Vec::new();
    let mut rec = csv::ByteRecord::new();
    while let Some(line) = next_byte_record(&mut rdr, &mut rec, &item_path)? {
        if rec.len() != 24 {
            reject(
                opts,
                &mut report,
                &item_path,
                line,
                format!("expected 24 fields, found {}", rec.len()),
            )?;
            continue;
        }
        // latin-1: every byte is the code point of the same value.
        let field = |k: usize| -> String { rec[k].iter().map(|&b| b as char).collect() };
        let id = field(0).trim().to_string();
        if id.is_empty() || id.parse::<u32>().is_err() {
            reject(
                opts,
                &mut report,
                &item_path,
                line,
                format!("bad movie id {id:?}"),
            )?;
            continue;
        }
        let title = field(1);
        let date = field(2);
        let year = date
            .rsplit('-')
            .next()
            .and_then(|y| y.trim().parse::<i32>().ok());
        let mut tags = Vec::new();
        for (g, name) in ML100K_GENRES.iter().enumerate() {
            if &rec[5 + g] == b"1" && g > 0 {
                tags.push(name.to_lowercase());
            }
        }
        items.push(Item {
            id,
            title,
            year,
            tags,
            ..Item::default()
        });
    }
    let mut catalog = Catalog::new(items).map_err(|source| LoadError::Catalog {
        file: item_path.clone(),
        source,
    })?;

    let (data_path, r) = open_data_file(dir, "u.data")?;
    let mut rdr = csv_reader(r, b'\t', false);
    let mut b = InteractionBuilder::new();
    let mut rec = csv::StringRecord::new();
    while let Some(line) = next_record(&mut rdr, &mut rec, &data_path)? {
        if rec.len() != 4 {
            reject(
                opts,
                &mut report,
                &data_path,
                line,
                format!("expected 4 fields, found {}", rec.len()),
            )?;
            continue;
        }
        let parsed = (|| {
            let rating: f32 = parse_num(&rec[2], "rating")?;
            let ts: i64 = parse_num(&rec[3], "timestamp")?;
            if rec[0].trim().is_empty() {
                return Err("empty user id".to_string());
            }
            Ok((rating, ts))
        })();
        let (rating, ts) = match parsed {
            Ok(v) => v,
            Err(reason) => {
                reject(opts, &mut report, &data_path, line, reason)?;
                continue;
            }
        };
        let Some(item) = catalog.index_of(rec[1].trim()) else {
            reject_unknown(opts, &mut report, &data_path, line, &rec[1])?;
            continue;
        };
        b.push(rec[0].trim(), item, rating, Some(ts), &mut report);
    }
    let interactions = b.finish(catalog.len());
    set_popularity(&mut catalog, &interactions);
    Ok(Dataset {
        catalog,
        interactions,
        report,
    })
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

/// goodbooks-10k: `books.csv`, `tags.csv`, `book_tags.csv` and ratings from
/// `ratings.csv` or `kaggle-v1/ratings.csv`. Shelves are cleaned into genre
/// and theme tags (see [`super::tags`]).
pub fn load_goodbooks(dir: &Path, opts: LoadOptions) -> Result<Dataset, LoadError> {
    let mut report = LoadReport::default();
    let (books_path, r) = open_data_file(dir, "books.csv")?;
    let mut rdr = csv_reader(r, b',', true);
    let headers = rdr
        .headers()
        .map_err(|e| csv_error(&books_path, e))?
        .clone();
    let want = [
        "book_id",
        "goodreads_book_id",
        "authors",
        "original_publication_year",
        "title",
        "original_title",
        "ratings_count",
    ];
    let col = columns(&books_path, &headers, &want)?;
    let need = |k: usize| -> Result<usize, LoadError> {
        col[k].ok_or_else(|| {
            LoadError::Missing(format!("{}: no {:?} column", books_path.display(), want[k]))
        })
    };
    let (c_id, c_gr, c_auth, c_title) = (need(0)?, need(1)?, need(2)?, need(4)?);
    let mut items = Vec::new();
    let mut goodreads_to_idx: HashMap<String, ItemIdx> = HashMap::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| csv_error(&books_path, e))?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let get = |c: usize| rec.get(c).unwrap_or("").trim();
        if rec.len() != headers.len() || get(c_id).is_empty() || get(c_title).is_empty() {
            reject(
                opts,
                &mut report,
                &books_path,
                line,
                format!("expected {} fields with book_id and title", headers.len()),
            )?;
            continue;
        }
        let year = col[3]
            .map(get)
            .and_then(|y| y.parse::<f64>().ok())
            .filter(|y| y.is_finite())
            .map(|y| y as i32);
        let title = get(c_title).to_string();
        let (_, series) = parse_series(&title);
        let creators = get(c_auth)
            .split(',')
            .map(|a| a.trim().to_string())
            .filter(|a| !a.is_empty())
            .collect();
        goodreads_to_idx.insert(get(c_gr).to_string(), items.len() as ItemIdx);
        items.push(Item {
            id: get(c_id).to_string(),
            title,
            creators,
            year,
            series,
            public_ratings: col[6]
                .map(get)
                .and_then(|c| c.parse::<f64>().ok())
                .filter(|c| c.is_finite() && *c >= 0.0)
                .map(|c| c as u64),
            ..Item::default()
        });
    }
    let mut catalog = Catalog::new(items).map_err(|source| LoadError::Catalog {
        file: books_path.clone(),
        source,
    })?;

    // Shelves: tag names, then (book, tag, count).
    let (tags_path, r) = open_data_file(dir, "tags.csv")?;
    let mut rdr = csv_reader(r, b',', true);
    let mut tag_names: HashMap<u32, String> = HashMap::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| csv_error(&tags_path, e))?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        match (rec.get(0).map(|s| s.trim().parse::<u32>()), rec.get(1)) {
            (Some(Ok(id)), Some(name)) if rec.len() == 2 => {
                tag_names.insert(id, name.to_string());
            }
            _ => reject(
                opts,
                &mut report,
                &tags_path,
                line,
                "expected tag_id,tag_name".into(),
            )?,
        }
    }
    let (bt_path, r) = open_data_file(dir, "book_tags.csv")?;
    let mut rdr = csv_reader(r, b',', true);
    let mut shelves: Vec<Vec<(String, u32)>> = vec![Vec::new(); catalog.len()];
    for rec in rdr.records() {
        let rec = rec.map_err(|e| csv_error(&bt_path, e))?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let parsed = (|| {
            if rec.len() != 3 {
                return Err(format!("expected 3 fields, found {}", rec.len()));
            }
            let tag: u32 = parse_num(&rec[1], "tag_id")?;
            let count: i64 = parse_num(&rec[2], "count")?;
            Ok((tag, count.max(0) as u32))
        })();
        let (tag, count) = match parsed {
            Ok(v) => v,
            Err(reason) => {
                reject(opts, &mut report, &bt_path, line, reason)?;
                continue;
            }
        };
        let Some(&book) = goodreads_to_idx.get(rec[0].trim()) else {
            reject_unknown(opts, &mut report, &bt_path, line, &rec[0])?;
            continue;
        };
        let Some(name) = tag_names.get(&tag) else {
            reject(
                opts,
                &mut report,
                &bt_path,
                line,
                format!("unknown tag_id {tag}"),
            )?;
            continue;
        };
        shelves[book as usize].push((name.clone(), count));
    }
    let names: Vec<String> = catalog
        .items()
        .iter()
        .map(|i| format!("{} {}", i.title, i.creators.join(" ")))
        .collect();
    let cleaned = clean_tags(&shelves, &names, &TagCleaning::default());
    for (item, tags) in catalog.items_mut().iter_mut().zip(cleaned) {
        item.tags = tags;
    }

    let ratings_dir = if dir.join("ratings.csv").exists() || dir.join("ratings.csv.gz").exists() {
        dir.to_path_buf()
    } else {
        dir.join("kaggle-v1")
    };
    let (r_path, r) = open_data_file(&ratings_dir, "ratings.csv")?;
    let interactions = read_interaction_csv(
        &r_path,
        r,
        &catalog,
        opts,
        &mut report,
        &["user_id", "book_id", "rating", "timestamp"],
    )?;
    set_popularity(&mut catalog, &interactions);
    Ok(Dataset {
        catalog,
        interactions,
        report,
    })
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

/// Kith's generic folder: `items.csv` (header `id,title,creator,description,tags`;
/// all but id and title optional; creators and tags `|`-separated) and
/// `interactions.csv` (header `user,item[,rating][,timestamp]`).
pub fn load_csv_folder(dir: &Path, opts: LoadOptions) -> Result<Dataset, LoadError> {
    let (items_path, items) = open_data_file(dir, "items.csv")?;
    let (i_path, interactions) = open_data_file(dir, "interactions.csv")?;
    load_csv_readers((&items_path, items), (&i_path, interactions), opts)
}

/// [`load_csv_folder`] from two readers, each with the name its messages
/// use (the fuzzer feeds it bytes in memory).
pub fn load_csv_readers(
    (items_path, r): (&Path, Box<dyn Read>),
    (i_path, interactions): (&Path, Box<dyn Read>),
    opts: LoadOptions,
) -> Result<Dataset, LoadError> {
    let items_path = items_path.to_path_buf();
    let mut report = LoadReport::default();
    let mut rdr = csv_reader(r, b',', true);
    let headers = rdr
        .headers()
        .map_err(|e| csv_error(&items_path, e))?
        .clone();
    let col = columns(
        &items_path,
        &headers,
        &[
            "id",
            "title",
            "creator",
            "description",
            "tags",
            "year",
            "length",
        ],
    )?;
    let c_id = col[0].unwrap_or(0);
    let c_title = col[1].ok_or_else(|| {
        LoadError::Missing(format!("{}: no \"title\" column", items_path.display()))
    })?;
    let split = |s: &str| -> Vec<String> {
        s.split('|')
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect()
    };
    let mut items = Vec::new();
    let mut rec = csv::StringRecord::new();
    while let Some(line) = next_text_record(&mut rdr, &mut rec, &items_path, opts, &mut report)? {
        let get = |c: Option<usize>| c.and_then(|c| rec.get(c)).unwrap_or("").trim();
        if rec.len() != headers.len() {
            reject(
                opts,
                &mut report,
                &items_path,
                line,
                format!("expected {} fields, found {}", headers.len(), rec.len()),
            )?;
            continue;
        }
        if get(Some(c_id)).is_empty() || get(Some(c_title)).is_empty() {
            reject(
                opts,
                &mut report,
                &items_path,
                line,
                "id and title must not be empty".into(),
            )?;
            continue;
        }
        let numbers = parse_optional::<i32>(get(col[5]), "year")
            .and_then(|year| Ok((year, parse_optional::<u32>(get(col[6]), "length")?)));
        let (year, length) = match numbers {
            Ok(v) => v,
            Err(reason) => {
                reject(opts, &mut report, &items_path, line, reason)?;
                continue;
            }
        };
        let title = get(Some(c_title)).to_string();
        let (_, series) = parse_series(&title);
        items.push(Item {
            id: get(Some(c_id)).to_string(),
            title,
            creators: split(get(col[2])),
            description: get(col[3]).to_string(),
            tags: split(get(col[4]))
                .into_iter()
                .map(|t| t.to_lowercase())
                .collect(),
            year,
            series,
            length,
            ..Item::default()
        });
    }
    let mut catalog = Catalog::new(items).map_err(|source| LoadError::Catalog {
        file: items_path.clone(),
        source,
    })?;
    let interactions = read_interaction_csv(
        i_path,
        interactions,
        &catalog,
        opts,
        &mut report,
        &["user", "item", "rating", "timestamp"],
    )?;
    if interactions.entries.is_empty() {
        return Err(LoadError::Missing(format!(
            "{}: no interactions{}; Kith learns from who chose what, so it needs at least one",
            i_path.display(),
            if report.skipped_rows + report.unknown_items > 0 {
                " left after skipping bad rows"
            } else {
                ""
            }
        )));
    }
    set_popularity(&mut catalog, &interactions);
    Ok(Dataset {
        catalog,
        interactions,
        report,
    })
}

/// Interactions from a split made elsewhere: one `user item [rating [timestamp]]`
/// per line, tab- or comma-separated, no header.
#[derive(Debug, Clone, PartialEq)]
pub struct RawInteraction {
    /// User id as written.
    pub user: String,
    /// Item id as written.
    pub item: String,
    /// Rating, 1 when absent.
    pub rating: f32,
}

/// Reads a header-less interactions file (see [`RawInteraction`]).
pub fn read_plain_interactions(
    path: &Path,
    opts: LoadOptions,
    report: &mut LoadReport,
) -> Result<Vec<RawInteraction>, LoadError> {
    let mut text = String::new();
    open_path(path)?
        .read_to_string(&mut text)
        .map_err(|source| LoadError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    parse_plain_interactions(path, &text, opts, report)
}

/// [`read_plain_interactions`] on text already read; `path` names it in
/// messages.
pub fn parse_plain_interactions(
    path: &Path,
    text: &str,
    opts: LoadOptions,
    report: &mut LoadReport,
) -> Result<Vec<RawInteraction>, LoadError> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line_no = n as u64 + 1;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = if line.contains('\t') {
            line.split('\t').collect()
        } else {
            line.split(',').collect()
        };
        let parsed = (|| {
            if !(2..=4).contains(&fields.len()) {
                return Err(format!("expected 2 to 4 fields, found {}", fields.len()));
            }
            let (user, item) = (fields[0].trim(), fields[1].trim());
            if user.is_empty() || item.is_empty() {
                return Err("empty user or item id".into());
            }
            let rating = match fields.get(2) {
                Some(s) => parse_num::<f32>(s, "rating")?,
                None => 1.0,
            };
            if !rating.is_finite() {
                return Err(format!("rating {rating} is not a finite number"));
            }
            if let Some(ts) = fields.get(3) {
                parse_num::<i64>(ts, "timestamp")?;
            }
            Ok(RawInteraction {
                user: user.to_string(),
                item: item.to_string(),
                rating,
            })
        })();
        match parsed {
            Ok(r) => out.push(r),
            Err(reason) => reject(opts, report, path, line_no, reason)?,
        }
    }
    Ok(out)
}
