//! Occasions, moods and audiences in a visitor's words: "something light",
//! "for the beach", "a long flight", "for my 10-year-old", "nothing too
//! dark", "for my dad".
//!
//! The words are English and the same for every catalog; what they mean
//! in a catalog (which of its tags are light, which are for children) is
//! learned at build time ([`crate::core::facets`]). An occasion is a bundle of
//! facets: a beach read is light and gripping, a long flight wants
//! something gripping and long, a commute something short.

use std::collections::HashMap;

use crate::core::facets::Facet;
use crate::core::mentions::Word;

/// An occasion, mood or audience found in one clause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// First word (index into the clause).
    pub start: usize,
    /// One past the last word.
    pub end: usize,
    /// Facets it asks for.
    pub wants: &'static [Facet],
    /// True for a grown-up audience ("for my dad", "a 40-year-old"): what
    /// is for children or teenagers is gently avoided.
    pub grown_up: bool,
    /// A situation or a person ("on holiday", "an adult"), not a
    /// description: a catalog's tag of the same spelling is not meant.
    pub situation: bool,
    /// The words also say what the content is like ("scary", "funny",
    /// "suspenseful") and go to the encoder as well. Occasions, audiences,
    /// lengths and the words the encoder misreads do not: it puts "light"
    /// next to "dark", and reads "dark" or "summer" as titles with the word.
    pub theme: bool,
}

impl Found {
    /// Whom a request is for: an age, a grown-up, a recipient. A grown-up
    /// is also a situation ("an adult book" is not the tag young-adult).
    fn audience(start: usize, end: usize, wants: &'static [Facet], grown_up: bool) -> Found {
        Found {
            start,
            end,
            wants,
            grown_up,
            situation: grown_up,
            theme: false,
        }
    }
}

/// Words of situations: when, where, for what occasion.
const SITUATION_WORDS: &[&str] = &[
    "beach",
    "poolside",
    "pool",
    "vacation",
    "holiday",
    "holidays",
    "summer",
    "sunbathing",
    "flight",
    "plane",
    "airplane",
    "layover",
    "trip",
    "journey",
    "train",
    "ride",
    "commute",
    "commuting",
    "lunch",
    "coffee",
    "waiting",
    "room",
    "bus",
    "subway",
    "tube",
    "metro",
    "bedtime",
    "halloween",
    "rainy",
    "sick",
    "weekend",
    "tonight",
    "evening",
    "sunday",
    "saturday",
    "friday",
];

/// Mood words that describe content and that the encoder reads as such.
const THEME_WORDS: &[&str] = &[
    "funny",
    "funnier",
    "hilarious",
    "humorous",
    "laugh",
    "uplifting",
    "heartwarming",
    "heart",
    "warming",
    "wholesome",
    "disturbing",
    "creepy",
    "scary",
    "scarier",
    "spooky",
    "gory",
    "macabre",
    "violent",
    "violence",
    "bloody",
    "chilling",
    "suspenseful",
    "thrilling",
];

use Facet::{Children, Dark, Explicit, Gripping, Light, Long, Short, Teen};

