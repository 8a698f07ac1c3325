//! Simulated new visitors (native): each test user hides their test items as
//! targets, opens the conversation with a sentence built from their training
//! history, and answers the engine's questions truthfully from the targets.
//!
//! The engine's MF model and bridge are retrained on the training split only,
//! so no target leaks into the factors; item and tag embeddings, which depend
//! only on item text, come from the bundle.

use std::collections::HashMap;

use rayon::prelude::*;
use serde::Serialize;

use crate::core::bridge::fit_items;
use crate::core::bundle::Bundle;
use crate::core::catalog::ItemIdx;
use crate::core::dialogue::QuestionStrategy;
use crate::core::encoder::Encoder;
use crate::core::interactions::{rng, SparseMatrix};
use crate::core::mf::als::{self, AlsParams};
use crate::core::mf::{top_k, MfError, MfModel};
use crate::core::profile::{Pending, Profile};
use crate::core::session::{Engine, EngineError};
use crate::offline::metrics::{user_accuracy, ItemFeatures, MetricAccumulator};

/// Settings of a simulation run.
#[derive(Debug, Clone)]
pub struct SimulationSettings {
    /// Simulated users (sampled among test users with enough history).
    pub users: usize,
    /// Turns after the opening (the issue asks for 5).
    pub turns: usize,
    /// List length.
    pub k: usize,
    /// Seed of the split and the sample.
    pub seed: u64,
    /// ALS hyper-parameters for the training split.
    pub als: AlsParams,
    /// Bridge ridge penalty.
    pub bridge_lambda: f32,
    /// Engine behaviour (ranking weights, memory…); the strategy is varied.
    pub options: crate::core::variant::EngineOptions,
}

