//! The façade both shells call: an [`Engine`] loaded once from a bundle, and
//! turns that read and update a visitor's [`Profile`]: `say`, `feedback`,
//! `recommend`, `set_controls`.
//!
//! A turn: understand the answer → apply it (picks, tags, follow-ups, the
//! pending question's answer) → update the text taste and the MF user vector
//! (p ← a·p + (1−a)·f(answer)) → rank → maybe ask the most informative
//! question → record what was shown. The engine holds no per-visitor state,
//! so one engine serves any number of profiles.

use serde::Serialize;

use crate::core::bundle::{Bundle, BundleError, BundleMeta};
use crate::core::catalog::{Catalog, ItemIdx};
use crate::core::dialogue::question::{self, QuestionStrategy};
use crate::core::dialogue::{
    understand, FollowUp, Reply as ShortReply, Revision, SmallTalk, Understanding,
};
use crate::core::encoder::Encoder;
use crate::core::facets::Facet;
use crate::core::graph::Graph;
use crate::core::mentions::MentionIndex;
use crate::core::mf::linalg::Symmetric;
use crate::core::mf::{MfError, UserVector};
use crate::core::parts::Part;
use crate::core::profile::{push_unique, Controls, Outcome, Pending, Profile, ProfileError, Turn};
use crate::core::rank::{Explanation, Parts, Query, Ranker};
use crate::core::variant::{EngineOptions, UnknownVariant, Variant};
use crate::core::vectors::normalize;
use crate::core::words::Words;

/// Longest answer considered, in characters; the rest is ignored.
pub const MAX_ANSWER_CHARS: usize = 2000;

/// Why a turn could not run.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum EngineError {
    /// The bundle is unusable.
    #[error(transparent)]
    Bundle(#[from] BundleError),
    /// The stored profile is unusable.
    #[error(transparent)]
    Profile(#[from] ProfileError),
    /// An item id the catalog does not have.
    #[error("no item with id {0:?} in this catalog")]
    UnknownItem(String),
    /// A profile made for another catalog.
    #[error("this profile belongs to catalog {profile:?}, not {bundle:?}")]
    WrongCatalog {
        /// The profile's catalog.
        profile: String,
        /// The bundle's.
        bundle: String,
    },
    /// Controls out of range.
    #[error("invalid controls: {0}")]
    InvalidControls(String),
    /// The MF update failed.
    #[error(transparent)]
    Mf(#[from] MfError),
    /// A ranking variant Kith does not know.
    #[error(transparent)]
    Variant(#[from] UnknownVariant),
    /// A downloaded part that does not fit the loaded bundle.
    #[error("this part does not fit the loaded bundle: {0}")]
    Part(String),
}

/// Feedback on one recommended item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Feedback {
    /// "Love it".
    Love,
    /// "Not for me".
    NotForMe,
    /// "More like this".
    MoreLikeThis,
    /// "Already read / watched": never shown again, no taste signal.
    AlreadySeen,
}

/// One recommendation as the shells show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recommendation {
    /// The catalog's own id.
    pub id: String,
    /// Title (plain text: render as text, never HTML).
    pub title: String,
    /// Creators.
    pub creators: Vec<String>,
    /// Clean tags.
    pub tags: Vec<String>,
    /// Year, when known.
    pub year: Option<i32>,
    /// The hybrid score.
    pub score: f32,
    /// Why, in one sentence.
    pub explanation: String,
    /// The signal behind the explanation and the facts it states.
    pub because: Explanation,
    /// Each signal's contribution to the score, for a "why this?" view.
    pub parts: Parts,
    /// Set when the first explanation failed its truth check and was
    /// replaced by a general one (see `rank::Evidence::supports`); for tests
    /// and benchmarks, not shown.
    #[serde(skip)]
    pub replaced_reason: Option<String>,
}

/// What Kith took from an answer, shown back so the visitor can correct it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Understood {
    /// Titles read as liked.
    pub liked: Vec<String>,
    /// Titles read as disliked.
    pub disliked: Vec<String>,
    /// Tags asked for (named or close in meaning).
    pub wanted_tags: Vec<String>,
    /// Tags now avoided.
    pub avoided_tags: Vec<String>,
    /// Creators asked for.
    pub wanted_creators: Vec<String>,
    /// Creators now avoided.
    pub avoided_creators: Vec<String>,
    /// The theme words handed to the encoder.
    pub themes: Option<String>,
    /// Phrases down-weighted by meaning.
    pub avoided_themes: Vec<String>,
    /// A follow-up, if one was recognised.
    pub follow_up: Option<FollowUp>,
    /// Moods, audiences, pace and length read from the words ("light-hearted",
    /// "for children", "not dark", "for grown-ups"); the tags they stand for
    /// in this catalog are in `wanted_tags` and `avoided_tags`.
    pub occasions: Vec<String>,
}

impl Understood {
    /// True when nothing was read from the words: no title, tag, creator or theme.
    pub fn took_nothing(&self) -> bool {
        self.liked.is_empty()
            && self.disliked.is_empty()
            && self.wanted_tags.is_empty()
            && self.avoided_tags.is_empty()
            && self.wanted_creators.is_empty()
            && self.avoided_creators.is_empty()
            && self.themes.is_none()
            && self.occasions.is_empty()
    }
}

/// The engine's answer to one turn.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reply {
    /// A clarifying question, or null.
    pub question: Option<String>,
    /// What the question is about (tag or item options), for front ends.
    pub question_about: Option<Pending>,
    /// The recommendations, best first.
    pub recommendations: Vec<Recommendation>,
    /// What was understood from the visitor's words.
    pub understood: Understood,
    /// Honest notes ("lengths are unknown for this catalog").
    pub notes: Vec<String>,
    /// Turn number (0 for the first answer).
    pub turn: u32,
}

/// What a profile view shows: the visitor's picks with their titles, what
/// they asked for and avoided, their controls, and how often they took a
/// recommendation. The same for every shell (the browser's profile panel).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileSummary {
    /// Items liked (strength > 0) and disliked (< 0), with their titles;
    /// ids the catalog no longer holds are left out.
    pub picks: Vec<PickSummary>,
    /// Items marked as already read or watched.
    pub seen: usize,
    /// Tags asked for.
    pub wanted_tags: Vec<String>,
    /// Tags gently avoided.
    pub avoided_tags: Vec<String>,
    /// Topics avoided outright (the visitor's control).
    pub avoid_topics: Vec<String>,
    /// Creators asked for.
    pub wanted_creators: Vec<String>,
    /// Creators avoided.
    pub avoided_creators: Vec<String>,
    /// Turns so far.
    pub turns: usize,
    /// How often recommendations were taken.
    pub acceptance: crate::core::profile::AcceptanceSummary,
    /// The visitor's controls.
    pub controls: Controls,
}

