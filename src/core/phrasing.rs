//! Grounded phrasing: a small language model rewrites what the engine
//! decided (the clarifying question it chose, the reason for a
//! recommendation) so it sounds like a friend, and a guard checks every
//! output before it is shown. The model decides nothing: the prompt carries
//! exactly the engine's facts, and the guard rejects any output that names a
//! title or an author outside them, drops the fact that matters, names an
//! avoided topic, or runs long. A rejected output is replaced by the
//! engine's own template sentence, and the counts are kept.

use serde::Serialize;

use crate::core::catalog::Catalog;
use crate::core::catalog::TagStat;
use crate::core::graph::name_key;
use crate::core::mentions::{title_variants, MentionIndex, Target};
use crate::core::profile::{Pending, Profile};
use crate::core::session::{Engine, Recommendation, Reply};
use crate::core::words::Words;

/// What the guard checks names against: the catalog's titles, creators and tags.
#[derive(Debug, Clone, Copy)]
pub struct Grounding<'a> {
    /// Finds titles, creators and tags in text.
    pub names: &'a MentionIndex,
    /// The items the names point to.
    pub catalog: &'a Catalog,
    /// The tag vocabulary (indexes of tag mentions).
    pub tags: &'a [TagStat],
    /// The catalog's own words, so the prompt speaks of films, songs or
    /// books as the catalog does.
    pub words: &'a Words,
}

impl<'a> Grounding<'a> {
    /// What an engine's replies are checked against: its name index,
    /// catalog, tags and words.
    pub fn of(engine: &'a Engine) -> Grounding<'a> {
        Grounding {
            names: engine.names(),
            catalog: engine.catalog(),
            tags: &engine.bundle().attributes.tags,
            words: engine.words(),
        }
    }
}

/// Longest accepted output, in words.
pub const MAX_WORDS: usize = 40;
/// Longest accepted output, in characters.
pub const MAX_CHARS: usize = 260;
/// Tokens a phrasing may take before it is cut (and then rejected as too long).
pub const MAX_TOKENS: usize = 60;

/// What a sentence is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// The clarifying question the engine chose.
    Question,
    /// The reason for one recommendation.
    Explanation,
}

/// The kind of sentence, which picks the worked examples in the prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// "Readers who liked X also liked this."
    ReadersLikeYou,
    /// Next in / from a series the visitor liked.
    Series,
    /// Close to the visitor's own words.
    Theme,
    /// By a creator the visitor liked or asked for.
    Creator,
    /// Carries the asked-for tags.
    Tags,
    /// Widely read.
    Popular,
    /// No specific signal: a general reason.
    General,
    /// "Are you in the mood for …?"
    TagQuestion,
    /// "Which of these appeals most: …?"
    ItemsQuestion,
}

/// Everything a phrased sentence may say: the engine's facts, nothing else.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Facts {
    /// Question or explanation.
    pub purpose: Purpose,
    /// Which kind of question or explanation.
    pub kind: Kind,
    /// The engine's template sentence: the fallback, and the model's input.
    pub template: String,
    /// The recommended item's title (explanations).
    pub item: Option<String>,
    /// Titles the sentence may name.
    pub titles: Vec<String>,
    /// Creators the sentence may name.
    pub creators: Vec<String>,
    /// Topics (tags, in plain words) the sentence may name.
    pub topics: Vec<String>,
    /// The visitor's own words, if quoted.
    pub phrase: Option<String>,
    /// Titles the sentence must keep (the liked book behind a reason, the
    /// options of a question): without them the reason or the choice is lost.
    pub required: Vec<String>,
    /// The topic a yes/no question is about: it must stay in the question.
    pub asked_topic: Option<String>,
    /// What the visitor avoids: never named.
    pub avoided: Vec<String>,
}

