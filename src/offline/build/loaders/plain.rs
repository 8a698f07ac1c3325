//! Interactions from a split made elsewhere: plain `user item [rating]` lines.

use super::*;

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
