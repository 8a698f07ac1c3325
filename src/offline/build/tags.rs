//! Turning noisy reader shelves ("to-read", "owned", "read-in-2015",
//! "sci-fi", "5-stars"…) into a clean vocabulary of genres and themes that the
//! conversation can talk about.
//!
//! Four stages, each documented in docs/DATA.md:
//! 1. **Normalise** a shelf name: lower case, separators to '-', only ASCII
//!    letters, digits and dashes kept.
//! 2. **Merge synonyms** by a curated table ("sci-fi", "scifi", "sf" →
//!    "science-fiction"; compound shelves such as "mystery-thriller" become
//!    both parts), then by spelling: forms equal without dashes, and a plural
//!    whose singular is also a shelf, fold into the more used form.
//! 3. **Remove noise by rule**: a shelf with a word about reading status,
//!    ownership, format or rating ("read", "own", "kindle", "stars"…), or a
//!    year, is dropped.
//! 4. **Remove noise by statistics**: per book, a shelf must carry at least
//!    `min_share` of the book's strongest clean shelf (so a theme a handful
//!    of readers typed does not label a bestseller); across the catalog a tag
//!    must label at least `min_books` books and at most `max_book_share` of
//!    them (too rare to talk about, or too common to tell books apart,
//!    like "fiction"). A tag whose words are in the author or title of at
//!    least `max_name_share` of the books it labels is a name shelf
//!    ("james-patterson", "discworld") and is dropped: the knowledge graph
//!    already knows authors and series.

use std::collections::{HashMap, HashSet};

/// Thresholds of the statistical stage.
#[derive(Debug, Clone)]
pub struct TagCleaning {
    /// A tag must label at least this many books.
    pub min_books: usize,
    /// A tag may label at most this share of the books.
    pub max_book_share: f64,
    /// Per book, a shelf's count must reach this share of the book's strongest clean shelf.
    pub min_share: f64,
    /// Per book, a shelf needs at least this many readers.
    pub min_count: u32,
    /// Per book, keep at most this many tags (strongest first).
    pub max_per_book: usize,
    /// A tag naming the author or title of this share of its books is dropped.
    pub max_name_share: f64,
}

impl Default for TagCleaning {
    fn default() -> Self {
        TagCleaning {
            min_books: 20,
            max_book_share: 0.4,
            min_share: 0.05,
            min_count: 3,
            max_per_book: 8,
            max_name_share: 0.3,
        }
    }
}

/// Words that mark a shelf as being about the reader, not the book.
const NOISE_WORDS: &[&str] = &[
    "a",
    "abandoned",
    "arc",
    "audible",
    "audio",
    "audiobook",
    "audiobooks",
    "book",
    "bookclub",
    "books",
    "bookshelf",
    "borrowed",
    "bought",
    "buy",
    "calibre",
    "club",
    "collection",
    "copy",
    "couldn",
    "currently",
    "default",
    "did",
    "didn",
    "dnf",
    "ebook",
    "ebooks",
    "english",
    "fave",
    "faves",
    "favorite",
    "favorites",
    "favourite",
    "favourites",
    "favs",
    "finish",
    "finished",
    "gave",
    "gift",
    "goodreads",
    "group",
    "hardcover",
    "have",
    "hold",
    "i",
    "in",
    "kindle",
    "later",
    "library",
    "list",
    "listened",
    "maybe",
    "me",
    "mine",
    "my",
    "netgalley",
    "nook",
    "not",
    "on",
    "overdrive",
    "own",
    "owned",
    "owns",
    "paperback",
    "pending",
    "purchased",
    "re",
    "read",
    "reading",
    "reads",
    "recommended",
    "reread",
    "reviewed",
    "series",
    "shelf",
    "shelfari",
    "shelves",
    "signed",
    "star",
    "stars",
    "tbr",
    "to",
    "unfinished",
    "unread",
    "want",
    "wish",
    "wishlist",
    "general",
    "other",
    "misc",
    "literature-and-fiction",
    "part",
    "first",
    "stand",
    "alone",
    "standalone",
    "e",
    "novels",
    "novel",
    "fiction-general",
    "done",
    "pdf",
    "free",
    "freebie",
    "fav",
    "best",
    "loved",
    "paused",
    "challenge",
    "guilty",
    "pleasures",
    "oprah",
    "for",
    "biblioteca",
    "favoritos",
    "novela",
    "narrativa",
    "deutsch",
    "the",
    "sub",
    "rory",
    "gilmore",
    "award",
    "winners",
    "storytime",
    "translation",
    "translated",
    "life",
    "self",
];

