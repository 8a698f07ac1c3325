//! The knowledge graph: item–creator, item–series and item–tag relations.
//!
//! It feeds candidate generation (the next book in a series a visitor liked,
//! more by the same author) and explanations that state a real relation
//! ("next in the Dune Chronicles", "also by Frank Herbert"). It is derived from
//! the catalog at load time, so the bundle does not store it twice.

use foldhash::HashMap;
use serde::Serialize;

use crate::core::catalog::{Catalog, ItemIdx};

/// How two items are related, strongest first.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Relation {
    /// `to` comes right after `from` in a series.
    NextInSeries {
        /// The series name.
        series: String,
    },
    /// Both belong to one series.
    SameSeries {
        /// The series name.
        series: String,
    },
    /// Both share a creator.
    SameCreator {
        /// The creator's name as the catalog writes it.
        creator: String,
    },
    /// Both carry these tags.
    SharedTags {
        /// The shared tags, the item's most salient first.
        tags: Vec<String>,
    },
}

/// Relations of one catalog, indexed for lookup in both directions.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    by_creator: HashMap<String, Vec<ItemIdx>>,
    by_series: HashMap<String, Vec<(f32, ItemIdx)>>,
    by_tag: HashMap<String, Vec<ItemIdx>>,
}

/// The key a name is indexed under: lower case, single spaces. One pass
/// and one allocation: it runs for every creator and series when a bundle
/// loads, and in ranking.
pub fn name_key(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for word in name.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        if word.is_ascii() {
            out.extend(word.bytes().map(|b| char::from(b.to_ascii_lowercase())));
        } else {
            // Whitespace ends a word for Unicode's final sigma too, so
            // lowering word by word equals lowering the joined string.
            out.push_str(&word.to_lowercase());
        }
    }
    out
}

impl Graph {
    /// Indexes a catalog; lists are ordered by audience (series by position).
    pub fn build(catalog: &Catalog) -> Graph {
        let mut g = Graph::default();
        for (idx, item) in catalog.items().iter().enumerate() {
            let idx = idx as ItemIdx;
            for c in &item.creators {
                g.by_creator.entry(name_key(c)).or_default().push(idx);
            }
            if let Some(s) = &item.series {
                g.by_series
                    .entry(name_key(&s.name))
                    .or_default()
                    .push((s.position.unwrap_or(f32::MAX), idx));
            }
            for t in &item.tags {
                g.by_tag.entry(t.clone()).or_default().push(idx);
            }
        }
        let by_audience = |v: &mut Vec<ItemIdx>| {
            v.sort_by_key(|&i| (std::cmp::Reverse(catalog.audience(i)), i));
        };
        g.by_creator.values_mut().for_each(by_audience);
        g.by_tag.values_mut().for_each(by_audience);
        for v in g.by_series.values_mut() {
            v.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        }
        g
    }

