//! Understanding one answer: which titles, creators and tags it names and
//! whether for or against them, follow-ups ("something different", "more like
//! the second one"), answers to a pending question, and the free text left
//! for the encoder.
//!
//! Rule-based and lexical on purpose: it must be exact about names and
//! negation, explainable, and take microseconds. Meaning ("political
//! intrigue") is the encoder's job, on the text this module hands over.

use super::occasion;
use crate::core::catalog::ItemIdx;
use crate::core::facets::Facet;
use crate::core::mentions::{words, MentionIndex, Target, Word};

/// A request about the last recommendations rather than about taste.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowUp {
    /// More like what was shown ("any similar options?").
    Similar,
    /// More like one shown item, by its position (0-based).
    MoreLike(usize),
    /// Away from what was shown ("something different").
    Different,
    /// Shorter items.
    Shorter,
    /// Longer items.
    Longer,
    /// More recent items.
    Newer,
    /// Older items.
    Older,
    /// Less known items ("hidden gems").
    LessPopular,
    /// Better known items.
    MorePopular,
}

/// A short reply to a yes/no or pick-one question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// Yes, sure, definitely.
    Yes,
    /// No, not really.
    No,
    /// An option by position (0-based): "the second one".
    Pick(usize),
    /// None of the options.
    NoneOfThem,
}

/// Everything one answer says.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Understanding {
    /// Items named approvingly.
    pub liked_items: Vec<ItemIdx>,
    /// Items named disapprovingly ("I didn't like Twilight").
    pub disliked_items: Vec<ItemIdx>,
    /// Tags asked for (indices into the bundle's tags).
    pub wanted_tags: Vec<usize>,
    /// Tags to avoid ("no romance").
    pub avoided_tags: Vec<usize>,
    /// Creators asked for.
    pub wanted_creators: Vec<String>,
    /// Creators to avoid.
    pub avoided_creators: Vec<String>,
    /// The approving free text, for the encoder.
    pub positive_text: String,
    /// The longest approving phrase in the visitor's own words, for quoting
    /// in explanations ("world-building and political intrigue").
    pub theme_phrase: Option<String>,
    /// Negated phrases with no catalog name in them ("too violent"), for the
    /// encoder to down-weight by meaning.
    pub negative_phrases: Vec<String>,
    /// A follow-up about the last recommendations.
    pub follow_up: Option<FollowUp>,
    /// A short reply to the pending question.
    pub reply: Option<Reply>,
    /// A stated time budget in minutes ("I have an hour").
    pub time_budget_minutes: Option<u32>,
    /// Moods, audiences, pace and length asked for, from occasions too
    /// ("something light", "for the beach", "for my 10-year-old").
    pub wanted_facets: Vec<Facet>,
    /// Facets asked to stay away from ("nothing too dark", "not for kids").
    pub avoided_facets: Vec<Facet>,
    /// A present for a grown-up ("for my dad"): what is for children or
    /// teenagers is gently avoided.
    pub grown_up: bool,
    /// The message was small talk (a greeting, thanks, "I don't know"),
    /// nothing about taste: never matched against the catalog.
    pub small_talk: Option<SmallTalk>,
    /// The message corrects or replaces what was said before.
    pub revision: Option<Revision>,
}

/// How a message revises what the visitor said before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Revision {
    /// "No, I meant Dune Messiah": what this message names replaces what
    /// the previous message named.
    Correction,
    /// "Actually, something funny instead", "forget that": a new request
    /// replaces the current one.
    ChangeOfMind,
}

/// Kinds of small talk a friend answers in kind before asking again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SmallTalk {
    /// "hi", "good morning", "how are you?".
    Greeting,
    /// "thanks!", "cool", "great".
    Thanks,
    /// "I don't know", "no idea", "idk".
    Unsure,
    /// A request with nothing in it: "any suggestions?", "surprise me",
    /// "what do you have?", "something good".
    Vague,
}