/// Curated synonyms and compounds: shelf → clean tag(s).
const SYNONYMS: &[(&str, &[&str])] = &[
    ("sci-fi", &["science-fiction"]),
    ("scifi", &["science-fiction"]),
    ("sf", &["science-fiction"]),
    ("science-fiction", &["science-fiction"]),
    ("sci-fi-fantasy", &[]),
    ("scifi-fantasy", &[]),
    ("fantasy-sci-fi", &[]),
    ("fantasy-scifi", &[]),
    ("science-fiction-fantasy", &[]),
    ("sci-fi-and-fantasy", &[]),
    ("sf-fantasy", &[]),
    ("sff", &[]),
    ("speculative-fiction", &["speculative-fiction"]),
    ("ya", &["young-adult"]),
    ("ya-fiction", &["young-adult"]),
    ("ya-books", &["young-adult"]),
    ("ya-lit", &["young-adult"]),
    ("young-adult-fiction", &["young-adult"]),
    ("teen", &["young-adult"]),
    ("teen-fiction", &["young-adult"]),
    ("teens", &["young-adult"]),
    ("youth", &["young-adult"]),
    ("ya-fantasy", &["young-adult", "fantasy"]),
    ("ya-romance", &["young-adult", "romance"]),
    ("ya-dystopian", &["young-adult", "dystopian"]),
    ("children", &["children"]),
    ("childrens", &["children"]),
    ("children-s", &["children"]),
    ("children-s-books", &["children"]),
    ("childrens-books", &["children"]),
    ("children-s-literature", &["children"]),
    ("children-s-lit", &["children"]),
    ("childrens-lit", &["children"]),
    ("kids", &["children"]),
    ("kids-books", &["children"]),
    ("juvenile", &["children"]),
    ("picture-books", &["picture-books"]),
    ("picture-book", &["picture-books"]),
    ("nonfiction", &["non-fiction"]),
    ("non-fic", &["non-fiction"]),
    ("classic", &["classics"]),
    ("classic-literature", &["classics"]),
    ("classic-fiction", &["classics"]),
    ("humour", &["humor"]),
    ("funny", &["humor"]),
    ("comedy", &["humor"]),
    ("biographies", &["biography"]),
    ("biography-memoir", &["biography", "memoir"]),
    ("memoirs", &["memoir"]),
    ("autobiography", &["memoir"]),
    ("mysteries", &["mystery"]),
    ("murder-mystery", &["mystery", "murder"]),
    ("mystery-thriller", &["mystery", "thriller"]),
    ("thriller-mystery", &["mystery", "thriller"]),
    ("mystery-suspense", &["mystery", "suspense"]),
    ("suspense-thriller", &["suspense", "thriller"]),
    ("crime-mystery", &["crime", "mystery"]),
    ("mystery-crime", &["crime", "mystery"]),
    ("crime-thriller", &["crime", "thriller"]),
    ("crime-fiction", &["crime"]),
    ("thrillers", &["thriller"]),
    ("dystopia", &["dystopian"]),
    ("dystopian-fiction", &["dystopian"]),
    ("post-apocalyptic", &["post-apocalyptic"]),
    ("apocalyptic", &["post-apocalyptic"]),
    ("historical", &["historical-fiction"]),
    ("historical-fiction", &["historical-fiction"]),
    ("hist-fic", &["historical-fiction"]),
    ("literary", &["literary-fiction"]),
    ("literary-fiction", &["literary-fiction"]),
    ("contemporary-fiction", &["contemporary"]),
    ("contemporary-romance", &["contemporary", "romance"]),
    ("paranormal-romance", &["paranormal", "romance"]),
    ("historical-romance", &["historical-fiction", "romance"]),
    ("action-adventure", &["action", "adventure"]),
    ("horror-thriller", &["horror", "thriller"]),
    ("graphic-novels", &["graphic-novels"]),
    ("graphic-novel", &["graphic-novels"]),
    ("comics", &["graphic-novels"]),
    ("comic-books", &["graphic-novels"]),
    ("manga", &["manga"]),
    ("self-help", &["self-help"]),
    ("selfhelp", &["self-help"]),
    ("personal-development", &["self-help"]),
    ("poems", &["poetry"]),
    ("short-story", &["short-stories"]),
    ("vampires", &["vampires"]),
    ("christian-fiction", &["christian"]),
    ("christianity", &["christian"]),
    ("religion-spirituality", &["religion", "spirituality"]),
    ("chick-lit", &["chick-lit"]),
    ("women-s-fiction", &["womens-fiction"]),
    ("womens-fiction", &["womens-fiction"]),
    ("epic-fantasy", &["epic-fantasy"]),
    ("high-fantasy", &["epic-fantasy"]),
    ("space-opera", &["space-opera"]),
    ("true-crime", &["true-crime"]),
    ("coming-of-age", &["coming-of-age"]),
    ("chic-lit", &["chick-lit"]),
    ("lgbt", &["lgbtq"]),
    ("lgbtqia", &["lgbtq"]),
    ("glbt", &["lgbtq"]),
    ("queer", &["lgbtq"]),
    ("gay", &["lgbtq"]),
    ("lesbian", &["lgbtq"]),
    ("vamps", &["vampires"]),
    ("bio", &["biography"]),
    ("pnr", &["paranormal", "romance"]),
    ("wwii", &["world-war-ii"]),
    ("ww2", &["world-war-ii"]),
    ("self-improvement", &["self-help"]),
    ("self-development", &["self-help"]),
    ("personal-growth", &["self-help"]),
    ("cookbooks", &["cooking"]),
    ("cookbook", &["cooking"]),
    ("food", &["cooking"]),
    ("foodie", &["cooking"]),
    ("theatre", &["plays"]),
    ("theater", &["plays"]),
    ("drama", &["plays"]),
    ("spy", &["espionage"]),
    ("spies", &["espionage"]),
    ("spy-thriller", &["espionage", "thriller"]),
    ("faeries", &["fae"]),
    ("fairies", &["fae"]),
    ("werewolves", &["shapeshifters"]),
    ("werewolf", &["shapeshifters"]),
    ("shifters", &["shapeshifters"]),
    ("spiritual", &["spirituality"]),
    ("religious", &["religion"]),
    ("christian-living", &["christian"]),
    ("christian-life", &["christian"]),
    ("christian-non-fiction", &["christian", "non-fiction"]),
    ("faith", &["christian"]),
    ("pulitzer", &["pulitzer-prize"]),
    ("pulitzer-prize-winners", &["pulitzer-prize"]),
    ("pulitzer-winners", &["pulitzer-prize"]),
    ("booker", &["booker-prize"]),
    ("man-booker", &["booker-prize"]),
    ("man-booker-prize", &["booker-prize"]),
    ("booker-prize-winners", &["booker-prize"]),
    ("newbery-winners", &["newbery"]),
    ("newbery-medal", &["newbery"]),
    ("newbery-honor", &["newbery"]),
    ("newbery-award", &["newbery"]),
    ("newberry", &["newbery"]),
    ("nobel", &["nobel-prize"]),
    ("magic-realism", &["magical-realism"]),
    ("mental-illness", &["mental-health"]),
    ("fairy-tale-retellings", &["fairy-tales", "retellings"]),
    ("comic", &["graphic-novels"]),
    ("graphic", &["graphic-novels"]),
    ("erotic", &["erotica"]),
    ("erotic-romance", &["erotica", "romance"]),
    ("smut", &["erotica"]),
    ("steamy", &["erotica"]),
    ("american-lit", &["american-literature"]),
    ("french-lit", &["french-literature"]),
    ("japanese-lit", &["japanese-literature"]),
    ("russian-lit", &["russian-literature"]),
    ("southern-fiction", &["southern"]),
    ("southern-lit", &["southern"]),
    ("short-story-collections", &["short-stories"]),
    ("short-fiction", &["short-stories"]),
    ("humorous", &["humor"]),
    ("psych", &["psychology"]),
    ("hist", &["history"]),
    ("realistic", &["realistic-fiction"]),
    ("adult-fiction", &[]),
    ("adult", &[]),
    ("literature", &[]),
    ("lit", &[]),
    ("freebies", &[]),
    ("pulitzers", &["pulitzer-prize"]),
    ("shifter", &["shapeshifters"]),
    ("fairytale-retellings", &["fairy-tales", "retellings"]),
    ("memoir-biography", &["memoir", "biography"]),
    ("autobiographies", &["memoir"]),
    ("angels-demons", &["angels", "demons"]),
    ("angels-and-demons", &["angels", "demons"]),
    ("ya-contemporary", &["young-adult", "contemporary"]),
    ("ya-paranormal", &["young-adult", "paranormal"]),
    ("children-s-fiction", &["children"]),
    ("juvenile-fiction", &["children"]),
];