/// One pick in a [`ProfileSummary`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PickSummary {
    /// The item's id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Signed strength (love 1 … not for me −1).
    pub strength: f32,
}

/// A loaded bundle, ready to serve any number of visitors.
pub struct Engine {
    bundle: Bundle,
    encoder: Option<Encoder>,
    encoder_problem: Option<String>,
    /// CRC-32 of the encoder attached as a part (None otherwise).
    encoder_crc: Option<u32>,
    /// CRC-32 of the encoder the attached text part was made with.
    text_encoder_crc: Option<u32>,
    graph: Graph,
    names: MentionIndex,
    gram: Symmetric,
    prior: Vec<f32>,
    words: Words,
    /// Behaviour knobs (public so shells and the simulator can set them).
    pub options: EngineOptions,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("catalog", &self.bundle.meta.name)
            .field("items", &self.bundle.catalog.len())
            .field("encoder", &self.encoder.is_some())
            .finish()
    }
}

/// a·old + (1−a)·new, renormalised; `new` alone when `old` is empty.
fn blend_unit(old: &[f32], new: &[f32], a: f32) -> Vec<f32> {
    let mut out: Vec<f32> = if old.len() == new.len() {
        old.iter()
            .zip(new)
            .map(|(o, n)| a * o + (1.0 - a) * n)
            .collect()
    } else {
        new.to_vec()
    };
    if !normalize(&mut out) {
        out.clear();
    }
    out
}

impl Engine {
    /// Loads a bundle's bytes; an encoder that fails to load leaves the
    /// engine working from picks and popularity ([`Engine::encoder_problem`]).
    pub fn load(bytes: &[u8]) -> Result<Engine, EngineError> {
        Ok(Engine::from_bundle(Bundle::from_bytes(bytes)?))
    }

    /// Builds an engine from a parsed bundle.
    pub fn from_bundle(mut bundle: Bundle) -> Engine {
        let (encoder, encoder_problem) = match bundle.encoder.take() {
            Some(bytes) => match Encoder::from_gguf_bytes(&bytes) {
                Ok(e) => (Some(e), None),
                Err(e) => (None, Some(e.to_string())),
            },
            None => (None, Some("the bundle has no encoder".to_string())),
        };
        Engine::assemble(bundle, encoder, encoder_problem)
    }

    /// Builds an engine with an encoder loaded elsewhere (or none).
    pub fn with_encoder(mut bundle: Bundle, encoder: Option<Encoder>) -> Engine {
        bundle.encoder = None;
        let problem = encoder.is_none().then(|| "no encoder given".to_string());
        Engine::assemble(bundle, encoder, problem)
    }

    fn assemble(
        bundle: Bundle,
        encoder: Option<Encoder>,
        encoder_problem: Option<String>,
    ) -> Engine {
        let catalog = &bundle.catalog;
        let graph = Graph::build(catalog);
        let names = MentionIndex::build(catalog, &bundle.attributes.tags);
        let gram = bundle.mf.gram();
        // log(1 + audience) relative to the best-known item: 0..1, and
        // near-equal audiences stay near-equal.
        let logs: Vec<f32> = (0..catalog.len())
            .map(|i| (catalog.audience(i as ItemIdx) as f32).ln_1p())
            .collect();
        let hi = logs.iter().copied().fold(0f32, f32::max);
        let prior = logs
            .iter()
            .map(|&x| if hi > 0.0 { x / hi } else { 0.5 })
            .collect();
        let words = Words::of(&bundle.meta);
        // The encoder and the embeddings must agree, or text signals are noise.
        let encoder = encoder.filter(|e| {
            bundle.item_embeddings.is_empty() || e.dim() == bundle.item_embeddings.dim()
        });
        Engine {
            bundle,
            encoder,
            encoder_problem,
            encoder_crc: None,
            text_encoder_crc: None,
            graph,
            names,
            gram,
            prior,
            words,
            options: EngineOptions::default(),
        }
    }

    /// Adds a part downloaded after the core one (`crate::core::parts`): the
    /// text part's embeddings or the encoder, in either order. The next
    /// turn uses it. A part that does not belong here (another catalog or
    /// version, embeddings from another encoder, a corrupt file) is an error
    /// and the engine keeps working on what it has.
    pub fn attach(&mut self, bytes: &[u8]) -> Result<Part, EngineError> {
        let info = Bundle::part_info(bytes)?;
        match info.part {
            Part::Core => {
                return Err(EngineError::Part(
                    "a core part is loaded as the bundle, not attached".into(),
                ))
            }
            Part::Text => {
                if let (Some(want), Some(have)) = (info.encoder, self.encoder_crc) {
                    if want != have {
                        return Err(EngineError::Part(
                            "its embeddings were made with another encoder than the one loaded"
                                .into(),
                        ));
                    }
                }
                let b = &mut self.bundle;
                let old = (
                    b.item_embeddings.clone(),
                    b.tag_embeddings.clone(),
                    b.bridge.clone(),
                );
                b.attach(bytes)?;
                let got = b.item_embeddings.dim();
                if let Some(d) = self.encoder.as_ref().map(Encoder::dim) {
                    if !b.item_embeddings.is_empty() && got != d {
                        (b.item_embeddings, b.tag_embeddings, b.bridge) = old;
                        return Err(EngineError::Part(format!(
                            "embeddings of {got} dimensions for an encoder of {d}"
                        )));
                    }
                }
                self.text_encoder_crc = info.encoder;
            }
            Part::Encoder => {
                self.bundle.attach(bytes)?;
                let gguf = self.bundle.encoder.take().unwrap_or_default();
                let crc = crc32fast::hash(&gguf);
                if self.text_encoder_crc.is_some_and(|want| want != crc) {
                    return Err(EngineError::Part(
                        "the loaded embeddings were made with another encoder".into(),
                    ));
                }
                let encoder = Encoder::from_gguf_bytes(&gguf)
                    .map_err(|e| EngineError::Part(format!("the encoder does not load: {e}")))?;
                let embeddings = &self.bundle.item_embeddings;
                if !embeddings.is_empty() && embeddings.dim() != encoder.dim() {
                    return Err(EngineError::Part(format!(
                        "an encoder of {} dimensions for embeddings of {}",
                        encoder.dim(),
                        embeddings.dim()
                    )));
                }
                self.encoder = Some(encoder);
                self.encoder_problem = None;
                self.encoder_crc = Some(crc);
            }
        }
        Ok(info.part)
    }