/// Words and phrases, each with the facets it asks for.
const LEXICON: &[(&[&str], &[Facet])] = &[
    // Moods.
    (&["light"], &[Light]),
    (&["lighter"], &[Light]),
    (&["lighthearted"], &[Light]),
    (&["light", "hearted"], &[Light]),
    (&["feelgood"], &[Light]),
    (&["feel", "good"], &[Light]),
    (&["uplifting"], &[Light]),
    (&["cheerful"], &[Light]),
    (&["cheery"], &[Light]),
    (&["happy"], &[Light]),
    (&["heartwarming"], &[Light]),
    (&["heart", "warming"], &[Light]),
    (&["fun"], &[Light]),
    (&["funny"], &[Light]),
    (&["funnier"], &[Light]),
    (&["hilarious"], &[Light]),
    (&["laugh"], &[Light]),
    (&["humorous"], &[Light]),
    (&["cozy"], &[Light]),
    (&["cosy"], &[Light]),
    (&["comforting"], &[Light]),
    (&["upbeat"], &[Light]),
    (&["breezy"], &[Light]),
    (&["wholesome"], &[Light]),
    (&["relaxing"], &[Light]),
    (&["easy", "read"], &[Light]),
    (&["easy"], &[Light]),
    (&["cheer", "me", "up"], &[Light]),
    (&["pick", "me", "up"], &[Light]),
    (&["dark"], &[Dark]),
    (&["darker"], &[Dark]),
    (&["grim"], &[Dark]),
    (&["bleak"], &[Dark]),
    (&["disturbing"], &[Dark]),
    (&["creepy"], &[Dark]),
    (&["scary"], &[Dark]),
    (&["scarier"], &[Dark]),
    (&["spooky"], &[Dark]),
    (&["gritty"], &[Dark]),
    (&["twisted"], &[Dark]),
    (&["haunting"], &[Dark]),
    (&["chilling"], &[Dark]),
    (&["sinister"], &[Dark]),
    (&["brutal"], &[Dark]),
    (&["violent"], &[Dark]),
    (&["violence"], &[Dark]),
    (&["bloody"], &[Dark]),
    (&["harrowing"], &[Dark]),
    (&["gory"], &[Dark]),
    (&["macabre"], &[Dark]),
    // Pace.
    (&["gripping"], &[Gripping]),
    (&["page", "turner"], &[Gripping]),
    (&["page", "turners"], &[Gripping]),
    (&["pageturner"], &[Gripping]),
    (&["unputdownable"], &[Gripping]),
    (&["cant", "put", "it", "down"], &[Gripping]),
    (&["cant", "put", "down"], &[Gripping]),
    (&["fast", "paced"], &[Gripping]),
    (&["fastpaced"], &[Gripping]),
    (&["thrilling"], &[Gripping]),
    (&["suspenseful"], &[Gripping]),
    (&["exciting"], &[Gripping]),
    (&["edge", "of", "my", "seat"], &[Gripping]),
    (&["addictive"], &[Gripping]),
    (&["absorbing"], &[Gripping]),
    (&["action", "packed"], &[Gripping]),
    (&["riveting"], &[Gripping]),
    (&["compelling"], &[Gripping]),
    (&["bingeable"], &[Gripping]),
    // Length.
    (&["short"], &[Short]),
    (&["quick"], &[Short]),
    (&["brief"], &[Short]),
    (&["one", "sitting"], &[Short]),
    (&["long"], &[Long]),
    (&["lengthy"], &[Long]),
    (&["doorstopper"], &[Long]),
    (&["get", "lost", "in"], &[Long]),
    // Audiences.
    (&["kid"], &[Children]),
    (&["kids"], &[Children]),
    (&["child"], &[Children]),
    (&["children"], &[Children]),
    (&["childrens"], &[Children]),
    (&["childish"], &[Children]),
    (&["toddler"], &[Children]),
    (&["toddlers"], &[Children]),
    (&["preschooler"], &[Children]),
    (&["little", "one"], &[Children]),
    (&["little", "ones"], &[Children]),
    (&["grandkids"], &[Children]),
    (&["grandchildren"], &[Children]),
    (&["whole", "family"], &[Children]),
    (&["family", "friendly"], &[Children]),
    (&["family", "movie"], &[Children]),
    (&["family", "night"], &[Children]),
    (&["teen"], &[Teen]),
    (&["teens"], &[Teen]),
    (&["teenager"], &[Teen]),
    (&["teenagers"], &[Teen]),
    (&["teenage"], &[Teen]),
    (&["young", "adult"], &[Teen]),
    (&["ya"], &[Teen]),
    (&["adolescent"], &[Teen]),
    (&["adolescents"], &[Teen]),
    (&["high", "schooler"], &[Teen]),
    (&["steamy"], &[Explicit]),
    (&["spicy"], &[Explicit]),
    (&["sexy"], &[Explicit]),
    (&["erotic"], &[Explicit]),
    (&["smutty"], &[Explicit]),
    (&["smut"], &[Explicit]),
    // Occasions.
    (&["beach"], &[Light, Gripping]),
    (&["poolside"], &[Light, Gripping]),
    (&["by", "the", "pool"], &[Light, Gripping]),
    (&["vacation"], &[Light, Gripping]),
    (&["holiday"], &[Light, Gripping]),
    (&["holidays"], &[Light, Gripping]),
    (&["this", "summer"], &[Light, Gripping]),
    (&["summer", "read"], &[Light, Gripping]),
    (&["summer", "reading"], &[Light, Gripping]),
    (&["sunbathing"], &[Light, Gripping]),
    (&["flight"], &[Gripping, Long]),
    (&["plane"], &[Gripping, Long]),
    (&["airplane"], &[Gripping, Long]),
    (&["layover"], &[Gripping, Long]),
    (&["long", "trip"], &[Gripping, Long]),
    (&["long", "journey"], &[Gripping, Long]),
    (&["train", "journey"], &[Gripping, Long]),
    (&["train", "ride"], &[Gripping, Long]),
    (&["road", "trip"], &[Gripping, Long]),
    (&["on", "the", "train"], &[Gripping]),
    (&["on", "a", "train"], &[Gripping]),
    (&["on", "the", "bus"], &[Short]),
    (&["on", "the", "subway"], &[Short]),
    (&["on", "the", "tube"], &[Short]),
    (&["on", "the", "metro"], &[Short]),
    (&["commute"], &[Short]),
    (&["commuting"], &[Short]),
    (&["lunch", "break"], &[Short]),
    (&["coffee", "break"], &[Short]),
    (&["waiting", "room"], &[Short]),
    (&["bus", "ride"], &[Short]),
    (&["bedtime", "story"], &[Children, Short]),
    (&["bedtime", "stories"], &[Children, Short]),
    (&["bedtime"], &[Light]),
    (&["halloween"], &[Dark]),
    // When, not what: read and set aside ("for the weekend" is not
    // Weekend at Bernie's).
    (&["weekend"], &[]),
    (&["tonight"], &[]),
    (&["this", "evening"], &[]),
    (&["sunday"], &[]),
    (&["saturday"], &[]),
    (&["friday", "night"], &[]),
    (&["rainy"], &[Light]),
    (&["rainy", "day"], &[Light]),
    (&["sick", "day"], &[Light]),
    (&["bad", "day"], &[Light]),
    (&["rough", "day"], &[Light]),
    (&["tough", "week"], &[Light]),
    (&["feeling", "down"], &[Light]),
];