/// Small talk's words, by kind: the words that make a message that kind
/// (one must be present) and the words that may go with them ("hello
/// *there*", "thank you *so much*", "I'm *not* sure").
const GREETING: (&[&str], &[&str]) = (
    &[
        "hi",
        "hello",
        "hey",
        "heya",
        "hiya",
        "howdy",
        "yo",
        "greetings",
        "hola",
        "bonjour",
        "hallo",
        "ciao",
        "morning",
        "afternoon",
        "evening",
        "how",
        "whats",
        "sup",
    ],
    &[
        "good", "day", "there", "are", "you", "doing", "up", "kith", "nice", "to", "meet", "new",
        "so", "going", "is", "it",
    ],
);
/// See [`GREETING`].
const THANKS: (&[&str], &[&str]) = (
    &["thanks", "thank", "thx", "ty", "cheers"],
    &[
        "great", "cool", "awesome", "nice", "perfect", "lovely", "much", "so", "you", "a", "lot",
        "wow",
    ],
);
/// See [`GREETING`].
const VAGUE: (&[&str], &[&str]) = (
    &[
        "suggest",
        "suggestion",
        "suggestions",
        "recommend",
        "recommendation",
        "recommendations",
        "surprise",
        "help",
        "whatever",
        "bored",
        "ideas",
        "good",
        "have",
        "got",
        "anything",
        "something",
    ],
    &[
        "me", "any", "a", "some", "great", "nice", "please", "can", "could", "you", "do", "what",
        "whats", "i", "im", "am", "so", "give", "need", "want", "would", "like", "to", "for",
        "new", "really", "just", "your", "there", "is", "are", "else", "ok", "okay", "hmm", "well",
        "tell", "show", "find",
    ],
);
/// See [`GREETING`].
const UNSURE: (&[&str], &[&str]) = (
    &["know", "idea", "idk", "dunno", "unsure", "clue", "sure"],
    &[
        "dont", "do", "not", "no", "im", "i", "am", "whatever", "hmm", "hm", "um", "uh", "er",
        "really",
    ],
);

impl Understanding {
    /// True when the answer named a title, tag or creator, for or against.
    pub fn names_something(&self) -> bool {
        !(self.liked_items.is_empty()
            && self.disliked_items.is_empty()
            && self.wanted_tags.is_empty()
            && self.avoided_tags.is_empty()
            && self.wanted_creators.is_empty()
            && self.avoided_creators.is_empty()
            && self.wanted_facets.is_empty()
            && self.avoided_facets.is_empty()
            && !self.grown_up)
    }

    /// True when the answer carried nothing Kith can use.
    pub fn is_empty(&self) -> bool {
        !self.names_something()
            && self.positive_text.trim().is_empty()
            && self.negative_phrases.is_empty()
            && self.follow_up.is_none()
            && self.reply.is_none()
            && self.time_budget_minutes.is_none()
    }
}

/// The words that say a message is a revision, not part of its request.
const REVISION_WORDS: &[&str] = &[
    "meant", "mean", "sorry", "oops", "wrong", "actually", "instead", "changed", "change", "mind",
    "plan", "forget", "scratch", "second", "thought", "thoughts", "start", "over", "again", "no",
    "nope", "not",
];

/// Words that open a negated scope running to the end of the clause.
const NEGATIONS: &[&str] = &[
    "not", "no", "dont", "didnt", "doesnt", "never", "without", "avoid", "hate", "hated",
    "dislike", "disliked", "nothing", "neither", "nor", "isnt", "wasnt", "cant", "couldnt", "wont",
    "except", "skip", "less", "none", "stop", "tired", "sick",
];

/// Verdicts that turn a whole clause against what it names ("Twilight was awful").
const VERDICTS_AGAINST: &[&str] = &[
    "boring",
    "awful",
    "terrible",
    "overrated",
    "dull",
    "meh",
    "worst",
    "disappointing",
    "hated",
    "disliked",
];

/// Words that close a clause: what follows may change polarity.
const CLAUSE_BREAKS: &[&str] = &["but", "though", "although", "however", "yet", "whereas"];

/// Filler left out of the text handed to the encoder.
const FILLER: &[&str] = &[
    "hmm",
    "hm",
    "mmm",
    "um",
    "umm",
    "uh",
    "er",
    "erm",
    "ah",
    "oh",
    "i",
    "me",
    "my",
    "a",
    "an",
    "the",
    "really",
    "loved",
    "love",
    "loves",
    "likes",
    "who",
    "need",
    "liked",
    "like",
    "enjoyed",
    "read",
    "reading",
    "watch",
    "watching",
    "thats",
    "recently",
    "lately",
    "and",
    "for",
    "its",
    "it",
    "was",
    "is",
    "of",
    "please",
    "some",
    "something",
    "anything",
    "books",
    "book",
    "want",
    "would",
    "to",
    "im",
    "by",
    "with",
    "about",
    "more",
    "maybe",
    "perhaps",
    "also",
    "too",
    "so",
    "very",
    "just",
    "films",
    "film",
    "movies",
    "movie",
    "one",
    "ones",
    "that",
    "this",
    "these",
    "those",
    "in",
    "on",
    "at",
    "or",
    "be",
    "been",
    "have",
    "had",
    "has",
    "get",
    "give",
    "recommend",
    "suggest",
    "looking",
    "look",
    "find",
    "any",
    "what",
    "you",
    "your",
    "can",
    "could",
    "should",
    "lot",
    // Small talk inside a real answer ("Hello, I loved Dune"): not a theme.
    "hi",
    "hello",
    "hey",
    "hiya",
    "howdy",
    "thanks",
    "thank",
    "thx",
    "cheers",
    "idk",
    "dunno",
];