/// Why an output was not shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum Rejection {
    /// Nothing usable came out (fewer than three words).
    #[error("empty output")]
    Empty,
    /// Longer than the limits.
    #[error("too long")]
    TooLong,
    /// Talks about itself ("as an AI", "I'm sorry") instead of the books.
    #[error("off topic: {0}")]
    OffTopic(String),
    /// Names a title or an author that is not one of the facts.
    #[error("names something not in the facts: {0}")]
    Invented(String),
    /// Lost the fact the sentence is about.
    #[error("leaves out {0}")]
    Missing(String),
    /// Names a topic the visitor avoids.
    #[error("names an avoided topic: {0}")]
    Avoided(String),
    /// A question that no longer asks.
    #[error("not a question")]
    NotAQuestion,
    /// Says the same thing twice ("fans of Dune fans of Dune").
    #[error("repeats itself")]
    Repetitive,
    /// The model failed to run.
    #[error("the model failed: {0}")]
    Failed(String),
}

/// A sentence ready to show, and how it came about.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Phrased {
    /// What to show: the generated sentence if it passed, else the template.
    pub text: String,
    /// The model's output as generated (empty when it was not run).
    pub generated: String,
    /// True when the generated sentence is shown.
    pub kept: bool,
    /// Why it was rejected.
    pub rejection: Option<Rejection>,
}

/// Counts of kept and rejected outputs, reported to the visitor's page and
/// in the benchmarks.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PhrasingStats {
    /// Outputs shown.
    pub kept: u32,
    /// Outputs replaced by the template.
    pub rejected: u32,
    /// Rejections by reason.
    pub reasons: std::collections::BTreeMap<String, u32>,
}

impl PhrasingStats {
    /// Counts one result.
    pub fn add(&mut self, p: &Phrased) {
        match &p.rejection {
            None => self.kept += 1,
            Some(r) => {
                self.rejected += 1;
                let key = match r {
                    Rejection::Empty => "empty",
                    Rejection::TooLong => "too_long",
                    Rejection::OffTopic(_) => "off_topic",
                    Rejection::Invented(_) => "invented",
                    Rejection::Missing(_) => "missing",
                    Rejection::Avoided(_) => "avoided",
                    Rejection::NotAQuestion => "not_a_question",
                    Rejection::Repetitive => "repetitive",
                    Rejection::Failed(_) => "failed",
                };
                *self.reasons.entry(key.to_string()).or_default() += 1;
            }
        }
    }

    /// Share of outputs rejected (0 when none were made).
    pub fn rejection_rate(&self) -> f32 {
        let n = self.kept + self.rejected;
        if n == 0 {
            0.0
        } else {
            self.rejected as f32 / n as f32
        }
    }
}

/// Anything that continues a prompt: the language model, or a stand-in in tests.
pub trait Generator {
    /// Continues `prompt` by at most `max_tokens`, passing each new piece of
    /// text to `on_text` (false stops); returns the whole text.
    fn generate(
        &mut self,
        prompt: &str,
        max_tokens: usize,
        on_text: &mut dyn FnMut(&str) -> bool,
    ) -> Result<String, String>;
}

impl Generator for crate::core::llm::Llm {
    fn generate(
        &mut self,
        prompt: &str,
        max_tokens: usize,
        on_text: &mut dyn FnMut(&str) -> bool,
    ) -> Result<String, String> {
        crate::core::llm::Llm::generate(self, prompt, max_tokens, on_text)
            .map(|g| g.text)
            .map_err(|e| e.to_string())
    }
}

fn plain(tag: &str) -> String {
    tag.replace('-', " ")
}

/// What the visitor avoids, in plain words.
pub fn avoided(p: &Profile) -> Vec<String> {
    let mut out: Vec<String> = p
        .controls
        .avoid_topics
        .iter()
        .chain(&p.avoided_tags)
        .map(|t| plain(t))
        .collect();
    out.extend(p.avoided_creators.iter().cloned());
    out.sort();
    out.dedup();
    out
}

