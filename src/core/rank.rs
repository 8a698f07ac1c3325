//! Ranking: every item gets a hybrid score (MF, text similarity, popularity
//! prior, asked-for tags and creators, knowledge-graph relations to liked
//! items, context and follow-up shifts), excluded items are dropped, MMR picks
//! a varied list under the visitor's diversity knob, and each pick is
//! explained by the signal that contributed most to it.
//!
//! Each signal is standardised over the catalog before weighting, so weights
//! mean the same on every catalog and a signal that is absent contributes 0.

use std::collections::HashMap;

use serde::Serialize;

use crate::core::catalog::{Catalog, Item, ItemIdx};
use crate::core::embeddings::QuantizedEmbeddings;
use crate::core::graph::{name_key, Graph, Relation};
use crate::core::mf::{top_k, MfModel, UserVector};
use crate::core::profile::{Context, Shifts};
use crate::core::vectors::dot;
use crate::core::words::Words;

/// How much each signal counts, in standard deviations of the signal.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Weights {
    /// Collaborative (MF) score.
    pub mf: f32,
    /// Text similarity to the visitor's described taste.
    pub text: f32,
    /// Popularity prior.
    pub popularity: f32,
    /// Per asked-for tag the item carries.
    pub tag: f32,
    /// An asked-for creator.
    pub creator: f32,
    /// Next in a liked series / same series / same creator as a liked item.
    pub graph: f32,
    /// Down-weighting of avoided themes (by meaning and by tag).
    pub avoid: f32,
    /// Per previous showing of the same item.
    pub repeat: f32,
    /// Follow-up shifts and context.
    pub shift: f32,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            mf: 1.0,
            text: 0.5,
            popularity: 1.0,
            tag: 0.8,
            creator: 2.5,
            graph: 2.5,
            avoid: 1.5,
            repeat: 0.6,
            shift: 0.8,
        }
    }
}

/// The catalog-side data ranking reads; built once per bundle.
pub struct Ranker<'a> {
    /// The items.
    pub catalog: &'a Catalog,
    /// Their relations.
    pub graph: &'a Graph,
    /// MF item factors and biases.
    pub mf: &'a MfModel,
    /// Item text embeddings (may be empty: the encoder-less fallback).
    pub embeddings: &'a QuantizedEmbeddings,
    /// Popularity prior per item in 0..1 (log audience, min-max scaled).
    pub prior: &'a [f32],
    /// The catalog's words ("readers", "wrote"), for explanations.
    pub words: &'a Words,
}

/// What the visitor wants, resolved to indices.
#[derive(Debug, Default, Clone)]
pub struct Query<'a> {
    /// MF user vector, if any evidence produced one.
    pub user: Option<&'a UserVector>,
    /// Taste in text space (unit vector), if described.
    pub taste: Option<&'a [f32]>,
    /// What to stay away from in text space.
    pub aversion: Option<&'a [f32]>,
    /// Tags asked for.
    pub wanted_tags: &'a [String],
    /// Wanted tags that stand for a mood, audience, pace or length, with
    /// how to say it ("humor" → "light-hearted"), for explanations.
    pub tag_reasons: &'a [(String, &'static str)],
    /// The wanted tags that shape the list (at least `WANTED_TAG_SHARE` of
    /// it carries one when enough exist); `None`: all of `wanted_tags`.
    /// The rest only add to the score.
    pub shaping_tags: Option<&'a [String]>,
    /// Every item carries a shaping tag when enough exist, not only
    /// `WANTED_TAG_SHARE` of them: the list is for someone (children).
    pub strict_shaping: bool,
    /// Tags down-weighted (answered "no").
    pub soft_avoided_tags: &'a [String],
    /// Tags never shown (named as avoided, or the avoid control).
    pub hard_avoided_tags: &'a [String],
    /// Creators asked for.
    pub wanted_creators: &'a [String],
    /// Creators never shown.
    pub avoided_creators: &'a [String],
    /// Positively picked items with their strength (graph and explanations).
    pub liked: &'a [(ItemIdx, f32)],
    /// Items never shown (sorted): seen, disliked, liked.
    pub exclude: &'a [ItemIdx],
    /// Times items were shown already.
    pub shown_counts: &'a [(ItemIdx, u32)],
    /// Follow-up shifts.
    pub shifts: Option<&'a Shifts>,
    /// Situational context.
    pub context: Option<&'a Context>,
    /// The visitor's own words describing their taste, for explanations.
    pub phrase: Option<&'a str>,
    /// MMR λ in 0..1.
    pub diversity: f32,
    /// How many to return.
    pub k: usize,
}

/// Which signal explains a recommendation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    /// Next in / same series as a liked item.
    Series,
    /// Same creator as a liked item, or a creator asked for.
    Creator,
    /// Collaborative: readers who liked a liked item liked this.
    ReadersLikeYou,
    /// Close to the visitor's described taste.
    Theme,
    /// Carries asked-for tags.
    Tags,
    /// Widely read: among the most popular tenth of the catalog.
    Popular,
    /// No specific signal holds strongly enough to name: an honest general reason.
    General,
}

impl Signal {
    /// The signal's name as the JSON output spells it.
    pub fn name(self) -> &'static str {
        match self {
            Signal::Series => "series",
            Signal::Creator => "creator",
            Signal::ReadersLikeYou => "readers_like_you",
            Signal::Theme => "theme",
            Signal::Tags => "tags",
            Signal::Popular => "popular",
            Signal::General => "general",
        }
    }
}

/// A recommendation's explanation: the sentence and the facts it states.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    /// Which signal contributed most.
    pub signal: Signal,
    /// The sentence shown to the visitor (a template filled with `facts`).
    pub text: String,
    /// Titles named in the sentence (all real items the visitor picked).
    pub items: Vec<String>,
    /// Creators named.
    pub creators: Vec<String>,
    /// Tags named.
    pub tags: Vec<String>,
    /// The visitor's own words quoted, if any.
    pub phrase: Option<String>,
}

impl Explanation {
    /// An explanation of a signal, its sentence and facts still to fill.
    pub fn of(signal: Signal) -> Explanation {
        Explanation {
            signal,
            text: String::new(),
            items: Vec::new(),
            creators: Vec::new(),
            tags: Vec::new(),
            phrase: None,
        }
    }
}

/// Each signal's weighted contribution to one item's score.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Parts {
    /// MF.
    pub mf: f32,
    /// Text similarity.
    pub text: f32,
    /// Popularity prior.
    pub popularity: f32,
    /// Asked-for tags.
    pub tags: f32,
    /// Asked-for creator.
    pub creator: f32,
    /// Graph relation to a liked item.
    pub graph: f32,
    /// Avoidance penalties (≤ 0).
    pub avoid: f32,
    /// Shifts, context, repeats.
    pub adjust: f32,
}

/// One ranked item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scored {
    /// The item.
    pub item: ItemIdx,
    /// Its hybrid score.
    pub score: f32,
    /// Where the score came from.
    pub parts: Parts,
    /// Why it is recommended.
    pub explanation: Explanation,
    /// When the first explanation failed its check ([`Evidence::supports`]):
    /// why. The explanation shown is then an honest general one. Never set
    /// unless a rule and the explanation code disagree; tests assert it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaced: Option<String>,
}

