//! Finding catalog titles, creators and tags named in a visitor's words,
//! tolerating case, articles, plurals and small typos ("I loved Dnue").
//!
//! Lexical and exact by design: the encoder handles meaning (themes such as
//! "political intrigue"); this module handles names, which an embedding blurs.

// foldhash: these maps are built from the site owner's own catalog at every
// load (tens of thousands of keys), where std's DoS-resistant hasher costs twice.
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use rust_stemmers::{Algorithm, Stemmer};

use crate::core::catalog::TagStat;
use crate::core::catalog::{parse_series, Catalog, ItemIdx};

/// One word of a text: its lower-case form, whether it was capitalised, and
/// where it sits in the original (byte offsets), so phrases can be quoted.
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    /// Lower case, apostrophes removed ("ender's" → "enders").
    pub norm: String,
    /// The original started with an upper-case letter.
    pub capital: bool,
    /// Byte offset of the word's first character.
    pub start: usize,
    /// Byte offset just past the word.
    pub end: usize,
}

/// Splits text into words (letters and digits; apostrophes inside a word are dropped).
pub fn words(text: &str) -> Vec<Word> {
    let mut out = Vec::new();
    for_each_word(text, &mut |norm, capital, start, end| {
        out.push(Word {
            norm: norm.to_string(),
            capital,
            start,
            end,
        })
    });
    out
}

/// Calls `f(lower-case word, capitalised, start, end)` for each word of
/// `text` as [`words`] splits it, without allocating per word (the
/// catalog's vocabulary reads every description with it when a bundle loads).
fn for_each_word(text: &str, f: &mut dyn FnMut(&str, bool, usize, usize)) {
    let mut cur = String::new();
    let mut capital = false;
    let mut start = 0;
    let mut end = 0;
    for (at, c) in text.char_indices() {
        if c.is_alphanumeric() {
            if cur.is_empty() {
                capital = c.is_uppercase();
                start = at;
            }
            if c.is_ascii() {
                cur.push(c.to_ascii_lowercase());
            } else {
                cur.extend(c.to_lowercase());
            }
            end = at + c.len_utf8();
        } else if matches!(c, '\'' | '’') && !cur.is_empty() {
            // inside a word: skip
        } else if !cur.is_empty() {
            f(&cur, capital, start, end);
            cur.clear();
        }
    }
    if !cur.is_empty() {
        f(&cur, capital, start, end);
    }
}

/// What a mention names.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// A catalog item.
    Item(ItemIdx),
    /// A creator, as the catalog writes the name.
    Creator(String),
    /// A clean tag (index into the bundle's tag list).
    Tag(usize),
}

/// A name found in text, with the word span it covers.
#[derive(Debug, Clone, PartialEq)]
pub struct Mention {
    /// What was named.
    pub target: Target,
    /// First word index.
    pub start: usize,
    /// One past the last word index.
    pub end: usize,
    /// False when a typo was tolerated.
    pub exact: bool,
}