/// The facts of a recommendation's explanation.
pub fn explanation_facts(rec: &Recommendation, avoided: Vec<String>) -> Facts {
    let because = &rec.because;
    let mut creators = because.creators.clone();
    creators.extend(rec.creators.iter().cloned());
    let mut topics: Vec<String> = because.tags.iter().map(|t| plain(t)).collect();
    topics.extend(rec.tags.iter().map(|t| plain(t)));
    use crate::core::rank::Signal;
    let kind = match because.signal {
        Signal::Series => Kind::Series,
        Signal::Creator => Kind::Creator,
        Signal::ReadersLikeYou => Kind::ReadersLikeYou,
        Signal::Theme if because.phrase.is_some() => Kind::Theme,
        Signal::Theme | Signal::Tags => Kind::Tags,
        Signal::Popular => Kind::Popular,
        Signal::General => Kind::General,
    };
    Facts {
        purpose: Purpose::Explanation,
        kind,
        template: because.text.clone(),
        item: Some(rec.title.clone()),
        titles: because.items.clone(),
        creators,
        topics,
        phrase: because.phrase.clone(),
        required: because.items.clone(),
        asked_topic: None,
        avoided,
    }
}

/// The facts of the engine's clarifying question.
pub fn question_facts(
    question: &str,
    about: &Pending,
    catalog: &Catalog,
    avoided: Vec<String>,
) -> Facts {
    let (titles, topic) = match about {
        Pending::Tag { tag } => (Vec::new(), Some(plain(tag))),
        Pending::Items { ids } => (
            ids.iter()
                .filter_map(|id| catalog.index_of(id).and_then(|i| catalog.get(i)))
                .map(|x| x.title.clone())
                .collect(),
            None,
        ),
    };
    Facts {
        purpose: Purpose::Question,
        kind: if topic.is_some() {
            Kind::TagQuestion
        } else {
            Kind::ItemsQuestion
        },
        template: question.to_string(),
        item: None,
        titles: titles.clone(),
        creators: Vec::new(),
        topics: topic.iter().cloned().collect(),
        phrase: None,
        required: titles,
        asked_topic: topic,
        avoided,
    }
}

/// Standing instructions: fixed for a catalog, so the model's cache of it is
/// reused from one sentence to the next.
fn system(w: &Words) -> String {
    format!(
        "You are a friendly guide to a collection of {}. Say the given reason to a visitor \
in one short, warm sentence. Keep every title exactly. Add nothing new.",
        w.items
    )
}

