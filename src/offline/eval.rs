//! The offline evaluation protocol: split, train each model, rank every item
//! for every test user (their training items excluded), and measure.
//!
//! Popularity and random are the baselines; MF models go through the same
//! [`MfModel`] scorer the browser uses.

use std::time::Instant;

use rand::Rng;
use rayon::prelude::*;

use crate::core::interactions::{rng, SparseMatrix};
use crate::core::mf::als::AlsParams;
use crate::core::mf::bpr::BprParams;
use crate::core::mf::{top_k, MfError, MfModel};
use crate::offline::metrics::{ItemFeatures, MetricAccumulator, MetricReport};

/// The share of each user's interactions the protocol holds out for
/// testing (a per-user random 75/25 split): one value for `kith eval`,
/// `kith tune` and `kith simulate`, so their figures are on the same split.
pub const TEST_FRACTION: f64 = 0.25;

/// A model the protocol can train and rank with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ModelSpec {
    /// Items by training popularity.
    Popularity,
    /// Uniformly random scores (seeded per user).
    Random,
    /// Biased MF trained with BPR.
    Bpr(BprParams),
    /// MF trained with weighted ALS.
    Als(AlsParams),
}

impl ModelSpec {
    /// The model's key in reports.
    pub fn name(&self) -> &'static str {
        match self {
            ModelSpec::Popularity => "popularity",
            ModelSpec::Random => "random",
            ModelSpec::Bpr(_) => "bpr",
            ModelSpec::Als(_) => "als",
        }
    }

    /// The four standard models, with MF hyper-parameters tuned for the
    /// given catalog (see [`tuned`]).
    pub fn standard(catalog: TunedFor, seed: u64) -> Vec<ModelSpec> {
        let (bpr, als) = tuned(catalog, seed);
        vec![
            ModelSpec::Popularity,
            ModelSpec::Random,
            ModelSpec::Bpr(bpr),
            ModelSpec::Als(als),
        ]
    }
}

/// Which catalog's tuned hyper-parameters to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TunedFor {
    /// MovieLens 100K's.
    Ml100k,
    /// goodbooks-10k's.
    Goodbooks,
    /// Another catalog of this many items: MovieLens's values, with the ALS
    /// penalty scaled to the catalog (see [`tuned`]).
    Other {
        /// Items in the catalog.
        items: usize,
    },
}

/// Items in MovieLens 100K, the catalog the default ALS penalty was tuned on.
const ML100K_ITEMS: f32 = 1682.0;

/// MF hyper-parameters chosen on each catalog's validation folds (never its
/// test split) by `kith tune`; docs/BENCHMARKS.md has the commands and grids.
/// Other data sets use the MovieLens values, except that a constant ALS
/// penalty (ν = 0) is scaled by items / 1,682: every item a user did not
/// choose adds one unit of weight to their least-squares problem, so λ must
/// grow with the catalog to mean the same thing. Run `kith tune` on yours.
pub fn tuned(catalog: TunedFor, seed: u64) -> (BprParams, AlsParams) {
    match catalog {
        TunedFor::Other { items } => {
            let (bpr, mut als) = tuned(TunedFor::Ml100k, seed);
            if als.reg_exponent == 0.0 {
                als.reg *= items.max(1) as f32 / ML100K_ITEMS;
            }
            (bpr, als)
        }
        // ALS: user folds (the default scheme), one command per ν, e.g.
        // kith tune --format ml100k --data ../shared/data/ml-100k --trainer als \
        //     --dims 64 --reg-exponents 0 --regs 10,14,20,28,40,56 --alphas 2,3,5,7,10,15
        // then --dims 32,48,96,128 around the winner.
        // BPR: kith tune --format ml100k --data ../shared/data/ml-100k --trainer bpr
        TunedFor::Ml100k => (
            BprParams {
                seed,
                ..BprParams::default()
            },
            AlsParams {
                seed,
                ..AlsParams::default()
            },
        ),
        // Every-user validation: goodbooks' ratings are capped per book, which
        // only that scheme reproduces (see crate::offline::validation).
        // kith tune --format goodbooks --data data/goodbooks --validation every-user \
        //     --trainer bpr --dims 64 --epochs 100,200 --learning-rates 0.05,0.1 --regs 0.01,0.03
        // kith tune --format goodbooks --data data/goodbooks --validation every-user \
        //     --trainer als --dims 64 --reg-exponents 0 --regs 0.3,1,3 --alphas 30,100,300
        // (after a first pass over the default grids at 64 dimensions)
        TunedFor::Goodbooks => (
            BprParams {
                dim: 64,
                epochs: 200,
                learning_rate: 0.1,
                reg: 0.01,
                bias_reg: 0.01,
                seed,
            },
            AlsParams {
                dim: 64,
                reg: 0.3,
                alpha: 100.0,
                reg_exponent: 0.0,
                seed,
                ..AlsParams::default()
            },
        ),
    }
}

/// The bridge's ridge penalty chosen by `kith coldstart` on each catalog's
/// validation split of warm items (docs/BENCHMARKS.md has the runs).
pub fn tuned_bridge_lambda(catalog: TunedFor) -> f32 {
    match catalog {
        // kith coldstart --format ml100k … --lambdas 1,10,30,100,300,1000
        TunedFor::Ml100k | TunedFor::Other { .. } => 100.0,
        // kith coldstart --format goodbooks … --lambdas 1,10,30,100,300
        TunedFor::Goodbooks => 1.0,
    }
}