    /// The catalog.
    pub fn catalog(&self) -> &Catalog {
        &self.bundle.catalog
    }

    /// The bundle's description.
    pub fn meta(&self) -> &BundleMeta {
        &self.bundle.meta
    }

    /// The bundle itself.
    pub fn bundle(&self) -> &Bundle {
        &self.bundle
    }

    /// The index of titles, creators and tags named in text.
    pub fn names(&self) -> &MentionIndex {
        &self.names
    }

    /// The catalog's own words for its items, their audience and creators.
    pub fn words(&self) -> &Words {
        &self.words
    }

    /// What a profile view shows of `p` ([`ProfileSummary`]).
    pub fn profile_summary(&self, p: &Profile) -> ProfileSummary {
        let cat = &self.bundle.catalog;
        let picks = p
            .picks
            .iter()
            .filter_map(|x| {
                let item = cat.index_of(&x.id).and_then(|i| cat.get(i))?;
                Some(PickSummary {
                    id: x.id.clone(),
                    title: item.title.clone(),
                    strength: x.strength,
                })
            })
            .collect();
        ProfileSummary {
            picks,
            seen: p.seen.len(),
            wanted_tags: p.wanted_tags.clone(),
            avoided_tags: p.avoided_tags.clone(),
            avoid_topics: p.controls.avoid_topics.clone(),
            wanted_creators: p.wanted_creators.clone(),
            avoided_creators: p.avoided_creators.clone(),
            turns: p.history.len(),
            acceptance: p.acceptance(),
            controls: p.controls.clone(),
        }
    }

    /// The knowledge graph.
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// True when sentences are understood by meaning (the encoder loaded).
    pub fn has_encoder(&self) -> bool {
        self.encoder.is_some() && !self.bundle.item_embeddings.is_empty()
    }

    /// Why the encoder is unavailable, if it is.
    pub fn encoder_problem(&self) -> Option<&str> {
        if self.has_encoder() {
            None
        } else {
            Some(
                self.encoder_problem
                    .as_deref()
                    .unwrap_or("the bundle has no item embeddings"),
            )
        }
    }

    /// The first question of every conversation.
    pub fn opening_question(&self) -> String {
        self.words.opening_question()
    }

    /// The options a profile's turns use: the engine's, changed by the
    /// profile's variant when it names one (an unknown name stored in an
    /// imported profile falls back to the engine's own).
    pub fn options_for(&self, p: &Profile) -> EngineOptions {
        match p.variant.as_deref().map(str::parse::<Variant>) {
            Some(Ok(v)) => v.apply(&self.options),
            _ => self.options.clone(),
        }
    }

    /// Assigns the visitor to a ranking variant (`None`: the engine's own
    /// options); an unknown name is an error and changes nothing.
    pub fn set_variant(&self, p: &mut Profile, name: Option<&str>) -> Result<(), EngineError> {
        p.variant = match name.map(str::trim).filter(|n| !n.is_empty()) {
            Some(n) => Some(n.parse::<Variant>()?.name().to_string()),
            None => None,
        };
        Ok(())
    }

    /// A fresh profile for this catalog.
    pub fn new_profile(&self) -> Profile {
        Profile::new(&self.bundle.meta.name)
    }

    /// Reads a stored profile for this catalog (migrating older versions).
    pub fn open_profile(&self, json: &str) -> Result<Profile, EngineError> {
        let p = Profile::from_json(json)?;
        if !p.catalog.is_empty() && p.catalog != self.bundle.meta.name {
            return Err(EngineError::WrongCatalog {
                profile: p.catalog,
                bundle: self.bundle.meta.name.clone(),
            });
        }
        Ok(p)
    }

    fn index(&self, id: &str) -> Option<ItemIdx> {
        self.bundle.catalog.index_of(id)
    }

    fn id(&self, i: ItemIdx) -> String {
        self.bundle
            .catalog
            .get(i)
            .map(|x| x.id.clone())
            .unwrap_or_default()
    }

    fn title(&self, i: ItemIdx) -> String {
        self.bundle
            .catalog
            .get(i)
            .map(|x| x.title.clone())
            .unwrap_or_default()
    }

    fn tag_name(&self, t: usize) -> Option<String> {
        self.bundle.attributes.tags.get(t).map(|s| s.name.clone())
    }

    fn embed(&self, text: &str) -> Option<Vec<f32>> {
        let e = self.encoder.as_ref()?;
        e.embed(text)
            .ok()
            .filter(|v| v.iter().all(|x| x.is_finite()))
    }

    /// Tags whose embedding is within the threshold of a sentence's, best first (≤ 2).
    fn tags_by_meaning(&self, v: &[f32], threshold: f32) -> Vec<usize> {
        let te = &self.bundle.tag_embeddings;
        if te.is_empty() {
            return Vec::new();
        }
        let mut sims: Vec<(usize, f32)> = (0..te.len())
            .map(|t| (t, te.dot(t, v)))
            .filter(|(_, s)| *s >= threshold)
            .collect();
        sims.sort_by(|a, b| b.1.total_cmp(&a.1));
        sims.into_iter().take(2).map(|(t, _)| t).collect()
    }

