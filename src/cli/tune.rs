//! `kith tune`: grid search of MF hyper-parameters on a validation split
//! carved from the training part of the standard split. The test part is
//! removed first and never scored, so the chosen values are honest.

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::{Args, ValueEnum};

use super::eval::tag_sets;
use super::progress::TrainingBar;
use super::FormatArg;
use crate::build::{load, LoadOptions};
use crate::eval::{item_features, measure, ModelSpec, Ranker};
use crate::mf::als::AlsParams;
use crate::mf::bpr::BprParams;

/// Which trainer to tune.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TrainerArg {
    /// Biased MF with BPR.
    Bpr,
    /// Weighted ALS.
    Als,
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
    /// Seed of the test split (as in `kith eval`); validation uses seed + 1.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// List length K for validation NDCG.
    #[arg(long, default_value_t = 10)]
    k: usize,
    /// Skip malformed rows.
    #[arg(long)]
    lenient: bool,
    /// Grid size: `full`, or `small` (64 dimensions only, fewer epochs) for large data.
    #[arg(long, value_enum, default_value = "full")]
    grid: GridArg,
}

/// How much of the grid to search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GridArg {
    /// Every configuration.
    Full,
    /// A cheaper subset for large data.
    Small,
}

fn grid(trainer: TrainerArg, size: GridArg, seed: u64) -> Vec<ModelSpec> {
    let mut out = Vec::new();
    let small = size == GridArg::Small;
    let dims: &[usize] = match (trainer, small) {
        (_, true) => &[64],
        (TrainerArg::Als, false) => &[32, 64, 128],
        (TrainerArg::Bpr, false) => &[64, 128],
    };
    let epochs: &[usize] = if small { &[20, 50] } else { &[50, 150] };
    match trainer {
        TrainerArg::Als => {
            // λ is per ν: (n_items + α·n)^ν spans orders of magnitude.
            let regs: [(f32, [f32; 4]); 3] = [
                (0.0, [0.1, 1.0, 10.0, 100.0]),
                (0.5, [0.1, 0.3, 1.0, 3.0]),
                (1.0, [0.003, 0.01, 0.03, 0.1]),
            ];
            for &dim in dims {
                for (reg_exponent, rs) in regs {
                    for reg in rs {
                        for alpha in [1.0, 3.0, 10.0, 30.0] {
                            out.push(ModelSpec::Als(AlsParams {
                                dim,
                                reg,
                                alpha,
                                reg_exponent,
                                seed,
                                ..AlsParams::default()
                            }));
                        }
                    }
                }
            }
        }
        TrainerArg::Bpr => {
            for &dim in dims {
                for learning_rate in [0.02, 0.05, 0.1] {
                    for reg in [0.001, 0.003, 0.01, 0.03] {
                        for &epochs in epochs {
                            out.push(ModelSpec::Bpr(BprParams {
                                dim,
                                learning_rate,
                                reg,
                                bias_reg: reg,
                                epochs,
                                seed,
                            }));
                        }
                    }
                }
            }
        }
    }
    out
}

pub fn run(a: TuneArgs) -> Result<()> {
    if a.k == 0 {
        bail!("--k must be at least 1");
    }
    let d = load(a.format.into(), &a.data, LoadOptions { lenient: a.lenient })?;
    let (train, _test_never_scored) = d.interactions.to_matrix().split_per_row(0.25, a.seed);
    let (fit, valid) = train.split_per_row(0.25, a.seed + 1);
    let (features, _) = item_features(tag_sets(&d), &fit);
    let specs = grid(a.trainer, a.grid, a.seed);
    println!(
        "validation: {} fit / {} validation interactions; {} configurations; ndcg@{}",
        fit.nnz(),
        valid.nnz(),
        specs.len(),
        a.k
    );
    let mut best: Option<(f64, ModelSpec)> = None;
    let mut bar = TrainingBar::new();
    for spec in &specs {
        let ranker = Ranker::train(spec, &fit, &mut |done, total| {
            bar.update(spec.name(), done, total)
        })?;
        let r = measure(&ranker, &fit, &valid, &features, a.k);
        println!("{:.4}  {:?}", r.ndcg, spec);
        if best.as_ref().is_none_or(|(b, _)| r.ndcg > *b) {
            best = Some((r.ndcg, *spec));
        }
    }
    drop(bar);
    if let Some((ndcg, spec)) = best {
        println!("best validation ndcg@{} = {ndcg:.4}: {spec:?}", a.k);
    }
    Ok(())
}