/// Lower case, separators to '-', dashes collapsed; `None` for names with
/// characters outside ASCII letters, digits and separators.
pub fn normalize(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    for c in raw.trim().chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if matches!(c, '-' | '_' | ' ' | '.' | '\'' | '&' | '/' | '+') {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            return None;
        }
    }
    let out = out.trim_matches('-').to_string();
    (!out.is_empty()).then_some(out)
}

/// True for shelves about the reader (status, ownership, format, rating) or
/// a date, which say nothing about the book.
pub fn is_noise(tag: &str) -> bool {
    if tag.len() < 3 {
        return true;
    }
    let words: Vec<&str> = tag.split('-').collect();
    // Centuries ("20th-century") are eras; any other digit is a year, a count or a rating.
    let century = words.len() == 2
        && words[1] == "century"
        && words[0].len() >= 3
        && words[0][..words[0].len() - 2]
            .chars()
            .all(|c| c.is_ascii_digit());
    if !century && tag.chars().any(|c| c.is_ascii_digit()) {
        return true;
    }
    NOISE_WORDS.contains(&tag) || words.iter().any(|w| NOISE_WORDS.contains(w))
}

/// The clean tags one shelf name stands for (empty when it is noise or an
/// umbrella shelf such as "sci-fi-fantasy", whose specific shelves carry the signal).
pub fn canonical(raw: &str) -> Vec<String> {
    let Some(n) = normalize(raw) else {
        return Vec::new();
    };
    if let Some((_, to)) = SYNONYMS.iter().find(|(from, _)| *from == n) {
        return to.iter().map(|t| t.to_string()).collect();
    }
    if is_noise(&n) {
        return Vec::new();
    }
    vec![n]
}