    /// One visitor message: understand, update the profile, rank, maybe ask.
    pub fn say(&self, p: &mut Profile, text: &str) -> Result<Reply, EngineError> {
        self.check_profile(p)?;
        let text: String = text.chars().take(MAX_ANSWER_CHARS).collect();
        let u = understand(&text, &self.names);
        if u.is_empty() {
            return self.small_talk(p, &text, u.small_talk);
        }
        let mut notes = Vec::new();
        match u.revision {
            Some(Revision::Correction) => self.undo_previous_message(p, &mut notes),
            Some(Revision::ChangeOfMind) => {
                p.start_afresh();
                notes.push(self.words.starting_afresh());
            }
            None => {}
        }
        let mut understood = Understood::default();
        let mut asked_something = false;

        // The answer to a pending question.
        if let Some(pending) = p.pending.take() {
            asked_something = true;
            self.apply_reply(p, &pending, &u, &mut understood);
        }

        self.apply_named(p, &u, &mut understood);
        self.apply_facets(p, &u, &mut understood, &mut notes);
        if let Some(f) = u.follow_up {
            self.apply_follow_up(p, f, &mut notes);
            understood.follow_up = Some(f);
            p.last_follow_up = Some(f);
        }

        self.apply_meaning(p, &u, &mut understood);
        p.answers.push(text.trim().to_string());
        if let Some(t) = &u.theme_phrase {
            p.themes.push(t.clone());
        }
        self.update_user_vector(p)?;

        let mut reply = self.rank_and_record(p, &text, !asked_something || u.reply.is_none())?;
        reply.understood = understood;
        notes.append(&mut reply.notes);
        reply.notes = notes;
        Ok(reply)
    }

    /// What the message names outright: items liked and disliked, tags and
    /// creators wanted or avoided, a time budget.
    fn apply_named(&self, p: &mut Profile, u: &Understanding, understood: &mut Understood) {
        for &i in &u.liked_items {
            p.set_pick(&self.id(i), 1.0);
            understood.liked.push(self.title(i));
        }
        for &i in &u.disliked_items {
            p.set_pick(&self.id(i), -1.0);
            understood.disliked.push(self.title(i));
        }
        for &t in &u.wanted_tags {
            if let Some(name) = self.tag_name(t) {
                p.want_named_tag(&name);
                understood.wanted_tags.push(name);
            }
        }
        for &t in &u.avoided_tags {
            if let Some(name) = self.tag_name(t) {
                p.avoid_topic(&name);
                understood.avoided_tags.push(name);
            }
        }
        for c in &u.wanted_creators {
            p.want_creator(c);
            understood.wanted_creators.push(c.clone());
        }
        for c in &u.avoided_creators {
            p.avoid_creator(c);
            understood.avoided_creators.push(c.clone());
        }
        if let Some(m) = u.time_budget_minutes {
            p.controls.context.time_budget_minutes = Some(m);
        }
    }

    /// What the message means: its words blended into the taste vector
    /// (with the rows of items it names), tags close in meaning wanted, and
    /// negated phrases into the aversion vector and the avoided tags.
    fn apply_meaning(&self, p: &mut Profile, u: &Understanding, understood: &mut Understood) {
        let mut turn_text: Vec<f32> = Vec::new();
        if !u.positive_text.is_empty() {
            understood.themes = Some(u.positive_text.clone());
            if let Some(e) = self.embed(&u.positive_text) {
                for t in self.tags_by_meaning(&e, self.options.tag_threshold) {
                    if let Some(name) = self.tag_name(t) {
                        if !p.controls.avoid_topics.contains(&name)
                            && !p.avoided_tags.contains(&name)
                        {
                            p.facet_tags.retain(|x| *x != name);
                            push_unique(&mut p.wanted_tags, name.clone());
                            push_unique(&mut understood.wanted_tags, name);
                        }
                    }
                }
                turn_text = e;
            }
        }
        for &i in &u.liked_items {
            if let Some(row) = self.bundle.item_embeddings.row(i as usize) {
                if turn_text.is_empty() {
                    turn_text = row;
                } else {
                    turn_text.iter_mut().zip(&row).for_each(|(a, b)| *a += b);
                }
            }
        }
        if normalize(&mut turn_text) {
            p.taste = blend_unit(&p.taste, &turn_text, self.options.memory);
        }
        if !u.negative_phrases.is_empty() {
            let phrase = u.negative_phrases.join(", ");
            if let Some(e) = self.embed(&phrase) {
                // Antonyms sit close in embedding space ("long" and "short"),
                // so avoidance by meaning needs a near-synonym.
                for t in self.tags_by_meaning(&e, self.options.avoid_tag_threshold) {
                    if let Some(name) = self.tag_name(t) {
                        if !p.wanted_tags.contains(&name) {
                            push_unique(&mut p.avoided_tags, name.clone());
                            push_unique(&mut understood.avoided_tags, name);
                        }
                    }
                }
                p.aversion = blend_unit(&p.aversion, &e, self.options.memory);
            }
            understood.avoided_themes = u.negative_phrases.clone();
        }
    }

    /// Feedback on an item: love it, not for me, more like this, already seen.
    pub fn feedback(&self, p: &mut Profile, id: &str, fb: Feedback) -> Result<Reply, EngineError> {
        self.check_profile(p)?;
        let i = self
            .index(id)
            .ok_or_else(|| EngineError::UnknownItem(id.to_string()))?;
        let variant = self.options_for(p).variant;
        match fb {
            Feedback::Love => {
                p.set_pick(id, 1.0);
                p.record(id, Outcome::Accepted, variant.as_deref());
            }
            Feedback::MoreLikeThis => {
                p.set_pick(id, 0.8);
                p.record(id, Outcome::Accepted, variant.as_deref());
            }
            Feedback::NotForMe => {
                p.set_pick(id, -1.0);
                p.record(id, Outcome::Rejected, variant.as_deref());
            }
            Feedback::AlreadySeen => push_unique(&mut p.seen, id.to_string()),
        }
        if matches!(fb, Feedback::Love | Feedback::MoreLikeThis) {
            if let Some(row) = self.bundle.item_embeddings.row(i as usize) {
                p.taste = blend_unit(&p.taste, &row, self.options.memory);
            }
        }
        self.update_user_vector(p)?;
        let label = match fb {
            Feedback::Love => "love it",
            Feedback::NotForMe => "not for me",
            Feedback::MoreLikeThis => "more like this",
            Feedback::AlreadySeen => "already seen",
        };
        let mut reply = self.rank_and_record(p, &format!("[{label}: {}]", self.title(i)), false)?;
        reply.understood.follow_up = (fb == Feedback::MoreLikeThis).then_some(FollowUp::Similar);
        Ok(reply)
    }

    /// Recommendations for the profile as it stands, without recording a turn.
    pub fn recommend(&self, p: &Profile) -> Result<Reply, EngineError> {
        self.check_profile(p)?;
        let (recs, _, notes) = self.rank(p);
        Ok(Reply {
            question: None,
            question_about: None,
            recommendations: recs,
            understood: Understood::default(),
            notes,
            turn: p.history.len() as u32,
        })
    }