/// Two worked examples per kind of sentence: a 135M-parameter model copies
/// the shape of an example far better than it follows instructions
/// (measured: docs/BENCHMARKS.md §5). Written in the catalog's own words;
/// the example titles are ones that exist as books and as films alike, so no
/// domain's verbs leak into another's.
fn examples(kind: Kind, w: &Words) -> [(String, String); 2] {
    let (item, items, people, made) = (
        w.item.as_str(),
        w.items.as_str(),
        cap(&w.people),
        w.made.as_str(),
    );
    let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
    match kind {
        Kind::ReadersLikeYou => [
            pair(&format!("Item: Gone Girl. Reason: {people} who liked The Girl on the Train also liked Gone Girl."),
             "If The Girl on the Train hooked you, Gone Girl should too."),
            pair(&format!("Item: Matilda. Reason: {people} who liked The BFG also liked Matilda."),
             "Lots of people who loved The BFG went on to love Matilda."),
        ],
        Kind::Series => [
            pair("Item: The Two Towers. Reason: Next in the The Lord of the Rings series, after The Fellowship of the Ring, which you liked.",
             "You enjoyed The Fellowship of the Ring, so The Two Towers is next."),
            pair("Item: Catching Fire. Reason: Next in the The Hunger Games series, after The Hunger Games, which you liked.",
             "Since you liked The Hunger Games, Catching Fire picks up the story."),
        ],
        Kind::Theme => [
            pair("Item: Emma. Reason: Close to what you described: \u{201c}witty village romance\u{201d}.",
             "Emma is a close match for the witty village romance you described."),
            pair("Item: The Martian. Reason: Close to what you described: \u{201c}survival in space\u{201d}.",
             "The Martian fits the survival in space you asked for."),
        ],
        Kind::Creator => [
            pair(&format!("Item: Emma. Reason: Also by Jane Austen, who {made} Persuasion."),
             "Emma is by Jane Austen too, like Persuasion."),
            pair(&format!("Item: Carrie. Reason: Also by Stephen King, who {made} Misery."),
             "Carrie is another Stephen King, like Misery."),
        ],
        Kind::Tags => [
            pair("Item: The Martian. Reason: Science fiction and survival, as you asked.",
             "The Martian is the science fiction and survival you asked for."),
            pair("Item: Rebecca. Reason: Gothic, as you asked.",
             &format!("Rebecca is just the gothic {item} you asked for.")),
        ],
        Kind::Popular => [
            pair("Item: Matilda. Reason: Widely loved: one of the most popular here (600,000 ratings).",
             &format!("Matilda is one of the most loved {items} here.")),
            pair("Item: Dracula. Reason: Widely loved: one of the most popular here (700,000 ratings).",
             &format!("Dracula is a favourite of many {} here.", w.people)),
        ],
        Kind::General => [
            pair("Item: Emma. Reason: A strong match overall for what you have told me so far.",
             "Emma is a strong all-round match for what you've told me."),
            pair("Item: Dracula. Reason: A good place to start.",
             "Dracula is a good place to start."),
        ],
        Kind::TagQuestion => [
            pair(&format!("Question: Are you in the mood for {items} tagged \u{201c}historical fiction\u{201d}?"),
             "Do you feel like some historical fiction?"),
            pair(&format!("Question: Are you in the mood for {items} tagged \u{201c}humor\u{201d}?"),
             "Would you like something with humor?"),
        ],
        Kind::ItemsQuestion => [
            pair(&format!("Question: To narrow it down: which of these {items} appeals most: Emma, Dracula or Matilda? (Or none of them.)"),
             "Which of these sounds best to you: Emma, Dracula or Matilda?"),
            pair(&format!("Question: To narrow it down: which of these {items} appeals most: Carrie, Persuasion or The Martian? (Or none of them.)"),
             "Any of these take your fancy: Carrie, Persuasion or The Martian?"),
        ],
    }
}