/// A ranking: the list to show and the candidate distribution questions use.
#[derive(Debug, Clone, Default)]
pub struct Ranking {
    /// The recommendations, in order.
    pub items: Vec<Scored>,
    /// The top candidates before diversification with their probabilities
    /// (softmax of scores), best first.
    pub candidates: Vec<(ItemIdx, f32)>,
    /// What the explanations were checked against ([`Evidence::supports`]).
    pub evidence: Evidence,
    /// Asked-for tags the list could not honour: fewer eligible items carry
    /// them than the list needs (the reply says so).
    pub tag_shortfall: Option<TagShortfall>,
}

/// Too few items carry the tags the visitor asked for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TagShortfall {
    /// The tags asked for.
    pub tags: Vec<String>,
    /// Eligible items carrying at least one of them.
    pub available: usize,
}

/// Share of a list that must carry an asked-for tag when the catalog has
/// enough such items: 8 of 10.
pub const WANTED_TAG_SHARE: f32 = 0.8;

/// The facts an explanation may state, fixed when the catalog is ranked:
/// each kind of reason is given only when its rule holds for that item.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evidence {
    /// How many items count as "among the closest" (to the request's text,
    /// or to a liked item's factors).
    pub close_count: usize,
    /// Text similarity of the `close_count`-th closest eligible item to the
    /// described taste (`None` without a description).
    pub text_cut: Option<f32>,
    /// Per liked item: the `close_count`-th largest factor agreement
    /// (q_liked · q_i) over the catalog.
    pub neighbour_cuts: Vec<(ItemIdx, f32)>,
    /// Popularity prior of the item at the top-tenth boundary.
    pub popular_cut: f32,
    /// Raw text similarity of every item to the described taste (empty without one).
    pub text: Vec<f32>,
}

impl Evidence {
    /// Whether item `i`'s own text is among the closest to the request.
    pub fn text_close(&self, i: ItemIdx) -> bool {
        match (self.text_cut, self.text.get(i as usize)) {
            (Some(cut), Some(&v)) => v >= cut,
            _ => false,
        }
    }

    /// Liked items whose factors put `i` among their closest, best first.
    pub fn neighbours_of(&self, ranker: &Ranker, i: ItemIdx) -> Vec<ItemIdx> {
        let q_i = ranker.mf.item(i);
        let mut out: Vec<(ItemIdx, f32)> = self
            .neighbour_cuts
            .iter()
            .map(|&(x, cut)| (x, dot(ranker.mf.item(x), q_i), cut))
            .filter(|&(x, d, cut)| x != i && d > 0.0 && d >= cut)
            .map(|(x, d, _)| (x, d))
            .collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1));
        out.into_iter().map(|(x, _)| x).collect()
    }

    /// Checks that `s`'s explanation states only what holds for its item;
    /// the reason it does not, otherwise. Tests and benchmarks call it on
    /// every explanation.
    pub fn supports(&self, ranker: &Ranker, q: &Query, s: &Scored) -> Result<(), String> {
        let e = &s.explanation;
        let item = ranker
            .catalog
            .get(s.item)
            .ok_or_else(|| format!("item {} is not in the catalog", s.item))?;
        let liked_titles: Vec<String> = q
            .liked
            .iter()
            .filter(|(_, st)| *st > 0.0)
            .map(|&(j, _)| title_of(ranker.catalog, j))
            .collect();
        for t in &e.items {
            if !liked_titles.contains(t) {
                return Err(format!("names {t:?}, which the visitor did not like"));
            }
        }
        if e.phrase.is_some() && !self.text_close(s.item) {
            return Err("quotes the request, but the item's text is not among the closest".into());
        }
        match e.signal {
            Signal::Theme if e.phrase.is_none() && e.tags.is_empty() => {
                Err("a theme reason with nothing to show for it".into())
            }
            Signal::Theme if !e.tags.is_empty() => {
                if e.tags.iter().all(|t| item.tags.contains(t)) && self.text_close(s.item) {
                    Ok(())
                } else {
                    Err("claims tags the item lacks, or text that is not close".into())
                }
            }
            Signal::Tags => {
                if !e.tags.is_empty()
                    && e.tags
                        .iter()
                        .all(|t| item.tags.contains(t) && q.wanted_tags.contains(t))
                {
                    Ok(())
                } else {
                    Err(format!("claims asked-for tags {:?} the item lacks", e.tags))
                }
            }
            Signal::Creator => {
                let keys: Vec<String> = item.creators.iter().map(|c| name_key(c)).collect();
                if !e.creators.is_empty() && e.creators.iter().all(|c| keys.contains(&name_key(c)))
                {
                    Ok(())
                } else {
                    Err(format!(
                        "names creators {:?} the item does not have",
                        e.creators
                    ))
                }
            }
            Signal::ReadersLikeYou => {
                let from = self.neighbours_of(ranker, s.item);
                let named_ok = e
                    .items
                    .iter()
                    .all(|t| from.iter().any(|&x| title_of(ranker.catalog, x) == *t));
                if !from.is_empty() && !e.items.is_empty() && named_ok {
                    Ok(())
                } else {
                    Err(
                        "credits a liked item whose factors do not put this item among its closest"
                            .into(),
                    )
                }
            }
            Signal::Popular => {
                if ranker
                    .prior
                    .get(s.item as usize)
                    .is_some_and(|&p| p >= self.popular_cut)
                {
                    Ok(())
                } else {
                    Err("called one of the most popular, but it is not in the top tenth".into())
                }
            }
            Signal::Series => {
                let liked: Vec<ItemIdx> = q
                    .liked
                    .iter()
                    .filter(|(_, st)| *st > 0.0)
                    .map(|x| x.0)
                    .collect();
                let related = liked.iter().any(|&j| {
                    matches!(
                        ranker.graph.relation(ranker.catalog, j, s.item),
                        Some(Relation::NextInSeries { .. } | Relation::SameSeries { .. })
                    )
                });
                if related {
                    Ok(())
                } else {
                    Err("no liked item in its series".into())
                }
            }
            _ => Ok(()),
        }
    }
}

/// The `n`-th largest finite value among `keep` positions (n ≥ 1); −∞ when there are fewer.
fn nth_largest(values: &[f32], keep: &dyn Fn(usize) -> bool, n: usize) -> f32 {
    let mut v: Vec<f32> = values
        .iter()
        .enumerate()
        .filter(|&(i, x)| keep(i) && x.is_finite())
        .map(|(_, &x)| x)
        .collect();
    if n == 0 || v.len() < n {
        return f32::NEG_INFINITY;
    }
    let (_, nth, _) = v.select_nth_unstable_by(n - 1, |a, b| b.total_cmp(a));
    *nth
}

/// Mean and standard deviation of the finite values at `keep` positions.
fn stats(values: &[f32], keep: &[bool]) -> (f32, f32) {
    let (mut n, mut s, mut s2) = (0f64, 0f64, 0f64);
    for (v, &k) in values.iter().zip(keep) {
        if k && v.is_finite() {
            n += 1.0;
            s += *v as f64;
            s2 += (*v as f64) * (*v as f64);
        }
    }
    if n < 2.0 {
        return (0.0, 1.0);
    }
    let mean = s / n;
    let var = (s2 / n - mean * mean).max(0.0);
    let sd = var.sqrt();
    (mean as f32, if sd > 1e-9 { sd as f32 } else { 1.0 })
}