    /// Replaces the visitor's controls (validated) and re-ranks.
    pub fn set_controls(&self, p: &mut Profile, c: Controls) -> Result<Reply, EngineError> {
        if !(0.0..=1.0).contains(&c.diversity) {
            return Err(EngineError::InvalidControls(
                "diversity must be between 0 and 1".into(),
            ));
        }
        if c.count == 0 || c.count > 100 {
            return Err(EngineError::InvalidControls(
                "count must be between 1 and 100".into(),
            ));
        }
        if c.context.hour.is_some_and(|h| h > 23) {
            return Err(EngineError::InvalidControls("hour must be 0-23".into()));
        }
        let mood_changed = c.context.mood != p.controls.context.mood;
        p.controls = c;
        if mood_changed {
            if let Some(e) = p
                .controls
                .context
                .mood
                .as_deref()
                .and_then(|m| self.embed(m))
            {
                // A mood nudges the taste a little; it never replaces it.
                p.taste = blend_unit(&p.taste, &e, 0.8);
            }
        }
        self.recommend(p)
    }

    fn check_profile(&self, p: &Profile) -> Result<(), EngineError> {
        if !p.catalog.is_empty() && p.catalog != self.bundle.meta.name {
            return Err(EngineError::WrongCatalog {
                profile: p.catalog.clone(),
                bundle: self.bundle.meta.name.clone(),
            });
        }
        Ok(())
    }

    fn apply_reply(
        &self,
        p: &mut Profile,
        pending: &Pending,
        u: &Understanding,
        out: &mut Understood,
    ) {
        match pending {
            Pending::Tag { tag } => match u.reply {
                Some(ShortReply::Yes) => {
                    push_unique(&mut p.wanted_tags, tag.clone());
                    p.avoided_tags.retain(|t| t != tag);
                    out.wanted_tags.push(tag.clone());
                }
                Some(ShortReply::No) | Some(ShortReply::NoneOfThem) => {
                    push_unique(&mut p.avoided_tags, tag.clone());
                    p.wanted_tags.retain(|t| t != tag);
                    out.avoided_tags.push(tag.clone());
                }
                _ => {}
            },
            Pending::Items { ids } => {
                let named: Vec<usize> = ids
                    .iter()
                    .enumerate()
                    .filter(|(_, id)| self.index(id).is_some_and(|i| u.liked_items.contains(&i)))
                    .map(|(k, _)| k)
                    .collect();
                let picked: Option<usize> = match u.reply {
                    Some(ShortReply::Pick(k)) if k < ids.len() => Some(k),
                    _ => named.first().copied(),
                };
                if let Some(k) = picked {
                    // "Appeals" is softer than "loved".
                    if p.pick(&ids[k]).is_none() {
                        p.set_pick(&ids[k], 0.6);
                    }
                    if let Some(i) = self.index(&ids[k]) {
                        out.liked.push(self.title(i));
                        if let Some(row) = self.bundle.item_embeddings.row(i as usize) {
                            p.taste = blend_unit(&p.taste, &row, self.options.memory);
                        }
                    }
                } else if matches!(u.reply, Some(ShortReply::NoneOfThem) | Some(ShortReply::No)) {
                    for id in ids {
                        if p.pick(id).is_none() {
                            p.set_pick(id, -0.3);
                        }
                    }
                }
            }
        }
    }

    fn apply_follow_up(&self, p: &mut Profile, f: FollowUp, notes: &mut Vec<String>) {
        let shift = |v: &mut f32, d: f32| *v = (*v + d).clamp(-1.0, 1.0);
        let lengths = self.bundle.attributes.length_range.is_some();
        let years = self.bundle.attributes.year_range.is_some();
        match f {
            FollowUp::Similar => {
                if let Some(id) = p.shown.first().cloned() {
                    if p.pick(&id).is_none() {
                        p.set_pick(&id, 0.5);
                    }
                }
            }
            FollowUp::MoreLike(k) => {
                let k = if k == usize::MAX {
                    p.shown.len().saturating_sub(1)
                } else {
                    k
                };
                match p.shown.get(k).cloned() {
                    Some(id) => {
                        p.set_pick(&id, 0.8);
                        if let Some(row) = self
                            .index(&id)
                            .and_then(|i| self.bundle.item_embeddings.row(i as usize))
                        {
                            p.taste = blend_unit(&p.taste, &row, self.options.memory);
                        }
                    }
                    None => notes.push(self.words.no_such_recommendation(k.saturating_add(1))),
                }
            }
            FollowUp::Different => {
                let rows: Vec<Vec<f32>> = p
                    .shown
                    .iter()
                    .filter_map(|id| self.index(id))
                    .filter_map(|i| self.bundle.item_embeddings.row(i as usize))
                    .collect();
                if let Some(first) = rows.first() {
                    let mut mean = vec![0f32; first.len()];
                    for r in &rows {
                        mean.iter_mut().zip(r).for_each(|(a, b)| *a += b);
                    }
                    if normalize(&mut mean) {
                        p.aversion = blend_unit(&p.aversion, &mean, self.options.memory);
                    }
                }
                for id in p.shown.clone() {
                    p.bump_shown(&id, 2);
                }
            }
            FollowUp::Shorter | FollowUp::Longer => {
                if lengths {
                    shift(
                        &mut p.shifts.length,
                        if f == FollowUp::Shorter { -0.5 } else { 0.5 },
                    );
                } else {
                    let facet = if f == FollowUp::Shorter {
                        Facet::Short
                    } else {
                        Facet::Long
                    };
                    self.length_by_tags(p, facet, None, notes);
                }
            }
            FollowUp::Newer | FollowUp::Older => {
                if years {
                    shift(
                        &mut p.shifts.recency,
                        if f == FollowUp::Newer { 0.5 } else { -0.5 },
                    );
                } else {
                    notes.push(self.words.no_years());
                }
            }
            FollowUp::LessPopular => shift(&mut p.shifts.popularity, -0.5),
            FollowUp::MorePopular => shift(&mut p.shifts.popularity, 0.5),
        }
    }