    /// Items by a creator (any spelling of case and spacing), most read first.
    pub fn by_creator(&self, name: &str) -> &[ItemIdx] {
        self.by_creator
            .get(&name_key(name))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Items carrying a tag, most read first.
    pub fn by_tag(&self, tag: &str) -> &[ItemIdx] {
        self.by_tag.get(tag).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The item right after `item` in its series, if any.
    pub fn next_in_series(&self, catalog: &Catalog, item: ItemIdx) -> Option<ItemIdx> {
        let s = catalog.get(item)?.series.as_ref()?;
        let pos = s.position?;
        self.by_series
            .get(&name_key(&s.name))?
            .iter()
            .find(|(p, i)| *p > pos && *i != item && *p != f32::MAX)
            .map(|&(_, i)| i)
    }

    /// The strongest relation from `from` to `to`, if any.
    pub fn relation(&self, catalog: &Catalog, from: ItemIdx, to: ItemIdx) -> Option<Relation> {
        if from == to {
            return None;
        }
        let (a, b) = (catalog.get(from)?, catalog.get(to)?);
        if let (Some(sa), Some(sb)) = (&a.series, &b.series) {
            if name_key(&sa.name) == name_key(&sb.name) {
                if self.next_in_series(catalog, from) == Some(to) {
                    return Some(Relation::NextInSeries {
                        series: sa.name.clone(),
                    });
                }
                return Some(Relation::SameSeries {
                    series: sa.name.clone(),
                });
            }
        }
        if let Some(c) = a
            .creators
            .iter()
            .find(|c| b.creators.iter().any(|d| name_key(d) == name_key(c)))
        {
            return Some(Relation::SameCreator { creator: c.clone() });
        }
        let shared: Vec<String> = b
            .tags
            .iter()
            .filter(|t| a.tags.contains(t))
            .cloned()
            .collect();
        (!shared.is_empty()).then_some(Relation::SharedTags { tags: shared })
    }

    /// Close neighbours of an item for candidate generation: the next in its
    /// series, the rest of the series, then the first creator's best known.
    pub fn neighbours(&self, catalog: &Catalog, item: ItemIdx, limit: usize) -> Vec<ItemIdx> {
        let mut out = Vec::new();
        let push = |i: ItemIdx, out: &mut Vec<ItemIdx>| {
            if i != item && !out.contains(&i) && out.len() < limit {
                out.push(i);
            }
        };
        if let Some(n) = self.next_in_series(catalog, item) {
            push(n, &mut out);
        }
        if let Some(s) = catalog.get(item).and_then(|i| i.series.as_ref()) {
            for &(_, i) in self.by_series.get(&name_key(&s.name)).into_iter().flatten() {
                push(i, &mut out);
            }
        }
        if let Some(c) = catalog.get(item).and_then(|i| i.creators.first()) {
            for &i in self.by_creator(c) {
                push(i, &mut out);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::catalog::{parse_series, Item};

    #[test]
    fn name_keys_are_lower_case_with_single_spaces() {
        // The one-pass key equals the plain definition: words joined by one
        // space, then lowered (Greek final sigma included).
        let plain = |n: &str| {
            n.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase()
        };
        for n in [
            "Frank Herbert",
            "  J.R.R.   Tolkien ",
            "GABRIEL García\tMÁRQUEZ",
            "ΟΔΥΣΣΕΥΣ ΕΛΥΤΗΣ",
            "İstanbul Σ ΣΑΣ",
            "",
            " \u{3000}村上\u{3000}春樹 ",
        ] {
            assert_eq!(name_key(n), plain(n), "{n:?}");
        }
        assert_eq!(name_key("  Ursula K.  LE GUIN "), "ursula k. le guin");
    }

    fn book(id: &str, title: &str, author: &str, tags: &[&str], audience: u64) -> Item {
        Item {
            id: id.into(),
            title: title.into(),
            creators: vec![author.into()],
            tags: tags.iter().map(|t| t.to_string()).collect(),
            series: parse_series(title).1,
            public_ratings: Some(audience),
            ..Item::default()
        }
    }

    #[test]
    fn relations_and_neighbours() {
        let c = Catalog::new(vec![
            book(
                "1",
                "Dune (Dune Chronicles, #1)",
                "Frank Herbert",
                &["science-fiction"],
                900,
            ),
            book(
                "2",
                "Dune Messiah (Dune Chronicles, #2)",
                "Frank Herbert",
                &["science-fiction"],
                300,
            ),
            book(
                "3",
                "Children of Dune (Dune Chronicles, #3)",
                "Frank Herbert",
                &[],
                200,
            ),
            book("4", "The Dragon Reborn", "Frank  herbert", &["fantasy"], 10),
            book("5", "Hyperion", "Dan Simmons", &["science-fiction"], 100),
        ])
        .unwrap();
        let g = Graph::build(&c);
        assert_eq!(g.next_in_series(&c, 0), Some(1));
        assert_eq!(g.next_in_series(&c, 2), None);
        assert_eq!(
            g.relation(&c, 0, 1),
            Some(Relation::NextInSeries {
                series: "Dune Chronicles".into()
            })
        );
        assert_eq!(
            g.relation(&c, 0, 2),
            Some(Relation::SameSeries {
                series: "Dune Chronicles".into()
            })
        );
        assert_eq!(
            g.relation(&c, 0, 3),
            Some(Relation::SameCreator {
                creator: "Frank Herbert".into()
            })
        );
        assert_eq!(
            g.relation(&c, 0, 4),
            Some(Relation::SharedTags {
                tags: vec!["science-fiction".into()]
            })
        );
        assert_eq!(g.relation(&c, 3, 4), None);
        assert_eq!(g.neighbours(&c, 0, 10), vec![1, 2, 3]);
        assert_eq!(g.by_creator("frank HERBERT"), &[0, 1, 2, 3]);
        assert_eq!(g.by_tag("science-fiction"), &[0, 1, 4]);
    }
}
