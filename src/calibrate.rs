//! Self-calibration of the MF trainer on the interactions a build is given
//! (native only).
//!
//! Hyper-parameters tuned on one catalog do not transfer: MovieLens' ALS
//! penalty, scaled to a 9,700-film catalog, flattened every user into the
//! popularity list (NDCG@10 0.209 against 0.385 for values validated on that
//! catalog). So `kith build` chooses weighted-ALS settings on user-fold
//! validation carved from the catalog's own interactions
//! ([`crate::validation`]), within a time budget.
//!
//! The search is coarse to fine with successive halving, so the budget goes
//! where the decisions are:
//! 1. a log grid of λ (penalty) × α (confidence), each scored on one
//!    validation fold with half the ALS iterations;
//! 2. local steps around the best (λ ×/÷ √10, α ×/÷ 2) while they improve;
//! 3. the best few re-scored on every fold with full iterations (pooled
//!    NDCG, standard error);
//! 4. the winner at half and twice the dimensions; a larger model must win by
//!    more than a standard error (bundles stay small when it does not matter);
//! 5. finer steps around the winner on every fold (λ ×/÷ 10^¼, α ×/÷ √2)
//!    while they improve.
//!
//! When the budget runs out the best configuration scored on the most folds
//! wins, and the result says the search was cut short.

use std::time::{Duration, Instant};

use crate::eval::ModelSpec;
use crate::interactions::SparseMatrix;
use crate::metrics::ItemFeatures;
use crate::mf::als::AlsParams;
use crate::validation::{self, Scheme, ValidationError, ValidationFold, ValidationPlan};

/// What the search may spend and how it scores.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchPlan {
    /// Wall-clock budget for the whole search (fits and scoring).
    pub budget: Duration,
    /// List length of validation NDCG.
    pub k: usize,
    /// Seed of the validation folds and of training.
    pub seed: u64,
    /// Validated users per fold at most (a deterministic sample): scoring
    /// every item for tens of thousands of users would cost more than the fit.
    pub max_validated_users: usize,
}

impl Default for SearchPlan {
    /// Four minutes, NDCG@10, at most 3,000 validated users per fold.
    fn default() -> Self {
        SearchPlan {
            budget: Duration::from_secs(240),
            k: 10,
            seed: 42,
            max_validated_users: 3000,
        }
    }
}

/// One configuration the search scored.
#[derive(Debug, Clone, PartialEq)]
pub struct Trial {
    /// The configuration.
    pub params: AlsParams,
    /// Validation NDCG@K pooled over the folds it was scored on.
    pub ndcg: f64,
    /// Standard error across those folds (0 with one fold).
    pub std_error: f64,
    /// Folds it was scored on.
    pub folds: usize,
}

/// The search's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Calibration {
    /// The chosen configuration.
    pub params: AlsParams,
    /// Its validation NDCG@K and standard error, on `folds` folds.
    pub ndcg: f64,
    /// Standard error of `ndcg` across folds.
    pub std_error: f64,
    /// Folds the chosen configuration was scored on.
    pub folds: usize,
    /// The popularity ranking on the same folds, for scale.
    pub popularity_ndcg: f64,
    /// Every configuration scored, in the order they were tried.
    pub trials: Vec<Trial>,
    /// False when the budget ran out before the search finished.
    pub complete: bool,
    /// Time spent.
    pub seconds: f64,
}

impl Calibration {
    /// One line for people: the choice, its validation score against
    /// popularity, and how the search went.
    pub fn summary(&self, k: usize) -> String {
        format!(
            "dim {} λ {} α {} (validation NDCG@{k} {:.4} ±{:.4}, popularity {:.4}; \
             {} configurations in {:.0} s{})",
            self.params.dim,
            self.params.reg,
            self.params.alpha,
            self.ndcg,
            self.std_error,
            self.popularity_ndcg,
            self.trials.len(),
            self.seconds,
            if self.complete {
                ""
            } else {
                "; the budget ran out first: raise --budget"
            }
        )
    }
}