/// Rank-based normal scores (van der Waerden): the kept item at ascending
/// rank r of m gets Φ⁻¹((r + ½)/m), tied values their mean. Unlike a z-score
/// this does not depend on the shape of the signal's distribution, so a
/// heavy-tailed MF model (weak regularisation) and a flat one (strong
/// regularisation) weigh the same against the other signals: one set of
/// weights holds for whatever factors a catalog's search chose. Items not
/// kept (or not finite) get 0.
fn normal_scores(values: &[f32], keep: &[bool]) -> Vec<f32> {
    let mut order: Vec<usize> = (0..values.len())
        .filter(|&i| keep.get(i).copied().unwrap_or(false) && values[i].is_finite())
        .collect();
    order.sort_unstable_by(|&a, &b| values[a].total_cmp(&values[b]));
    let m = order.len() as f64;
    let mut out = vec![0f32; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        // Mean rank of the tie group, as a probability strictly inside (0, 1).
        let p = ((start + end - 1) as f64 / 2.0 + 0.5) / m;
        let z = inverse_normal_cdf(p) as f32;
        for &i in &order[start..end] {
            out[i] = z;
        }
        start = end;
    }
    out
}

/// Φ⁻¹(p) for 0 < p < 1, by Acklam's rational approximation (relative error
/// below 1.2e-9, ample for ranking).
fn inverse_normal_cdf(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let p = p.clamp(1e-12, 1.0 - 1e-12);
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

fn title_of(catalog: &Catalog, i: ItemIdx) -> String {
    catalog.get(i).map(|x| x.title.clone()).unwrap_or_default()
}

/// The strongest graph relation of an item to a liked item: (boost, the
/// liked item, the relation).
type GraphBoosts = HashMap<ItemIdx, (f32, ItemIdx, Relation)>;

/// A similarity signal and the mean and spread it is z-scored by.
struct Standardised {
    raw: Vec<f32>,
    mean: f32,
    sd: f32,
}

impl Standardised {
    /// Item `i`'s z-score.
    fn z(&self, i: usize) -> f32 {
        (self.raw[i] - self.mean) / self.sd
    }
}

/// The signals of one ranking, each on one scale over the eligible items.
struct Signals {
    /// MF (or, with no user vector, the item bias) as rank-based normal scores.
    mf: Vec<f32>,
    /// The weight MF gets this time (less without picks or without a user).
    mf_weight: f32,
    /// Text similarity to the described taste, when there is one.
    text: Option<Standardised>,
    /// Text similarity to what the visitor described avoiding.
    aversion: Option<Standardised>,
}

/// How asked-for tags shape a list.
struct Shaping {
    /// Per item: eligible and carrying a shaping tag.
    tagged: Vec<bool>,
    /// Places in the list an untagged item may take.
    max_untagged: usize,
    /// The tags the list cannot honour, if too few items carry them.
    shortfall: Option<TagShortfall>,
}

/// How far lengths are pulled: the visitor's shift, and context (a short
/// time budget, a phone, late night) leaning shorter where lengths are
/// known.
fn length_pull(shifts: &Shifts, context: Option<&Context>) -> f32 {
    let mut pull = shifts.length;
    if let Some(c) = context {
        if c.time_budget_minutes.is_some_and(|m| m <= 45) {
            pull -= 0.5;
        }
        if c.device.as_deref() == Some("mobile") {
            pull -= 0.2;
        }
        if c.hour.is_some_and(|h| !(5..23).contains(&h)) {
            pull -= 0.2;
        }
    }
    pull
}

/// The items MMR chooses from: the best by score, and when the shaping
/// needs them the best tagged items too, even when untagged ones outscore
/// them; ineligible (−∞) items never.
fn pool(q: &Query, scores: &[f32], shaping: &Shaping, eligible: usize) -> Vec<(ItemIdx, f32)> {
    let pool_size = q.k.saturating_mul(20).max(200).min(eligible);
    let mut pool = top_k(scores, pool_size, &[]);
    if shaping.max_untagged < q.k {
        let tagged_scores: Vec<f32> = scores
            .iter()
            .zip(&shaping.tagged)
            .map(|(&s, &t)| if t { s } else { f32::NEG_INFINITY })
            .collect();
        let in_pool: std::collections::HashSet<ItemIdx> = pool.iter().map(|x| x.0).collect();
        pool.extend(
            top_k(&tagged_scores, pool_size, &[])
                .into_iter()
                .filter(|x| !in_pool.contains(&x.0)),
        );
        pool.sort_by(|a, b| b.1.total_cmp(&a.1));
    }
    pool.into_iter().filter(|(_, s)| s.is_finite()).collect()
}

/// The candidate distribution questions read: a softmax over the pool's
/// top 100.
fn candidate_distribution(pool: &[(ItemIdx, f32)]) -> Vec<(ItemIdx, f32)> {
    let top: Vec<(ItemIdx, f32)> = pool.iter().take(100).copied().collect();
    let max = top.first().map_or(0.0, |x| x.1);
    let z: f32 = top.iter().map(|(_, s)| (s - max).exp()).sum();
    top.iter()
        .map(|&(i, s)| (i, (s - max).exp() / z.max(f32::MIN_POSITIVE)))
        .collect()
}

impl Ranker<'_> {
    /// Similarity of two items for diversity: text embeddings when present,
    /// else the cosine of their MF factors.
    pub fn similarity(&self, a: ItemIdx, b: ItemIdx) -> f32 {
        if !self.embeddings.is_empty() {
            return self.embeddings.row_dot(a as usize, b as usize);
        }
        let (qa, qb) = (self.mf.item(a), self.mf.item(b));
        let d = dot(qa, qb);
        let n = (dot(qa, qa) * dot(qb, qb)).sqrt();
        if n > 0.0 {
            d / n
        } else {
            0.0
        }
    }

    /// Ranks the catalog for a query with the given weights, in named steps:
    /// which items may be shown (`eligible`), the raw signals on one scale
    /// (`signals`), each item's weighted parts and score (`score`), what
    /// explanations may state (`evidence`), how asked-for tags shape the
    /// list (`shaping`), the pool and the candidate distribution questions
    /// read, MMR over the pool (`diversify`), and an explanation for each
    /// pick, checked against the evidence (`explained`).
    pub fn rank(&self, q: &Query, w: &Weights) -> Ranking {
        let n = self.catalog.len();
        if n == 0 || q.k == 0 {
            return Ranking::default();
        }
        let keep = self.eligible(q);
        let eligible = keep.iter().filter(|&&k| k).count();
        let signals = self.signals(q, w, &keep);
        let graph_boost = self.graph_boosts(q, w);
        let (parts, scores) = self.score(q, w, &keep, &signals, &graph_boost);
        let evidence = self.evidence(q, &keep, eligible, signals.text);
        let shaping = self.shaping(q, &keep);
        let pool = pool(q, &scores, &shaping, eligible);
        let candidates = candidate_distribution(&pool);
        let chosen = self.diversify(q, &pool, &shaping);
        let items = self.explained(q, chosen, &parts, &scores, &graph_boost, &evidence);
        Ranking {
            items,
            candidates,
            evidence,
            tag_shortfall: shaping.shortfall,
        }
    }

    /// Eligibility: not excluded, no hard-avoided tag, no avoided creator.
    fn eligible(&self, q: &Query) -> Vec<bool> {
        let mut keep = vec![true; self.catalog.len()];
        for &i in q.exclude {
            if let Some(k) = keep.get_mut(i as usize) {
                *k = false;
            }
        }
        let hard_tags: Vec<&String> = q.hard_avoided_tags.iter().collect();
        let avoided_creators: Vec<String> =
            q.avoided_creators.iter().map(|c| name_key(c)).collect();
        for (i, item) in self.catalog.items().iter().enumerate() {
            if item.tags.iter().any(|t| hard_tags.contains(&t))
                || item
                    .creators
                    .iter()
                    .any(|c| avoided_creators.contains(&name_key(c)))
            {
                keep[i] = false;
            }
        }
        keep
    }

    /// The raw signals over the whole catalog, and how each is put on one
    /// scale over the eligible items.
    fn signals(&self, q: &Query, w: &Weights, keep: &[bool]) -> Signals {
        let mut mf_raw = Vec::new();
        let has_mf = match q.user {
            Some(u) => {
                self.mf.score_all(u, &mut mf_raw).is_ok() && u.factors.iter().any(|&x| x != 0.0)
            }
            None => false,
        };
        if !has_mf {
            mf_raw = self.mf.item_bias.clone();
        }
        let text = self.similarities(q.taste).map(|raw| {
            let (mean, sd) = stats(&raw, keep);
            Standardised { raw, mean, sd }
        });
        let aversion = self.similarities(q.aversion).map(|raw| {
            let (mean, sd) = stats(&raw, keep);
            Standardised { raw, mean, sd }
        });
        // Without any evidence, the item bias alone is a weak popularity signal.
        // A user vector folded in from a description alone (the bridge's
        // guess at the MF image of the visitor's words, no pick yet) counts
        // no more than the text it came from: on a catalog whose interactions
        // mean something other than shared taste (software that depends on
        // software) it would otherwise fill the list with what everything
        // uses (docs/BENCHMARKS.md §6).
        let picked = q.liked.iter().any(|&(_, strength)| strength > 0.0);
        let mf_weight = match (has_mf, picked) {
            (false, _) => 0.3 * w.mf,
            (true, false) => w.mf.min(w.text),
            (true, true) => w.mf,
        };
        Signals {
            mf: normal_scores(&mf_raw, keep),
            mf_weight,
            text,
            aversion,
        }
    }

    /// Every item's text similarity to a query vector, when there are item
    /// embeddings of its size.
    fn similarities(&self, query: Option<&[f32]>) -> Option<Vec<f32>> {
        match query {
            Some(t) if !self.embeddings.is_empty() && t.len() == self.embeddings.dim() => {
                let mut raw = Vec::new();
                self.embeddings.dot_all(t, &mut raw);
                Some(raw)
            }
            _ => None,
        }
    }

    /// Graph boosts from liked items: the strongest relation per candidate.
    fn graph_boosts(&self, q: &Query, w: &Weights) -> GraphBoosts {
        let mut graph_boost: GraphBoosts = HashMap::new();
        for &(liked, strength) in q.liked {
            if strength <= 0.0 {
                continue;
            }
            for nb in self.graph.neighbours(self.catalog, liked, 30) {
                let Some(rel) = self.graph.relation(self.catalog, liked, nb) else {
                    continue;
                };
                let base = match rel {
                    Relation::NextInSeries { .. } => 1.0,
                    Relation::SameSeries { .. } => 0.6,
                    Relation::SameCreator { .. } => 0.4,
                    Relation::SharedTags { .. } => 0.0,
                };
                let b = base * strength * w.graph;
                if b > graph_boost.get(&nb).map_or(0.0, |e| e.0) {
                    graph_boost.insert(nb, (b, liked, rel));
                }
            }
        }
        graph_boost
    }

    /// Each eligible item's weighted parts and their sum (−∞ for the
    /// ineligible).
    fn score(
        &self,
        q: &Query,
        w: &Weights,
        keep: &[bool],
        signals: &Signals,
        graph_boost: &GraphBoosts,
    ) -> (Vec<Parts>, Vec<f32>) {
        let n = self.catalog.len();
        let wanted_creators: Vec<String> = q.wanted_creators.iter().map(|c| name_key(c)).collect();
        let shown: HashMap<ItemIdx, u32> = q.shown_counts.iter().copied().collect();
        let shifts = q.shifts.cloned().unwrap_or_default();
        // Years and lengths as rank-based normal scores: a catalog whose
        // years run from antiquity to last year still tells 1995 from 2010.
        // Computed only when asked for (empty otherwise).
        let attribute_scores = |asked: f32, value: &dyn Fn(&Item) -> Option<f32>| {
            if asked == 0.0 {
                return Vec::new();
            }
            let vs: Vec<f32> = self
                .catalog
                .items()
                .iter()
                .map(|i| value(i).unwrap_or(f32::NAN))
                .collect();
            normal_scores(&vs, keep)
        };
        let year_score = attribute_scores(shifts.recency, &|i| i.year.map(|y| y as f32));
        let length_pull = length_pull(&shifts, q.context);
        let length_score = attribute_scores(length_pull, &|i| i.length.map(|l| l as f32));

        let mut parts: Vec<Parts> = vec![Parts::default(); n];
        let mut scores = vec![f32::NEG_INFINITY; n];
        for i in 0..n {
            if !keep[i] {
                continue;
            }
            let item = &self.catalog.items()[i];
            let mut p = Parts {
                mf: signals.mf_weight * signals.mf[i],
                ..Parts::default()
            };
            if let Some(t) = &signals.text {
                p.text = w.text * t.z(i);
            }
            p.popularity = w.popularity * (self.prior[i] * 2.0 - 1.0);
            let matched = item
                .tags
                .iter()
                .filter(|t| q.wanted_tags.contains(t))
                .count();
            p.tags = w.tag * (matched.min(2) as f32);
            if item
                .creators
                .iter()
                .any(|c| wanted_creators.contains(&name_key(c)))
            {
                p.creator = w.creator;
            }
            if let Some((b, _, _)) = graph_boost.get(&(i as ItemIdx)) {
                p.graph = *b;
            }
            let soft = item
                .tags
                .iter()
                .filter(|t| q.soft_avoided_tags.contains(t))
                .count();
            p.avoid = -w.avoid * soft.min(2) as f32;
            if let Some(a) = &signals.aversion {
                p.avoid -= 0.5 * w.avoid * (a.z(i) - 0.5).max(0.0);
            }
            let mut adjust = -w.repeat * *shown.get(&(i as ItemIdx)).unwrap_or(&0) as f32;
            adjust += w.shift * shifts.popularity * (self.prior[i] * 2.0 - 1.0) * 2.0;
            if item.year.is_some() {
                if let Some(z) = year_score.get(i) {
                    adjust += w.shift * shifts.recency * z.clamp(-2.0, 2.0);
                }
            }
            if item.length.is_some() {
                if let Some(z) = length_score.get(i) {
                    adjust += w.shift * length_pull * z.clamp(-2.0, 2.0);
                }
            }
            p.adjust = adjust;
            scores[i] =
                p.mf + p.text + p.popularity + p.tags + p.creator + p.graph + p.avoid + p.adjust;
            parts[i] = p;
        }
        (parts, scores)
    }

    /// What explanations may state: the closest items to the request's
    /// text and to each liked item's factors, and the popular tenth.
    fn evidence(
        &self,
        q: &Query,
        keep: &[bool],
        eligible: usize,
        text: Option<Standardised>,
    ) -> Evidence {
        let n = self.catalog.len();
        let close_count =
            q.k.saturating_mul(3)
                .max(eligible / 100)
                .clamp(1, eligible.max(1));
        let text = text.map(|t| t.raw);
        Evidence {
            close_count,
            text_cut: text
                .as_ref()
                .map(|raw| nth_largest(raw, &|i| keep[i], close_count)),
            neighbour_cuts: q
                .liked
                .iter()
                .filter(|(_, st)| *st > 0.0)
                .map(|&(x, _)| {
                    let q_x = self.mf.item(x);
                    let dots: Vec<f32> = (0..n as ItemIdx)
                        .map(|j| {
                            if j == x {
                                f32::NEG_INFINITY
                            } else {
                                dot(q_x, self.mf.item(j))
                            }
                        })
                        .collect();
                    (x, nth_largest(&dots, &|_| true, close_count))
                })
                .collect(),
            popular_cut: nth_largest(self.prior, &|_| true, (n / 10).max(1)),
            text: text.unwrap_or_default(),
        }
    }

    /// Asked-for tags shape the list: when enough eligible items carry one,
    /// at least [`WANTED_TAG_SHARE`] of the list does (MMR works inside
    /// that); too few, and every one that exists is shown and the reply
    /// says so. A liked title anchors the list instead ("I loved Dune for
    /// its political intrigue": more like Dune, not political non-fiction),
    /// so with liked items the tags only add to the score.
    fn shaping(&self, q: &Query, keep: &[bool]) -> Shaping {
        let shaping: &[String] = q.shaping_tags.unwrap_or(q.wanted_tags);
        let tagged: Vec<bool> = self
            .catalog
            .items()
            .iter()
            .enumerate()
            .map(|(i, it)| keep[i] && it.tags.iter().any(|t| shaping.contains(t)))
            .collect();
        let available = tagged.iter().filter(|&&t| t).count();
        let share = if q.strict_shaping {
            1.0
        } else {
            WANTED_TAG_SHARE
        };
        let needed = ((q.k as f32) * share).ceil() as usize;
        let constrained = !shaping.is_empty() && !q.liked.iter().any(|&(_, st)| st > 0.0);
        let required = if constrained {
            needed.min(available).min(q.k)
        } else {
            0
        };
        Shaping {
            tagged,
            max_untagged: q.k - required,
            shortfall: (constrained && available < needed).then(|| TagShortfall {
                tags: shaping.to_vec(),
                available,
            }),
        }
    }

    /// MMR over the pool: each pick trades its score against its
    /// similarity to the picks so far, by the visitor's diversity knob; at
    /// most two of one series when any diversity is asked for; untagged
    /// items only while the shaping allows.
    fn diversify(&self, q: &Query, pool: &[(ItemIdx, f32)], shaping: &Shaping) -> Vec<ItemIdx> {
        let lambda = q.diversity.clamp(0.0, 1.0);
        let (lo, hi) = pool
            .iter()
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &(_, s)| {
                (lo.min(s), hi.max(s))
            });
        let span = if hi > lo { hi - lo } else { 1.0 };
        let mut chosen: Vec<ItemIdx> = Vec::new();
        let mut max_sim: Vec<f32> = vec![f32::NEG_INFINITY; pool.len()];
        let mut used = vec![false; pool.len()];
        let mut per_series: HashMap<String, usize> = HashMap::new();
        let mut untagged = 0usize;
        let tagged = &shaping.tagged;
        while chosen.len() < q.k && chosen.len() < pool.len() {
            let mut best: Option<(usize, f32)> = None;
            for (c, &(i, s)) in pool.iter().enumerate() {
                if used[c] || (untagged >= shaping.max_untagged && !tagged[i as usize]) {
                    continue;
                }
                // With any diversity asked for, at most two of one series.
                if lambda > 0.0 {
                    if let Some(sr) = self.catalog.get(i).and_then(|x| x.series.as_ref()) {
                        if per_series.get(&name_key(&sr.name)).copied().unwrap_or(0) >= 2 {
                            continue;
                        }
                    }
                }
                let rel = (s - lo) / span;
                let red = if chosen.is_empty() {
                    0.0
                } else {
                    max_sim[c].max(0.0)
                };
                let v = (1.0 - lambda) * rel - lambda * red;
                if best.is_none_or(|(_, b)| v > b) {
                    best = Some((c, v));
                }
            }
            let Some((c, _)) = best else { break };
            used[c] = true;
            let item = pool[c].0;
            if !tagged[item as usize] {
                untagged += 1;
            }
            chosen.push(item);
            if let Some(sr) = self.catalog.get(item).and_then(|x| x.series.as_ref()) {
                *per_series.entry(name_key(&sr.name)).or_default() += 1;
            }
            if lambda > 0.0 {
                for (d, &(j, _)) in pool.iter().enumerate() {
                    if !used[d] {
                        max_sim[d] = max_sim[d].max(self.similarity(item, j));
                    }
                }
            }
        }
        chosen
    }

    /// Each pick with its explanation, checked again against the evidence:
    /// a reason that does not hold is replaced by an honest general one.
    fn explained(
        &self,
        q: &Query,
        chosen: Vec<ItemIdx>,
        parts: &[Parts],
        scores: &[f32],
        graph_boost: &GraphBoosts,
        evidence: &Evidence,
    ) -> Vec<Scored> {
        chosen
            .into_iter()
            .map(|i| {
                let p = parts[i as usize].clone();
                let explanation = self.explain(i, &p, q, graph_boost.get(&i), evidence);
                let mut s = Scored {
                    item: i,
                    score: scores[i as usize],
                    parts: p,
                    explanation,
                    replaced: None,
                };
                // Never state a reason that does not hold.
                if let Err(why) = evidence.supports(self, q, &s) {
                    s.explanation = Explanation {
                        text: self.words.general_reason(told(q)),
                        ..Explanation::of(Signal::General)
                    };
                    s.replaced = Some(why);
                }
                s
            })
            .collect()
    }

    /// The explanation from the largest positive contribution, stating only
    /// facts the engine holds: the strongest reason whose rule holds, then
    /// a relation to a liked item or the signal's own sentence, and the
    /// visitor's words when they also fit.
    fn explain(
        &self,
        i: ItemIdx,
        p: &Parts,
        q: &Query,
        graph: Option<&(f32, ItemIdx, Relation)>,
        ev: &Evidence,
    ) -> Explanation {
        let credited = ev.neighbours_of(self, i);
        let text_close = ev.text_close(i);
        let best = self.strongest_reason(i, p, q, graph, ev, !credited.is_empty(), text_close);
        if let (Signal::Series | Signal::Creator, Some((_, liked, rel))) = (best.0, graph) {
            return self.explain_relation(best.0, *liked, rel);
        }
        let mut e = self.explain_signal(best.0, i, q, &credited, text_close);
        self.add_theme_words(&mut e, p, q, text_close, best.1);
        e
    }

    /// The strongest signal whose rule holds for the item, and its size:
    /// each signal is a candidate reason only where the evidence allows it.
    #[allow(clippy::too_many_arguments)]
    fn strongest_reason(
        &self,
        i: ItemIdx,
        p: &Parts,
        q: &Query,
        graph: Option<&(f32, ItemIdx, Relation)>,
        ev: &Evidence,
        credited: bool,
        text_close: bool,
    ) -> (Signal, f32) {
        let popular = self
            .prior
            .get(i as usize)
            .is_some_and(|&x| x >= ev.popular_cut);
        let mut best: (Signal, f32) = if popular {
            (Signal::Popular, p.popularity.max(0.0) + 1e-6)
        } else {
            (Signal::General, 1e-6)
        };
        let mut consider = |s: Signal, v: f32| {
            if v > best.1 {
                best = (s, v);
            }
        };
        if let Some((b, _, rel)) = graph {
            // A named relation to a liked item is the most specific reason
            // there is: a series always wins, a shared creator unless another
            // signal is far stronger.
            match rel {
                Relation::NextInSeries { .. } | Relation::SameSeries { .. } => {
                    consider(Signal::Series, f32::MAX)
                }
                _ => consider(Signal::Creator, *b + 1.0),
            }
        }
        consider(Signal::Creator, p.creator);
        consider(Signal::Tags, p.tags);
        if q.user.is_some() && credited {
            consider(Signal::ReadersLikeYou, p.mf);
        }
        if text_close {
            consider(Signal::Theme, p.text);
        }
        best
    }

    /// A relation to a liked item, the most specific reason there is.
    fn explain_relation(&self, signal: Signal, liked: ItemIdx, rel: &Relation) -> Explanation {
        let mut e = Explanation::of(signal);
        let liked_title = title_of(self.catalog, liked);
        e.items.push(liked_title.clone());
        e.text = match rel {
            Relation::NextInSeries { series } => {
                e.signal = Signal::Series;
                self.words.next_in_series(series, &liked_title)
            }
            Relation::SameSeries { series } => {
                e.signal = Signal::Series;
                self.words.same_series(series, &liked_title)
            }
            Relation::SameCreator { creator } => {
                e.signal = Signal::Creator;
                e.creators.push(creator.clone());
                self.words.same_creator(creator, &liked_title)
            }
            Relation::SharedTags { .. } => self.words.shares_themes(&liked_title),
        };
        e
    }

    /// The sentence of a signal other than a relation.
    fn explain_signal(
        &self,
        signal: Signal,
        i: ItemIdx,
        q: &Query,
        credited: &[ItemIdx],
        text_close: bool,
    ) -> Explanation {
        let item = self.catalog.get(i);
        let mut e = Explanation::of(signal);
        match signal {
            Signal::Creator => {
                let wanted: Vec<String> = q.wanted_creators.iter().map(|c| name_key(c)).collect();
                let c = item
                    .and_then(|x| x.creators.iter().find(|c| wanted.contains(&name_key(c))))
                    .cloned()
                    .unwrap_or_default();
                e.text = self.words.creator_as_asked(&c);
                e.creators.push(c);
            }
            Signal::Tags => {
                let tags: Vec<String> = item
                    .map(|x| {
                        x.tags
                            .iter()
                            .filter(|t| q.wanted_tags.contains(t))
                            .take(2)
                            .cloned()
                            .collect()
                    })
                    .unwrap_or_default();
                let shown: Vec<String> = tags.iter().map(|t| t.replace('-', " ")).collect();
                let reasons: Vec<Option<&str>> = tags
                    .iter()
                    .map(|t| {
                        q.tag_reasons
                            .iter()
                            .find(|(name, _)| name == t)
                            .map(|r| r.1)
                    })
                    .collect();
                // Every tag shown stands for the one wish the visitor made.
                let why = match reasons.first() {
                    Some(Some(why)) if reasons.iter().all(|r| r == &Some(*why)) => Some(*why),
                    _ => None,
                };
                e.text = self.words.tags_as_asked(&shown, why);
                e.tags = tags;
            }
            Signal::ReadersLikeYou => {
                // The liked item whose factors put this one closest.
                match credited.first().copied() {
                    Some(j) => {
                        let t = title_of(self.catalog, j);
                        e.text = self.words.people_who_liked(&t);
                        e.items.push(t);
                    }
                    None => e.text = self.words.people_like_you(),
                }
            }
            Signal::Theme => {
                let shared: Vec<String> = item
                    .map(|x| x.tags.iter().take(2).cloned().collect())
                    .unwrap_or_default();
                match q.phrase.filter(|s| !s.trim().is_empty()) {
                    Some(ph) if text_close => {
                        e.text = self.words.close_to_described(ph.trim());
                        e.phrase = Some(ph.trim().to_string());
                    }
                    _ if !shared.is_empty() => {
                        let s: Vec<String> = shared.iter().map(|t| t.replace('-', " ")).collect();
                        e.text = self.words.matches_taste_for(&s);
                        e.tags = shared;
                    }
                    _ => {
                        e.signal = Signal::General;
                        e.text = self.words.general_reason(told(q));
                    }
                }
            }
            Signal::General => e.text = self.words.general_reason(told(q)),
            Signal::Popular => {
                let n = self.catalog.audience(i);
                e.text = self.words.widely_loved(n);
            }
            Signal::Series => e.text = self.words.from_a_series(),
        }
        e
    }

    /// A second, substantial signal is worth half a sentence: the
    /// visitor's own theme words when the text similarity also counts.
    fn add_theme_words(
        &self,
        e: &mut Explanation,
        p: &Parts,
        q: &Query,
        text_close: bool,
        best: f32,
    ) {
        if e.signal != Signal::Theme
            && e.phrase.is_none()
            && text_close
            && p.text >= 0.35 * best.min(4.0)
            && p.text > 0.75
        {
            if let Some(ph) = q.phrase.filter(|s| !s.trim().is_empty()) {
                e.text.push_str(&self.words.also_fits(ph.trim()));
                e.phrase = Some(ph.trim().to_string());
            }
        }
    }
}

