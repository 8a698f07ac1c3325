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
}

fn grid(trainer: TrainerArg, seed: u64) -> Vec<ModelSpec> {
    let mut out = Vec::new();
    match trainer {
        TrainerArg::Als => {
            for dim in [32, 64, 128] {
                for reg in [0.01, 0.1, 1.0, 10.0] {
                    for alpha in [1.0, 5.0, 10.0, 20.0, 40.0] {
                        out.push(ModelSpec::Als(AlsParams {
                            dim,
                            reg,
                            alpha,
                            seed,
                            ..AlsParams::default()
                        }));
                    }
                }
            }
        }
        TrainerArg::Bpr => {
            for dim in [32, 64, 128] {
                for learning_rate in [0.01, 0.05, 0.1] {
                    for reg in [0.0005, 0.005, 0.05] {
                        for epochs in [30, 100] {
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
    let specs = grid(a.trainer, a.seed);
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
        let ranker = Ranker::train(spec, &fit, &mut |done, total| bar.update(spec.name(), done, total))?;
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
