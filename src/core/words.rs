//! The catalog's own words for what it holds and for the people who enjoy
//! it, so that every sentence a visitor reads — explanations, prompts, the
//! phrasing model's instructions — speaks of films, songs or books as the
//! catalog does, never in one domain's words.

use crate::core::bundle::BundleMeta;

/// How a catalog names its items, the people who enjoy them and what a
/// creator did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Words {
    /// One item ("film").
    pub item: String,
    /// Several items ("films").
    pub items: String,
    /// People who enjoy them ("viewers", or "people").
    pub people: String,
    /// What a creator did ("directed", "wrote", "made").
    pub made: String,
}

impl Words {
    /// The words a bundle's metadata declares (the consuming verb picks the
    /// people: "read" → readers, "watched" → viewers, otherwise people).
    pub fn of(meta: &BundleMeta) -> Words {
        let people = match meta.consume_verb.as_str() {
            "read" => "readers",
            "watched" | "watch" => "viewers",
            _ => "people",
        };
        Words {
            item: meta.item_noun.0.clone(),
            items: meta.item_noun.1.clone(),
            people: people.to_string(),
            made: meta.creator_verb().to_string(),
        }
    }
}