/// Why a simulation could not run.
#[derive(Debug, thiserror::Error)]
pub enum SimulationError {
    /// The bundle's catalog is not the data set's.
    #[error(
        "the bundle's catalog does not match the data set (build the bundle from the same data)"
    )]
    CatalogMismatch,
    /// Training failed.
    #[error(transparent)]
    Mf(#[from] MfError),
    /// The engine failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The bridge failed.
    #[error(transparent)]
    Bridge(#[from] crate::core::bridge::BridgeError),
}

/// One strategy's or baseline's results.
#[derive(Debug, Clone, Serialize)]
pub struct StrategyResult {
    /// "list_gain", "info_gain", "random_question", "no_questions", "popularity", "mf_5_ratings".
    pub name: String,
    /// HR@K of the list shown at turns 0..=turns (targets already accepted no longer count).
    pub hr: Vec<f64>,
    /// NDCG@K after turns 0..=turns.
    pub ndcg: Vec<f64>,
    /// Share of users with a target in some list within the turns.
    pub success_rate: f64,
    /// Share of users with a hit by each turn (cumulative).
    pub success_by_turn: Vec<f64>,
    /// Mean turn of the first hit, over users with a hit (0 = the opening reply).
    pub mean_turns_to_first_hit: Option<f64>,
    /// Questions asked per user.
    pub questions_per_user: f64,
}

/// The beyond-accuracy and bias report of a list set.
#[derive(Debug, Clone, Serialize)]
pub struct BiasReport {
    /// Which lists: the final turn of the information-gain conversations.
    pub lists: String,
    /// Intra-list diversity (tag cosine distance).
    pub ild: f64,
    /// Mean self-information of recommended items (bits).
    pub novelty: f64,
    /// Share of recommended items that are targets and not in the popularity top-K.
    pub serendipity: f64,
    /// Distinct recommended items / catalog size.
    pub coverage: f64,
    /// Gini index of exposure over the catalog.
    pub gini: f64,
    /// Share of recommendations from the most popular 10% of items.
    pub popular_share_recommended: f64,
    /// Share of users' history interactions on those items.
    pub popular_share_history: f64,
    /// Top tags: (tag, share of recommended items carrying it, share of history items carrying it).
    pub genre_exposure: Vec<(String, f64, f64)>,
}

/// A whole simulation's output.
#[derive(Debug, Clone, Serialize)]
pub struct SimulationReport {
    /// Catalog name.
    pub catalog: String,
    /// Users simulated.
    pub users: usize,
    /// List length.
    pub k: usize,
    /// Turns after the opening.
    pub turns: usize,
    /// Each strategy and baseline.
    pub results: Vec<StrategyResult>,
    /// Beyond accuracy and bias.
    pub bias: BiasReport,
    /// Example conversation transcript (first simulated user, info gain).
    pub example: Vec<String>,
}

/// A simulated visitor.
struct SimUser {
    opening: String,
    targets: Vec<ItemIdx>,
    history: Vec<ItemIdx>,
    top5: Vec<ItemIdx>,
}

/// The share of a tag among items, for "truthful" answers.
fn tag_share(bundle: &Bundle, items: &[ItemIdx], tag: &str) -> f64 {
    if items.is_empty() {
        return 0.0;
    }
    items
        .iter()
        .filter(|&&i| {
            bundle
                .catalog
                .get(i)
                .is_some_and(|x| x.tags.iter().any(|t| t == tag))
        })
        .count() as f64
        / items.len() as f64
}

fn mf_cos(mf: &MfModel, a: ItemIdx, b: ItemIdx) -> f32 {
    let (x, y) = (mf.item(a), mf.item(b));
    let d = crate::core::vectors::dot(x, y);
    let n = (crate::core::vectors::dot(x, x) * crate::core::vectors::dot(y, y)).sqrt();
    if n > 0.0 {
        d / n
    } else {
        0.0
    }
}

/// Builds the opening sentence: the two most characteristic tags of the
/// training history and its best-rated, best-known title.
fn opening(bundle: &Bundle, train: &SparseMatrix, u: usize, df: &HashMap<&str, usize>) -> String {
    let items = train.row(u);
    let ratings = train.row_values(u);
    let n = bundle.catalog.len() as f64;
    let mut tf: HashMap<&str, f64> = HashMap::new();
    for &i in items {
        if let Some(it) = bundle.catalog.get(i) {
            for t in &it.tags {
                *tf.entry(t.as_str()).or_default() += 1.0;
            }
        }
    }
    let mut tags: Vec<(&str, f64)> = tf
        .into_iter()
        .map(|(t, c)| (t, c * (n / (*df.get(t).unwrap_or(&1) as f64)).ln()))
        .collect();
    tags.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    let best = items
        .iter()
        .zip(ratings)
        .max_by(|a, b| {
            a.1.total_cmp(b.1).then(
                bundle
                    .catalog
                    .audience(*a.0)
                    .cmp(&bundle.catalog.audience(*b.0)),
            )
        })
        .map(|(&i, _)| i);
    let mut s = String::new();
    let tag_words: Vec<String> = tags
        .iter()
        .take(2)
        .map(|(t, _)| t.replace('-', " "))
        .collect();
    if !tag_words.is_empty() {
        s.push_str(&format!("I like {}. ", tag_words.join(" and ")));
    }
    if let Some(i) = best {
        if let Some(it) = bundle.catalog.get(i) {
            s.push_str(&format!(
                "I loved {}.",
                crate::core::catalog::parse_series(&it.title).0
            ));
        }
    }
    s
}

/// One strategy's figures over its conversations: hit rate and NDCG per
/// turn, success within the turns, the mean turn of the first hit, and
/// questions asked per visitor.
fn summarise(name: &str, runs: &[Conversation], turns: usize) -> StrategyResult {
    let n = runs.len().max(1) as f64;
    let mut hr = vec![0f64; turns + 1];
    let mut by_turn = vec![0f64; turns + 1];
    let mut ndcg = vec![0f64; turns + 1];
    let mut successes = 0usize;
    let mut first_sum = 0usize;
    let mut questions = 0usize;
    for c in runs {
        let (per_turn, first, q) = (&c.per_turn, &c.first_hit, &c.questions);
        for (t, (h, nd)) in per_turn.iter().enumerate() {
            hr[t] += h / n;
            ndcg[t] += nd / n;
        }
        if let Some(f) = first {
            successes += 1;
            first_sum += f;
            for b in by_turn.iter_mut().skip(*f) {
                *b += 1.0 / n;
            }
        }
        questions += q;
    }
    StrategyResult {
        name: name.to_string(),
        hr,
        ndcg,
        success_rate: successes as f64 / n,
        success_by_turn: by_turn,
        mean_turns_to_first_hit: (successes > 0).then(|| first_sum as f64 / successes as f64),
        questions_per_user: questions as f64 / n,
    }
}

/// The engine the simulated visitors talk to: the bundle with MF trained
/// on the training part only (so test items are never in the factors) and
/// the bridge refitted to it.
fn simulation_engine(
    bundle: &Bundle,
    encoder: Option<Encoder>,
    train: &SparseMatrix,
    settings: &SimulationSettings,
    progress: &(dyn Fn(&str, usize, usize) + Sync),
) -> Result<(Engine, MfModel), SimulationError> {
    let mut report_train = |d: usize, t: usize| progress("train ALS", d, t);
    let mut mf = als::train(train, &settings.als, &mut report_train)?;
    mf.user_bias.clear();
    mf.user_factors.clear();
    let counts = train.column_counts();
    let bridge = fit_items(
        &bundle.item_embeddings,
        &mf,
        &counts,
        &|i| counts[i] > 0,
        settings.bridge_lambda,
    )?;
    let mut b = bundle.clone();
    b.mf = mf.clone();
    b.bridge = bridge;
    let mut engine = Engine::with_encoder(b, encoder);
    engine.options = settings.options.clone();
    Ok((engine, mf))
}

/// Runs the simulation: strategies (information gain, random, none) against
/// popularity and MF fed 5 real ratings.
pub fn simulate(
    bundle: &Bundle,
    encoder: Option<Encoder>,
    full: &SparseMatrix,
    settings: &SimulationSettings,
    progress: &(dyn Fn(&str, usize, usize) + Sync),
) -> Result<SimulationReport, SimulationError> {
    if full.n_cols() != bundle.catalog.len() {
        return Err(SimulationError::CatalogMismatch);
    }
    let (train, test) = full.split_per_row(crate::offline::eval::TEST_FRACTION, settings.seed);
    let (mut engine, mf) = simulation_engine(bundle, encoder, &train, settings, progress)?;
    let k = settings.k;

    let users = sample_users(bundle, &train, &test, settings);

    let mut results = Vec::new();
    let mut final_lists: Vec<Vec<ItemIdx>> = Vec::new();
    let mut example = Vec::new();
    for (name, strategy) in [
        ("list_gain", QuestionStrategy::ListGain),
        ("info_gain", QuestionStrategy::InfoGain),
        ("random_question", QuestionStrategy::Random),
        ("no_questions", QuestionStrategy::Never),
    ] {
        engine.options.strategy = strategy;
        let done = std::sync::atomic::AtomicUsize::new(0);
        let runs: Vec<Conversation> = users
            .par_iter()
            .map(|su| {
                let r = converse(&engine, su, settings.turns, k, None);
                let d = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                progress(name, d, users.len());
                r
            })
            .collect::<Result<_, _>>()?;
        if strategy == QuestionStrategy::default() {
            final_lists = runs.iter().map(|r| r.final_list.clone()).collect();
            example = runs
                .first()
                .map(|r| r.transcript.clone())
                .unwrap_or_default();
        }
        results.push(summarise(name, &runs, settings.turns));
    }

    // Baselines: static lists, the same at every turn.
    let popular: Vec<f32> = (0..bundle.catalog.len())
        .map(|i| bundle.catalog.audience(i as ItemIdx) as f32)
        .collect();
    let gram = mf.gram();
    let mut static_baseline = |name: &str, list_for: &dyn Fn(&SimUser) -> Vec<ItemIdx>| {
        let (mut h, mut nd, mut s) = (0f64, 0f64, 0usize);
        for su in &users {
            let list = list_for(su);
            let acc = user_accuracy(&list, &sorted(&su.targets), k);
            h += acc.hit;
            nd += acc.ndcg;
            s += usize::from(acc.hit > 0.0);
        }
        let n = users.len().max(1) as f64;
        results.push(StrategyResult {
            name: name.to_string(),
            hr: vec![h / n; settings.turns + 1],
            ndcg: vec![nd / n; settings.turns + 1],
            success_rate: s as f64 / n,
            success_by_turn: vec![s as f64 / n; settings.turns + 1],
            mean_turns_to_first_hit: (s > 0).then_some(0.0),
            questions_per_user: 0.0,
        });
    };
    static_baseline("popularity", &|su: &SimUser| {
        // The popular list, minus the one title the visitor named.
        let named: Vec<u32> = su.top5.iter().take(1).copied().collect();
        top_k(&popular, k, &named)
            .into_iter()
            .map(|x| x.0)
            .collect()
    });
    static_baseline("mf_5_ratings", &|su: &SimUser| {
        let mut ex = su.top5.clone();
        ex.sort_unstable();
        match mf.fold_in(&gram, &su.top5, &[]) {
            Ok(uv) => {
                let mut s = Vec::new();
                if mf.score_all(&uv, &mut s).is_err() {
                    return Vec::new();
                }
                top_k(&s, k, &ex).into_iter().map(|x| x.0).collect()
            }
            Err(_) => Vec::new(),
        }
    });

    let bias = bias_report(
        bundle,
        &users,
        &final_lists,
        &popular,
        &full.column_counts(),
        full.n_rows(),
        k,
    );
    Ok(SimulationReport {
        catalog: bundle.meta.name.clone(),
        users: users.len(),
        k,
        turns: settings.turns,
        results,
        bias,
        example,
    })
}

fn sorted(v: &[u32]) -> Vec<u32> {
    let mut s = v.to_vec();
    s.sort_unstable();
    s
}

/// What one simulated conversation produced.
struct Conversation {
    /// (HR, NDCG) of the list at each turn.
    per_turn: Vec<(f64, f64)>,
    /// Turn of the first hit.
    first_hit: Option<usize>,
    /// Questions asked.
    questions: usize,
    /// The last list shown.
    final_list: Vec<ItemIdx>,
    /// Who said what.
    transcript: Vec<String>,
}

/// Samples users with enough history to describe and enough targets to find,
/// each with the opening sentence they say.
fn sample_users(
    bundle: &Bundle,
    train: &SparseMatrix,
    test: &SparseMatrix,
    settings: &SimulationSettings,
) -> Vec<SimUser> {
    // Sample users with enough history to describe and enough targets to find.
    let mut eligible: Vec<usize> = (0..train.n_rows())
        .filter(|&u| train.row(u).len() >= 5 && !test.row(u).is_empty())
        .collect();
    {
        use rand::seq::SliceRandom;
        eligible.shuffle(&mut rng(settings.seed ^ 0x5157));
    }
    eligible.truncate(settings.users);
    let mut df: HashMap<&str, usize> = HashMap::new();
    for it in bundle.catalog.items() {
        for t in &it.tags {
            *df.entry(t.as_str()).or_default() += 1;
        }
    }
    eligible
        .iter()
        .map(|&u| {
            let mut by_rating: Vec<(ItemIdx, f32)> = train
                .row(u)
                .iter()
                .copied()
                .zip(train.row_values(u).iter().copied())
                .collect();
            by_rating.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            SimUser {
                opening: opening(bundle, train, u, &df),
                targets: test.row(u).to_vec(),
                history: train.row(u).to_vec(),
                top5: by_rating.iter().take(5).map(|x| x.0).collect(),
            }
        })
        .collect()
}

/// The replies of simulated conversations (opening, then answers to
/// questions and follow-ups, as in [`simulate`]'s information-gain run) with
/// the profile as it stood after each: the material for measuring phrasing.
/// Uses the bundle's own factors (no retraining: accuracy is not measured).
pub fn dialogues(
    engine: &Engine,
    full: &SparseMatrix,
    settings: &SimulationSettings,
) -> Result<Vec<Vec<(Profile, crate::core::session::Reply)>>, SimulationError> {
    let bundle = engine.bundle();
    if full.n_cols() != bundle.catalog.len() {
        return Err(SimulationError::CatalogMismatch);
    }
    let (train, test) = full.split_per_row(crate::offline::eval::TEST_FRACTION, settings.seed);
    let users = sample_users(bundle, &train, &test, settings);
    users
        .iter()
        .map(|su| {
            let mut seen = Vec::new();
            converse(engine, su, settings.turns, settings.k, Some(&mut seen))?;
            Ok(seen)
        })
        .collect()
}

/// One simulated conversation: per-turn (HR, NDCG), the first hit's turn,
/// questions asked, the final list and a transcript.
fn converse(
    engine: &Engine,
    su: &SimUser,
    turns: usize,
    k: usize,
    mut record: Option<&mut Vec<(Profile, crate::core::session::Reply)>>,
) -> Result<Conversation, EngineError> {
    let mut p: Profile = engine.new_profile();
    p.controls.count = k;
    // Targets already found and accepted no longer count: the list should
    // bring new ones.
    let mut targets = sorted(&su.targets);
    let history = sorted(&su.history);
    let mut per_turn = Vec::with_capacity(turns + 1);
    let mut first_hit = None;
    let mut questions = 0;
    let mut transcript = vec![format!("visitor: {}", su.opening)];
    let mut reply = engine.say(&mut p, &su.opening)?;
    let mut last_list: Vec<ItemIdx> = Vec::new();
    for t in 0..=turns {
        if let Some(r) = record.as_deref_mut() {
            r.push((p.clone(), reply.clone()));
        }
        let list: Vec<ItemIdx> = reply
            .recommendations
            .iter()
            .filter_map(|r| engine.catalog().index_of(&r.id))
            .collect();
        let acc = user_accuracy(&list, &targets, k);
        per_turn.push((acc.hit, acc.ndcg));
        if acc.hit > 0.0 && first_hit.is_none() {
            first_hit = Some(t);
        }
        transcript.push(format!(
            "kith: {}{}",
            list.iter()
                .take(3)
                .map(|&i| engine
                    .catalog()
                    .get(i)
                    .map(|x| x.title.clone())
                    .unwrap_or_default())
                .collect::<Vec<_>>()
                .join(" | "),
            reply
                .question
                .as_deref()
                .map(|q| format!(" — {q}"))
                .unwrap_or_default()
        ));
        last_list = list.clone();
        if t == turns {
            break;
        }
        if reply.question.is_some() {
            questions += 1;
        }
        // Items the visitor already knows from their history are marked seen.
        for &i in &list {
            if history.binary_search(&i).is_ok() {
                if let Some(it) = engine.catalog().get(i) {
                    if !p.seen.contains(&it.id) {
                        p.seen.push(it.id.clone());
                    }
                }
            }
        }
        let answer: String = match &reply.question_about {
            Some(Pending::Tag { tag }) => {
                let share = tag_share(engine.bundle(), &su.targets, tag);
                if share >= 0.3 {
                    "yes".into()
                } else {
                    "no".into()
                }
            }
            Some(Pending::Items { ids }) => {
                let opts: Vec<ItemIdx> = ids
                    .iter()
                    .filter_map(|id| engine.catalog().index_of(id))
                    .collect();
                let score = |i: ItemIdx| -> f32 {
                    if targets.binary_search(&i).is_ok() {
                        return 2.0;
                    }
                    su.targets
                        .iter()
                        .map(|&t| mf_cos(&engine.bundle().mf, i, t))
                        .sum::<f32>()
                        / su.targets.len().max(1) as f32
                };
                match opts
                    .iter()
                    .enumerate()
                    .map(|(k, &i)| (k, score(i)))
                    .max_by(|a, b| a.1.total_cmp(&b.1))
                {
                    Some((k, s)) if s > 0.05 => {
                        ["the first", "the second", "the third", "the fourth"]
                            .get(k)
                            .map(|s| s.to_string())
                            .unwrap_or_else(|| "none of them".into())
                    }
                    _ => "none of them".into(),
                }
            }
            None => {
                // Love a hit; otherwise ask for more like the closest item shown.
                if let Some(&hit) = list.iter().find(|i| targets.binary_search(i).is_ok()) {
                    targets.retain(|&t| t != hit);
                    let id = engine
                        .catalog()
                        .get(hit)
                        .map(|x| x.id.clone())
                        .unwrap_or_default();
                    transcript.push(format!("visitor: [love it: {id}]"));
                    reply = engine.feedback(&mut p, &id, crate::core::session::Feedback::Love)?;
                    continue;
                }
                let best = list
                    .iter()
                    .enumerate()
                    .filter(|(_, i)| history.binary_search(i).is_err())
                    .map(|(k, &i)| {
                        let s = su
                            .targets
                            .iter()
                            .map(|&t| mf_cos(&engine.bundle().mf, i, t))
                            .sum::<f32>();
                        (k, s)
                    })
                    .max_by(|a, b| a.1.total_cmp(&b.1));
                match best {
                    Some((k, _)) => format!("more like number {}", k + 1),
                    None => "something different".into(),
                }
            }
        };
        transcript.push(format!("visitor: {answer}"));
        reply = engine.say(&mut p, &answer)?;
    }
    Ok(Conversation {
        per_turn,
        first_hit,
        questions,
        final_list: last_list,
        transcript,
    })
}

/// `interactions` per item and `n_users` measure novelty (self-information
/// of an item: −log2 of the share of users who chose it).
fn bias_report(
    bundle: &Bundle,
    users: &[SimUser],
    lists: &[Vec<ItemIdx>],
    popular: &[f32],
    interactions: &[u32],
    n_users: usize,
    k: usize,
) -> BiasReport {
    let n_items = bundle.catalog.len();
    let mut tag_ids: HashMap<&str, u32> = HashMap::new();
    let feats: Vec<Vec<u32>> = bundle
        .catalog
        .items()
        .iter()
        .map(|it| {
            it.tags
                .iter()
                .map(|t| {
                    let n = tag_ids.len() as u32;
                    *tag_ids.entry(t.as_str()).or_insert(n)
                })
                .collect()
        })
        .collect();
    let features = ItemFeatures::new(feats);
    let mut acc = MetricAccumulator::new(k, n_items);
    let pop_top: Vec<u32> = top_k(popular, k, &[]).into_iter().map(|x| x.0).collect();
    let mut top10pct: Vec<u32> = top_k(popular, (n_items / 10).max(1), &[])
        .into_iter()
        .map(|x| x.0)
        .collect();
    top10pct.sort_unstable();
    let (mut seren, mut rec_total, mut rec_pop) = (0usize, 0usize, 0usize);
    let (mut hist_total, mut hist_pop) = (0usize, 0usize);
    let mut rec_tags: HashMap<&str, usize> = HashMap::new();
    let mut hist_tags: HashMap<&str, usize> = HashMap::new();
    for (su, list) in users.iter().zip(lists) {
        let targets = sorted(&su.targets);
        acc.add(list, &targets, &features, interactions, n_users);
        for &i in list {
            rec_total += 1;
            rec_pop += usize::from(top10pct.binary_search(&i).is_ok());
            seren += usize::from(targets.binary_search(&i).is_ok() && !pop_top.contains(&i));
            if let Some(it) = bundle.catalog.get(i) {
                for t in &it.tags {
                    *rec_tags.entry(t.as_str()).or_default() += 1;
                }
            }
        }
        for &i in &su.history {
            hist_total += 1;
            hist_pop += usize::from(top10pct.binary_search(&i).is_ok());
            if let Some(it) = bundle.catalog.get(i) {
                for t in &it.tags {
                    *hist_tags.entry(t.as_str()).or_default() += 1;
                }
            }
        }
    }
    let m = acc.finish();
    let share = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let mut genre: Vec<(String, f64, f64)> = hist_tags
        .iter()
        .map(|(t, &h)| {
            (
                t.to_string(),
                share(*rec_tags.get(t).unwrap_or(&0), rec_total),
                share(h, hist_total),
            )
        })
        .collect();
    genre.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)));
    genre.truncate(10);
    BiasReport {
        lists: "final-turn lists of the information-gain conversations".into(),
        ild: m.ild,
        novelty: m.novelty,
        serendipity: share(seren, rec_total),
        coverage: m.coverage,
        gini: m.gini,
        popular_share_recommended: share(rec_pop, rec_total),
        popular_share_history: share(hist_pop, hist_total),
        genre_exposure: genre,
    }
}
