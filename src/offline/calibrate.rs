//! Self-calibration of the MF trainer on the interactions a build is given
//! (native only).
//!
//! Hyper-parameters tuned on one catalog do not transfer: MovieLens' ALS
//! penalty, scaled to a 9,700-film catalog, flattened every user into the
//! popularity list (NDCG@10 0.209 against 0.385 for values validated on that
//! catalog). So `kith build` chooses weighted-ALS settings on user-fold
//! validation carved from the catalog's own interactions
//! ([`crate::offline::validation`]), within a time budget.
//!
//! The search is coarse to fine with successive halving, so the budget goes
//! where the decisions are:
//! 1. a log grid of λ (penalty) × α (confidence), each scored on one
//!    validation fold with half the ALS iterations;
//! 2. local steps around the best (λ ×/÷ √10, α ×/÷ 2) while they improve;
//! 3. the best few re-scored on every fold with full iterations (pooled
//!    NDCG, standard error) — five folds, or three when each fold already
//!    validates the capped number of users (large catalogs);
//! 4. the winner at half the dimensions on every fold (a smaller model
//!    within a standard error wins: bundles stay small when size does not
//!    matter), then doubled while each doubling gains 2% over the last on
//!    the same screening fold (a paired comparison, far more sensitive than
//!    means across folds) — at the same λ, else with λ one coarse step up,
//!    since more factors often need a stronger penalty (Debian: 64 → 128
//!    factors lose at λ 100 and gain at λ 316) — up to `max_dim`; the largest that did is
//!    preferred, and scored on every fold when the budget allows;
//! 5. finer steps around the winner (λ ×/÷ 10^¼, α ×/÷ √2) while they
//!    improve: each screened on one fold against the winner there, only the
//!    best step that beats it scored on every fold.
//!
//! No trial starts that is not expected to finish within the budget (its
//! cost predicted from the trials so far); measured: docs/BENCHMARKS.md §6.
//!
//! When the budget runs out the best configuration scored on the most folds
//! wins, and the result says the search was cut short.

use std::time::{Duration, Instant};

use crate::core::interactions::SparseMatrix;
use crate::core::mf::als::AlsParams;
use crate::offline::eval::ModelSpec;
use crate::offline::metrics::ItemFeatures;
use crate::offline::validation::{self, Scheme, ValidationError, ValidationFold, ValidationPlan};

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
    /// Largest factor dimension the search may choose: the bundle's MF part
    /// grows with it (items × dim numbers) and so does each visitor's
    /// fold-in (dim³).
    pub max_dim: usize,
}

impl Default for SearchPlan {
    /// Four minutes, NDCG@10, at most 3,000 validated users per fold,
    /// dimensions up to 512.
    fn default() -> Self {
        SearchPlan {
            budget: Duration::from_secs(240),
            k: 10,
            seed: 42,
            max_validated_users: 3000,
            max_dim: 512,
        }
    }
}

/// One configuration the search scored.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Trial {
    /// The configuration.
    pub params: AlsParams,
    /// Validation NDCG@K pooled over the folds it was scored on.
    pub ndcg: f64,
    /// Standard error across those folds (0 with one fold).
    pub std_error: f64,
    /// Folds it was scored on.
    pub folds: usize,
    /// Time its fits and scoring took.
    pub seconds: f64,
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
/// Relative gain on the screening fold a doubled dimension must show.
const MIN_DIM_GAIN: f64 = 0.02;
/// Folds the full stages use when every fold validates the capped number of users.
const LARGE_FOLDS: usize = 3;

