//! Every sentence a visitor reads, in one place, written in the catalog's
//! own words: explanations, questions, notes and small talk speak of
//! films, songs or books as the catalog does (its noun, the verb for
//! enjoying an item, what a creator did), never in one domain's words. A
//! change of wording, or a new kind of catalog, touches this file only.
//! (The phrasing model's prompt, [`crate::core::phrasing`], is written in
//! the same [`Words`]; it is the model's instructions, not a sentence
//! shown as it stands.)

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
    /// The verb for enjoying an item ("read", "watched"; may be empty).
    pub enjoyed: String,
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
            enjoyed: meta.consume_verb.clone(),
        }
    }

    /// Words for tests and tools: item noun, plural, people, creator's verb,
    /// enjoying verb.
    pub fn new(item: &str, items: &str, people: &str, made: &str, enjoyed: &str) -> Words {
        Words {
            item: item.into(),
            items: items.into(),
            people: people.into(),
            made: made.into(),
            enjoyed: enjoyed.into(),
        }
    }

    // ------------------------------------------------------------ openings

    /// The first question of every conversation.
    pub fn opening_question(&self) -> String {
        match self.enjoyed.as_str() {
            "read" => "What have you enjoyed reading lately?".into(),
            "watched" | "watch" => "What have you enjoyed watching lately?".into(),
            _ => format!("Which {} have you enjoyed lately?", self.items),
        }
    }

    /// "Hi": what to tell Kith.
    pub fn greeting(&self) -> String {
        format!(
            "Hello! Let's find you a {} you'll like. Tell me about one you enjoyed, a genre, or a name you like.",
            self.item
        )
    }

    /// "Thanks", with nothing known of the visitor's taste yet.
    pub fn thanks(&self) -> String {
        format!(
            "You're welcome! Tell me about a {} you enjoyed and I'll find more like it.",
            self.item
        )
    }

    /// "Thanks", once Kith knows something: the list stays, the door open.
    pub fn thanks_keep_looking(&self) -> String {
        format!(
            "You're welcome! Tell me what you thought of these, or about another {} you enjoyed, and I'll keep looking.",
            self.item
        )
    }

    /// "I don't know" to a question: the question is dropped.
    pub fn skip_question(&self) -> String {
        "No problem, let's skip that one.".to_string()
    }

    /// "Surprise me" and other vague requests.
    pub fn vague_opening(&self) -> String {
        format!(
            "Happy to! To start somewhere, here are some widely loved ones. Say which looks closest to your taste, or tell me about a {} you enjoyed.",
            self.item
        )
    }

    /// "I don't know" with no question pending.
    pub fn unsure_opening(&self) -> String {
        format!(
            "No problem: let's start from a few widely loved ones. Say which looks closest to your taste, or name any {} you enjoyed.",
            self.item
        )
    }

    /// A message with nothing Kith could use (an emoji, an empty line).
    pub fn nothing_to_go_on(&self) -> String {
        format!(
            "I didn't catch anything to go on. Tell me about a {} you enjoyed, a genre, or a name you like.",
            self.item
        )
    }

    // ----------------------------------------------------------- questions

    /// The yes/no question about a tag.
    pub fn tag_question(&self, tag: &str) -> String {
        let t = tag.replace('-', " ");
        format!(
            "Are you in the mood for {} tagged \u{201c}{t}\u{201d}?",
            self.items
        )
    }

    /// The pick-one question about a few items.
    pub fn pick_question(&self, titles: &[String]) -> String {
        format!(
            "To narrow it down: which of these {} appeals most: {}? (Or none of them.)",
            self.items,
            or_list(titles)
        )
    }

    /// The pick-one question that starts a conversation with nothing to go on.
    pub fn pick_to_start(&self, titles: &[String]) -> String {
        format!(
            "To start somewhere: which of these {} is closest to your taste: {}? (Or none of them.)",
            self.items,
            or_list(titles)
        )
    }

    // --------------------------------------------------------------- notes

    /// A change of mind: the new request replaces the old.
    pub fn starting_afresh(&self) -> String {
        "Starting afresh from what you just said.".into()
    }

    /// A correction ("no, I meant …"): what the previous message added and
    /// is now taken back.
    pub fn not_that(&self, undone: &[String]) -> String {
        format!("Got it, not {}.", undone.join(" or "))
    }

    /// "More like the fifth one" with fewer recommendations shown.
    pub fn no_such_recommendation(&self, number: usize) -> String {
        format!("There is no recommendation number {number} to go from.")
    }

    /// "Newer" or "older" in a catalog without years.
    pub fn no_years(&self) -> String {
        "This catalog has no years, so I can't sort by age.".into()
    }

    /// Moods or audiences (already described: "light-hearted", "for
    /// children") the catalog's tags cannot tell.
    pub fn cannot_tell(&self, described: &[&str]) -> String {
        format!(
            "I can't tell which {} are {} from what this catalog records, so I couldn't take that into account.",
            self.items,
            or_list(described)
        )
    }

    /// Short or long in a catalog without lengths or length tags.
    pub fn no_lengths(&self) -> String {
        format!(
            "I don't know the length of the {} in this catalog, so I can't sort by length.",
            self.items
        )
    }

    /// Short or long in a catalog without lengths, answered by its tags.
    pub fn lengths_by_tags(&self, tags: &[String]) -> String {
        format!(
            "I don't know the length of the {} in this catalog, so I leaned towards ones tagged \u{201c}{}\u{201d}.",
            self.items,
            quoted_or(tags)
        )
    }

    /// Too few shown items carry the tags asked for.
    pub fn tag_shortfall(&self, tags: &[String], available: usize) -> String {
        if available == 0 {
            format!(
                "None of the {} I can show you are tagged \u{201c}{}\u{201d}, so these are the closest I have.",
                self.items,
                quoted_or(tags)
            )
        } else {
            format!(
                "Only {available} of the {} I can show you are tagged \u{201c}{}\u{201d}; the rest of the list is the closest I have.",
                self.items,
                quoted_or(tags)
            )
        }
    }

    // -------------------------------------------------------- explanations

    /// The next item of a series the visitor liked.
    pub fn next_in_series(&self, series: &str, liked: &str) -> String {
        format!("Next in the {series} series, after {liked}, which you liked.")
    }

    /// Another item of a series the visitor liked.
    pub fn same_series(&self, series: &str, liked: &str) -> String {
        format!("From the {series} series, like {liked}, which you liked.")
    }

    /// A series the visitor liked, when the item it came from is unknown.
    pub fn from_a_series(&self) -> String {
        "From a series you liked.".into()
    }

    /// By the creator of an item the visitor liked.
    pub fn same_creator(&self, creator: &str, liked: &str) -> String {
        format!("Also by {creator}, who {} {liked}.", self.made)
    }

    /// Shares themes with an item the visitor liked.
    pub fn shares_themes(&self, liked: &str) -> String {
        format!("Shares themes with {liked}.")
    }

    /// By a creator the visitor asked for.
    pub fn creator_as_asked(&self, creator: &str) -> String {
        format!("By {creator}, as you asked.")
    }

    /// Carries tags the visitor asked for (shown: dashes as spaces), and
    /// the one wish they stand for when there is one ("dark").
    pub fn tags_as_asked(&self, shown: &[String], why: Option<&str>) -> String {
        let tags = capitalise(&shown.join(" and "));
        match why {
            Some(why) => format!("{tags}: {why}, as you asked."),
            None => format!("{tags}, as you asked."),
        }
    }

    /// People who liked an item the visitor liked also liked this one.
    pub fn people_who_liked(&self, liked: &str) -> String {
        format!(
            "{} who liked {liked} also liked this.",
            capitalise(&self.people)
        )
    }

    /// People with the visitor's tastes liked this one.
    pub fn people_like_you(&self) -> String {
        format!(
            "{} with tastes like yours liked this.",
            capitalise(&self.people)
        )
    }

    /// Close in meaning to the visitor's own words.
    pub fn close_to_described(&self, phrase: &str) -> String {
        format!("Close to what you described: \u{201c}{phrase}\u{201d}.")
    }

    /// Matches themes (tags, dashes as spaces) of the visitor's taste.
    pub fn matches_taste_for(&self, shown: &[String]) -> String {
        format!("Matches your taste for {}.", shown.join(" and "))
    }

    /// One of the most popular items, with its audience.
    pub fn widely_loved(&self, audience: u64) -> String {
        format!(
            "Widely loved: one of the most popular here ({} ratings).",
            group_thousands(audience)
        )
    }

    /// Half a sentence more: the visitor's words also fit.
    pub fn also_fits(&self, phrase: &str) -> String {
        format!(" It also fits \u{201c}{phrase}\u{201d}.")
    }

    /// A reason that claims nothing specific: the list as a whole follows
    /// what the visitor said (`told`), or is a starting point.
    pub fn general_reason(&self, told: bool) -> String {
        if told {
            "A strong match overall for what you have told me so far.".into()
        } else {
            "A good place to start.".into()
        }
    }
}