/// A trained ranker: scores every item for a training user.
pub enum Ranker {
    /// Fixed scores for everyone.
    Popularity(Vec<f32>),
    /// Random scores from this seed.
    Random(u64),
    /// The MF scorer.
    Mf(MfModel),
}

impl Ranker {
    /// Trains the model a spec names on `train`.
    pub fn train(
        spec: &ModelSpec,
        train: &SparseMatrix,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Ranker, MfError> {
        Ok(match spec {
            ModelSpec::Popularity => Ranker::Popularity(
                train
                    .column_counts()
                    .into_iter()
                    .map(|c| c as f32)
                    .collect(),
            ),
            ModelSpec::Random => Ranker::Random(0x5eed),
            ModelSpec::Bpr(p) => Ranker::Mf(crate::core::mf::bpr::train(train, p, progress)?),
            ModelSpec::Als(p) => Ranker::Mf(crate::core::mf::als::train(train, p, progress)?),
        })
    }

    /// Scores of every item for training user `u`.
    pub fn scores(&self, u: usize, n_items: usize, out: &mut Vec<f32>) {
        match self {
            Ranker::Popularity(p) => {
                out.clear();
                out.extend_from_slice(p);
            }
            Ranker::Random(seed) => {
                let mut r = rng(seed ^ (u as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
                out.clear();
                out.extend((0..n_items).map(|_| r.random::<f32>()));
            }
            Ranker::Mf(m) => match m.user(u) {
                Some(v) => {
                    // Cannot fail: the vector comes from the model itself.
                    let _ = m.score_all(&v, out);
                }
                None => {
                    out.clear();
                    out.extend_from_slice(&m.item_bias);
                }
            },
        }
    }
}

/// One model's result.
#[derive(Debug, Clone)]
pub struct ModelResult {
    /// Report key.
    pub name: String,
    /// The figures.
    pub metrics: MetricReport,
    /// Wall-clock training time.
    pub train_seconds: f64,
}

/// Ranks every item for every user with test items and accumulates metrics.
pub fn measure(
    ranker: &Ranker,
    train: &SparseMatrix,
    test: &SparseMatrix,
    features: &ItemFeatures,
    k: usize,
) -> MetricReport {
    let n_items = train.n_cols();
    let popularity = train.column_counts();
    let n_users = train.n_rows();
    (0..n_users)
        .into_par_iter()
        .filter(|&u| !test.row(u).is_empty())
        .fold(
            || {
                (
                    MetricAccumulator::new(k, n_items),
                    Vec::with_capacity(n_items),
                )
            },
            |(mut acc, mut scores), u| {
                ranker.scores(u, n_items, &mut scores);
                let list: Vec<u32> = top_k(&scores, k, train.row(u))
                    .into_iter()
                    .map(|(i, _)| i)
                    .collect();
                acc.add(&list, test.row(u), features, &popularity, n_users);
                (acc, scores)
            },
        )
        .map(|(acc, _)| acc)
        .reduce(
            || MetricAccumulator::new(k, n_items),
            |mut a, b| {
                a.merge(&b);
                a
            },
        )
        .finish()
}

/// Trains and measures each model on one split.
pub fn evaluate(
    train: &SparseMatrix,
    test: &SparseMatrix,
    features: &ItemFeatures,
    k: usize,
    models: &[ModelSpec],
    progress: &mut dyn FnMut(&str, usize, usize),
) -> Result<Vec<ModelResult>, MfError> {
    let mut out = Vec::new();
    for spec in models {
        let name = spec.name();
        let start = Instant::now();
        let ranker = Ranker::train(spec, train, &mut |d, t| progress(name, d, t))?;
        let train_seconds = start.elapsed().as_secs_f64();
        let metrics = measure(&ranker, train, test, features, k);
        out.push(ModelResult {
            name: name.to_string(),
            metrics,
            train_seconds,
        });
    }
    Ok(out)
}

/// Diversity features: the items' tags when the catalog has them, else the
/// sets of training users who chose each item.
pub fn item_features(
    tags: Option<Vec<Vec<u32>>>,
    train: &SparseMatrix,
) -> (ItemFeatures, &'static str) {
    match tags {
        Some(t) if t.iter().any(|s| !s.is_empty()) => (ItemFeatures::new(t), "tags"),
        _ => {
            let items = train.transpose();
            let sets = (0..items.n_rows()).map(|i| items.row(i).to_vec()).collect();
            (ItemFeatures::new(sets), "co-occurrence")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_catalogs_scale_the_constant_als_penalty() {
        let ml = tuned(TunedFor::Ml100k, 3);
        assert_eq!(tuned(TunedFor::Other { items: 1682 }, 3), ml);
        let (bpr, half) = tuned(TunedFor::Other { items: 841 }, 3);
        assert_eq!(bpr, ml.0);
        assert!((half.reg - ml.1.reg / 2.0).abs() < 1e-4);
        assert_eq!(half.alpha, ml.1.alpha);
        // An empty catalog still gives a valid (positive) penalty.
        assert!(tuned(TunedFor::Other { items: 0 }, 3).1.reg > 0.0);
        assert_eq!(tuned(TunedFor::Ml100k, 3).1.seed, 3);
    }
}