/// Grown-ups a present may be for ("for my dad").
const GROWN_UPS: &[&str] = &[
    "dad",
    "father",
    "mom",
    "mum",
    "mother",
    "husband",
    "wife",
    "boyfriend",
    "girlfriend",
    "grandma",
    "grandpa",
    "grandmother",
    "grandfather",
    "granny",
    "boss",
    "colleague",
    "coworker",
    "uncle",
    "aunt",
    "adult",
    "adults",
];

/// Who a request is for, after an age or "for my": part of the audience,
/// not a theme ("my 10-year-old *daughter*").
const RECIPIENTS: &[&str] = &[
    "daughter",
    "daughters",
    "son",
    "sons",
    "boy",
    "boys",
    "girl",
    "girls",
    "niece",
    "nephew",
    "grandson",
    "granddaughter",
    "brother",
    "sister",
    "cousin",
    "student",
    "students",
    "class",
];

/// Words after which a lexicon word means something else: "light years",
/// "a long time", "short of", "for fun", "happy with", "as a kid".
fn blocked(clause: &[Word], start: usize, end: usize) -> bool {
    let w = |k: usize| clause.get(k).map(|x| x.norm.as_str());
    let before = start.checked_sub(1).and_then(w);
    let before2 = start.checked_sub(2).and_then(w);
    let after = w(end);
    let head = clause[start].norm.as_str();
    match head {
        "light" | "lighter" if end == start + 1 => matches!(
            after,
            Some("year" | "years" | "novel" | "novels" | "of" | "bulb" | "saber" | "sabre")
        ),
        "long" if end == start + 1 => {
            matches!(
                after,
                Some(
                    "time"
                        | "ago"
                        | "while"
                        | "as"
                        | "before"
                        | "since"
                        | "enough"
                        | "way"
                        | "run"
                        | "term"
                        | "lost"
                        | "live"
                        | "story"
                        | "island"
                )
            ) || matches!(before, Some("how" | "so" | "as" | "all" | "too"))
        }
        "short" => {
            matches!(
                after,
                Some("of" | "story" | "stories" | "film" | "films" | "fiction")
            ) || matches!(before, Some("in"))
        }
        "fun" => matches!(before, Some("for")) || matches!(after, Some("fact" | "facts")),
        "happy" => matches!(
            after,
            Some("with" | "to" | "ending" | "endings" | "birthday")
        ),
        "kid" | "child" => matches!(before, Some("a")) && matches!(before2, Some("as" | "was")),
        "dark" => matches!(after, Some("horse" | "side" | "chocolate")),
        "flight" | "plane" => matches!(before, Some("of")),
        _ => false,
    }
}