/// "a", "a or b", "a, b or c".
pub fn or_list<S: AsRef<str>>(parts: &[S]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.as_ref().to_string(),
        [init @ .., last] => format!(
            "{} or {}",
            init.iter()
                .map(AsRef::as_ref)
                .collect::<Vec<_>>()
                .join(", "),
            last.as_ref()
        ),
    }
}

/// Tags as a visitor reads them: dashes as spaces, each quoted, "or"
/// between ("short stories” or “novella", inside outer quotes).
fn quoted_or(tags: &[String]) -> String {
    tags.iter()
        .map(|t| t.replace('-', " "))
        .collect::<Vec<_>>()
        .join("\u{201d} or \u{201c}")
}

/// The first letter in upper case.
pub fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// 4780653 → "4,780,653".
pub fn group_thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_speak_the_catalogs_words() {
        let films = Words::new("film", "films", "viewers", "directed", "watched");
        assert_eq!(
            films.opening_question(),
            "What have you enjoyed watching lately?"
        );
        assert_eq!(
            films.people_who_liked("Alien"),
            "Viewers who liked Alien also liked this."
        );
        assert_eq!(
            films.same_creator("Ridley Scott", "Alien"),
            "Also by Ridley Scott, who directed Alien."
        );
        let apps = Words::new("package", "packages", "people", "made", "");
        assert_eq!(
            apps.opening_question(),
            "Which packages have you enjoyed lately?"
        );
        assert!(!apps.tag_question("text-editor").contains("book"));
        assert_eq!(
            apps.tag_question("text-editor"),
            "Are you in the mood for packages tagged \u{201c}text editor\u{201d}?"
        );
    }

    #[test]
    fn lists_and_numbers_read_naturally() {
        assert_eq!(or_list::<&str>(&[]), "");
        assert_eq!(or_list(&["a"]), "a");
        assert_eq!(or_list(&["a", "b", "c"]), "a, b or c");
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(4780653), "4,780,653");
        assert_eq!(capitalise("émile"), "Émile");
        let w = Words::new("book", "books", "readers", "wrote", "read");
        assert_eq!(
            w.tag_shortfall(&["short-stories".into(), "novella".into()], 2),
            "Only 2 of the books I can show you are tagged \u{201c}short stories\u{201d} or \u{201c}novella\u{201d}; the rest of the list is the closest I have."
        );
        assert_eq!(
            w.pick_question(&["A".into(), "B".into(), "C".into()]),
            "To narrow it down: which of these books appeals most: A, B or C? (Or none of them.)"
        );
        assert_eq!(
            w.tags_as_asked(&["classics".into()], Some("timeless")),
            "Classics: timeless, as you asked."
        );
    }
}