/// Very common English words: a one-word title or surname made of one of
/// these ("It", "Room", "Wonder") is only recognised when it is the whole answer
/// or quoted, never inside a sentence.
const COMMON: &[&str] = &[
    "a",
    "about",
    "after",
    "again",
    "all",
    "also",
    "always",
    "am",
    "an",
    "and",
    "any",
    "anything",
    "are",
    "as",
    "at",
    "away",
    "back",
    "bad",
    "be",
    "beautiful",
    "because",
    "before",
    "being",
    "best",
    "better",
    "big",
    "book",
    "books",
    "both",
    "but",
    "by",
    "can",
    "could",
    "dark",
    "day",
    "days",
    "did",
    "do",
    "does",
    "done",
    "dont",
    "down",
    "each",
    "end",
    "enjoy",
    "enjoyed",
    "even",
    "ever",
    "every",
    "everything",
    "fast",
    "feel",
    "few",
    "film",
    "find",
    "first",
    "for",
    "found",
    "free",
    "from",
    "fun",
    "funny",
    "get",
    "give",
    "go",
    "good",
    "great",
    "had",
    "happy",
    "hard",
    "has",
    "have",
    "he",
    "her",
    "here",
    "him",
    "his",
    "home",
    "how",
    "i",
    "if",
    "im",
    "in",
    "into",
    "is",
    "it",
    "its",
    "just",
    "keep",
    "kind",
    "know",
    "last",
    "lately",
    "later",
    "less",
    "life",
    "light",
    "like",
    "liked",
    "little",
    "long",
    "look",
    "lot",
    "love",
    "loved",
    "made",
    "make",
    "man",
    "many",
    "me",
    "more",
    "most",
    "movie",
    "movies",
    "much",
    "my",
    "need",
    "never",
    "new",
    "next",
    "nice",
    "night",
    "no",
    "not",
    "nothing",
    "now",
    "of",
    "off",
    "old",
    "on",
    "once",
    "one",
    "only",
    "or",
    "other",
    "our",
    "out",
    "over",
    "people",
    "please",
    "read",
    "reading",
    "real",
    "really",
    "recently",
    "right",
    "room",
    "same",
    "say",
    "see",
    "she",
    "short",
    "should",
    "show",
    "similar",
    "so",
    "some",
    "something",
    "still",
    "story",
    "such",
    "sure",
    "take",
    "than",
    "thanks",
    "that",
    "the",
    "their",
    "them",
    "then",
    "there",
    "these",
    "they",
    "thing",
    "things",
    "think",
    "this",
    "those",
    "time",
    "to",
    "too",
    "try",
    "two",
    "up",
    "us",
    "very",
    "want",
    "was",
    "watch",
    "watched",
    "way",
    "we",
    "well",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "why",
    "will",
    "with",
    "without",
    "wonder",
    "world",
    "would",
    "yes",
    "yet",
    "you",
    "your",
];

fn is_common(w: &str) -> bool {
    COMMON.binary_search(&w).is_ok()
}

/// Edit distance of two short words, capped (returns `cap + 1` beyond it).
fn edit_distance(a: &str, b: &str, cap: usize) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    edit_distance_chars(&a, &b, cap)
}

/// [`edit_distance`] on words already split into characters: the typo
/// lookup compares one typed word with thousands of names.
fn edit_distance_chars(a: &[char], b: &[char], cap: usize) -> usize {
    if a.len().abs_diff(b.len()) > cap {
        return cap + 1;
    }
    // Three rows (the transposition looks two back); names are short, so
    // the rows live on the stack, and a long word pays for a heap buffer.
    const ON_STACK: usize = 48;
    let width = b.len() + 1;
    let mut stack = [0usize; 3 * ON_STACK];
    let mut heap = Vec::new();
    let rows: &mut [usize] = if width <= ON_STACK {
        &mut stack[..3 * width]
    } else {
        heap.resize(3 * width, 0);
        &mut heap
    };
    let (before, rest) = rows.split_at_mut(width);
    let (prev, row) = rest.split_at_mut(width);
    damerau_rows(a, b, cap, before, prev, row)
}

/// The Damerau (adjacent transposition) table row by row: "Dnue" is one
/// edit from "Dune". Stops as soon as a whole row is past the cap, since no
/// later row can come back under it.
fn damerau_rows<'r>(
    a: &[char],
    b: &[char],
    cap: usize,
    mut before: &'r mut [usize],
    mut prev: &'r mut [usize],
    mut row: &'r mut [usize],
) -> usize {
    let m = b.len();
    for (j, cell) in prev.iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        row[0] = i;
        let mut least = i;
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(row[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(before[j - 2] + 1);
            }
            row[j] = v;
            least = least.min(v);
        }
        if least > cap {
            return cap + 1;
        }
        std::mem::swap(&mut before, &mut prev);
        std::mem::swap(&mut prev, &mut row);
    }
    prev[m].min(cap + 1)
}

/// The characters a word uses, as bits (a-z and digits one bit each, the
/// rest folded onto the remaining bits). One edit changes at most two bits,
/// so two words whose masks differ in more than `2 × cap` bits are further
/// apart than `cap`: a test that skips nearly every name before the edit
/// distance is computed.
fn char_mask(chars: &[char]) -> u64 {
    chars.iter().fold(0u64, |mask, &c| {
        let bit = match c {
            'a'..='z' => c as u32 - 'a' as u32,
            '0'..='9' => 26 + (c as u32 - '0' as u32),
            _ => 36 + (c as u32) % 28,
        };
        mask | (1u64 << bit)
    })
}