/// Searches weighted-ALS settings for `matrix` (users × items, every entry a
/// positive). `progress(stage, done, total)` reports the trials.
pub fn calibrate_als(
    matrix: &SparseMatrix,
    plan: &SearchPlan,
    progress: &mut dyn FnMut(&str, usize, usize),
) -> Result<Calibration, CalibrationError> {
    if plan.k == 0 || plan.max_validated_users == 0 || plan.max_dim == 0 {
        return Err(CalibrationError::InvalidPlan(
            "k, max_validated_users and max_dim must be at least 1".into(),
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
    let (folds, capped) = sampled_folds(matrix, plan)?;
    // The full stages score on every fold; when each fold has more users to
    // validate than the cap (large catalogs), three folds give a steady
    // enough mean and the fits, the search's main cost, drop by 40%.
    let full = if capped { LARGE_FOLDS } else { folds.len() };
    let features = ItemFeatures::new(vec![Vec::new(); matrix.n_cols()]);
    let mut search = Search {
        folds: &folds,
        features: &features,
        k: plan.k,
        deadline: start + plan.budget,
        trials: Vec::new(),
        complete: true,
        preferred: None,
    };
    let popularity = validation::score(
        &ModelSpec::Popularity,
        &folds,
        &features,
        plan.k,
        &mut |_, _| {},
    )?;

    let base = AlsParams {
        dim: base_dim(matrix.n_cols()).min(plan.max_dim),
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
        let full_params = AlsParams {
            iterations: base.iterations,
            ..t.params
        };
        search.try_on(&full_params, full)?;
    }
    // 4. Dimensions: half the winner's on every fold; then doubling, each
    //    larger model screened on one fold against the last (at the same λ,
    //    else one coarse step stronger), while it gains at least
    //    MIN_DIM_GAIN there; the largest that did is preferred, and scored
    //    on every fold if the budget allows.
    if let Some(winner) = search.best(full) {
        let w = winner.params;
        progress("choose MF settings: dimensions", 0, 4);
        search.try_on(
            &AlsParams {
                dim: (w.dim / 2).max(w.dim.min(8)),
                ..w
            },
            full,
        )?;
        let current =
            search.doubled_while_gaining(w, plan.max_dim.min(matrix.n_cols()), progress)?;
        if current.dim != w.dim {
            search.preferred = Some(current);
            search.try_on(&current, full)?;
        }
    }
    // 5. Finer steps around the winner (λ ×/÷ 10^¼, α ×/÷ √2), at most three
    //    rounds, by successive halving: each step is screened on one fold
    //    against the winner on that fold, and only the best step that beats
    //    it there is scored on every fold.
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
        progress("choose MF settings: fine steps", round * 5, 15);
        search.try_on(&b, 1)?;
        for (n, p) in steps.iter().enumerate() {
            progress("choose MF settings: fine steps", round * 5 + n + 1, 15);
            search.try_on(p, 1)?;
        }
        let Some(anchor) = search.score_of(&b, 1) else {
            break;
        };
        let screened = steps
            .iter()
            .filter_map(|p| search.score_of(p, 1).map(|s| (*p, s)))
            .max_by(|a, c| a.1.total_cmp(&c.1));
        match screened {
            Some((p, s)) if s > anchor => {
                search.try_on(&p, full)?;
                search.prefer_if_confirmed(&p, &b, full);
            }
            _ => break,
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

/// The least growth of a trial's cost with the dimension the cost model
/// assumes, however cheap the larger dimensions looked so far.
const MIN_COST_EXPONENT: f64 = 1.0;

/// A starting dimension that suits the catalog: 64, less for tiny catalogs.
fn base_dim(items: usize) -> usize {
    (items / 4).clamp(8, 64)
}

/// User folds whose validated users are capped at `max_validated_users`
/// each, and whether every fold had more than that (and was sampled).
fn sampled_folds(
    matrix: &SparseMatrix,
    plan: &SearchPlan,
) -> Result<(Vec<ValidationFold>, bool), ValidationError> {
    let vplan = ValidationPlan {
        scheme: Scheme::UserFolds,
        folds: FOLDS,
        holdout: 0.1,
        repeats: 1,
        seed: plan.seed.wrapping_add(1),
    };
    let mut folds = validation::folds(matrix, &vplan)?;
    let mut every_fold_capped = true;
    for f in &mut folds {
        let validated: Vec<usize> = (0..f.valid.n_rows())
            .filter(|&u| !f.valid.row(u).is_empty())
            .collect();
        every_fold_capped &= validated.len() > plan.max_validated_users;
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
    Ok((folds, every_fold_capped))
}

/// The state of one search: what was scored, and the clock.
struct Search<'a> {
    folds: &'a [ValidationFold],
    features: &'a ItemFeatures,
    k: usize,
    deadline: Instant,
    trials: Vec<Trial>,
    complete: bool,
    /// A configuration a paired comparison on the screening fold chose over
    /// the full-fold winner (a larger dimension): more sensitive than
    /// comparing means across folds, and affordable where a full-fold fit
    /// of a large model is not.
    preferred: Option<AlsParams>,
}

impl Search<'_> {
    /// Scores `p` on the first `n` folds unless it was already, or the budget is spent.
    fn try_on(&mut self, p: &AlsParams, n: usize) -> Result<(), ValidationError> {
        if self.score_of(p, n).is_some() {
            return Ok(());
        }
        // The first trial always runs, so any budget yields a choice; a later
        // one only when it is expected to finish within the budget (one
        // large-dimension fit can take minutes).
        if !self.trials.is_empty() {
            let expected = self.expected_seconds(p, n);
            if Instant::now() + Duration::from_secs_f64(expected) > self.deadline {
                self.complete = false;
                return Ok(());
            }
        }
        let started = Instant::now();
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
            seconds: started.elapsed().as_secs_f64(),
        });
        Ok(())
    }

    /// Expected time of scoring `p` on `n` folds: the time per fold and
    /// iteration at the nearest dimension tried, scaled by the dimension
    /// ratio to the power the trials so far show (ALS's per-row work grows
    /// between d — the sparse terms, the GEMM-bound Gram products on a
    /// small catalog — and d²). With one dimension tried, d² is assumed:
    /// the cautious end.
    fn expected_seconds(&self, p: &AlsParams, n: usize) -> f64 {
        // Mean time per fold-iteration at each dimension tried, by dimension.
        let mut by_dim: Vec<(usize, f64, usize)> = Vec::new();
        for t in &self.trials {
            let unit = t.seconds / (t.folds * t.params.iterations.max(1)) as f64;
            match by_dim.iter_mut().find(|e| e.0 == t.params.dim) {
                Some(e) => {
                    e.1 += unit;
                    e.2 += 1;
                }
                None => by_dim.push((t.params.dim, unit, 1)),
            }
        }
        let mut units: Vec<(f64, f64)> = by_dim
            .into_iter()
            .map(|(d, sum, count)| (d.max(1) as f64, sum / count as f64))
            .collect();
        units.sort_by(|a, b| a.0.total_cmp(&b.0));
        let target = p.dim.max(1) as f64;
        let Some(&(near_dim, near_unit)) = units
            .iter()
            .min_by(|a, b| (a.0 - target).abs().total_cmp(&(b.0 - target).abs()))
        else {
            return 0.0;
        };
        // The growth exponent between the two dimensions nearest the target.
        let mut nearest = units.clone();
        nearest.sort_by(|a, b| (a.0 - target).abs().total_cmp(&(b.0 - target).abs()));
        let exponent = match nearest.as_slice() {
            [(d1, c1), (d2, c2), ..] if c1 > &0.0 && c2 > &0.0 => {
                ((c1 / c2).ln() / (d1 / d2).ln()).clamp(MIN_COST_EXPONENT, 2.0)
            }
            _ => 2.0,
        };
        near_unit * (target / near_dim).powf(exponent) * (n * p.iterations.max(1)) as f64
    }

    /// After a fine step `step` beat the `winner` on the screening fold:
    /// when a preferred configuration stands, `step` replaces it if every
    /// fold confirms it (both scored on the `full` folds), or if a fit on
    /// every fold was not affordable (the paired screening decides).
    /// Without a preferred configuration, [`Search::choose`] already compares
    /// on every fold.
    fn prefer_if_confirmed(&mut self, step: &AlsParams, winner: &AlsParams, full: usize) {
        if self.preferred.is_none() {
            return;
        }
        let confirmed = match (self.score_of(step, full), self.score_of(winner, full)) {
            (Some(s), Some(w)) => s > w,
            _ => true,
        };
        if confirmed {
            self.preferred = Some(*step);
        }
    }

    /// Doubles the dimension of `from` while each doubling gains at least
    /// [`MIN_DIM_GAIN`] over the last on the screening fold, at the same λ
    /// or else one coarse λ step stronger, up to `limit` dimensions; the
    /// last configuration that gained (or `from`).
    fn doubled_while_gaining(
        &mut self,
        from: AlsParams,
        limit: usize,
        progress: &mut dyn FnMut(&str, usize, usize),
    ) -> Result<AlsParams, ValidationError> {
        let mut current = from;
        let mut step = 1;
        while current.dim * 2 <= limit {
            let larger = AlsParams {
                dim: current.dim * 2,
                ..current
            };
            progress("choose MF settings: dimensions", step, 4);
            self.try_on(&current, 1)?;
            self.try_on(&larger, 1)?;
            step += 1;
            if self.gains_on_screening(&larger, &current) {
                current = larger;
                continue;
            }
            // More factors can overfit what the same penalty held: a second
            // chance one coarse λ step up (only when the same λ did not gain,
            // so a catalog whose dimensions gain as they are pays nothing).
            let stronger = AlsParams {
                reg: larger.reg * 10f32.sqrt(),
                ..larger
            };
            self.try_on(&stronger, 1)?;
            if self.gains_on_screening(&stronger, &current) {
                current = stronger;
            } else {
                break;
            }
        }
        Ok(current)
    }

    /// Whether `larger` beat `current` by at least [`MIN_DIM_GAIN`] on the
    /// screening fold (both scored there).
    fn gains_on_screening(&self, larger: &AlsParams, current: &AlsParams) -> bool {
        match (self.score_of(current, 1), self.score_of(larger, 1)) {
            (Some(a), Some(b)) => b >= a * (1.0 + MIN_DIM_GAIN),
            _ => false,
        }
    }

    /// The score of `p` on exactly its first `n` folds, if it was scored there.
    fn score_of(&self, p: &AlsParams, n: usize) -> Option<f64> {
        self.trials
            .iter()
            .find(|t| t.params == *p && t.folds == n)
            .map(|t| t.ndcg)
    }

    /// The best trial scored on exactly `n` folds.
    fn best(&self, n: usize) -> Option<&Trial> {
        self.trials
            .iter()
            .filter(|t| t.folds == n)
            .max_by(|a, b| a.ndcg.total_cmp(&b.ndcg))
    }

    /// The preferred configuration (scored on the most folds it has), else
    /// the winner among trials on the most folds: the best, unless a smaller
    /// model is within one standard error of it.
    fn choose(&self) -> Option<Trial> {
        if let Some(p) = self.preferred {
            if let Some(t) = self
                .trials
                .iter()
                .filter(|t| t.params == p)
                .max_by_key(|t| t.folds)
            {
                return Some(t.clone());
            }
        }
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

    /// A search over no folds whose deadline has passed: it only replays
    /// `trials` (an unscored configuration is skipped, not trained).
    fn replaying(features: &ItemFeatures, trials: Vec<Trial>) -> Search<'_> {
        Search {
            folds: &[],
            features,
            k: 10,
            deadline: Instant::now(),
            preferred: None,
            trials,
            complete: true,
        }
    }

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
    fn large_catalogs_use_fewer_folds_in_the_full_stages() {
        let m = two_groups(200, 60);
        let plan = SearchPlan {
            budget: Duration::from_secs(600),
            max_validated_users: 7,
            ..SearchPlan::default()
        };
        let c = calibrate_als(&m, &plan, &mut |_, _, _| {}).unwrap();
        assert!(c.complete);
        assert_eq!(c.folds, LARGE_FOLDS);
        assert!(c
            .trials
            .iter()
            .all(|t| t.folds == 1 || t.folds == LARGE_FOLDS));
        // fine steps are screened on one fold at full iterations
        assert!(c
            .trials
            .iter()
            .any(|t| t.folds == 1 && t.params.iterations == c.params.iterations));
    }

    #[test]
    fn a_trial_is_expected_to_cost_by_folds_iterations_and_dimension() {
        let features = ItemFeatures::new(Vec::new());
        let small = AlsParams {
            dim: 32,
            iterations: 5,
            ..AlsParams::default()
        };
        let search = replaying(
            &features,
            vec![Trial {
                params: small,
                ndcg: 0.1,
                std_error: 0.0,
                folds: 1,
                seconds: 2.0,
            }],
        );
        let big = AlsParams {
            dim: 64,
            iterations: 10,
            ..small
        };
        // 2 s per fold-iteration-at-32 / 5 → 0.4; ×4 for twice the dimension,
        // ×3 folds ×10 iterations.
        assert!((search.expected_seconds(&big, 3) - 0.4 * 4.0 * 30.0).abs() < 1e-9);
    }

    #[test]
    fn a_fine_step_replaces_the_preferred_only_when_every_fold_agrees() {
        let features = ItemFeatures::new(Vec::new());
        let winner = AlsParams {
            dim: 128,
            ..AlsParams::default()
        };
        let step = AlsParams {
            alpha: winner.alpha * 2f32.sqrt(),
            ..winner
        };
        let trial = |params: AlsParams, ndcg: f64, folds: usize| Trial {
            params,
            ndcg,
            std_error: 0.0,
            folds,
            seconds: 1.0,
        };
        let mut search = Search {
            preferred: Some(winner),
            ..replaying(
                &features,
                // Better on the screening fold, worse on every fold.
                vec![
                    trial(winner, 0.2295, 1),
                    trial(step, 0.2323, 1),
                    trial(winner, 0.2445, 5),
                    trial(step, 0.2429, 5),
                ],
            )
        };
        search.prefer_if_confirmed(&step, &winner, 5);
        assert_eq!(search.preferred, Some(winner));
        assert_eq!(search.choose().map(|t| t.params), Some(winner));
        // Not scored on every fold (too costly): the screening decides.
        search.trials.truncate(3);
        search.prefer_if_confirmed(&step, &winner, 5);
        assert_eq!(search.preferred, Some(step));
    }

    #[test]
    fn a_doubled_dimension_gets_a_second_chance_with_a_stronger_penalty() {
        let features = ItemFeatures::new(Vec::new());
        let at = |dim: usize, reg: f32| AlsParams {
            dim,
            reg,
            ..AlsParams::default()
        };
        let trial = |params: AlsParams, ndcg: f64| Trial {
            params,
            ndcg,
            std_error: 0.0,
            folds: 1,
            seconds: 1.0,
        };
        let strong = 100.0 * 10f32.sqrt();
        // Debian's screening fold: 128 factors lose at λ 100, gain 2.5% at
        // λ 316; 256 factors gain at neither.
        let mut search = replaying(
            &features,
            vec![
                trial(at(64, 100.0), 0.3004),
                trial(at(128, 100.0), 0.2991),
                trial(at(128, strong), 0.3080),
                trial(at(256, strong), 0.3102),
                trial(at(256, strong * 10f32.sqrt()), 0.2666),
            ],
        );
        let chosen = search
            .doubled_while_gaining(at(64, 100.0), 512, &mut |_, _, _| {})
            .unwrap();
        assert_eq!(chosen, at(128, strong));
        // Where the same penalty gains, no stronger one is asked for (an
        // untried one would find the deadline passed and mark the search
        // incomplete).
        search.trials = vec![
            trial(at(64, 1.0), 0.10),
            trial(at(128, 1.0), 0.12),
            trial(at(256, 1.0), 0.121),
        ];
        search.complete = true;
        let chosen = search
            .doubled_while_gaining(at(64, 1.0), 128, &mut |_, _, _| {})
            .unwrap();
        assert_eq!(chosen, at(128, 1.0));
        assert!(search.complete, "a stronger penalty was asked for");
        // Where it does not gain, the stronger one is asked for.
        let chosen = search
            .doubled_while_gaining(at(128, 1.0), 256, &mut |_, _, _| {})
            .unwrap();
        assert_eq!(chosen, at(128, 1.0));
        assert!(!search.complete, "the second chance was not asked for");
    }

    #[test]
    fn the_cost_model_learns_how_cost_grows_with_the_dimension() {
        let features = ItemFeatures::new(Vec::new());
        let at = |dim: usize, seconds: f64| Trial {
            params: AlsParams {
                dim,
                iterations: 10,
                ..AlsParams::default()
            },
            ndcg: 0.1,
            std_error: 0.0,
            folds: 1,
            seconds,
        };
        let mut search = replaying(
            &features,
            // Doubling the dimension cost 2×: linear growth.
            vec![at(64, 10.0), at(128, 20.0)],
        );
        let next = AlsParams {
            dim: 256,
            iterations: 10,
            ..AlsParams::default()
        };
        assert!((search.expected_seconds(&next, 1) - 40.0).abs() < 1e-6);
        // Growth that looks slower than linear (noise) is read as linear.
        search.trials = vec![at(64, 10.0), at(128, 11.0)];
        assert!((search.expected_seconds(&next, 1) - 22.0).abs() < 1e-6);
        // Faster than quadratic is capped at quadratic.
        search.trials = vec![at(64, 1.0), at(128, 8.0)];
        assert!((search.expected_seconds(&next, 2) - 64.0).abs() < 1e-6);
    }

    #[test]
    fn no_dimension_above_the_cap_is_tried() {
        let m = two_groups(200, 60);
        let plan = SearchPlan {
            budget: Duration::from_secs(600),
            max_dim: 4,
            ..SearchPlan::default()
        };
        let c = calibrate_als(&m, &plan, &mut |_, _, _| {}).unwrap();
        assert!(c.trials.iter().all(|t| t.params.dim <= 4), "{:?}", c.params);
        let none = SearchPlan { max_dim: 0, ..plan };
        assert!(matches!(
            calibrate_als(&m, &none, &mut |_, _, _| {}),
            Err(CalibrationError::InvalidPlan(_))
        ));
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
        let (folds, capped) = sampled_folds(&m, &plan).unwrap();
        assert!(capped);
        for f in folds {
            let validated = (0..200).filter(|&u| !f.valid.row(u).is_empty()).count();
            assert!((1..=7).contains(&validated), "{validated}");
        }
    }
}