    /// Moods, audiences, pace and length asked for or against, in this
    /// catalog's terms: the tags learned for each facet join the wanted
    /// (or gently avoided) tags, the opposite facet's tags are gently
    /// avoided, lengths shift when the catalog records them — and a note
    /// says what the catalog could not honour.
    fn apply_facets(
        &self,
        p: &mut Profile,
        u: &Understanding,
        understood: &mut Understood,
        notes: &mut Vec<String>,
    ) {
        let attrs = &self.bundle.attributes;
        let lengths = attrs.length_range.is_some();
        // Tags named in this message stand against a mood's opposite or an
        // avoided mood ("a thriller, not too violent").
        let named_now: Vec<String> = u
            .wanted_tags
            .iter()
            .filter_map(|&t| self.tag_name(t))
            .collect();
        let mut cannot: Vec<&str> = Vec::new();
        let mut length_shift = 0.0f32;
        for &f in &u.wanted_facets {
            understood.occasions.push(f.describe().to_string());
            if matches!(f, Facet::Short | Facet::Long) {
                if lengths {
                    length_shift = if f == Facet::Short { -0.5 } else { 0.5 };
                } else {
                    self.length_by_tags(p, f, Some(understood), notes);
                }
                continue;
            }
            let tags = attrs.facet_tags(f);
            if tags.is_empty() {
                cannot.push(f.describe());
                continue;
            }
            p.want_tags(tags, &mut understood.wanted_tags);
            if !p.wanted_facets.contains(&f) {
                p.wanted_facets.push(f);
            }
            if matches!(f, Facet::Children | Facet::Teen) {
                // Nothing explicit for a child or a teenager.
                for t in attrs.facet_tags(Facet::Explicit) {
                    if !tags.contains(t) {
                        p.avoid_softly(t);
                    }
                }
                p.wanted_facets.retain(|x| *x != Facet::Explicit);
            }
            if let Some(o) = f.opposite() {
                p.wanted_facets.retain(|x| *x != o);
                // The later wish wins: "something darker" after "light".
                for t in attrs.facet_tags(o) {
                    if !named_now.contains(t) && !tags.contains(t) {
                        p.avoid_softly(t);
                    }
                }
            }
        }
        for &f in &u.avoided_facets {
            understood.occasions.push(format!("not {}", f.describe()));
            if matches!(f, Facet::Short | Facet::Long) && lengths {
                length_shift = if f == Facet::Short { 0.5 } else { -0.5 };
                continue;
            }
            p.wanted_facets.retain(|x| *x != f);
            let tags = attrs.facet_tags(f);
            if tags.is_empty() {
                cannot.push(f.describe());
                continue;
            }
            for t in tags.iter().filter(|t| !named_now.contains(t)) {
                p.avoid_softly(t);
                push_unique(&mut understood.avoided_tags, t.clone());
            }
        }
        if u.grown_up {
            understood.occasions.push("for grown-ups".into());
            for f in [Facet::Children, Facet::Teen] {
                for t in attrs.facet_tags(f) {
                    if !p.wanted_tags.contains(t) {
                        push_unique(&mut p.avoided_tags, t.clone());
                    }
                }
            }
        }
        if length_shift != 0.0 {
            p.shifts.length = (p.shifts.length + length_shift).clamp(-1.0, 1.0);
        }
        if !cannot.is_empty() {
            notes.push(self.words.cannot_tell(&cannot));
        }
    }

    /// Short or long in a catalog without lengths: the tags learned for
    /// the facet ("short stories", "novellas") when there are any, said so;
    /// otherwise a note that length cannot be honoured.
    fn length_by_tags(
        &self,
        p: &mut Profile,
        facet: Facet,
        understood: Option<&mut Understood>,
        notes: &mut Vec<String>,
    ) {
        let tags = self.bundle.attributes.facet_tags(facet);
        if tags.is_empty() {
            notes.push(self.words.no_lengths());
            return;
        }
        let mut taken = Vec::new();
        p.want_tags(tags, &mut taken);
        if !p.wanted_facets.contains(&facet) {
            p.wanted_facets.push(facet);
        }
        if let Some(u) = understood {
            for t in &taken {
                push_unique(&mut u.wanted_tags, t.clone());
            }
        }
        notes.push(self.words.lengths_by_tags(tags));
    }

    /// p ← a·p + (1−a)·f, where f folds in every pick and the bridge's image
    /// of the described taste.
    fn update_user_vector(&self, p: &mut Profile) -> Result<(), EngineError> {
        let mf = &self.bundle.mf;
        let mut evidence: Vec<(Vec<f32>, f32)> = Vec::new();
        for pick in &p.picks {
            if let Some(i) = self.index(&pick.id) {
                evidence.push((mf.item(i).to_vec(), pick.strength));
            }
        }
        if let (Some(bridge), false) = (&self.bundle.bridge, p.taste.is_empty()) {
            if let Ok((q, _)) = bridge.predict(&p.taste) {
                evidence.push((q, 0.5));
            }
        }
        if evidence.is_empty() {
            return Ok(());
        }
        let refs: Vec<(&[f32], f32)> = evidence.iter().map(|(v, s)| (v.as_slice(), *s)).collect();
        let f = mf.fold_in_vectors(&self.gram, &refs)?;
        let a = self.options.memory;
        p.user_vector = if p.user_vector.len() == f.factors.len() {
            p.user_vector
                .iter()
                .zip(&f.factors)
                .map(|(o, n)| a * o + (1.0 - a) * n)
                .collect()
        } else {
            f.factors
        };
        Ok(())
    }