/// How many typos a word of this length tolerates.
fn tolerance(len: usize) -> usize {
    match len {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

/// Do two words match, and exactly? Plural "s" is ignored.
fn word_match(text: &str, name: &str) -> Option<bool> {
    if text == name {
        return Some(true);
    }
    let strip = |w: &'_ str| -> String {
        if w.len() > 3 && w.ends_with('s') {
            w[..w.len() - 1].to_string()
        } else {
            w.to_string()
        }
    };
    if strip(text) == strip(name) {
        return Some(true);
    }
    let tol = tolerance(name.chars().count());
    (tol > 0 && edit_distance(text, name, tol) <= tol).then_some(false)
}

/// The word sequences a title may be typed as: without its series suffix,
/// without a trailing "(1996)" year, with a trailing ", The" moved to the
/// front (MovieLens writes "Godfather, The"), and without a leading article.
pub fn title_variants(title: &str) -> Vec<Vec<String>> {
    let (base, _) = parse_series(title);
    let mut bases = vec![base.trim().to_string()];
    let t = base.trim();
    let no_year = match (t.rfind(" ("), t.ends_with(')')) {
        (Some(at), true) if t[at + 2..t.len() - 1].chars().all(|c| c.is_ascii_digit()) => {
            Some(t[..at].trim().to_string())
        }
        _ => None,
    };
    if let Some(y) = no_year {
        bases.push(y);
    }
    const ARTICLES: [&str; 9] = ["The", "A", "An", "Les", "La", "Le", "Il", "Das", "Die"];
    for k in 0..bases.len() {
        let moved = bases[k]
            .rsplit_once(", ")
            .filter(|(_, art)| ARTICLES.contains(art))
            .map(|(stem, art)| format!("{art} {stem}"));
        bases.extend(moved);
    }
    let mut out: Vec<Vec<String>> = Vec::new();
    for b in bases {
        let ws: Vec<String> = words(&b).into_iter().map(|w| w.norm).collect();
        if ws.is_empty() {
            continue;
        }
        if ws.len() > 1 && matches!(ws[0].as_str(), "the" | "a" | "an") {
            out.push(ws[1..].to_vec());
        }
        out.push(ws);
    }
    out.sort();
    out.dedup();
    out
}

/// Words after which a number is a year, not a title ("from 1984").
const YEAR_WORDS: &[&str] = &[
    "from", "in", "since", "before", "after", "around", "circa", "until", "of", "the", "than",
    "year", "early", "late", "mid",
];

/// A name to look for: its words and what it names.
#[derive(Debug, Clone)]
struct Name {
    words: Vec<String>,
    target: Target,
    /// Popularity, to choose between equal names.
    weight: u64,
}

/// The names of one catalog, indexed by their first word.
#[derive(Debug, Clone, Default)]
pub struct MentionIndex {
    by_first: HashMap<String, Vec<Name>>,
    /// First words with at least 4 letters, for typo-tolerant lookup.
    fuzzy_firsts: Vec<String>,
    /// Each of `fuzzy_firsts` as characters with its [`char_mask`].
    fuzzy_shapes: Vec<(Vec<char>, u64)>,
    /// Words the catalog's own texts (titles, descriptions, tags) use in at
    /// least two items. A typed word the catalog knows is read as itself,
    /// never as a typo of another name: "LaTeX" is not a misspelt "late".
    known: HashSet<String>,
    /// Words the catalog's descriptions write in lower case in many items:
    /// this domain's everyday words ("tools", "library"). A capital at the
    /// start of a sentence is no evidence that one of them is a name.
    everyday: HashSet<String>,
    /// Tags by the stem of their first word, with all their words' stems, so
    /// "emulate old consoles" finds the tag "emulation".
    tag_stems: HashMap<String, Vec<(Vec<String>, usize)>>,
}

/// Lower-case description words in at least this share of items (and at
/// least [`EVERYDAY_MIN_ITEMS`]) are the catalog's everyday words.
const EVERYDAY_SHARE: f64 = 0.002;
/// See [`EVERYDAY_SHARE`].
const EVERYDAY_MIN_ITEMS: usize = 5;

/// Snowball's English stemmer: "emulate" and "emulation" share "emul".
fn stemmer() -> Stemmer {
    Stemmer::create(Algorithm::English)
}

/// The catalog's known words (any case, in ≥ 2 items) and everyday words
/// (lower case in the descriptions of many items). One pass over the texts
/// with a reused buffer: this runs when a bundle loads, in the browser too.
fn vocabulary(catalog: &Catalog) -> (HashSet<String>, HashSet<String>) {
    /// Per word: items using it, items whose description has it in lower
    /// case, and the last item counted for each (so an item counts once).
    #[derive(Default)]
    struct Counts {
        items: u32,
        lower: u32,
        last_item: Option<usize>,
        last_lower: Option<usize>,
    }
    // foldhash: a few million lookups, where std's DoS-resistant hasher
    // would be half the cost (the words are the site owner's own catalog).
    let mut counts: HashMap<String, Counts> = HashMap::default();
    let mut count = |word: &str, item: usize, lower: bool| {
        let c = match counts.get_mut(word) {
            Some(c) => c,
            None => counts.entry(word.to_string()).or_default(),
        };
        if c.last_item != Some(item) {
            c.last_item = Some(item);
            c.items += 1;
        }
        if lower && c.last_lower != Some(item) {
            c.last_lower = Some(item);
            c.lower += 1;
        }
    };
    for (item, it) in catalog.items().iter().enumerate() {
        let texts = std::iter::once((&it.description, true))
            .chain(std::iter::once((&it.title, false)))
            .chain(it.tags.iter().map(|t| (t, false)));
        for (text, is_description) in texts {
            for_each_word(text, &mut |word, capital, _, _| {
                count(word, item, is_description && !capital)
            });
        }
    }
    let everyday_min =
        ((catalog.len() as f64 * EVERYDAY_SHARE).ceil() as u32).max(EVERYDAY_MIN_ITEMS as u32);
    let mut known = HashSet::new();
    let mut everyday = HashSet::new();
    for (w, c) in counts {
        if c.lower >= everyday_min {
            everyday.insert(w.clone());
        }
        if c.items >= 2 {
            known.insert(w);
        }
    }
    (known, everyday)
}

impl MentionIndex {
    /// Indexes titles (without their series suffix, with and without a
    /// leading article), creators (full names, and surnames that point to one
    /// well-known creator) and tags with their aliases.
    pub fn build(catalog: &Catalog, tags: &[TagStat]) -> MentionIndex {
        let mut names: Vec<Name> = Vec::new();
        let mut surnames: HashMap<String, (String, u64)> = HashMap::new();
        let mut creator_weight: HashMap<String, (String, u64)> = HashMap::new();
        for (idx, item) in catalog.items().iter().enumerate() {
            let weight = catalog.audience(idx as ItemIdx);
            for ws in title_variants(&item.title) {
                names.push(Name {
                    words: ws,
                    target: Target::Item(idx as ItemIdx),
                    weight,
                });
            }
            for c in &item.creators {
                let key = crate::core::graph::name_key(c);
                let e = creator_weight.entry(key).or_insert((c.clone(), 0));
                e.1 += weight;
            }
        }
        for (_, (display, weight)) in creator_weight {
            let ws: Vec<String> = words(&display).into_iter().map(|w| w.norm).collect();
            if ws.len() >= 2 {
                if let Some(last) = ws.last() {
                    if last.len() >= 4 && !is_common(last) {
                        let e = surnames.entry(last.clone()).or_insert((display.clone(), 0));
                        if weight > e.1 {
                            *e = (display.clone(), weight);
                        }
                    }
                }
                names.push(Name {
                    words: ws,
                    target: Target::Creator(display),
                    weight,
                });
            }
        }
        for (surname, (display, weight)) in surnames {
            names.push(Name {
                words: vec![surname],
                target: Target::Creator(display),
                weight,
            });
        }
        for (t, stat) in tags.iter().enumerate() {
            for form in std::iter::once(&stat.name).chain(&stat.aliases) {
                let ws: Vec<String> = form
                    .split(|c: char| !c.is_alphanumeric())
                    .filter(|w| !w.is_empty())
                    .map(str::to_string)
                    .collect();
                if !ws.is_empty() {
                    names.push(Name {
                        words: ws,
                        target: Target::Tag(t),
                        weight: u64::MAX,
                    });
                }
                // "sci-fi" is also typed "scifi".
                let joined: String = form.chars().filter(|c| c.is_alphanumeric()).collect();
                if form.contains('-') && joined.len() >= 4 {
                    names.push(Name {
                        words: vec![joined],
                        target: Target::Tag(t),
                        weight: u64::MAX,
                    });
                }
            }
        }
        let stem = stemmer();
        let mut tag_stems: HashMap<String, Vec<(Vec<String>, usize)>> = HashMap::new();
        for n in &names {
            if let Target::Tag(t) = n.target {
                let stems: Vec<String> =
                    n.words.iter().map(|w| stem.stem(w).into_owned()).collect();
                // Short stems ("doc", "gnu") would match too much.
                if stems.iter().all(|s| s.chars().count() >= 4) {
                    tag_stems
                        .entry(stems[0].clone())
                        .or_default()
                        .push((stems, t));
                }
            }
        }
        let (known, everyday) = vocabulary(catalog);
        let mut by_first: HashMap<String, Vec<Name>> = HashMap::new();
        for n in names {
            by_first.entry(n.words[0].clone()).or_default().push(n);
        }
        let mut fuzzy_firsts: Vec<String> = by_first
            .keys()
            .filter(|k| k.chars().count() >= 4)
            .cloned()
            .collect();
        fuzzy_firsts.sort();
        let fuzzy_shapes = fuzzy_firsts
            .iter()
            .map(|k| {
                let chars: Vec<char> = k.chars().collect();
                let mask = char_mask(&chars);
                (chars, mask)
            })
            .collect();
        MentionIndex {
            by_first,
            fuzzy_firsts,
            fuzzy_shapes,
            known,
            everyday,
            tag_stems,
        }
    }

    /// Names found in `text`, longest and most popular first, never overlapping.
    pub fn find(&self, text: &str) -> Vec<Mention> {
        let ws = words(text);
        self.find_in(&ws)
    }

    /// Names found in already split words.
    pub fn find_in(&self, ws: &[Word]) -> Vec<Mention> {
        self.find_with(ws, ws.len() <= 3)
    }

    /// Names found in a sentence read as running text, however short (no
    /// "the whole answer is a title" allowance): for checking generated text.
    pub fn find_in_sentence(&self, text: &str) -> Vec<Mention> {
        self.find_with(&words(text), false)
    }

    fn find_with(&self, ws: &[Word], whole_answer: bool) -> Vec<Mention> {
        let mut found: Vec<(Mention, u64)> = Vec::new();
        for start in 0..ws.len() {
            let first = &ws[start].norm;
            let mut firsts: Vec<(&String, bool)> = Vec::new();
            if self.by_first.contains_key(first) {
                firsts.push((first, true));
            }
            let first_chars: Vec<char> = first.chars().collect();
            let tol = tolerance(first_chars.len());
            if tol > 0 && !is_common(first) && !self.known.contains(first) {
                let first_mask = char_mask(&first_chars);
                for (k, (chars, mask)) in self.fuzzy_firsts.iter().zip(&self.fuzzy_shapes) {
                    if chars.len().abs_diff(first_chars.len()) <= tol
                        && (mask ^ first_mask).count_ones() as usize <= 2 * tol
                        && k != first
                        && edit_distance_chars(&first_chars, chars, tol) <= tol
                    {
                        firsts.push((k, false));
                    }
                }
            }
            for (key, first_exact) in firsts {
                for name in self.by_first.get(key).into_iter().flatten() {
                    let end = start + name.words.len();
                    if end > ws.len() {
                        continue;
                    }
                    let mut exact = first_exact;
                    let mut ok = true;
                    for (w, n) in ws[start + 1..end].iter().zip(&name.words[1..]) {
                        match word_match(&w.norm, n) {
                            Some(e) => exact &= e,
                            None => {
                                ok = false;
                                break;
                            }
                        }
                    }
                    let sentence_start = start == 0;
                    // "1984", "2001": a title of digits is written the same in
                    // any sentence; not when it reads as a year ("from 1984").
                    let numeric_title = name.words.len() == 1
                        && matches!(name.target, Target::Item(_))
                        && name.words[0].len() >= 2
                        && name.words[0].chars().all(|c| c.is_ascii_digit());
                    let plausible = if numeric_title {
                        let as_year =
                            start > 0 && YEAR_WORDS.contains(&ws[start - 1].norm.as_str());
                        exact && !as_year
                    } else {
                        ok && self.plausible(
                            name,
                            &ws[start..end],
                            exact,
                            whole_answer,
                            sentence_start,
                        )
                    };
                    if !plausible {
                        continue;
                    }
                    found.push((
                        Mention {
                            target: name.target.clone(),
                            start,
                            end,
                            exact,
                        },
                        name.weight,
                    ));
                }
            }
        }
        found.extend(self.stemmed_tags(ws).into_iter().map(|m| (m, u64::MAX)));
        // Longest span first, then exact, then tags (vocabulary) over items of
        // the same span, then the most popular.
        found.sort_by(|(a, wa), (b, wb)| {
            (b.end - b.start)
                .cmp(&(a.end - a.start))
                .then(b.exact.cmp(&a.exact))
                .then(wb.cmp(wa))
                .then(a.start.cmp(&b.start))
        });
        let mut taken = vec![false; ws.len()];
        let mut out = Vec::new();
        for (m, _) in found {
            if taken[m.start..m.end].iter().any(|&t| t) {
                continue;
            }
            taken[m.start..m.end].iter_mut().for_each(|t| *t = true);
            out.push(m);
        }
        out.sort_by_key(|m| m.start);
        out
    }

    /// Tags whose words' stems match a span of the text's stems ("emulate"
    /// → "emulation"), for forms the exact and plural matching miss.
    fn stemmed_tags(&self, ws: &[Word]) -> Vec<Mention> {
        if self.tag_stems.is_empty() {
            return Vec::new();
        }
        let stem = stemmer();
        let stems: Vec<String> = ws.iter().map(|w| stem.stem(&w.norm).into_owned()).collect();
        let mut out = Vec::new();
        for start in 0..ws.len() {
            if is_common(&ws[start].norm) {
                continue;
            }
            for (tag_stems, t) in self.tag_stems.get(&stems[start]).into_iter().flatten() {
                let end = start + tag_stems.len();
                if end <= ws.len() && stems[start..end] == tag_stems[..] {
                    out.push(Mention {
                        target: Target::Tag(*t),
                        start,
                        end,
                        exact: true,
                    });
                }
            }
        }
        out
    }

    /// Guards against everyday words read as names.
    fn plausible(
        &self,
        name: &Name,
        span: &[Word],
        exact: bool,
        whole_answer: bool,
        sentence_start: bool,
    ) -> bool {
        if matches!(name.target, Target::Tag(_)) {
            // Tags are the vocabulary itself: match them as typed, typos only when long.
            return exact || name.words.iter().all(|w| w.len() >= 6);
        }
        // Content words: what is left without articles and everyday words.
        let content: Vec<usize> = (0..name.words.len())
            .filter(|&k| !is_common(&name.words[k]) && name.words[k].len() > 2)
            .collect();
        if name.words.len() == 1 {
            let w = &name.words[0];
            // A one-word title or surname must be capitalised as a name is
            // (a sentence's first word proves nothing when the catalog writes
            // it in lower case), and not an everyday word unless it is the
            // whole answer.
            let capital =
                span[0].capital && (whole_answer || !sentence_start || !self.everyday.contains(w));
            return capital
                && (w.len() >= 3 || whole_answer)
                && (!is_common(w) || whole_answer)
                && (exact || w.len() >= 4);
        }
        if content.len() <= 1 {
            // "The Help", "The Road": the one content word must look like a
            // name (capitalised) and match exactly.
            let k = content.first().copied().unwrap_or(0);
            let initial_everyday =
                sentence_start && k == 0 && !whole_answer && self.everyday.contains(&name.words[k]);
            return exact && span[k].capital && !initial_everyday;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::catalog::Item;

    fn catalog() -> Catalog {
        let b = |id: &str, t: &str, a: &str, n: u64| Item {
            id: id.into(),
            title: t.into(),
            creators: vec![a.into()],
            public_ratings: Some(n),
            ..Item::default()
        };
        Catalog::new(vec![
            b("1", "Dune (Dune Chronicles, #1)", "Frank Herbert", 900),
            b(
                "2",
                "Children of Dune (Dune Chronicles, #3)",
                "Frank Herbert",
                200,
            ),
            b("3", "The Hobbit", "J.R.R. Tolkien", 1000),
            b("4", "It", "Stephen King", 500),
            b(
                "5",
                "Ender's Game (Ender's Saga, #1)",
                "Orson Scott Card",
                700,
            ),
            b("6", "The Help", "Kathryn Stockett", 600),
        ])
        .unwrap()
    }

    fn tags() -> Vec<TagStat> {
        vec![TagStat {
            name: "science-fiction".into(),
            items: 3,
            aliases: vec!["sci-fi".into(), "sf".into()],
        }]
    }

    fn targets(idx: &MentionIndex, text: &str) -> Vec<Target> {
        idx.find(text).into_iter().map(|m| m.target).collect()
    }

    #[test]
    fn finds_titles_creators_and_tags() {
        let idx = MentionIndex::build(&catalog(), &tags());
        assert_eq!(
            targets(&idx, "I loved Dune for its world-building"),
            vec![Target::Item(0)]
        );
        assert_eq!(
            targets(&idx, "children of dune was great"),
            vec![Target::Item(1)]
        );
        assert_eq!(
            targets(&idx, "I loved Dnue"),
            vec![Target::Item(0)],
            "typo tolerated"
        );
        assert_eq!(
            targets(&idx, "hobbit"),
            Vec::<Target>::new(),
            "lower-case one-word needs a capital"
        );
        assert_eq!(
            targets(&idx, "I read Hobbit twice"),
            vec![Target::Item(2)],
            "article optional"
        );
        assert_eq!(targets(&idx, "enders game"), vec![Target::Item(4)]);
        assert_eq!(
            targets(&idx, "anything by Herbert or sci-fi"),
            vec![Target::Creator("Frank Herbert".into()), Target::Tag(0)]
        );
        assert_eq!(
            targets(&idx, "I like science fiction"),
            vec![Target::Tag(0)]
        );
        assert_eq!(targets(&idx, "love scifi"), vec![Target::Tag(0)]);
    }

    #[test]
    fn everyday_words_are_not_titles() {
        let idx = MentionIndex::build(&catalog(), &tags());
        assert!(targets(&idx, "it was good, I need the help of a friend").is_empty());
        assert_eq!(
            targets(&idx, "It"),
            vec![Target::Item(3)],
            "a whole answer may be a short title"
        );
        assert_eq!(targets(&idx, "I adored The Help"), vec![Target::Item(5)]);
        assert!(targets(&idx, "").is_empty());
        assert!(targets(&idx, "🙂 ✨ ???").is_empty());
    }

    /// A software catalog: package names that are everyday words, a team
    /// whose last word is one of this domain's everyday words.
    fn software() -> (Catalog, Vec<TagStat>) {
        let item = |id: &str, title: &str, creator: &str, description: &str| Item {
            id: id.into(),
            title: title.into(),
            creators: vec![creator.into()],
            description: description.into(),
            public_ratings: Some(10),
            ..Item::default()
        };
        let mut items = vec![
            item("1", "late", "Jo Doe", "Reminds you of late tasks."),
            item("2", "kwrite", "KDE Team", "Write and edit text files."),
            item("3", "scanner", "Debian Security Tools", "Audit a network."),
        ];
        for k in 0..6 {
            items.push(item(
                &format!("f{k}"),
                &format!("filler{k}"),
                "Someone Else",
                "Command line tools to write and typeset latex documents.",
            ));
        }
        let tag = |name: &str| TagStat {
            name: name.into(),
            items: 3,
            aliases: Vec::new(),
        };
        (
            Catalog::new(items).unwrap(),
            vec![tag("emulation"), tag("tex")],
        )
    }

    #[test]
    fn the_catalogs_own_words_are_read_as_words() {
        let (c, t) = software();
        let idx = MentionIndex::build(&c, &t);
        assert!(
            targets(&idx, "Write a thesis with LaTeX").is_empty(),
            "known words are not typos of package names"
        );
        assert!(
            targets(&idx, "Tools for amateur radio operators").is_empty(),
            "a sentence's first word is no surname when the catalog writes it in lower case"
        );
        assert_eq!(
            targets(&idx, "Emulate old consoles and computers"),
            vec![Target::Tag(0)],
            "tags match by stem"
        );
        assert_eq!(
            targets(&idx, "I use Kwirte every day"),
            vec![Target::Item(1)],
            "a word the catalog does not know may still be a typo"
        );
        assert_eq!(
            targets(&idx, "anything like Tools"),
            vec![Target::Creator("Debian Security Tools".into())],
            "inside a sentence a capital still marks a name"
        );
    }

    #[test]
    fn title_variants_cover_years_and_articles() {
        let v = title_variants("Godfather, The (1972)");
        assert!(v.contains(&vec!["godfather".to_string()]));
        assert!(v.contains(&vec!["the".to_string(), "godfather".to_string()]));
        assert!(v.contains(&vec![
            "godfather".to_string(),
            "the".to_string(),
            "1972".to_string()
        ]));
        let v = title_variants("Dune (Dune Chronicles, #1)");
        assert_eq!(v, vec![vec!["dune".to_string()]]);
    }

    /// The full Damerau table, no cap and no early stop: what the capped
    /// distance and the mask filter must agree with.
    fn full_distance(a: &[char], b: &[char]) -> usize {
        let (n, m) = (a.len(), b.len());
        let mut d = vec![vec![0usize; m + 1]; n + 1];
        for (i, row) in d.iter_mut().enumerate() {
            row[0] = i;
        }
        for (j, cell) in d[0].iter_mut().enumerate() {
            *cell = j;
        }
        for i in 1..=n {
            for j in 1..=m {
                let cost = usize::from(a[i - 1] != b[j - 1]);
                let mut v = (d[i - 1][j] + 1)
                    .min(d[i][j - 1] + 1)
                    .min(d[i - 1][j - 1] + cost);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    v = v.min(d[i - 2][j - 2] + 1);
                }
                d[i][j] = v;
            }
        }
        d[n][m]
    }

    #[test]
    fn capped_distance_and_mask_filter_agree_with_the_full_table() {
        // Words over a small alphabet (with a letter outside a-z) so that
        // near misses, transpositions and repeats are common.
        let alphabet = ['a', 'b', 'c', 'd', 'é', '1'];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let mut checked_near = 0;
        for _ in 0..20_000 {
            let a: Vec<char> = (0..next(9)).map(|_| alphabet[next(6)]).collect();
            let mut b = a.clone();
            for _ in 0..next(4) {
                match next(4) {
                    0 if !b.is_empty() => {
                        let i = next(b.len());
                        b.remove(i);
                    }
                    1 => b.insert(next(b.len() + 1), alphabet[next(6)]),
                    2 if !b.is_empty() => {
                        let i = next(b.len());
                        b[i] = alphabet[next(6)];
                    }
                    _ if b.len() >= 2 => {
                        let i = next(b.len() - 1);
                        b.swap(i, i + 1);
                    }
                    _ => {}
                }
            }
            let full = full_distance(&a, &b);
            for cap in 0..4 {
                assert_eq!(
                    edit_distance_chars(&a, &b, cap),
                    full.min(cap + 1),
                    "{a:?} {b:?} cap {cap}"
                );
                if full <= cap {
                    checked_near += 1;
                    let differ = (char_mask(&a) ^ char_mask(&b)).count_ones() as usize;
                    assert!(
                        differ <= 2 * cap,
                        "{a:?} {b:?}: the mask filter would skip a match"
                    );
                }
            }
        }
        assert!(checked_near > 10_000, "the generator makes near pairs");
    }

    #[test]
    fn words_and_distance() {
        let w = words("Ender's Game, by O. S. Card!");
        assert_eq!(w[0].norm, "enders");
        assert!(w[0].capital);
        assert_eq!(w.len(), 6);
        assert_eq!(
            (w[1].start, w[1].end),
            (8, 12),
            "offsets point into the original"
        );
        assert_eq!(edit_distance("dnue", "dune", 1), 1);
        assert_eq!(edit_distance("kitten", "sitting", 3), 3);
        let mut sorted = COMMON.to_vec();
        sorted.sort();
        assert_eq!(sorted, COMMON, "COMMON must stay sorted for binary search");
    }
}