fn has(ws: &[Word], phrase: &[&str]) -> Option<usize> {
    if phrase.is_empty() || ws.len() < phrase.len() {
        return None;
    }
    (0..=ws.len() - phrase.len())
        .find(|&s| phrase.iter().enumerate().all(|(k, p)| ws[s + k].norm == *p))
}

fn ordinal(w: &str) -> Option<usize> {
    Some(match w {
        "first" | "1st" | "1" | "top" => 0,
        "second" | "2nd" | "2" => 1,
        "third" | "3rd" | "3" => 2,
        "fourth" | "4th" | "4" => 3,
        "fifth" | "5th" | "5" => 4,
        "sixth" | "6th" | "6" => 5,
        "seventh" | "7th" | "7" => 6,
        "eighth" | "8th" | "8" => 7,
        "ninth" | "9th" | "9" => 8,
        "tenth" | "10th" | "10" => 9,
        _ => return None,
    })
}

/// The first ordinal in the words ("the second one", "#2", "number 3").
fn find_ordinal(ws: &[Word]) -> Option<usize> {
    ws.iter().find_map(|w| ordinal(&w.norm))
}

fn follow_up(ws: &[Word]) -> Option<FollowUp> {
    let any = |list: &[&[&str]]| list.iter().any(|p| has(ws, p).is_some());
    if any(&[
        &["more", "like"],
        &["similar"],
        &["like", "that"],
        &["like", "this"],
        &["same", "kind"],
        &["along", "those", "lines"],
    ]) {
        if let Some(k) = find_ordinal(ws) {
            return Some(FollowUp::MoreLike(k));
        }
        if has(ws, &["last", "one"]).is_some() {
            return Some(FollowUp::MoreLike(usize::MAX));
        }
        return Some(FollowUp::Similar);
    }
    if any(&[
        &["different"],
        &["something", "else"],
        &["surprise", "me"],
        &["change", "it", "up"],
        &["other", "options"],
    ]) {
        return Some(FollowUp::Different);
    }
    if any(&[
        &["shorter"],
        &["quick", "read"],
        &["quicker"],
        &["short", "one"],
        &["not", "too", "long"],
        &["not", "long"],
        &["nothing", "long"],
    ]) {
        return Some(FollowUp::Shorter);
    }
    if any(&[&["longer"], &["epic", "length"]]) {
        return Some(FollowUp::Longer);
    }
    if any(&[
        &["newer"],
        &["more", "recent"],
        &["recent", "ones"],
        &["modern"],
    ]) {
        return Some(FollowUp::Newer);
    }
    if any(&[&["older"], &["old", "ones"]]) {
        return Some(FollowUp::Older);
    }
    if any(&[
        &["less", "popular"],
        &["hidden", "gem"],
        &["hidden", "gems"],
        &["lesser", "known"],
        &["obscure"],
        &["less", "known"],
        &["underrated"],
        &["less", "mainstream"],
        &["not", "mainstream"],
        &["not", "so", "mainstream"],
        &["off", "the", "beaten"],
    ]) {
        return Some(FollowUp::LessPopular);
    }
    if any(&[
        &["more", "popular"],
        &["bestseller"],
        &["bestsellers"],
        &["best", "known"],
        &["more", "mainstream"],
        &["well", "known"],
        &["blockbuster"],
        &["blockbusters"],
    ]) {
        return Some(FollowUp::MorePopular);
    }
    None
}

fn reply(ws: &[Word]) -> Option<Reply> {
    let first = ws.first()?.norm.as_str();
    if matches!(first, "none" | "neither")
        || has(ws, &["none", "of", "them"]).is_some()
        || has(ws, &["not", "those"]).is_some()
    {
        return Some(Reply::NoneOfThem);
    }
    if ws.len() <= 6 {
        if let Some(k) = find_ordinal(ws) {
            return Some(Reply::Pick(k));
        }
    }
    if matches!(
        first,
        "yes"
            | "yeah"
            | "yep"
            | "yup"
            | "sure"
            | "definitely"
            | "absolutely"
            | "ok"
            | "okay"
            | "please"
            | "totally"
            | "certainly"
            | "y"
    ) || has(ws, &["i", "do"]).is_some() && ws.len() <= 3
        || has(ws, &["of", "course"]).is_some()
    {
        return Some(Reply::Yes);
    }
    if matches!(first, "no" | "nope" | "nah" | "n" | "never")
        || has(ws, &["not", "really"]).is_some()
        || has(ws, &["i", "dont"]).is_some() && ws.len() <= 3
    {
        return Some(Reply::No);
    }
    None
}