/// A stated age: "10 year old", "10-year-old", "a 10yo", "ages 8", "aged 14".
fn age_at(clause: &[Word], k: usize) -> Option<(u32, usize)> {
    let n = |s: &str| -> Option<u32> {
        s.parse::<u32>().ok().filter(|&n| n <= 120).or(match s {
            "one" => Some(1),
            "two" => Some(2),
            "three" => Some(3),
            "four" => Some(4),
            "five" => Some(5),
            "six" => Some(6),
            "seven" => Some(7),
            "eight" => Some(8),
            "nine" => Some(9),
            "ten" => Some(10),
            "eleven" => Some(11),
            "twelve" => Some(12),
            "thirteen" => Some(13),
            "fourteen" => Some(14),
            "fifteen" => Some(15),
            "sixteen" => Some(16),
            "seventeen" => Some(17),
            _ => None,
        })
    };
    let w = |i: usize| clause.get(i).map(|x| x.norm.as_str());
    let here = w(k)?;
    if let Some(num) = here.strip_suffix("yo").and_then(n) {
        return Some((num, k + 1));
    }
    if matches!(here, "age" | "ages" | "aged") {
        return w(k + 1).and_then(n).map(|a| (a, k + 2));
    }
    let a = n(here)?;
    match (w(k + 1), w(k + 2)) {
        (Some("year" | "years" | "yr" | "yrs"), Some("old" | "olds")) => Some((a, k + 3)),
        (Some("yo"), _) => Some((a, k + 2)),
        _ => None,
    }
}

/// The [`LEXICON`] phrases whose first word is `word`, in lexicon order:
/// every word of every message is looked up, so by first word rather than
/// by scanning the whole lexicon.
fn phrases_starting_with(word: &str) -> &'static [usize] {
    static BY_FIRST: std::sync::OnceLock<HashMap<&'static str, Vec<usize>>> =
        std::sync::OnceLock::new();
    let by_first = BY_FIRST.get_or_init(|| {
        let mut map: HashMap<&'static str, Vec<usize>> = HashMap::new();
        for (i, (phrase, _)) in LEXICON.iter().enumerate() {
            if let Some(first) = phrase.first() {
                map.entry(first).or_default().push(i);
            }
        }
        map
    });
    by_first.get(word).map_or(&[], Vec::as_slice)
}