/// The first letter in upper case ("viewers" → "Viewers").
fn cap(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// A title without its series suffix ("Dune (Dune Chronicles, #1)" → "Dune"):
/// what a friend would say, and easier for a small model to keep intact.
fn short(title: &str) -> String {
    let (base, _) = crate::core::catalog::parse_series(title);
    let base = base.trim();
    if base.is_empty() {
        title.to_string()
    } else {
        base.to_string()
    }
}

/// The template with every fact title in its short form.
fn short_template(f: &Facts) -> String {
    let mut t = f.template.clone();
    for title in f.titles.iter().chain(f.item.iter()) {
        t = t.replace(title.as_str(), &short(title));
    }
    // "…also liked this." names the book, so the rewrite keeps it.
    if let Some(item) = &f.item {
        t = t.replace("liked this.", &format!("liked {}.", short(item)));
    }
    t
}

/// The ChatML prompt for a set of facts (SmolLM2's template).
pub fn prompt(f: &Facts, w: &Words) -> String {
    let mut s = format!("<|im_start|>system\n{}<|im_end|>\n", system(w));
    for (user, assistant) in examples(f.kind, w) {
        s.push_str(&format!(
            "<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n{assistant}<|im_end|>\n"
        ));
    }
    let user = match &f.item {
        Some(item) => format!("Item: {}. Reason: {}", short(item), short_template(f)),
        None => format!("Question: {}", short_template(f)),
    };
    s.push_str(&format!(
        "<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n"
    ));
    s
}

fn lower_words(s: &str) -> String {
    s.to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// True when `needle`'s words appear in order, whole, in `hay` (both lowered).
fn contains_words(hay: &str, needle: &str) -> bool {
    let n = lower_words(needle);
    !n.is_empty() && format!(" {} ", lower_words(hay)).contains(&format!(" {n} "))
}

/// True when some form of `title` (without its series, article or year) is in `text`.
fn names_title(text: &str, title: &str) -> bool {
    title_variants(title)
        .iter()
        .any(|ws| contains_words(text, &ws.join(" ")))
        || contains_words(text, title)
}

fn same_title(a: &str, b: &str) -> bool {
    let va = title_variants(a);
    title_variants(b).iter().any(|w| va.contains(w))
}

/// First paragraph, without wrapping quotes.
fn clean(output: &str) -> String {
    let text = output.trim().lines().next().unwrap_or("").trim();
    text.trim_matches(|c| matches!(c, '"' | '\u{201c}' | '\u{201d}'))
        .trim()
        .to_string()
}

/// The checks that can fail as soon as the words are there: length, talk
/// about itself, names outside the facts, avoided topics. Run on every
/// streamed prefix, so nothing they forbid is ever displayed for long.
fn check_words(f: &Facts, text: &str, g: &Grounding) -> Result<(), Rejection> {
    if text.chars().count() > MAX_CHARS || text.split_whitespace().count() > MAX_WORDS {
        return Err(Rejection::TooLong);
    }
    let lower = text.to_lowercase();
    for meta in [
        "as an ai",
        "language model",
        "i'm sorry",
        "i am sorry",
        "i cannot",
        "i can't",
        "assistant",
        "rewrite",
        "sentence:",
        "facts:",
    ] {
        if lower.contains(meta) {
            return Err(Rejection::OffTopic(meta.to_string()));
        }
    }
    for a in &f.avoided {
        // The template itself may name it ("…not horror"): then so may the rewrite.
        if contains_words(text, a) && !contains_words(&f.template, a) {
            return Err(Rejection::Avoided(a.clone()));
        }
    }
    // Every catalog title or creator it names must be one of the facts.
    let allowed_titles: Vec<&String> = f.titles.iter().chain(f.item.iter()).collect();
    let allowed_creators: Vec<String> = f.creators.iter().map(|c| name_key(c)).collect();
    // Exact names only: typo tolerance is for reading visitors, and would
    // read "Guide" as the surname "Guice".
    for m in g
        .names
        .find_in_sentence(text)
        .into_iter()
        .filter(|m| m.exact)
    {
        match m.target {
            Target::Item(i) => {
                let Some(item) = g.catalog.get(i) else {
                    continue;
                };
                let ok = allowed_titles.iter().any(|t| same_title(t, &item.title))
                    // A title that is also a topic, the visitor's words or in the template.
                    || f.topics.iter().any(|t| same_title(t, &item.title))
                    || f.phrase.as_deref().is_some_and(|ph| names_title(ph, &item.title))
                    || names_title(&f.template, &item.title);
                if !ok {
                    return Err(Rejection::Invented(item.title.clone()));
                }
            }
            Target::Creator(c) => {
                // The full name, or the surname of an allowed creator.
                let key = name_key(&c);
                let surname = key.split_whitespace().last().unwrap_or("");
                let ok = allowed_creators
                    .iter()
                    .any(|a| *a == key || a.split_whitespace().last() == Some(surname));
                if !ok {
                    return Err(Rejection::Invented(c));
                }
            }
            Target::Tag(t) => {
                // Describing the book with a topic it is not tagged with is a claim
                // the engine never made.
                let Some(stat) = g.tags.get(t) else { continue };
                let plain_name = plain(&stat.name);
                let ok = f.topics.contains(&plain_name)
                    || contains_words(&f.template, &plain_name)
                    || f.phrase
                        .as_deref()
                        .is_some_and(|ph| contains_words(ph, &plain_name));
                if !ok {
                    return Err(Rejection::Invented(plain_name));
                }
            }
        }
    }
    // Bracketed asides ("(Dune Chronicles #1)") must come from the facts too.
    for aside in bracketed(text) {
        let from_facts = allowed_titles.iter().any(|t| t.contains(aside.as_str()))
            || f.template.contains(aside.as_str());
        if !from_facts {
            return Err(Rejection::Invented(format!("({aside})")));
        }
    }
    // Anything it quotes must be quoted from the facts.
    for quoted in quoted_spans(text) {
        let from_facts = allowed_titles
            .iter()
            .any(|t| names_title(t, &quoted) || names_title(&quoted, t))
            || f.topics
                .iter()
                .any(|t| contains_words(t, &quoted) || contains_words(&quoted, t))
            || f.phrase
                .as_deref()
                .is_some_and(|ph| contains_words(ph, &quoted));
        if !from_facts {
            return Err(Rejection::Invented(quoted));
        }
    }
    Ok(())
}

/// Checks a generated sentence against its facts; returns the cleaned
/// sentence to show, or why it must not be shown.
pub fn check(f: &Facts, output: &str, g: &Grounding) -> Result<String, Rejection> {
    let text = clean(output);
    if text.split_whitespace().count() < 3 {
        return Err(Rejection::Empty);
    }
    check_words(f, &text, g)?;
    for t in &f.required {
        if !names_title(&text, t) {
            return Err(Rejection::Missing(t.clone()));
        }
    }
    // An explanation is about its book: it must name it.
    if let (Purpose::Explanation, Some(item)) = (f.purpose, &f.item) {
        if !names_title(&text, item) {
            return Err(Rejection::Missing(item.clone()));
        }
    }
    if repeats(&text) {
        return Err(Rejection::Repetitive);
    }
    if let Some(topic) = &f.asked_topic {
        let kept = contains_words(&text, topic)
            || topic
                .split_whitespace()
                .filter(|w| w.len() > 3)
                .any(|w| contains_words(&text, w));
        if !kept {
            return Err(Rejection::Missing(topic.clone()));
        }
    }
    if f.purpose == Purpose::Question && !text.trim_end().ends_with('?') {
        return Err(Rejection::NotAQuestion);
    }
    Ok(text)
}

/// True when a run of three words comes back, or the sentence names the
/// same thing twice over ("a series of Dune, which is a series of Dune").
fn repeats(text: &str) -> bool {
    let ws: Vec<String> = lower_words(text).split(' ').map(str::to_string).collect();
    let mut seen = std::collections::HashSet::new();
    ws.windows(3).any(|w| !seen.insert(w.join(" ")))
}

fn bracketed(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(a) = rest.find('(') {
        match rest[a + 1..].find(')') {
            Some(b) => {
                out.push(rest[a + 1..a + 1 + b].to_string());
                rest = &rest[a + 1 + b + 1..];
            }
            None => break,
        }
    }
    out
}

fn quoted_spans(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (open, close) in [('\u{201c}', '\u{201d}'), ('"', '"')] {
        let mut rest = text;
        while let Some(a) = rest.find(open) {
            let after = &rest[a + open.len_utf8()..];
            match after.find(close) {
                Some(b) => {
                    let q = after[..b].trim();
                    if !q.is_empty() {
                        out.push(q.to_string());
                    }
                    rest = &after[b + close.len_utf8()..];
                }
                None => break,
            }
        }
    }
    out
}

/// The guard of one phrasing while the model writes: fed the model's text
/// piece by piece, it says what is safe to show (whole words, each prefix
/// checked, so a forbidden name stops the model at once) and whether to go
/// on; [`PhraseGuard::finish`] then decides on the whole sentence. It holds
/// no model, so the model may live elsewhere — another wasm module in the
/// browser ([`phrase`] drives it with a [`Generator`] here).
#[derive(Debug, Clone)]
pub struct PhraseGuard {
    facts: Facts,
    all: String,
    shown: usize,
    early: Option<Rejection>,
}

impl PhraseGuard {
    /// A guard for one set of facts.
    pub fn new(facts: Facts) -> PhraseGuard {
        PhraseGuard {
            facts,
            all: String::new(),
            shown: 0,
            early: None,
        }
    }

    /// The facts being phrased.
    pub fn facts(&self) -> &Facts {
        &self.facts
    }

    /// The prompt to give the model, in the catalog's own words.
    pub fn prompt(&self, w: &Words) -> String {
        prompt(&self.facts, w)
    }

    /// Takes the model's next piece of text: returns the text that has
    /// become safe to show (possibly empty) and whether the model should go
    /// on (false at the end of the first paragraph or on a forbidden word).
    pub fn piece(&mut self, piece: &str, g: &Grounding) -> (String, bool) {
        if self.early.is_some() {
            return (String::new(), false);
        }
        self.all.push_str(piece);
        let all = &self.all;
        // Stop at the end of the first paragraph.
        let para_end = all
            .trim_start()
            .find('\n')
            .map(|i| i + (all.len() - all.trim_start().len()));
        let visible = match para_end {
            Some(end) => &all[..end],
            None => match all.rfind(char::is_whitespace) {
                Some(at) => &all[..at],
                None => "",
            },
        };
        if let Err(r) = check_words(&self.facts, &clean(visible), g) {
            self.early = Some(r);
            return (String::new(), false);
        }
        let mut fresh = String::new();
        if visible.len() > self.shown {
            fresh = visible[self.shown..].to_string();
            self.shown = visible.len();
        }
        (fresh, para_end.is_none())
    }

    /// The verdict once the model has stopped: `generated` is its whole
    /// output (or why it failed). Returns the result and, when the sentence
    /// is kept, the held-back end of it still to show.
    pub fn finish(self, generated: Result<String, String>, g: &Grounding) -> (Phrased, String) {
        let f = &self.facts;
        let generated = match generated {
            Ok(t) => t,
            Err(e) => {
                let failed = Phrased {
                    text: f.template.clone(),
                    generated: String::new(),
                    kept: false,
                    rejection: Some(Rejection::Failed(e)),
                };
                return (failed, String::new());
            }
        };
        let verdict = match self.early {
            Some(r) => Err(r),
            None => check(f, &generated, g),
        };
        match verdict {
            Ok(text) => {
                // The held-back last word, now that the whole sentence passed.
                let end = generated
                    .trim_start()
                    .find('\n')
                    .map_or(generated.len(), |i| {
                        i + (generated.len() - generated.trim_start().len())
                    });
                let rest = generated
                    .get(self.shown.min(end)..end)
                    .unwrap_or("")
                    .to_string();
                let kept = Phrased {
                    text,
                    generated,
                    kept: true,
                    rejection: None,
                };
                (kept, rest)
            }
            Err(r) => {
                let rejected = Phrased {
                    text: f.template.clone(),
                    generated,
                    kept: false,
                    rejection: Some(r),
                };
                (rejected, String::new())
            }
        }
    }
}

/// Phrases one set of facts: runs the model, checks the output, and falls
/// back to the template. `on_text` receives the text as it becomes safe to
/// show: whole words only, each prefix checked (a forbidden name stops the
/// model at once); the final check then decides. When the result is the
/// template, the caller replaces what it streamed.
pub fn phrase(
    model: &mut dyn Generator,
    f: &Facts,
    g: &Grounding,
    on_text: &mut dyn FnMut(&str) -> bool,
) -> Phrased {
    let mut guard = PhraseGuard::new(f.clone());
    let prompt = guard.prompt(g.words);
    let result = model.generate(&prompt, MAX_TOKENS, &mut |piece: &str| {
        let (fresh, more) = guard.piece(piece, g);
        if !fresh.is_empty() && !on_text(&fresh) {
            return false;
        }
        more
    });
    let (phrased, rest) = guard.finish(result, g);
    if !rest.is_empty() {
        on_text(&rest);
    }
    phrased
}

/// Results kept per conversation before the memo starts afresh.
pub const MEMO_LIMIT: usize = 256;

/// How phrasing a sentence starts.
#[derive(Debug, Clone, PartialEq)]
pub enum Begin {
    /// These facts were phrased before: the same result (greedy decoding
    /// would say the same), no generation needed.
    Done(Phrased),
    /// The prompt to give the phrasing model; its text then goes through
    /// [`PhrasingSession::piece`] and [`PhrasingSession::end`].
    Prompt(String),
}

/// One conversation's side of phrasing, the same in every shell (the
/// browser's model lives in another wasm module, so the shell only passes
/// text between them): the guard of the sentence the model is writing,
/// results by facts (a reason shown again in the next reply is not
/// generated twice), and kept / rejected counts.
#[derive(Default)]
pub struct PhrasingSession {
    guard: Option<(String, PhraseGuard)>,
    memo: std::collections::HashMap<String, Phrased>,
    stats: PhrasingStats,
}

impl PhrasingSession {
    /// Starts phrasing the `n`th sentence of `reply_facts(…, top)`; None
    /// when the reply has no such sentence.
    pub fn begin(
        &mut self,
        engine: &Engine,
        p: &Profile,
        reply: &Reply,
        top: usize,
        n: usize,
    ) -> Option<Begin> {
        let (_, facts) = reply_facts(engine, p, reply, top).into_iter().nth(n)?;
        let key = serde_json::to_string(&facts).unwrap_or_default();
        if let Some(done) = self.memo.get(&key).cloned() {
            self.guard = None;
            self.stats.add(&done);
            return Some(Begin::Done(done));
        }
        let guard = PhraseGuard::new(facts);
        let prompt = guard.prompt(engine.words());
        self.guard = Some((key, guard));
        Some(Begin::Prompt(prompt))
    }

    /// The model's next piece of text: the text now safe to show (whole
    /// words, checked) and whether the model should go on; nothing when no
    /// sentence is under way.
    pub fn piece(&mut self, engine: &Engine, piece: &str) -> (String, bool) {
        match self.guard.as_mut() {
            Some((_, guard)) => guard.piece(piece, &Grounding::of(engine)),
            None => (String::new(), false),
        }
    }

    /// The model stopped with its whole output (or why it failed): the
    /// result — the template when rejected — and the held-back end of a
    /// kept sentence still to show; None when no sentence was under way.
    pub fn end(
        &mut self,
        engine: &Engine,
        generated: Result<String, String>,
    ) -> Option<(Phrased, String)> {
        let (key, guard) = self.guard.take()?;
        let (got, rest) = guard.finish(generated, &Grounding::of(engine));
        if self.memo.len() > MEMO_LIMIT {
            self.memo.clear();
        }
        self.memo.insert(key, got.clone());
        self.stats.add(&got);
        Some((got, rest))
    }

    /// Sentences kept and rejected so far, by reason.
    pub fn stats(&self) -> &PhrasingStats {
        &self.stats
    }
}

/// Which sentence of a reply a set of facts is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "index", rename_all = "snake_case")]
pub enum Slot {
    /// The clarifying question.
    Question,
    /// The explanation of the recommendation at this index.
    Recommendation(usize),
}

/// The facts of every sentence of a reply worth phrasing: its question
/// first, then the first `top` explanations.
pub fn reply_facts(engine: &Engine, p: &Profile, reply: &Reply, top: usize) -> Vec<(Slot, Facts)> {
    let mut out = Vec::new();
    if let (Some(q), Some(about)) = (&reply.question, &reply.question_about) {
        out.push((
            Slot::Question,
            question_facts(q, about, engine.catalog(), avoided(p)),
        ));
    }
    for (i, rec) in reply.recommendations.iter().take(top).enumerate() {
        out.push((Slot::Recommendation(i), explanation_facts(rec, avoided(p))));
    }
    out
}