    /// The catalog-side view ranking reads.
    fn ranker(&self) -> Ranker<'_> {
        Ranker {
            catalog: &self.bundle.catalog,
            graph: &self.graph,
            mf: &self.bundle.mf,
            embeddings: &self.bundle.item_embeddings,
            prior: &self.prior,
            words: &self.words,
        }
    }

    /// Ranks for a profile: the recommendations, the candidate distribution
    /// and the honest notes about the list (asked-for tags it could not honour).
    fn rank(&self, p: &Profile) -> (Vec<Recommendation>, Vec<(ItemIdx, f32)>, Vec<String>) {
        let cat = &self.bundle.catalog;
        let mut liked: Vec<(ItemIdx, f32)> = Vec::new();
        let mut exclude: Vec<ItemIdx> = Vec::new();
        for pick in &p.picks {
            if let Some(i) = self.index(&pick.id) {
                // Strong reactions are known items; soft ones ("appeals") may still be shown.
                if pick.strength.abs() >= 0.75 || pick.strength < 0.0 {
                    exclude.push(i);
                }
                if pick.strength > 0.0 {
                    liked.push((i, pick.strength));
                }
            }
        }
        exclude.extend(p.seen.iter().filter_map(|id| self.index(id)));
        exclude.sort_unstable();
        exclude.dedup();
        let shown_counts: Vec<(ItemIdx, u32)> = p
            .shown_counts
            .iter()
            .filter_map(|(id, n)| self.index(id).map(|i| (i, *n)))
            .collect();
        let user = (!p.user_vector.is_empty()).then(|| UserVector {
            factors: p.user_vector.clone(),
            bias: 0.0,
        });
        let phrase = p.themes.last().map(String::as_str);
        let tag_reasons: Vec<(String, &'static str)> = p
            .wanted_facets
            .iter()
            .flat_map(|&f| {
                self.bundle
                    .attributes
                    .facet_tags(f)
                    .iter()
                    .filter(|t| p.wanted_tags.contains(t) && p.facet_tags.contains(t))
                    .map(move |t| (t.clone(), f.describe()))
            })
            .collect();
        // What shapes the list: whom it is for, else the tags the visitor
        // named; a mood only adds to the score ("a gripping mystery" is a
        // list of mysteries, "a book for a 12-year-old who likes football"
        // a list of children's books, about football where there are some).
        let audience: Vec<String> = [Facet::Children, Facet::Teen]
            .into_iter()
            .filter(|f| p.wanted_facets.contains(f))
            .flat_map(|f| self.bundle.attributes.facet_tags(f).iter())
            .filter(|t| p.wanted_tags.contains(t))
            .cloned()
            .collect();
        let named: Vec<String> = p
            .wanted_tags
            .iter()
            .filter(|t| !p.facet_tags.contains(t))
            .cloned()
            .collect();
        let shaping = if !audience.is_empty() {
            Some(audience.as_slice())
        } else if !named.is_empty() {
            Some(named.as_slice())
        } else {
            None
        };
        let ranker = self.ranker();
        let q = Query {
            user: user.as_ref(),
            taste: (!p.taste.is_empty()).then_some(p.taste.as_slice()),
            aversion: (!p.aversion.is_empty()).then_some(p.aversion.as_slice()),
            wanted_tags: &p.wanted_tags,
            tag_reasons: &tag_reasons,
            shaping_tags: shaping,
            strict_shaping: !audience.is_empty(),
            soft_avoided_tags: &p.avoided_tags,
            hard_avoided_tags: &p.controls.avoid_topics,
            wanted_creators: &p.wanted_creators,
            avoided_creators: &p.avoided_creators,
            liked: &liked,
            exclude: &exclude,
            shown_counts: &shown_counts,
            shifts: Some(&p.shifts),
            context: Some(&p.controls.context),
            phrase: phrase.filter(|_| !p.taste.is_empty()),
            diversity: p.controls.diversity,
            k: p.controls.count.clamp(1, 100),
        };
        let ranking = ranker.rank(&q, &self.options_for(p).weights);
        let mut notes = Vec::new();
        if let Some(short) = &ranking.tag_shortfall {
            notes.push(self.words.tag_shortfall(&short.tags, short.available));
        }
        let recs = ranking
            .items
            .into_iter()
            .filter_map(|s| {
                let item = cat.get(s.item)?;
                Some(Recommendation {
                    id: item.id.clone(),
                    title: item.title.clone(),
                    creators: item.creators.clone(),
                    tags: item.tags.clone(),
                    year: item.year,
                    score: s.score,
                    explanation: s.explanation.text.clone(),
                    because: s.explanation,
                    parts: s.parts,
                    replaced_reason: s.replaced,
                })
            })
            .collect();
        (recs, ranking.candidates, notes)
    }

    /// A message with nothing to go on (small talk, "I don't know", an
    /// emoji): answered in kind, never matched against the catalog, and
    /// followed by something easy to answer — a pick among a few
    /// well-known, contrasting items. Thanks in the middle of a
    /// conversation changes nothing and asks nothing.
    fn small_talk(
        &self,
        p: &mut Profile,
        said: &str,
        talk: Option<SmallTalk>,
    ) -> Result<Reply, EngineError> {
        let knows_taste = p.picks.iter().any(|x| x.strength > 0.0)
            || !p.wanted_tags.is_empty()
            || !p.wanted_creators.is_empty()
            || !p.taste.is_empty();
        if talk == Some(SmallTalk::Thanks) && knows_taste {
            let mut reply = self.recommend(p)?;
            reply.notes.push(self.words.thanks_keep_looking());
            return Ok(reply);
        }
        // "I don't know" to a question drops the question.
        let skipped = p.pending.take().is_some();
        let (recs, candidates, mut notes) = self.rank(p);
        let pick = self.contrasting_pick(&candidates);
        let note = match talk {
            Some(SmallTalk::Greeting) => self.words.greeting(),
            Some(SmallTalk::Thanks) => self.words.thanks(),
            Some(SmallTalk::Unsure) if skipped => self.words.skip_question(),
            Some(SmallTalk::Vague) => self.words.vague_opening(),
            Some(SmallTalk::Unsure) => self.words.unsure_opening(),
            None => self.words.nothing_to_go_on(),
        };
        notes.insert(0, note);
        let (question, about) = match pick {
            Some(ids) => {
                let titles: Vec<String> = ids.iter().map(|&i| self.title(i)).collect();
                let pending = Pending::Items {
                    ids: ids.iter().map(|&i| self.id(i)).collect(),
                };
                p.pending = Some(pending.clone());
                (self.words.pick_to_start(&titles), Some(pending))
            }
            None => (self.opening_question(), None),
        };
        Ok(self.record_turn(p, said.trim(), recs, Some(question), about, notes))
    }

    /// "No, I meant …": takes back what the previous message named (its
    /// titles, tags and creators), read again from its stored words, so
    /// that this message's names replace them.
    fn undo_previous_message(&self, p: &mut Profile, notes: &mut Vec<String>) {
        let Some(said) = p
            .history
            .last()
            .map(|t| t.said.clone())
            .filter(|s| !s.starts_with('['))
        else {
            return;
        };
        let before = understand(&said, &self.names);
        let mut undone = Vec::new();
        for &i in before.liked_items.iter().chain(&before.disliked_items) {
            let id = self.id(i);
            if p.pick(&id).is_some() {
                p.picks.retain(|x| x.id != id);
                undone.push(self.title(i));
            }
        }
        for t in &before.wanted_tags {
            if let Some(name) = self.tag_name(*t) {
                p.wanted_tags.retain(|x| *x != name);
            }
        }
        for c in &before.wanted_creators {
            p.wanted_creators.retain(|x| x != c);
        }
        for &f in &before.wanted_facets {
            let tags = self.bundle.attributes.facet_tags(f);
            p.wanted_tags.retain(|x| !tags.contains(x));
            p.wanted_facets.retain(|x| *x != f);
        }
        // Rebuilt from the picks that remain, not blended with the mistaken one.
        p.user_vector.clear();
        if !undone.is_empty() {
            notes.push(self.words.not_that(&undone));
        }
    }

    /// Three well-known candidates unlike each other, to pick from when the
    /// visitor has given nothing to go on: the most probable candidates
    /// weighted by how many people chose them.
    fn contrasting_pick(&self, candidates: &[(ItemIdx, f32)]) -> Option<Vec<ItemIdx>> {
        let mut known: Vec<(ItemIdx, f32)> = candidates
            .iter()
            .map(|&(i, p)| (i, p * self.prior.get(i as usize).map_or(0.0, |k| k.powi(4))))
            .collect();
        known.sort_by(|a, b| b.1.total_cmp(&a.1));
        let ranker = self.ranker();
        let sim = |a: ItemIdx, b: ItemIdx| ranker.similarity(a, b);
        question::best_items(&known, 3, &sim).map(|(ids, _)| ids)
    }

    /// Picks the question to ask, if one is worth asking.
    fn choose_question(
        &self,
        p: &Profile,
        candidates: &[(ItemIdx, f32)],
    ) -> Option<(String, Pending)> {
        let options = self.options_for(p);
        let strategy = options.strategy;
        if strategy == QuestionStrategy::Never || candidates.len() < 4 {
            return None;
        }
        let evidence = p.picks.iter().filter(|x| x.strength > 0.0).count()
            + p.wanted_tags.len()
            + p.wanted_creators.len();
        let unsure = question::uncertainty(candidates);
        if evidence >= 4 && unsure < 0.9 {
            return None;
        }
        let mut skip = p.asked_tags.clone();
        skip.extend(p.wanted_tags.iter().cloned());
        skip.extend(p.avoided_tags.iter().cloned());
        skip.extend(p.controls.avoid_topics.iter().cloned());
        let catalog = &self.bundle.catalog;
        let ranker = self.ranker();
        let sim = |a: ItemIdx, b: ItemIdx| ranker.similarity(a, b);
        // List gain looks two lists ahead: the answer shapes more than the next one.
        let k = p.controls.count.clamp(1, 100) * 2;
        let may_ask_items = !matches!(p.pending, Some(Pending::Items { .. }));
        // Each strategy's best tag and item set, with their values (items
        // ask more of the visitor than a yes/no: discounted).
        let (tag, items, min_gain) = match strategy {
            QuestionStrategy::Random => {
                let seed = p.history.len() as u64 ^ (p.answers.len() as u64) << 32;
                (
                    question::random_tag(catalog, candidates, &skip, seed),
                    None,
                    0.0,
                )
            }
            QuestionStrategy::InfoGain => (
                question::best_tag(catalog, candidates, &skip),
                question::best_items(candidates, 3, &sim)
                    .filter(|_| may_ask_items)
                    .map(|(ids, g)| (ids, g * 0.6)),
                options.min_gain,
            ),
            QuestionStrategy::ListGain | QuestionStrategy::Never => (
                question::best_tag_for_list(catalog, candidates, &skip, k),
                question::best_items(candidates, 3, &sim)
                    .filter(|_| may_ask_items)
                    .map(|(ids, _)| {
                        let g = question::items_list_gain(candidates, &ids, k, &sim);
                        (ids, g * 0.6)
                    })
                    .filter(|(_, g)| *g > 0.0),
                options.min_list_gain,
            ),
        };
        match (tag, items) {
            (t, Some((ids, g_items)))
                if g_items >= min_gain && t.as_ref().is_none_or(|(_, g)| *g < g_items) =>
            {
                let titles: Vec<String> = ids.iter().map(|&i| self.title(i)).collect();
                Some((
                    self.words.pick_question(&titles),
                    Pending::Items {
                        ids: ids.iter().map(|&i| self.id(i)).collect(),
                    },
                ))
            }
            (Some((t, g)), _) if g >= min_gain => {
                Some((self.words.tag_question(&t), Pending::Tag { tag: t }))
            }
            _ => None,
        }
    }

    /// Records a turn: what was said, the question asked and the list shown
    /// (counted as shown, so positions like "the second one" refer to it).
    fn record_turn(
        &self,
        p: &mut Profile,
        said: &str,
        recs: Vec<Recommendation>,
        question: Option<String>,
        about: Option<Pending>,
        notes: Vec<String>,
    ) -> Reply {
        let shown: Vec<String> = recs.iter().map(|r| r.id.clone()).collect();
        let variant = self.options_for(p).variant;
        for id in &shown {
            p.bump_shown(id, 1);
            p.record(id, Outcome::Shown, variant.as_deref());
        }
        let turn = p.history.len() as u32;
        p.history.push(Turn {
            said: said.chars().take(MAX_ANSWER_CHARS).collect(),
            question: question.clone(),
            shown: shown.clone(),
        });
        p.shown = shown;
        Reply {
            question,
            question_about: about,
            recommendations: recs,
            understood: Understood::default(),
            notes,
            turn,
        }
    }

    /// Ranks, maybe asks, and records the turn in the profile.
    fn rank_and_record(
        &self,
        p: &mut Profile,
        said: &str,
        may_ask: bool,
    ) -> Result<Reply, EngineError> {
        let (recs, candidates, notes) = self.rank(p);
        let mut question = None;
        let mut about = None;
        let asked_last = p.history.last().is_some_and(|t| t.question.is_some());
        if may_ask && !asked_last {
            if let Some((text, pending)) = self.choose_question(p, &candidates) {
                if let Pending::Tag { tag } = &pending {
                    push_unique(&mut p.asked_tags, tag.clone());
                }
                p.pending = Some(pending.clone());
                question = Some(text);
                about = Some(pending);
            }
        }
        Ok(self.record_turn(p, said, recs, question, about, notes))
    }
}