/// Other names a clean tag goes by ("sci-fi", "scifi", "sf" for
/// "science-fiction", and the reverse), from the curated synonym table, so
/// the conversation recognises every spelling a visitor may type.
pub fn aliases(tag: &str) -> Vec<String> {
    let mut groups: HashMap<&str, Vec<&str>> = HashMap::new();
    for (from, to) in SYNONYMS {
        if let [to] = to {
            groups.entry(to).or_default().push(from);
        }
    }
    let mut out: Vec<String> = Vec::new();
    for (to, froms) in &groups {
        let group: Vec<&str> = std::iter::once(*to).chain(froms.iter().copied()).collect();
        if group.contains(&tag) {
            for g in group {
                if g != tag && !out.iter().any(|o| o == g) {
                    out.push(g.to_string());
                }
            }
        }
    }
    out.sort();
    out
}

/// Folds spelling variants into their most used form: names equal once dashes
/// are removed, and a plural ("-s") whose singular is also used.
fn spelling_merges(usage: &HashMap<String, u64>) -> HashMap<String, String> {
    let mut groups: HashMap<String, Vec<&String>> = HashMap::new();
    for name in usage.keys() {
        let mut key = name.replace('-', "");
        if key.ends_with('s')
            && usage
                .keys()
                .any(|o| o.replace('-', "") == key[..key.len() - 1])
        {
            key.pop();
        }
        groups.entry(key).or_default().push(name);
    }
    let mut map = HashMap::new();
    for names in groups.values() {
        if names.len() < 2 {
            continue;
        }
        let best = names
            .iter()
            .max_by(|a, b| usage[**a].cmp(&usage[**b]).then_with(|| b.cmp(a)))
            .map(|s| (*s).clone());
        if let Some(best) = best {
            for n in names {
                if **n != best {
                    map.insert((*n).clone(), best.clone());
                }
            }
        }
    }
    map
}

