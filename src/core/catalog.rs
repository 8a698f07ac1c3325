//! The items a recommender can suggest, with the text the encoder and the
//! conversation talk about.
//!
//! A [`Catalog`] is index-addressed: every other part of Kith (MF factors,
//! embeddings, the profile) refers to an item by its dense index, and the
//! catalog maps that index back to the catalog's own id for display and export.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// Dense index of an item inside one catalog (0..len).
pub type ItemIdx = u32;

/// A book in a series, parsed from titles like "Dune (Dune Chronicles, #1)".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesRef {
    /// The series name as written, e.g. "Dune Chronicles".
    pub name: String,
    /// The position in the series when it is a plain number ("#1", "#2.5").
    pub position: Option<f32>,
}

/// One recommendable item and everything Kith may say about it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// The catalog's own id (goodbooks: `book_id`; MovieLens: `movie id`).
    pub id: String,
    /// Display title, exactly as the source gives it (rendered as text, never HTML).
    pub title: String,
    /// Authors, directors or makers, in source order.
    pub creators: Vec<String>,
    /// Free-text description; may be empty.
    pub description: String,
    /// Clean tags (genres, themes), most salient first.
    pub tags: Vec<String>,
    /// Publication or release year when known.
    pub year: Option<i32>,
    /// Series membership when the title states one.
    pub series: Option<SeriesRef>,
    /// How many interactions the item has in the source data (a popularity prior).
    pub popularity: u32,
    /// How many ratings the source reports beyond the interactions shipped
    /// (goodbooks: `ratings_count`): a truer popularity prior when the
    /// interactions are a capped sample.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_ratings: Option<u64>,
    /// Length in the catalog's own unit (pages, minutes) when known, so
    /// "something shorter" and a time budget can act on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<u32>,
}

/// An ordered set of items with lookup by external id.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    items: Vec<Item>,
    by_id: HashMap<String, ItemIdx>,
}

/// Why a catalog could not be assembled.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CatalogError {
    /// Two items share one external id, which would make lookups ambiguous.
    #[error("duplicate item id {0:?}")]
    DuplicateId(String),
    /// An item id was empty.
    #[error("item at position {0} has an empty id")]
    EmptyId(usize),
    /// More items than a `u32` index can address.
    #[error("catalog has more than {} items", u32::MAX)]
    TooLarge,
}

