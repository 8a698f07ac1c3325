//! MovieLens 100K: `u.item` and `u.data`.

use super::*;

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
