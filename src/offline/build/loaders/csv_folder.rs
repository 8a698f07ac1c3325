//! Kith's generic CSV folder: `items.csv` and `interactions.csv`, the format
//! a site owner's own catalog comes in (`kith build --format csv`).

use super::*;

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