impl Catalog {
    /// Builds a catalog, refusing duplicate or empty ids.
    pub fn new(items: Vec<Item>) -> Result<Self, CatalogError> {
        if items.len() > u32::MAX as usize {
            return Err(CatalogError::TooLarge);
        }
        let mut by_id = HashMap::with_capacity(items.len());
        for (idx, item) in items.iter().enumerate() {
            if item.id.is_empty() {
                return Err(CatalogError::EmptyId(idx));
            }
            if by_id.insert(item.id.clone(), idx as ItemIdx).is_some() {
                return Err(CatalogError::DuplicateId(item.id.clone()));
            }
        }
        Ok(Catalog { items, by_id })
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when the catalog holds no item.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The item at a dense index, if in range.
    pub fn get(&self, idx: ItemIdx) -> Option<&Item> {
        self.items.get(idx as usize)
    }

    /// Dense index of an external id.
    pub fn index_of(&self, id: &str) -> Option<ItemIdx> {
        self.by_id.get(id).copied()
    }

    /// All items in index order.
    pub fn items(&self) -> &[Item] {
        &self.items
    }

    /// A checksum of every item's content (CRC-32 of the catalog's JSON), so
    /// a part made for this catalog can prove it belongs to this version.
    pub fn fingerprint(&self) -> u32 {
        let mut h = crc32fast::Hasher::new();
        h.update(&(self.items.len() as u64).to_le_bytes());
        // Serializing plain data to JSON cannot fail.
        h.update(&serde_json::to_vec(&self.items).unwrap_or_default());
        h.finalize()
    }

    /// Mutable access for build steps that enrich items (tags, popularity).
    pub fn items_mut(&mut self) -> &mut [Item] {
        &mut self.items
    }

    /// The popularity prior Kith ranks with: the source's public rating count
    /// when it has one, else the interaction count.
    pub fn audience(&self, idx: ItemIdx) -> u64 {
        self.get(idx)
            .map(|i| i.public_ratings.unwrap_or(i.popularity as u64))
            .unwrap_or(0)
    }

    /// True when at least one item carries tags, so tag-based measures apply.
    pub fn has_tags(&self) -> bool {
        self.items.iter().any(|i| !i.tags.is_empty())
    }
}

/// Splits a goodbooks-style title into its display title and series, e.g.
/// "Dune (Dune Chronicles, #1)" → ("Dune", Dune Chronicles #1).
///
/// Titles without a trailing "(Name, #n)" group are returned unchanged.
pub fn parse_series(title: &str) -> (String, Option<SeriesRef>) {
    let trimmed = title.trim_end();
    if !trimmed.ends_with(')') {
        return (trimmed.to_string(), None);
    }
    let Some(open) = trimmed.rfind('(') else {
        return (trimmed.to_string(), None);
    };
    let inner = &trimmed[open + 1..trimmed.len() - 1];
    let Some(hash) = inner.rfind('#') else {
        return (trimmed.to_string(), None);
    };
    let name = inner[..hash].trim().trim_end_matches(',').trim();
    if name.is_empty() {
        return (trimmed.to_string(), None);
    }
    let position = inner[hash + 1..].trim().parse::<f32>().ok();
    let base = trimmed[..open].trim_end();
    let base = if base.is_empty() { trimmed } else { base };
    (
        base.to_string(),
        Some(SeriesRef {
            name: name.to_string(),
            position,
        }),
    )
}

/// One tag of the catalog and its support (how many items carry it): the
/// vocabulary the mention index, facets and the phrasing guard read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TagStat {
    /// The clean tag, e.g. "science-fiction".
    pub name: String,
    /// Items carrying it.
    pub items: u32,
    /// Other spellings a visitor may use ("sci-fi" for "science-fiction").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str) -> Item {
        Item {
            id: id.into(),
            title: format!("t{id}"),
            ..Item::default()
        }
    }

    #[test]
    fn lookup_by_id_and_index() {
        let c = Catalog::new(vec![item("a"), item("b")]).unwrap();
        assert_eq!(c.index_of("b"), Some(1));
        assert_eq!(c.get(0).unwrap().id, "a");
        assert_eq!(c.get(2), None);
        assert_eq!(c.index_of("zz"), None);
    }

    #[test]
    fn duplicate_and_empty_ids_are_errors() {
        assert_eq!(
            Catalog::new(vec![item("a"), item("a")]).unwrap_err(),
            CatalogError::DuplicateId("a".into())
        );
        assert_eq!(
            Catalog::new(vec![item("a"), item("")]).unwrap_err(),
            CatalogError::EmptyId(1)
        );
    }

    #[test]
    fn series_is_parsed_from_goodbooks_titles() {
        let (t, s) = parse_series("Dune (Dune Chronicles, #1)");
        assert_eq!(t, "Dune");
        let s = s.unwrap();
        assert_eq!(s.name, "Dune Chronicles");
        assert_eq!(s.position, Some(1.0));

        let (t, s) = parse_series("The Hunger Games (The Hunger Games, #1)");
        assert_eq!(t, "The Hunger Games");
        assert_eq!(s.unwrap().name, "The Hunger Games");

        let (_, s) = parse_series("Breaking Dawn (Twilight, #4)");
        assert_eq!(s.unwrap().position, Some(4.0));

        let (_, s) = parse_series("Some Novellas (Foo, #1.5)");
        assert_eq!(s.unwrap().position, Some(1.5));

        let (_, s) = parse_series("Omnibus (Foo, #1-3)");
        assert_eq!(s.unwrap().position, None);
    }

    #[test]
    fn titles_without_series_are_unchanged() {
        assert_eq!(
            parse_series("To Kill a Mockingbird").0,
            "To Kill a Mockingbird"
        );
        assert!(parse_series("Persuasion (Penguin Classics)").1.is_none());
        assert!(parse_series("(#1)").1.is_none());
        assert!(parse_series("").1.is_none());
    }
}