/// Why no calibration could be made.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CalibrationError {
    /// Too few users or interactions to hold any out.
    #[error(
        "too little data to choose MF settings on ({users} users with 3 or more interactions; \
         at least {needed} needed): pass --als to set them"
    )]
    TooLittleData {
        /// Users with enough interactions.
        users: usize,
        /// How many are needed.
        needed: usize,
    },
    /// The plan is unusable.
    #[error("invalid search plan: {0}")]
    InvalidPlan(String),
    /// Validation failed.
    #[error(transparent)]
    Validation(#[from] ValidationError),
}

/// Users needed (with three or more interactions) before validation means anything.
const MIN_USERS: usize = 20;
/// User folds of the search.
const FOLDS: usize = 5;
/// Configurations re-scored on every fold.
const FINALISTS: usize = 3;

/// Searches weighted-ALS settings for `matrix` (users × items, every entry a
/// positive). `progress(stage, done, total)` reports the trials.
pub fn calibrate_als(
    matrix: &SparseMatrix,
    plan: &SearchPlan,
    progress: &mut dyn FnMut(&str, usize, usize),
) -> Result<Calibration, CalibrationError> {
    if plan.k == 0 || plan.max_validated_users == 0 {
        return Err(CalibrationError::InvalidPlan(
            "k and max_validated_users must be at least 1".into(),
        ));
    }
    let users = (0..matrix.n_rows())
        .filter(|&u| matrix.row(u).len() >= 3)
        .count();
    if users < MIN_USERS || matrix.n_cols() < 2 {
        return Err(CalibrationError::TooLittleData {
            users,
            needed: MIN_USERS,
        });
    }
    let start = Instant::now();
    let folds = sampled_folds(matrix, plan)?;
    let features = ItemFeatures::new(vec![Vec::new(); matrix.n_cols()]);
    let mut search = Search {
        folds: &folds,
        features: &features,
        k: plan.k,
        deadline: start + plan.budget,
        trials: Vec::new(),
        complete: true,
    };
    let popularity = validation::score(
        &ModelSpec::Popularity,
        &folds,
        &features,
        plan.k,
        &mut |_, _| {},
    )?;

    let base = AlsParams {
        dim: base_dim(matrix.n_cols()),
        seed: plan.seed,
        ..AlsParams::default()
    };
    // Stages 1–2 rank configurations with half the iterations: the
    // order of configurations settles long before the factors converge.
    let cheap_iterations = (base.iterations / 2).max(4);
    let cheap = AlsParams {
        iterations: cheap_iterations,
        ..base
    };
    // 1. The coarse grid on one fold.
    let regs = [0.1f32, 1.0, 10.0, 100.0, 1000.0];
    let alphas = [1.0f32, 4.0, 16.0, 64.0];
    let coarse: Vec<AlsParams> = regs
        .iter()
        .flat_map(|&reg| alphas.iter().map(move |&alpha| (reg, alpha)))
        .map(|(reg, alpha)| AlsParams {
            reg,
            alpha,
            ..cheap
        })
        .collect();
    for (n, p) in coarse.iter().enumerate() {
        progress("choose MF settings: grid", n, coarse.len());
        search.try_on(p, 1)?;
    }
    // 2. Local steps around the best while they improve (at most four rounds).
    for round in 0..4 {
        let Some(best) = search.best(1) else { break };
        let b = best.params;
        let steps = [
            AlsParams {
                reg: b.reg * 10f32.sqrt(),
                ..b
            },
            AlsParams {
                reg: b.reg / 10f32.sqrt(),
                ..b
            },
            AlsParams {
                alpha: b.alpha * 2.0,
                ..b
            },
            AlsParams {
                alpha: (b.alpha / 2.0).max(0.25),
                ..b
            },
        ];
        for (n, p) in steps.iter().enumerate() {
            progress("choose MF settings: refine", round * 4 + n, 16);
            search.try_on(p, 1)?;
        }
        if search.best(1).map(|t| t.params) == Some(b) {
            break;
        }
    }
    // 3. The finalists on every fold.
    let mut ranked: Vec<Trial> = search
        .trials
        .iter()
        .filter(|t| t.folds == 1)
        .cloned()
        .collect();
    ranked.sort_by(|a, b| b.ndcg.total_cmp(&a.ndcg));
    for (n, t) in ranked.iter().take(FINALISTS).enumerate() {
        progress("choose MF settings: finalists", n, FINALISTS);
        let full = AlsParams {
            iterations: base.iterations,
            ..t.params
        };
        search.try_on(&full, folds.len())?;
    }
    // 4. Dimensions: smaller or larger, the larger only when clearly better.
    if let Some(winner) = search.best(folds.len()) {
        let w = winner.params;
        let mut dims = vec![(w.dim / 2).max(8)];
        if w.dim * 2 <= matrix.n_cols() {
            dims.push(w.dim * 2);
        }
        for (n, dim) in dims.into_iter().enumerate() {
            progress("choose MF settings: dimensions", n, 2);
            search.try_on(&AlsParams { dim, ..w }, folds.len())?;
        }
    }
    // 5. Finer steps around the winner on every fold while they improve
    //    (λ ×/÷ 10^¼, α ×/÷ √2), at most three rounds.
    for round in 0..3 {
        let Some(best) = search.choose() else { break };
        let b = best.params;
        let steps = [
            AlsParams {
                reg: b.reg * 10f32.powf(0.25),
                ..b
            },
            AlsParams {
                reg: b.reg / 10f32.powf(0.25),
                ..b
            },
            AlsParams {
                alpha: b.alpha * 2f32.sqrt(),
                ..b
            },
            AlsParams {
                alpha: (b.alpha / 2f32.sqrt()).max(0.25),
                ..b
            },
        ];
        for (n, p) in steps.iter().enumerate() {
            progress("choose MF settings: fine steps", round * 4 + n, 12);
            search.try_on(p, folds.len())?;
        }
        if search.choose().map(|t| t.params) == Some(b) {
            break;
        }
    }
    progress("choose MF settings", 1, 1);
    let chosen = search
        .choose()
        .ok_or_else(|| CalibrationError::InvalidPlan("no configuration was scored".into()))?;
    Ok(Calibration {
        params: chosen.params,
        ndcg: chosen.ndcg,
        std_error: chosen.std_error,
        folds: chosen.folds,
        popularity_ndcg: popularity.ndcg,
        trials: search.trials,
        complete: search.complete,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// A starting dimension that suits the catalog: 64, less for tiny catalogs.
fn base_dim(items: usize) -> usize {
    (items / 4).clamp(8, 64)
}

/// User folds whose validated users are capped at `max_validated_users` each.
fn sampled_folds(
    matrix: &SparseMatrix,
    plan: &SearchPlan,
) -> Result<Vec<ValidationFold>, ValidationError> {
    let vplan = ValidationPlan {
        scheme: Scheme::UserFolds,
        folds: FOLDS,
        holdout: 0.1,
        repeats: 1,
        seed: plan.seed.wrapping_add(1),
    };
    let mut folds = validation::folds(matrix, &vplan)?;
    for f in &mut folds {
        let validated: Vec<usize> = (0..f.valid.n_rows())
            .filter(|&u| !f.valid.row(u).is_empty())
            .collect();
        if validated.len() > plan.max_validated_users {
            // Every n-th validated user: deterministic and spread evenly.
            let stride = validated.len().div_ceil(plan.max_validated_users);
            let keep: Vec<bool> = {
                let mut keep = vec![false; f.valid.n_rows()];
                for &u in validated.iter().step_by(stride) {
                    keep[u] = true;
                }
                keep
            };
            let rows = f
                .valid
                .triplets()
                .filter(|&(u, _, _)| keep[u as usize])
                .collect::<Vec<_>>();
            f.valid = SparseMatrix::from_triplets(f.valid.n_rows(), f.valid.n_cols(), rows);
        }
    }
    Ok(folds)
}

/// The state of one search: what was scored, and the clock.
struct Search<'a> {
    folds: &'a [ValidationFold],
    features: &'a ItemFeatures,
    k: usize,
    deadline: Instant,
    trials: Vec<Trial>,
    complete: bool,
}

impl Search<'_> {
    /// Scores `p` on the first `n` folds unless it was already, or the budget is spent.
    fn try_on(&mut self, p: &AlsParams, n: usize) -> Result<(), ValidationError> {
        if self.trials.iter().any(|t| t.params == *p && t.folds >= n) {
            return Ok(());
        }
        // The first trial always runs, so any budget yields a choice.
        if !self.trials.is_empty() && Instant::now() >= self.deadline {
            self.complete = false;
            return Ok(());
        }
        let s = validation::score(
            &ModelSpec::Als(*p),
            &self.folds[..n],
            self.features,
            self.k,
            &mut |_, _| {},
        )?;
        self.trials.push(Trial {
            params: *p,
            ndcg: s.ndcg,
            std_error: s.std_error,
            folds: n,
        });
        Ok(())
    }

    /// The best trial scored on exactly `n` folds.
    fn best(&self, n: usize) -> Option<&Trial> {
        self.trials
            .iter()
            .filter(|t| t.folds == n)
            .max_by(|a, b| a.ndcg.total_cmp(&b.ndcg))
    }

    /// The winner among trials on the most folds: the best, unless a
    /// smaller model is within one standard error of it.
    fn choose(&self) -> Option<Trial> {
        let most = self.trials.iter().map(|t| t.folds).max()?;
        let best = self.best(most)?.clone();
        let near = self
            .trials
            .iter()
            .filter(|t| t.folds == most && t.params.dim < best.params.dim)
            .filter(|t| t.ndcg >= best.ndcg - best.std_error)
            .min_by_key(|t| t.params.dim);
        Some(near.cloned().unwrap_or(best))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two groups of users, each liking its own half of the items, plus noise.
    fn two_groups(users: u32, items: u32) -> SparseMatrix {
        let half = items / 2;
        let t = (0..users).flat_map(move |u| {
            let base = if u % 2 == 0 { 0 } else { half };
            (0..8).map(move |j| (u, base + (u * 7 + j * 3) % half, 1.0))
        });
        SparseMatrix::from_triplets(users as usize, items as usize, t)
    }

    #[test]
    fn beats_popularity_where_taste_is_structured() {
        let m = two_groups(200, 60);
        let plan = SearchPlan {
            budget: Duration::from_secs(600),
            ..SearchPlan::default()
        };
        let c = calibrate_als(&m, &plan, &mut |_, _, _| {}).unwrap();
        assert!(c.complete);
        assert_eq!(c.folds, FOLDS);
        assert!(
            c.ndcg > c.popularity_ndcg + 0.05,
            "{} vs popularity {}",
            c.ndcg,
            c.popularity_ndcg
        );
        // the grid, the finalists and the dimensions were all tried
        assert!(c.trials.len() >= 20 + FINALISTS);
        assert!(c
            .trials
            .iter()
            .any(|t| t.params.dim != c.trials[0].params.dim));
    }

    #[test]
    fn a_spent_budget_still_chooses_and_says_so() {
        let m = two_groups(200, 60);
        let plan = SearchPlan {
            budget: Duration::ZERO,
            ..SearchPlan::default()
        };
        let c = calibrate_als(&m, &plan, &mut |_, _, _| {}).unwrap();
        assert!(!c.complete);
        assert_eq!(c.trials.len(), 1, "only the first trial runs");
        assert_eq!(c.params, c.trials[0].params);
    }

    #[test]
    fn too_little_data_is_a_clear_error() {
        let m = two_groups(10, 60);
        assert!(matches!(
            calibrate_als(&m, &SearchPlan::default(), &mut |_, _, _| {}),
            Err(CalibrationError::TooLittleData { users: 10, .. })
        ));
    }

    #[test]
    fn the_validated_sample_is_capped() {
        let m = two_groups(200, 60);
        let plan = SearchPlan {
            max_validated_users: 7,
            ..SearchPlan::default()
        };
        for f in sampled_folds(&m, &plan).unwrap() {
            let validated = (0..200).filter(|&u| !f.valid.row(u).is_empty()).count();
            assert!((1..=7).contains(&validated), "{validated}");
        }
    }
}