fn time_budget(ws: &[Word]) -> Option<u32> {
    for (k, w) in ws.iter().enumerate() {
        let unit = ws.get(k + 1).map(|u| u.norm.as_str());
        let n: Option<u32> = match w.norm.as_str() {
            "an" | "a" | "one" => Some(1),
            "half" if matches!(unit, Some("an")) => {
                return Some(30);
            }
            s => s.parse().ok().or(match s {
                "two" => Some(2),
                "three" => Some(3),
                "ten" => Some(10),
                "twenty" => Some(20),
                "thirty" => Some(30),
                "fifteen" => Some(15),
                _ => None,
            }),
        };
        match (n, unit) {
            (Some(n), Some("hour" | "hours" | "hr" | "hrs" | "h")) => {
                return Some(n.saturating_mul(60))
            }
            (Some(n), Some("minute" | "minutes" | "min" | "mins")) if n > 1 || w.norm == "one" => {
                return Some(n)
            }
            _ => {}
        }
    }
    None
}

/// Splits an answer into clauses at punctuation and contrastive words, after
/// rewriting "anything but X" as "no X". Words keep their offsets in `text`.
fn clauses(text: &str) -> Vec<Vec<Word>> {
    let ws = words(text);
    let mut out = Vec::new();
    let mut cur: Vec<Word> = Vec::new();
    let mut k = 0;
    while k < ws.len() {
        let w = &ws[k];
        if k > 0 {
            let gap = &text[ws[k - 1].end..w.start];
            if gap.contains(['.', ';', '!', '?', ',', '\n', ':']) && !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
        }
        let next = ws.get(k + 1).map(|n| n.norm.as_str());
        if matches!(
            w.norm.as_str(),
            "anything" | "everything" | "all" | "something"
        ) && next == Some("but")
        {
            cur.push(Word {
                norm: "no".into(),
                ..w.clone()
            });
            k += 2;
            continue;
        }
        if CLAUSE_BREAKS.contains(&w.norm.as_str())
            || (w.norm == "and" && next.is_some_and(|n| NEGATIONS.contains(&n)))
        {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
        } else {
            cur.push(w.clone());
        }
        k += 1;
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Understands one answer against a catalog's names.
pub fn understand(text: &str, names: &MentionIndex) -> Understanding {
    let mut u = Understanding::default();
    let all = words(text);
    u.revision = revision(&all);
    // "No, I meant …" corrects the previous message; it does not answer the question.
    u.reply = reply(&all).filter(|_| u.revision.is_none());
    u.follow_up = follow_up(&all);
    u.time_budget_minutes = time_budget(&all);
    let mut positive: Vec<String> = Vec::new();
    let mut phrases: Vec<String> = Vec::new();
    for clause in clauses(text) {
        // A correction's own "no" ("no, I meant X") negates nothing after it.
        let revised_at = (u.revision == Some(Revision::Correction))
            .then(|| {
                clause
                    .iter()
                    .position(|w| matches!(w.norm.as_str(), "meant" | "mean" | "one"))
            })
            .flatten();
        let neg_at = clause.iter().enumerate().position(|(k, w)| {
            NEGATIONS.contains(&w.norm.as_str()) && revised_at.is_none_or(|r| k > r)
        });
        let against = clause
            .iter()
            .any(|w| VERDICTS_AGAINST.contains(&w.norm.as_str()));
        let mut mentions: Vec<_> = names
            .find_in(&clause)
            .into_iter()
            .filter(|m| !verb_read_as_tag(&clause, m))
            .collect();
        // Words naming an item or creator carry their own signal; tag words
        // stay in the text too, since they are themes.
        let mut named = vec![false; clause.len()];
        for m in &mentions {
            if !matches!(m.target, Target::Tag(_)) {
                named[m.start..m.end].iter_mut().for_each(|c| *c = true);
            }
        }
        // Occasions, moods and audiences are facets; only the mood words
        // that describe content ("scary", "funny") are themes as well.
        for f in occasion::find(&clause, &named) {
            if f.situation {
                // "On holiday" is a situation, not the catalog's tag
                // "holiday" (Christmas); "an adult book" is not "young-adult".
                mentions.retain(|m| {
                    !(matches!(m.target, Target::Tag(_)) && m.start < f.end && f.start < m.end)
                });
            }
            let negative = against || neg_at.is_some_and(|n| n < f.start);
            for &facet in f.wants {
                push(
                    if negative {
                        &mut u.avoided_facets
                    } else {
                        &mut u.wanted_facets
                    },
                    facet,
                );
            }
            u.grown_up |= f.grown_up && !negative;
            if !f.theme {
                named[f.start..f.end].iter_mut().for_each(|c| *c = true);
            }
        }
        for m in &mentions {
            let negative = against || neg_at.is_some_and(|n| n < m.start);
            match (&m.target, negative) {
                (Target::Item(i), false) => push(&mut u.liked_items, *i),
                (Target::Item(i), true) => push(&mut u.disliked_items, *i),
                (Target::Tag(t), false) => push(&mut u.wanted_tags, *t),
                (Target::Tag(t), true) => push(&mut u.avoided_tags, *t),
                (Target::Creator(c), false) => push(&mut u.wanted_creators, c.clone()),
                (Target::Creator(c), true) => push(&mut u.avoided_creators, c.clone()),
            }
        }
        let split = if against {
            0
        } else {
            neg_at.unwrap_or(clause.len())
        };
        let content = |k: usize| {
            let w = clause[k].norm.as_str();
            let revising = u.revision.is_some() && REVISION_WORDS.contains(&w);
            !(named[k] || FILLER.contains(&w) || revising)
        };
        let pos: Vec<String> = (0..split)
            .filter(|&k| content(k))
            .map(|k| clause[k].norm.clone())
            .collect();
        if !pos.is_empty() {
            positive.push(pos.join(" "));
            // The visitor's own words, quoted from the first to the last content word.
            let first = (0..split).find(|&k| content(k));
            let last = (0..split).rev().find(|&k| content(k));
            if let (Some(f), Some(l)) = (first, last) {
                if (f..=l).all(|k| !named[k]) {
                    phrases.push(text[clause[f].start..clause[l].end].to_string());
                }
            }
        }
        if let Some(n) = neg_at.filter(|_| !against) {
            let negated: Vec<String> = (n + 1..clause.len())
                .filter(|&k| content(k))
                .map(|k| clause[k].norm.clone())
                .filter(|w| {
                    !NEGATIONS.contains(&w.as_str())
                        && !matches!(
                            w.as_str(),
                            "too" | "so" | "very" | "much" | "any" | "more" | "with"
                        )
                })
                .filter(|w| {
                    !mentions.iter().any(|m| {
                        matches!(m.target, Target::Tag(_))
                            && clause[m.start..m.end].iter().any(|x| x.norm == *w)
                    })
                })
                .collect();
            if !negated.is_empty() && negated.len() <= 6 {
                u.negative_phrases.push(negated.join(" "));
            }
        }
    }
    // A bare reply ("yes", "the second") or follow-up is not a theme.
    if u.reply.is_some() && all.len() <= 4 || u.follow_up.is_some() && all.len() <= 6 {
        positive.clear();
        phrases.clear();
        u.negative_phrases.clear();
    }
    // "A quick read" is already the follow-up "shorter".
    if matches!(u.follow_up, Some(FollowUp::Shorter | FollowUp::Longer)) {
        u.wanted_facets
            .retain(|f| !matches!(f, Facet::Short | Facet::Long));
    }
    // "Scary but not too gory": the wish named outright stands; the
    // negation qualifies it (and its words go to the encoder's aversion).
    u.avoided_facets.retain(|f| !u.wanted_facets.contains(f));
    u.positive_text = positive.join(", ");
    u.theme_phrase = phrases.into_iter().max_by_key(|p| p.len());
    if let Some(kind) = small_talk(&all, &u) {
        u.small_talk = Some(kind);
        u.reply = None;
        u.positive_text.clear();
        u.theme_phrase = None;
        u.negative_phrases.clear();
    }
    u
}

/// "I *love* Jane Austen": a taste verb after its subject is the verb, not
/// a catalog's tag of the same spelling ("love").
fn verb_read_as_tag(clause: &[Word], m: &crate::core::mentions::Mention) -> bool {
    const VERBS: &[&str] = &[
        "love", "loved", "loves", "like", "liked", "likes", "enjoy", "enjoyed", "enjoys", "hate",
        "hated", "hates", "adore", "adored", "adores",
    ];
    const SUBJECTS: &[&str] = &[
        "i",
        "we",
        "you",
        "they",
        "he",
        "she",
        "who",
        "really",
        "also",
        "just",
        "absolutely",
        "totally",
        "do",
        "did",
        "dont",
        "didnt",
        "would",
        "to",
        "daughter",
        "son",
        "wife",
        "husband",
        "friend",
        "mom",
        "dad",
        "kid",
        "kids",
    ];
    matches!(m.target, Target::Tag(_))
        && m.end == m.start + 1
        && VERBS.contains(&clause[m.start].norm.as_str())
        && m.start > 0
        && SUBJECTS.contains(&clause[m.start - 1].norm.as_str())
}

/// A correction ("no, I meant X", "sorry, I mean X", "wrong one") or a
/// change of mind ("actually, something funny instead", "forget that",
/// "scratch that", "on second thought", "start over").
fn revision(ws: &[Word]) -> Option<Revision> {
    let opens_with = |w: &[&str]| ws.first().is_some_and(|x| w.contains(&x.norm.as_str()));
    if has(ws, &["i", "meant"]).is_some()
        || has(ws, &["wrong", "one"]).is_some()
        || has(ws, &["not", "that", "one"]).is_some()
        || opens_with(&["no", "sorry", "oops", "nope"]) && has(ws, &["i", "mean"]).is_some()
    {
        return Some(Revision::Correction);
    }
    let change = ["instead"].iter().any(|w| ws.iter().any(|x| x.norm == *w))
        || has(ws, &["changed", "my", "mind"]).is_some()
        || has(ws, &["change", "of", "plan"]).is_some()
        || has(ws, &["scratch", "that"]).is_some()
        || has(ws, &["second", "thought"]).is_some()
        || has(ws, &["second", "thoughts"]).is_some()
        || has(ws, &["start", "over"]).is_some()
        || has(ws, &["start", "again"]).is_some()
        || ["that", "it", "about"]
            .iter()
            .any(|w| has(ws, &["forget", w]).is_some());
    change.then_some(Revision::ChangeOfMind)
}

/// Small talk: a message made only of a greeting's, thanks' or not-knowing's
/// words, naming nothing in the catalog and answering nothing. Emoji and
/// punctuation are not words, so they do not count either way.
fn small_talk(all: &[Word], u: &Understanding) -> Option<SmallTalk> {
    if all.is_empty() || all.len() > 8 || u.names_something() || u.time_budget_minutes.is_some() {
        return None;
    }
    // Every word is one of the kind's, and one of them makes it that kind.
    let is = |(keys, others): (&[&str], &[&str])| {
        all.iter().all(|x| {
            let w = x.norm.as_str();
            keys.contains(&w) || others.contains(&w)
        }) && all.iter().any(|x| keys.contains(&x.norm.as_str()))
    };
    // "I don't know" reads as a "no" to the reply parser: not knowing wins.
    if is(UNSURE) && u.follow_up.is_none() && matches!(u.reply, None | Some(Reply::No)) {
        return Some(SmallTalk::Unsure);
    }
    if u.follow_up.is_some() || u.reply.is_some() {
        return None;
    }
    if is(THANKS) {
        Some(SmallTalk::Thanks)
    } else if is(GREETING) {
        Some(SmallTalk::Greeting)
    } else if all.iter().all(|x| THANKS.1.contains(&x.norm.as_str())) {
        // "great", "cool": an acknowledgement.
        Some(SmallTalk::Thanks)
    } else if is(VAGUE) {
        Some(SmallTalk::Vague)
    } else {
        None
    }
}

fn push<T: PartialEq>(v: &mut Vec<T>, x: T) {
    if !v.contains(&x) {
        v.push(x);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::catalog::TagStat;
    use crate::core::catalog::{Catalog, Item};

    fn index() -> MentionIndex {
        let b = |id: &str, t: &str, a: &str| Item {
            id: id.into(),
            title: t.into(),
            creators: vec![a.into()],
            public_ratings: Some(10),
            ..Item::default()
        };
        let c = Catalog::new(vec![
            b("1", "Dune (Dune Chronicles, #1)", "Frank Herbert"),
            b("2", "Twilight (Twilight, #1)", "Stephenie Meyer"),
            b("3", "1984", "George Orwell"),
        ])
        .unwrap();
        let tag = |n: &str| TagStat {
            name: n.into(),
            items: 1,
            aliases: vec![],
        };
        MentionIndex::build(
            &c,
            &[
                tag("romance"),
                tag("horror"),
                tag("fantasy"),
                tag("love"),
                tag("holiday"),
            ],
        )
    }

    #[test]
    fn corrections_and_changes_of_mind() {
        let idx = index();
        let u = understand("no, I meant Twilight", &idx);
        assert_eq!(u.revision, Some(Revision::Correction));
        assert_eq!(u.reply, None, "the correction's no answers nothing");
        assert_eq!(u.liked_items, vec![1]);
        assert!(u.positive_text.is_empty(), "{:?}", u.positive_text);
        // Without the comma, the "no" still negates nothing after "meant".
        let u = understand("no I meant Twilight", &idx);
        assert_eq!((u.liked_items, u.disliked_items), (vec![1], vec![]));
        assert_eq!(
            understand("wrong one, I meant Dune", &idx).revision,
            Some(Revision::Correction)
        );
        for change in [
            "actually, something funny instead",
            "forget that, horror",
            "scratch that: fantasy",
            "on second thought, romance",
            "I changed my mind",
            "let's start over",
        ] {
            let u = understand(change, &idx);
            assert_eq!(u.revision, Some(Revision::ChangeOfMind), "{change}");
            assert_eq!(u.reply, None, "{change}");
        }
        let u = understand("actually, something funny instead", &idx);
        assert_eq!(u.wanted_facets, vec![Facet::Light]);
        assert_eq!(u.positive_text, "funny");
        // Plain requests revise nothing; "no" stays an answer.
        for plain in ["I loved Dune", "no", "no romance", "I mean it, horror"] {
            assert_eq!(understand(plain, &idx).revision, None, "{plain}");
        }
        assert_eq!(understand("no", &idx).reply, Some(Reply::No));
    }

    #[test]
    fn a_taste_verb_is_not_the_tag_of_the_same_spelling() {
        let idx = index();
        let u = understand("I love Frank Herbert", &idx);
        assert!(u.wanted_tags.is_empty(), "{:?}", u.wanted_tags);
        assert_eq!(u.wanted_creators, vec!["Frank Herbert".to_string()]);
        let u = understand("for my daughter who loves horses", &idx);
        assert!(u.wanted_tags.is_empty(), "{:?}", u.wanted_tags);
        // As a subject it is the tag.
        assert_eq!(understand("a love story", &idx).wanted_tags, vec![3]);
    }

    #[test]
    fn a_title_of_digits_is_a_title_unless_it_reads_as_a_year() {
        let idx = index();
        assert_eq!(understand("I loved 1984", &idx).liked_items, vec![2]);
        assert_eq!(understand("1984", &idx).liked_items, vec![2]);
        assert!(understand("horror from 1984", &idx).liked_items.is_empty());
    }

    #[test]
    fn hesitation_is_nothing_to_go_on() {
        let idx = index();
        for h in ["hmm", "umm", "uh", "erm..."] {
            assert!(understand(h, &idx).is_empty(), "{h}");
        }
    }

    #[test]
    fn small_talk_is_answered_in_kind_and_never_a_theme() {
        let idx = index();
        for (text, kind) in [
            ("hi", SmallTalk::Greeting),
            ("Hello there!", SmallTalk::Greeting),
            ("good morning :)", SmallTalk::Greeting),
            ("how are you?", SmallTalk::Greeting),
            ("thanks!", SmallTalk::Thanks),
            ("thank you so much", SmallTalk::Thanks),
            ("I don't know", SmallTalk::Unsure),
            ("no idea", SmallTalk::Unsure),
            ("idk", SmallTalk::Unsure),
            ("any suggestions?", SmallTalk::Vague),
            ("give me some ideas", SmallTalk::Vague),
            ("what do you have?", SmallTalk::Vague),
            ("something good please", SmallTalk::Vague),
            ("I'm bored", SmallTalk::Vague),
        ] {
            let u = understand(text, &idx);
            assert_eq!(u.small_talk, Some(kind), "{text}");
            assert!(
                u.is_empty(),
                "{text}: nothing to match against the catalog: {u:?}"
            );
        }
        // Not small talk: a real answer with a greeting in it, a bare "no"
        // to a question, a title, and a theme that happens to share a word.
        let u = understand("Hello, I loved Dune", &idx);
        assert_eq!(u.small_talk, None);
        assert_eq!(u.liked_items, vec![0]);
        assert!(u.positive_text.is_empty(), "{u:?}");
        assert_eq!(understand("no", &idx).reply, Some(Reply::No));
        assert_eq!(understand("no", &idx).small_talk, None);
        assert_eq!(understand("Dune", &idx).small_talk, None);
        assert_eq!(understand("something scary", &idx).small_talk, None);
        let u = understand("a cozy read for a rainy morning", &idx);
        assert_eq!(u.small_talk, None);
        assert!(u.positive_text.contains("morning"), "{u:?}");
        // Emoji alone carry no words: empty, but not mistaken for a greeting.
        let u = understand("🙂🙂", &idx);
        assert!(u.is_empty() && u.small_talk.is_none());
    }

    #[test]
    fn occasions_moods_and_audiences_are_facets_not_themes() {
        let idx = index();
        let u = understand("something light", &idx);
        assert_eq!(u.wanted_facets, vec![Facet::Light]);
        assert_eq!(u.positive_text, "", "the encoder would read it as dark");
        assert_eq!(u.small_talk, None);
        let u = understand("a fantasy book to read on the beach this summer", &idx);
        assert_eq!(u.wanted_facets, vec![Facet::Light, Facet::Gripping]);
        assert_eq!(u.wanted_tags.len(), 1, "fantasy");
        assert!(!u.positive_text.contains("beach") && !u.positive_text.contains("summer"));
        let u = understand(
            "something for my 10 year old daughter who loves horses",
            &idx,
        );
        assert_eq!(u.wanted_facets, vec![Facet::Children]);
        assert_eq!(u.positive_text, "horses");
        let u = understand("horror, but nothing too dark", &idx);
        assert_eq!(u.avoided_facets, vec![Facet::Dark]);
        assert!(u.wanted_facets.is_empty());
        let u = understand("not for kids", &idx);
        assert_eq!(u.avoided_facets, vec![Facet::Children]);
        assert!(understand("romance for my dad", &idx).grown_up);
        // A situation's words are not the catalog's tags of that spelling.
        let u = understand("horror for the holidays, nothing childish", &idx);
        assert_eq!(u.wanted_tags.len(), 1, "horror only: {:?}", u.wanted_tags);
        assert_eq!(u.avoided_facets, vec![Facet::Children]);
        // "A quick read" is the follow-up, not also a facet (no double shift).
        let u = understand("a quick read", &idx);
        assert_eq!(u.follow_up, Some(FollowUp::Shorter));
        assert!(u.wanted_facets.is_empty());
        let u = understand("something short and funny", &idx);
        assert_eq!(u.wanted_facets, vec![Facet::Short, Facet::Light]);
        // A title's words are the title's ("Twilight" is not a mood; a
        // title with a mood word in it would be the title too).
        let u = understand("I loved Twilight, something light please", &idx);
        assert_eq!(u.liked_items, vec![1]);
        assert_eq!(u.wanted_facets, vec![Facet::Light]);
    }

    #[test]
    fn titles_themes_and_negation() {
        let idx = index();
        let u = understand(
            "I loved Dune for its world-building and political intrigue",
            &idx,
        );
        assert_eq!(u.liked_items, vec![0]);
        assert_eq!(u.positive_text, "world building political intrigue");
        assert_eq!(
            u.theme_phrase.as_deref(),
            Some("world-building and political intrigue")
        );
        assert!(u.negative_phrases.is_empty() && u.disliked_items.is_empty());

        let u = understand("Fantasy please, but no romance and not too violent", &idx);
        assert_eq!(u.wanted_tags, vec![2]);
        assert_eq!(u.avoided_tags, vec![0]);
        assert_eq!(u.negative_phrases, vec!["violent".to_string()]);

        let u = understand("anything but horror", &idx);
        assert_eq!(u.avoided_tags, vec![1]);
        assert!(u.wanted_tags.is_empty());

        let u = understand("I loved Dune but I didn't like Twilight", &idx);
        assert_eq!(u.liked_items, vec![0]);
        assert_eq!(u.disliked_items, vec![1]);
        let u = understand("Twilight was awful", &idx);
        assert_eq!(u.disliked_items, vec![1]);

        let u = understand("nothing by Stephenie Meyer", &idx);
        assert_eq!(u.avoided_creators, vec!["Stephenie Meyer".to_string()]);
    }

    #[test]
    fn follow_ups_replies_and_budgets() {
        let idx = index();
        assert_eq!(
            understand("any similar options?", &idx).follow_up,
            Some(FollowUp::Similar)
        );
        assert_eq!(
            understand("more like the second one", &idx).follow_up,
            Some(FollowUp::MoreLike(1))
        );
        assert_eq!(
            understand("something different", &idx).follow_up,
            Some(FollowUp::Different)
        );
        assert_eq!(
            understand("shorter please", &idx).follow_up,
            Some(FollowUp::Shorter)
        );
        assert_eq!(
            understand("any hidden gems?", &idx).follow_up,
            Some(FollowUp::LessPopular)
        );
        assert_eq!(understand("yes", &idx).reply, Some(Reply::Yes));
        assert_eq!(understand("Not really", &idx).reply, Some(Reply::No));
        assert_eq!(understand("the third", &idx).reply, Some(Reply::Pick(2)));
        assert_eq!(
            understand("none of them", &idx).reply,
            Some(Reply::NoneOfThem)
        );
        assert_eq!(
            understand("I have an hour tonight", &idx).time_budget_minutes,
            Some(60)
        );
        assert_eq!(understand("20 minutes", &idx).time_budget_minutes, Some(20));
        assert!(understand("", &idx).is_empty());
        assert!(understand("   ?!  ", &idx).is_empty());
        assert!(understand("yes", &idx).positive_text.is_empty());
    }
}
