//! goodbooks-10k: books, shelves (cleaned into tags) and ratings.

use super::*;

/// goodbooks-10k: `books.csv`, `tags.csv`, `book_tags.csv` and ratings from
/// `ratings.csv` or `kaggle-v1/ratings.csv`. Shelves are cleaned into genre
/// and theme tags (see [`crate::offline::build::tags`]).
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