/// Whether the visitor has told Kith anything a list can follow (the
/// general reason then says the list follows it).
fn told(q: &Query) -> bool {
    q.user.is_some()
        || q.taste.is_some()
        || !q.wanted_tags.is_empty()
        || !q.wanted_creators.is_empty()
        || !q.liked.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_normal_cdf_matches_known_quantiles() {
        for (p, z) in [
            (0.5, 0.0),
            (0.975, 1.959_964),
            (0.01, -2.326_348),
            (0.9999, 3.719_016),
        ] {
            assert!(
                (inverse_normal_cdf(p) - z).abs() < 1e-5,
                "{p}: {}",
                inverse_normal_cdf(p)
            );
        }
    }

    #[test]
    fn normal_scores_depend_on_order_only() {
        let keep = [true, true, true, false, true];
        // A heavy tail and a flat signal with the same order score the same.
        let heavy = normal_scores(&[0.1, 50.0, 0.2, 9.0, 0.0], &keep);
        let flat = normal_scores(&[0.1, 0.3, 0.2, 9.0, 0.0], &keep);
        assert_eq!(heavy, flat);
        assert_eq!(heavy[3], 0.0, "an item not kept scores 0");
        assert!(heavy[1] > heavy[2] && heavy[2] > heavy[0] && heavy[0] > heavy[4]);
        assert!((heavy[1] + heavy[4]).abs() < 1e-6, "symmetric around 0");
        // Ties share their mean rank.
        let tied = normal_scores(&[1.0, 1.0, 2.0, 0.0, 0.0], &keep);
        assert_eq!(tied[0], tied[1]);
        assert!(tied[0] < tied[2] && tied[4] < tied[0]);
    }
    use crate::core::catalog::{parse_series, Item};

    fn setup() -> (Catalog, MfModel) {
        let b = |id: &str, t: &str, a: &str, tags: &[&str], n: u64| Item {
            id: id.into(),
            title: t.into(),
            creators: vec![a.into()],
            tags: tags.iter().map(|s| s.to_string()).collect(),
            series: parse_series(t).1,
            public_ratings: Some(n),
            ..Item::default()
        };
        let c = Catalog::new(vec![
            b(
                "1",
                "Dune (Dune Chronicles, #1)",
                "Frank Herbert",
                &["science-fiction"],
                900,
            ),
            b(
                "2",
                "Dune Messiah (Dune Chronicles, #2)",
                "Frank Herbert",
                &["science-fiction"],
                300,
            ),
            b(
                "3",
                "Twilight",
                "Stephenie Meyer",
                &["romance", "vampires"],
                1000,
            ),
            b("4", "Hyperion", "Dan Simmons", &["science-fiction"], 200),
            b(
                "5",
                "Pride and Prejudice",
                "Jane Austen",
                &["romance", "classics"],
                800,
            ),
        ])
        .unwrap();
        // Two taste directions: sci-fi (x) and romance (y).
        let mf = MfModel::from_items(
            2,
            vec![1.0, 0.0, 0.9, 0.1, 0.0, 1.0, 0.8, 0.0, 0.1, 0.9],
            vec![0.0; 5],
        )
        .unwrap();
        (c, mf)
    }

    #[test]
    fn hybrid_ranking_excludes_explains_and_diversifies() {
        let (c, mf) = setup();
        let g = Graph::build(&c);
        let emb = QuantizedEmbeddings::default();
        let prior = vec![0.9, 0.4, 1.0, 0.2, 0.8];
        let r = Ranker {
            catalog: &c,
            graph: &g,
            mf: &mf,
            embeddings: &emb,
            prior: &prior,
            words: &Words::new("book", "books", "readers", "wrote", "read"),
        };
        let user = UserVector {
            factors: vec![1.0, 0.0],
            bias: 0.0,
        };
        let liked = [(0u32, 1.0f32)];
        let q = Query {
            user: Some(&user),
            liked: &liked,
            exclude: &[0],
            k: 3,
            ..Query::default()
        };
        let out = r.rank(&q, &Weights::default());
        let ids: Vec<u32> = out.items.iter().map(|s| s.item).collect();
        assert_eq!(ids[0], 1, "Dune Messiah first: next in series and MF agree");
        assert!(!ids.contains(&0), "liked item excluded");
        assert_eq!(out.items[0].explanation.signal, Signal::Series);
        assert_eq!(
            out.items[0].explanation.text,
            "Next in the Dune Chronicles series, after Dune (Dune Chronicles, #1), which you liked."
        );
        assert!(out.items.iter().all(|s| !s.explanation.text.is_empty()));
        let p: f32 = out.candidates.iter().map(|c| c.1).sum();
        assert!((p - 1.0).abs() < 1e-4);

        // A hard-avoided tag removes items; a wanted tag lifts them.
        let avoid = ["romance".to_string()];
        let q2 = Query {
            hard_avoided_tags: &avoid,
            k: 5,
            ..q.clone()
        };
        let out2 = r.rank(&q2, &Weights::default());
        assert!(out2.items.iter().all(|s| !c
            .get(s.item)
            .unwrap()
            .tags
            .contains(&"romance".to_string())));
        let want = ["classics".to_string()];
        let q3 = Query {
            wanted_tags: &want,
            user: None,
            liked: &[],
            k: 1,
            ..Query::default()
        };
        let out3 = r.rank(&q3, &Weights::default());
        assert_eq!(out3.items[0].item, 4);
        assert_eq!(out3.items[0].explanation.text, "Classics, as you asked.");
        // A tag that stands for a mood says which wish it answers.
        let reasons = [("classics".to_string(), "timeless")];
        let out4 = r.rank(
            &Query {
                tag_reasons: &reasons,
                ..q3.clone()
            },
            &Weights::default(),
        );
        assert_eq!(
            out4.items[0].explanation.text,
            "Classics: timeless, as you asked."
        );

        // No evidence at all: popularity explains.
        let none = r.rank(
            &Query {
                k: 2,
                ..Query::default()
            },
            &Weights::default(),
        );
        assert_eq!(none.items[0].explanation.signal, Signal::Popular);
        assert!(none.items[0].explanation.text.contains("1,000 ratings"));
    }

    /// What a synthetic ranking test ranks over.
    struct Fixture {
        catalog: Catalog,
        graph: Graph,
        mf: MfModel,
        emb: QuantizedEmbeddings,
        prior: Vec<f32>,
        words: Words,
    }

    impl Fixture {
        fn ranker(&self) -> Ranker<'_> {
            Ranker {
                catalog: &self.catalog,
                graph: &self.graph,
                mf: &self.mf,
                embeddings: &self.emb,
                prior: &self.prior,
                words: &self.words,
            }
        }
    }

    /// A synthetic catalog: 120 items over four tags, random MF factors and
    /// text embeddings, popularity falling with the index.
    fn synthetic() -> Fixture {
        use rand::Rng;
        let mut r = crate::core::interactions::rng(7);
        let tags = ["mystery", "romance", "history", "poetry"];
        let items: Vec<Item> = (0..120)
            .map(|i| Item {
                id: i.to_string(),
                title: format!("Title {i}"),
                creators: vec![format!("Creator {}", i % 17)],
                // poetry is rare: 3 items
                tags: if i % 40 == 0 {
                    vec!["poetry".into()]
                } else {
                    vec![tags[i % 3].to_string()]
                },
                public_ratings: Some(1000 - i as u64 * 8),
                ..Item::default()
            })
            .collect();
        let c = Catalog::new(items).unwrap();
        let f: Vec<f32> = (0..120 * 8).map(|_| r.random::<f32>() - 0.5).collect();
        let mf = MfModel::from_items(8, f, vec![0.0; 120]).unwrap();
        let rows: Vec<Vec<f32>> = (0..120)
            .map(|_| {
                let v: Vec<f32> = (0..16).map(|_| r.random::<f32>() - 0.5).collect();
                let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
                v.into_iter().map(|x| x / n).collect()
            })
            .collect();
        let emb = QuantizedEmbeddings::from_rows(16, &rows).unwrap();
        let prior: Vec<f32> = (0..120).map(|i| 1.0 - i as f32 / 120.0).collect();
        Fixture {
            graph: Graph::build(&c),
            catalog: c,
            mf,
            emb,
            prior,
            words: Words::new("item", "items", "people", "made", ""),
        }
    }

    #[test]
    fn every_explanation_states_only_what_holds() {
        use rand::Rng;
        let f = synthetic();
        let r = f.ranker();
        let mut rng = crate::core::interactions::rng(11);
        let mut kinds: HashMap<Signal, usize> = HashMap::new();
        for round in 0..60 {
            let taste: Vec<f32> = {
                let v: Vec<f32> = (0..16).map(|_| rng.random::<f32>() - 0.5).collect();
                let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
                v.into_iter().map(|x| x / n).collect()
            };
            let user = UserVector {
                factors: (0..8).map(|_| rng.random::<f32>() - 0.5).collect(),
                bias: 0.0,
            };
            let liked: Vec<(ItemIdx, f32)> = (0..round % 3)
                .map(|_| (rng.random_range(0..120u32), 1.0))
                .collect();
            let exclude: Vec<ItemIdx> = {
                let mut e: Vec<ItemIdx> = liked.iter().map(|x| x.0).collect();
                e.sort_unstable();
                e.dedup();
                e
            };
            let want = [["mystery", "romance", "history", "poetry"][round % 4].to_string()];
            let q = Query {
                user: (round % 2 == 0).then_some(&user),
                taste: (round % 3 != 1).then_some(taste.as_slice()),
                phrase: Some("something moving"),
                wanted_tags: if round % 5 == 0 { &want } else { &[] },
                liked: &liked,
                exclude: &exclude,
                diversity: 0.3,
                k: 10,
                ..Query::default()
            };
            let out = r.rank(&q, &Weights::default());
            assert_eq!(out.items.len(), 10);
            for s in &out.items {
                if let Err(why) = out.evidence.supports(&r, &q, s) {
                    panic!(
                        "round {round}: {:?} for item {}: {why}",
                        s.explanation, s.item
                    );
                }
                *kinds.entry(s.explanation.signal).or_default() += 1;
            }
        }
        // The check is not vacuous: several kinds of reason were given.
        assert!(kinds.len() >= 4, "{kinds:?}");
    }

    #[test]
    fn the_checker_refuses_false_reasons() {
        let f = synthetic();
        let r = f.ranker();
        let taste = f.emb.row(5).unwrap();
        let q = Query {
            taste: Some(&taste),
            phrase: Some("quiet stories"),
            k: 10,
            ..Query::default()
        };
        let out = r.rank(&q, &Weights::default());
        // The least similar item, described as close to the request: refused.
        let far = (0..120u32)
            .min_by(|&a, &b| {
                out.evidence.text[a as usize].total_cmp(&out.evidence.text[b as usize])
            })
            .unwrap();
        let mut fake = out.items[0].clone();
        fake.item = far;
        fake.explanation.signal = Signal::Theme;
        fake.explanation.phrase = Some("quiet stories".into());
        assert!(out.evidence.supports(&r, &q, &fake).is_err());
        // An unpopular item called one of the most popular: refused.
        fake.item = 119;
        fake.explanation = Explanation {
            signal: Signal::Popular,
            text: String::new(),
            items: vec![],
            creators: vec![],
            tags: vec![],
            phrase: None,
        };
        assert!(out.evidence.supports(&r, &q, &fake).is_err());
        // A tag the item lacks: refused.
        fake.explanation.signal = Signal::Tags;
        fake.explanation.tags = vec!["poetry".into()];
        assert!(out.evidence.supports(&r, &q, &fake).is_err());
    }

    #[test]
    fn a_description_alone_weighs_its_mf_image_no_more_than_its_text() {
        let f = synthetic();
        let r = f.ranker();
        let user = UserVector {
            factors: f.mf.item(1).to_vec(),
            bias: 0.0,
        };
        let taste = f.emb.row(5).unwrap();
        let w = Weights::default();
        let described = Query {
            user: Some(&user),
            taste: Some(&taste),
            k: 10,
            ..Query::default()
        };
        let liked = [(1 as ItemIdx, 1.0f32)];
        let picked = Query {
            liked: &liked,
            ..described.clone()
        };
        let a = r.rank(&described, &w);
        let b = r.rank(&picked, &w);
        let mut compared = 0;
        for s in &a.items {
            if let Some(t) = b.items.iter().find(|t| t.item == s.item) {
                if t.parts.mf.abs() > 1e-6 {
                    let ratio = s.parts.mf / t.parts.mf;
                    assert!((ratio - w.text / w.mf).abs() < 1e-4, "{ratio}");
                    compared += 1;
                }
            }
        }
        assert!(compared > 0, "the two lists share an item");
    }

    #[test]
    fn asked_for_tags_fill_the_list_or_the_shortfall_is_said() {
        let f = synthetic();
        let r = f.ranker();
        // A user vector pointing elsewhere: the tag must still shape the list.
        let user = UserVector {
            factors: f.mf.item(1).to_vec(),
            bias: 0.0,
        };
        let want = ["history".to_string()];
        let q = Query {
            user: Some(&user),
            wanted_tags: &want,
            diversity: 0.5,
            k: 10,
            ..Query::default()
        };
        let out = r.rank(&q, &Weights::default());
        let carrying = out
            .items
            .iter()
            .filter(|s| f.catalog.get(s.item).unwrap().tags.contains(&want[0]))
            .count();
        assert!(carrying >= 8, "{carrying} of 10 carry the tag");
        assert!(out.tag_shortfall.is_none());

        // Three poetry items in the catalog: all shown, and the shortfall reported.
        let poetry = ["poetry".to_string()];
        let q = Query {
            wanted_tags: &poetry,
            ..q
        };
        let out = r.rank(&q, &Weights::default());
        let carrying = out
            .items
            .iter()
            .filter(|s| f.catalog.get(s.item).unwrap().tags.contains(&poetry[0]))
            .count();
        assert_eq!(carrying, 3);
        assert_eq!(
            out.tag_shortfall,
            Some(TagShortfall {
                tags: vec!["poetry".into()],
                available: 3
            })
        );
    }

    #[test]
    fn an_unpopular_item_with_nothing_known_gets_an_honest_general_reason() {
        let f = synthetic();
        let r = f.ranker();
        // Exclude the popular tenth: nothing left may be called popular.
        let exclude: Vec<ItemIdx> = (0..12).collect();
        let q = Query {
            exclude: &exclude,
            k: 5,
            ..Query::default()
        };
        let out = r.rank(&q, &Weights::default());
        for s in &out.items {
            assert_eq!(s.explanation.signal, Signal::General, "{:?}", s.explanation);
            assert_eq!(s.explanation.text, "A good place to start.");
        }
    }
}
