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

/// Default λ range for a given ν: (n_items + α·n)^ν spans orders of magnitude.
fn default_regs(reg_exponent: f32) -> Vec<f32> {
    if reg_exponent == 0.0 {
        vec![0.1, 1.0, 10.0, 100.0]
    } else if reg_exponent <= 0.5 {
        vec![0.1, 0.3, 1.0, 3.0]
    } else {
        vec![0.003, 0.01, 0.03, 0.1]
    }
}

/// Every combination of the axes given (or their defaults).
fn grid(a: &TuneArgs) -> Vec<ModelSpec> {
    let mut out = Vec::new();
    let seed = a.seed;
    match a.trainer {
        TrainerArg::Als => {
            let dims = a.dims.clone().unwrap_or_else(|| vec![32, 64, 128]);
            let alphas = a
                .alphas
                .clone()
                .unwrap_or_else(|| vec![1.0, 3.0, 10.0, 30.0]);
            let nus = a
                .reg_exponents
                .clone()
                .unwrap_or_else(|| vec![0.0, 0.5, 1.0]);
            for &dim in &dims {
                for &reg_exponent in &nus {
                    for reg in a.regs.clone().unwrap_or_else(|| default_regs(reg_exponent)) {
                        for &alpha in &alphas {
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
            let dims = a.dims.clone().unwrap_or_else(|| vec![64, 128]);
            let rates = a
                .learning_rates
                .clone()
                .unwrap_or_else(|| vec![0.02, 0.05, 0.1]);
            let regs = a
                .regs
                .clone()
                .unwrap_or_else(|| vec![0.001, 0.003, 0.01, 0.03]);
            let epochs = a.epochs.clone().unwrap_or_else(|| vec![50, 150]);
            for &dim in &dims {
                for &learning_rate in &rates {
                    for &reg in &regs {
                        for &epochs in &epochs {
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
    let specs = grid(&a);
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