/// The lower-case alphanumeric words of a text, for name-shelf detection.
fn words(text: &str) -> HashSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .collect()
}

/// Cleans every book's shelves: input is per book a list of (shelf name,
/// readers who shelved it) and the book's names (title and authors); output
/// is per book its clean tags, strongest first.
pub fn clean_tags(
    shelves: &[Vec<(String, u32)>],
    names: &[String],
    cfg: &TagCleaning,
) -> Vec<Vec<String>> {
    // Stages 1–3 per shelf, with a cache: shelf names repeat across books.
    let mut cache: HashMap<&str, Vec<String>> = HashMap::new();
    let mut per_book: Vec<HashMap<String, u64>> = Vec::with_capacity(shelves.len());
    let mut usage: HashMap<String, u64> = HashMap::new();
    for book in shelves {
        let mut tags: HashMap<String, u64> = HashMap::new();
        for (raw, count) in book {
            let clean = cache.entry(raw.as_str()).or_insert_with(|| canonical(raw));
            for t in clean.iter() {
                *tags.entry(t.clone()).or_default() += *count as u64;
                *usage.entry(t.clone()).or_default() += *count as u64;
            }
        }
        per_book.push(tags);
    }
    let merges = spelling_merges(&usage);
    // Stage 4a: per-book salience.
    let mut kept: Vec<Vec<(String, u64)>> = Vec::with_capacity(per_book.len());
    for tags in per_book {
        let mut merged: HashMap<String, u64> = HashMap::new();
        for (t, c) in tags {
            let t = merges.get(&t).cloned().unwrap_or(t);
            *merged.entry(t).or_default() += c;
        }
        let strongest = merged.values().copied().max().unwrap_or(0);
        let floor = ((strongest as f64) * cfg.min_share).max(cfg.min_count as f64);
        let mut v: Vec<(String, u64)> = merged
            .into_iter()
            .filter(|(_, c)| *c as f64 >= floor)
            .collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        kept.push(v);
    }
    // Stage 4b: catalog-wide support, and name shelves.
    let mut books_with: HashMap<&str, (usize, usize)> = HashMap::new();
    for (b, v) in kept.iter().enumerate() {
        let name_words = words(names.get(b).map(String::as_str).unwrap_or(""));
        for (t, _) in v {
            let e = books_with.entry(t.as_str()).or_default();
            e.0 += 1;
            if t.split('-').all(|w| name_words.contains(w)) {
                e.1 += 1;
            }
        }
    }
    let max_books = (cfg.max_book_share * shelves.len() as f64).floor() as usize;
    let vocab: HashSet<String> = books_with
        .into_iter()
        .filter(|(_, (n, named))| {
            *n >= cfg.min_books
                && *n <= max_books.max(cfg.min_books)
                && (*named as f64) < cfg.max_name_share * *n as f64
        })
        .map(|(t, _)| t.to_string())
        .collect();
    kept.into_iter()
        .map(|v| {
            v.into_iter()
                .filter(|(t, _)| vocab.contains(t))
                .take(cfg.max_per_book)
                .map(|(t, _)| t)
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation() {
        assert_eq!(
            normalize(" Science Fiction ").as_deref(),
            Some("science-fiction")
        );
        assert_eq!(normalize("sci_fi").as_deref(), Some("sci-fi"));
        assert_eq!(normalize("children's").as_deref(), Some("children-s"));
        assert_eq!(normalize("--"), None);
        assert_eq!(normalize("ciencia-ficción"), None);
    }

    #[test]
    fn reader_shelves_are_noise() {
        for n in [
            "to-read",
            "currently-reading",
            "owned",
            "books-i-own",
            "favorites",
            "kindle",
            "read-in-2015",
            "2016-reads",
            "5-stars",
            "did-not-finish",
            "dnf",
            "ebook",
            "audiobook",
            "library",
            "wish-list",
            "default",
            "my-books",
            "re-read",
            "book-club",
            "series",
            "first-in-series",
            "shelfari-favorites",
            "novels",
        ] {
            assert!(canonical(n).is_empty(), "{n} should be noise");
        }
    }

    #[test]
    fn genres_and_eras_survive_and_synonyms_merge() {
        assert_eq!(canonical("fantasy"), vec!["fantasy"]);
        assert_eq!(canonical("20th-century"), vec!["20th-century"]);
        assert_eq!(canonical("Sci-Fi"), vec!["science-fiction"]);
        assert_eq!(canonical("scifi"), vec!["science-fiction"]);
        assert_eq!(canonical("mystery-thriller"), vec!["mystery", "thriller"]);
        assert_eq!(canonical("YA"), vec!["young-adult"]);
        assert_eq!(
            canonical("crown"),
            vec!["crown"],
            "'own' matches whole words only"
        );
    }

    #[test]
    fn name_shelves_are_dropped() {
        let cfg = TagCleaning {
            min_books: 1,
            max_book_share: 1.0,
            ..TagCleaning::default()
        };
        let s = |v: &[(&str, u32)]| {
            v.iter()
                .map(|(n, c)| (n.to_string(), *c))
                .collect::<Vec<_>>()
        };
        let shelves = vec![
            s(&[("thriller", 90), ("james-patterson", 80)]),
            s(&[("thriller", 90), ("james-patterson", 80)]),
            s(&[("discworld", 50), ("fantasy", 60)]),
        ];
        let names = vec![
            "Along Came a Spider James Patterson".to_string(),
            "Kiss the Girls James Patterson".to_string(),
            "The Colour of Magic (Discworld, #1) Terry Pratchett".to_string(),
        ];
        let out = clean_tags(&shelves, &names, &cfg);
        assert_eq!(
            out,
            vec![vec!["thriller"], vec!["thriller"], vec!["fantasy"]]
        );
    }

    #[test]
    fn umbrella_shelves_add_nothing() {
        assert!(canonical("sci-fi-fantasy").is_empty());
        assert_eq!(aliases("science-fiction"), vec!["sci-fi", "scifi", "sf"]);
        assert!(aliases("sci-fi").contains(&"science-fiction".to_string()));
        assert!(aliases("no-such-tag").is_empty());
        assert!(canonical("adult-fiction").is_empty());
    }

    #[test]
    fn spelling_variants_fold_into_the_common_form() {
        let usage: HashMap<String, u64> = [
            ("dragons", 50),
            ("dragon", 10),
            ("post-apocalypse", 9),
            ("postapocalypse", 2),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let m = spelling_merges(&usage);
        assert_eq!(m.get("dragon").map(String::as_str), Some("dragons"));
        assert_eq!(
            m.get("postapocalypse").map(String::as_str),
            Some("post-apocalypse")
        );
        assert!(!m.contains_key("dragons"));
    }

    #[test]
    fn statistics_keep_salient_supported_tags() {
        let cfg = TagCleaning {
            min_books: 2,
            max_book_share: 0.8,
            min_share: 0.1,
            min_count: 2,
            max_per_book: 2,
            max_name_share: 0.5,
        };
        let s = |v: &[(&str, u32)]| {
            v.iter()
                .map(|(n, c)| (n.to_string(), *c))
                .collect::<Vec<_>>()
        };
        let shelves = vec![
            s(&[
                ("to-read", 9000),
                ("fantasy", 500),
                ("sci-fi", 300),
                ("science-fiction", 300),
                ("fiction", 100),
                ("magic", 20),
            ]),
            s(&[("fantasy", 50), ("magic", 40), ("fiction", 10)]),
            s(&[("science-fiction", 80), ("fiction", 30), ("rareword", 30)]),
            s(&[("fiction", 30), ("romance", 30)]),
            s(&[("fiction", 5), ("romance", 5)]),
        ];
        let names = vec![String::new(); shelves.len()];
        let out = clean_tags(&shelves, &names, &cfg);
        // Book 0: sci-fi + science-fiction merge (600) beat fantasy (500); magic (20 < 10% of 600) dropped;
        // "fiction" labels every book (> 80%) so it is dropped everywhere; max 2 per book.
        assert_eq!(out[0], vec!["science-fiction", "fantasy"]);
        assert_eq!(
            out[1],
            vec!["fantasy"],
            "magic labels one book only once book 0 drops it"
        );
        assert_eq!(out[2], vec!["science-fiction"], "rareword has support 1");
        assert_eq!(out[3], vec!["romance"]);
        assert_eq!(out[4], vec!["romance"]);
    }
}
