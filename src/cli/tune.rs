//! `kith tune`: grid search of MF hyper-parameters on validation folds
//! carved from the training part of the standard split (see
//! [`crate::offline::validation`]). The test part is removed first and never scored,
//! so the chosen values are honest.

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::{Args, ValueEnum};

use super::eval::tag_sets;
use super::progress::TrainingBar;
use super::FormatArg;
use crate::offline::build::{load, LoadOptions};
use crate::offline::eval::{item_features, ModelSpec};
use crate::offline::validation::{self, Grid, Scheme, ValidationPlan};

/// Which trainer to tune.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TrainerArg {
    /// Biased MF with BPR.
    Bpr,
    /// Weighted ALS.
    Als,
}

/// Validation schemes (see [`crate::offline::validation`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemeArg {
    /// Users dealt into folds; only one fold's users hold out items, the
    /// others keep all theirs, so each fit is almost the full training part.
    UserFolds,
    /// Every user holds out items, as in the test split (for data whose
    /// structure depends on what is held out, such as goodbooks' capped ratings).
    EveryUser,
}

/// Arguments of `kith tune`.
#[derive(Debug, Args)]
pub struct TuneArgs {
    /// Format of --data.
    #[arg(long, value_enum)]
    format: FormatArg,
    /// Data-set folder.
    #[arg(long)]
    data: PathBuf,
    /// Trainer whose grid to search.
    #[arg(long, value_enum)]
    trainer: TrainerArg,
    /// Seed of the test split (as in `kith eval`); validation folds use seed + 1, seed + 2, …
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Validation scheme: who holds out items in each validation fit.
    #[arg(long, value_enum, default_value_t = SchemeArg::UserFolds)]
    validation: SchemeArg,
    /// Validation: groups of users (user-folds only).
    #[arg(long, default_value_t = ValidationPlan::new(Scheme::UserFolds).folds)]
    folds: usize,
    /// Validation: share of a validated user's training items held out
    /// (default: 0.1 for user-folds, 0.25 for every-user).
    #[arg(long)]
    holdout: Option<f64>,
    /// Validation: repetitions with fresh held-out items (default: 2 for
    /// user-folds, so 10 fits per configuration; 1 for every-user).
    #[arg(long)]
    repeats: Option<usize>,
    /// List length K for validation NDCG.
    #[arg(long, default_value_t = 10)]
    k: usize,
    /// Skip malformed rows.
    #[arg(long)]
    lenient: bool,
    /// Latent dimensions to try (default: ALS 32,64,128; BPR 64,128).
    #[arg(long, value_delimiter = ',')]
    dims: Option<Vec<usize>>,
    /// λ values to try (default: a range suited to each ν for ALS; 0.001,0.003,0.01,0.03 for BPR).
    #[arg(long, value_delimiter = ',')]
    regs: Option<Vec<f32>>,
    /// ALS: α values to try (default 1,3,10,30).
    #[arg(long, value_delimiter = ',')]
    alphas: Option<Vec<f32>>,
    /// ALS: ν values to try (default 0,0.5,1).
    #[arg(long, value_delimiter = ',')]
    reg_exponents: Option<Vec<f32>>,
    /// BPR: epoch counts to try (default 50,150).
    #[arg(long, value_delimiter = ',')]
    epochs: Option<Vec<usize>>,
    /// BPR: learning rates to try (default 0.02,0.05,0.1).
    #[arg(long, value_delimiter = ',')]
    learning_rates: Option<Vec<f32>>,
}

/// The axes the arguments give (the others take [`Grid`]'s defaults).
fn grid(a: &TuneArgs) -> Vec<ModelSpec> {
    let axes = Grid {
        dims: a.dims.clone(),
        regs: a.regs.clone(),
        alphas: a.alphas.clone(),
        reg_exponents: a.reg_exponents.clone(),
        epochs: a.epochs.clone(),
        learning_rates: a.learning_rates.clone(),
    };
    match a.trainer {
        TrainerArg::Als => axes.als(a.seed),
        TrainerArg::Bpr => axes.bpr(a.seed),
    }
}

pub fn run(a: TuneArgs) -> Result<()> {
    if a.k == 0 {
        bail!("--k must be at least 1");
    }
    let d = load(a.format.into(), &a.data, LoadOptions { lenient: a.lenient })?;
    let (train, _test_never_scored) = d
        .interactions
        .to_matrix()
        .split_per_row(crate::offline::eval::TEST_FRACTION, a.seed);
    let scheme = match a.validation {
        SchemeArg::UserFolds => Scheme::UserFolds,
        SchemeArg::EveryUser => Scheme::EveryUser,
    };
    let defaults = ValidationPlan::new(scheme);
    let plan = ValidationPlan {
        scheme,
        folds: a.folds,
        holdout: a.holdout.unwrap_or(defaults.holdout),
        repeats: a.repeats.unwrap_or(defaults.repeats),
        seed: a.seed + 1,
    };
    let folds = validation::folds(&train, &plan)?;
    let (features, _) = item_features(tag_sets(&d), &train);
    let specs = grid(&a);
    let held: usize = folds.iter().map(|f| f.valid.nnz()).sum::<usize>() / folds.len().max(1);
    let who = match scheme {
        Scheme::UserFolds => format!("{} user folds", plan.folds),
        Scheme::EveryUser => "every user".to_string(),
    };
    outln!(
        "validation: {} training interactions; {who} × {} repeats; {:.0}% of a validated user's \
         items held out (about {held} per fit); {} configurations; ndcg@{} ± standard error across fits",
        train.nnz(),
        plan.repeats,
        plan.holdout * 100.0,
        specs.len(),
        a.k
    );
    let mut best: Option<(f64, ModelSpec)> = None;
    let mut bar = TrainingBar::new();
    for spec in &specs {
        let s = validation::score(spec, &folds, &features, a.k, &mut |done, total| {
            bar.update(spec.name(), done, total)
        })?;
        bar.suspend(|| {
            let _ = std::io::Write::write_fmt(
                &mut std::io::stdout(),
                format_args!("{:.4} ±{:.4}  {:?}\n", s.ndcg, s.std_error, spec),
            );
        });
        if best.as_ref().is_none_or(|(b, _)| s.ndcg > *b) {
            best = Some((s.ndcg, *spec));
        }
    }
    drop(bar);
    if let Some((ndcg, spec)) = best {
        outln!("best validation ndcg@{} = {ndcg:.4}: {spec:?}", a.k);
    }
    Ok(())
}