/// Occasions, moods and audiences in one clause, skipping words already
/// taken by a title or creator (`named`).
pub fn find(clause: &[Word], named: &[bool]) -> Vec<Found> {
    let mut out = Vec::new();
    let free = |a: usize, b: usize| (a..b).all(|i| !named.get(i).copied().unwrap_or(false));
    let mut k = 0;
    while k < clause.len() {
        if let Some((age, mut end)) = age_at(clause, k).filter(|&(_, e)| free(k, e)) {
            if clause
                .get(end)
                .is_some_and(|x| RECIPIENTS.contains(&x.norm.as_str()))
                && free(end, end + 1)
            {
                end += 1;
            }
            let (wants, grown_up): (&'static [Facet], bool) = match age {
                0..=12 => (&[Children], false),
                13..=17 => (&[Teen], false),
                _ => (&[], true),
            };
            out.push(Found::audience(k, end, wants, grown_up));
            k = end;
            continue;
        }
        if clause[k].norm == "for" {
            let who = match clause.get(k + 1).map(|x| x.norm.as_str()) {
                Some("my" | "our" | "an" | "a") => k + 2,
                _ => k + 1,
            };
            if clause
                .get(who)
                .is_some_and(|x| GROWN_UPS.contains(&x.norm.as_str()))
                && free(k, who + 1)
            {
                out.push(Found::audience(who, who + 1, &[], true));
                k = who + 1;
                continue;
            }
            // "for my daughter": an audience of unknown age, not a theme.
            if who == k + 2
                && clause
                    .get(who)
                    .is_some_and(|x| RECIPIENTS.contains(&x.norm.as_str()))
                && free(k, who + 1)
            {
                out.push(Found::audience(who, who + 1, &[], false));
                k = who + 1;
                continue;
            }
        }
        // "An adult book", "something grown-up" (not "young adult", matched
        // above as a phrase, nor "new adult").
        let grown = match clause[k].norm.as_str() {
            "adult" | "adults" | "grownup" | "grownups" => Some(k + 1),
            "grown" if clause.get(k + 1).is_some_and(|x| x.norm == "up") => Some(k + 2),
            _ => None,
        };
        if let Some(end) = grown.filter(|&e| {
            free(k, e)
                && !k
                    .checked_sub(1)
                    .is_some_and(|b| matches!(clause[b].norm.as_str(), "young" | "new"))
        }) {
            out.push(Found::audience(k, end, &[], true));
            k = end;
            continue;
        }
        // The longest phrase starting here.
        let best = phrases_starting_with(&clause[k].norm)
            .iter()
            .map(|&i| &LEXICON[i])
            .filter(|(p, _)| {
                k + p.len() <= clause.len()
                    && p.iter().enumerate().all(|(i, w)| clause[k + i].norm == *w)
                    && free(k, k + p.len())
                    && !blocked(clause, k, k + p.len())
            })
            .max_by_key(|(p, _)| p.len());
        match best {
            Some((p, wants)) => {
                let mut end = k + p.len();
                // "my teenage *daughter*", "the kids' *class*".
                if wants.iter().any(|f| matches!(f, Children | Teen))
                    && clause
                        .get(end)
                        .is_some_and(|x| RECIPIENTS.contains(&x.norm.as_str()))
                    && free(end, end + 1)
                {
                    end += 1;
                }
                out.push(Found {
                    start: k,
                    end,
                    wants,
                    grown_up: false,
                    situation: p.iter().any(|w| SITUATION_WORDS.contains(w)),
                    theme: p.iter().all(|w| THEME_WORDS.contains(w)),
                });
                k = end;
            }
            None => k += 1,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::mentions::words;

    fn facets(text: &str) -> Vec<Facet> {
        let ws = words(text);
        let mut out: Vec<Facet> = find(&ws, &vec![false; ws.len()])
            .into_iter()
            .flat_map(|f| f.wants.iter().copied())
            .collect();
        out.sort();
        out.dedup();
        out
    }

    fn grown_up(text: &str) -> bool {
        let ws = words(text);
        find(&ws, &vec![false; ws.len()]).iter().any(|f| f.grown_up)
    }

    #[test]
    fn every_phrase_is_found_by_its_first_word() {
        for (i, (phrase, _)) in LEXICON.iter().enumerate() {
            let first = phrase.first().expect("no empty phrase in the lexicon");
            assert!(phrases_starting_with(first).contains(&i), "{phrase:?}");
        }
        assert!(phrases_starting_with("zebra").is_empty());
    }

    #[test]
    fn moods_occasions_and_audiences() {
        assert_eq!(facets("something light"), vec![Light]);
        assert_eq!(facets("something light-hearted and fun"), vec![Light]);
        assert_eq!(facets("something dark and twisted"), vec![Dark]);
        assert_eq!(
            facets("a book to read on the beach this summer"),
            vec![Light, Gripping]
        );
        assert_eq!(facets("for a long flight"), vec![Gripping, Long]);
        assert_eq!(facets("a quick read for my commute"), vec![Short]);
        assert_eq!(facets("a page-turner"), vec![Gripping]);
        assert_eq!(facets("something for teens"), vec![Teen]);
        assert_eq!(facets("a young adult novel"), vec![Teen]);
        assert_eq!(facets("a bedtime story"), vec![Children, Short]);
    }

    #[test]
    fn ages_choose_the_audience() {
        assert_eq!(
            facets("for my 10 year old daughter who loves horses"),
            vec![Children]
        );
        assert_eq!(facets("for my 10-year-old"), vec![Children]);
        assert_eq!(facets("my son is 6yo"), vec![Children]);
        assert_eq!(facets("for a fourteen year old"), vec![Teen]);
        assert_eq!(facets("ages 15 and up"), vec![Teen]);
        assert!(facets("for my 40 year old husband").is_empty());
        assert!(grown_up("for my 40 year old husband"));
        assert!(grown_up("a present for my dad"));
        assert!(grown_up("something for adults"));
        assert!(grown_up("an adult book"));
        assert!(grown_up("something grown-up"));
        assert!(!grown_up("a young adult novel"));
        assert!(!grown_up("new adult romance"));
        assert!(!grown_up("my dad loved Dune"));
        assert!(!grown_up("for my daughter"));
    }

    #[test]
    fn other_senses_of_the_words_are_left_alone() {
        for text in [
            "I have loved fantasy for a long time",
            "light years from home",
            "a light novel",
            "I read it as a kid",
            "I'd be happy with anything",
            "I read for fun",
            "short stories",
            "the history of flight",
            "a dark horse",
            "how long is it",
        ] {
            assert!(facets(text).is_empty(), "{text}: {:?}", facets(text));
        }
    }

    #[test]
    fn who_it_is_for_is_not_a_theme() {
        let spans = |text: &str| -> Vec<String> {
            let ws = words(text);
            find(&ws, &vec![false; ws.len()])
                .iter()
                .map(|f| {
                    ws[f.start..f.end]
                        .iter()
                        .map(|w| w.norm.as_str())
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect()
        };
        assert_eq!(
            spans("for my 10 year old daughter who loves horses"),
            vec!["10 year old daughter"]
        );
        assert_eq!(spans("something for my daughter"), vec!["daughter"]);
        assert_eq!(
            spans("a movie for my teenage daughter"),
            vec!["teenage daughter"]
        );
        assert_eq!(spans("something for the weekend"), vec!["weekend"]);
        assert!(facets("something for the weekend").is_empty());
        assert!(facets("something for my daughter").is_empty());
    }

    #[test]
    fn descriptive_moods_are_themes_too_occasions_are_not() {
        let ws = words("something scary and dark for the beach");
        let found = find(&ws, &vec![false; ws.len()]);
        let theme: Vec<(&str, bool)> = found
            .iter()
            .map(|f| (ws[f.start].norm.as_str(), f.theme))
            .collect();
        assert_eq!(
            theme,
            vec![("scary", true), ("dark", false), ("beach", false)]
        );
    }

    #[test]
    fn named_words_are_skipped() {
        let ws = words("The Long Walk");
        let named = vec![true; ws.len()];
        assert!(find(&ws, &named).is_empty());
    }
}
