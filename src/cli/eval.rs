//! `kith eval`: the standard offline protocol, on a data set or on a split
//! made elsewhere.

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Args;

use super::progress::TrainingBar;
use super::FormatArg;
use crate::build::loaders::{read_plain_interactions, RawInteraction};
use crate::build::{load, Dataset, LoadOptions, LoadReport};
use crate::eval::{evaluate, item_features, to_json, to_table, ModelSpec, Protocol, TunedFor};
use crate::interactions::SparseMatrix;

/// Arguments of `kith eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Format of --data.
    #[arg(long, value_enum, requires = "data", conflicts_with_all = ["train", "test"])]
    format: Option<FormatArg>,
    /// Data-set folder.
    #[arg(long, requires = "format")]
    data: Option<PathBuf>,
    /// Training interactions made elsewhere (`user item [rating [timestamp]]`, tab or comma, no header).
    #[arg(long, requires = "test")]
    train: Option<PathBuf>,
    /// Test interactions, same format as --train.
    #[arg(long, requires = "train")]
    test: Option<PathBuf>,
    /// Seed of the split and of every model.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// List length K.
    #[arg(long, default_value_t = 10)]
    k: usize,
    /// Models to evaluate, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "popularity,random,bpr,als"
    )]
    models: Vec<String>,
    /// Skip malformed rows (and interactions with unknown items) and report how many.
    #[arg(long)]
    lenient: bool,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

/// Resolves model names to specs, with hyper-parameters tuned for `catalog`.
pub(super) fn model_specs(
    names: &[String],
    catalog: TunedFor,
    seed: u64,
) -> Result<Vec<ModelSpec>> {
    let all = ModelSpec::standard(catalog, seed);
    names
        .iter()
        .map(|n| {
            all.iter()
                .find(|s| s.name() == n.trim())
                .copied()
                .with_context(|| {
                    format!("unknown model {n:?} (known: popularity, random, bpr, als)")
                })
        })
        .collect()
}

/// Tag ids per item, for diversity.
pub(super) fn tag_sets(d: &Dataset) -> Option<Vec<Vec<u32>>> {
    let mut ids: HashMap<&str, u32> = HashMap::new();
    let sets: Vec<Vec<u32>> = d
        .catalog
        .items()
        .iter()
        .map(|i| {
            i.tags
                .iter()
                .map(|t| {
                    let n = ids.len() as u32;
                    *ids.entry(t.as_str()).or_insert(n)
                })
                .collect()
        })
        .collect();
    d.catalog.has_tags().then_some(sets)
}

fn report_load(report: &LoadReport) {
    if let Some(s) = report.summary() {
        eprintln!("kith: {s}");
    }
}

pub fn run(a: EvalArgs) -> Result<()> {
    if a.k == 0 {
        bail!("--k must be at least 1");
    }
    let catalog = match a.format {
        Some(FormatArg::Goodbooks) => TunedFor::Goodbooks,
        _ => TunedFor::Ml100k,
    };
    let models = model_specs(&a.models, catalog, a.seed)?;
    let opts = LoadOptions { lenient: a.lenient };
    let (train, test, tags, data, split) = match (&a.format, &a.data, &a.train, &a.test) {
        (Some(f), Some(dir), _, _) => {
            let d = load((*f).into(), dir, opts)?;
            report_load(&d.report);
            let m = d.interactions.to_matrix();
            let (train, test) = m.split_per_row(0.25, a.seed);
            let tags = tag_sets(&d);
            (
                train,
                test,
                tags,
                dir.display().to_string(),
                "per-user random 75/25".to_string(),
            )
        }
        (_, _, Some(tr), Some(te)) => {
            let mut report = LoadReport::default();
            let train_rows = read_plain_interactions(tr, opts, &mut report)?;
            let test_rows = read_plain_interactions(te, opts, &mut report)?;
            report_load(&report);
            let (train, test) = matrices_from_files(&train_rows, &test_rows);
            (
                train,
                test,
                None,
                format!("{} + {}", tr.display(), te.display()),
                "given files".to_string(),
            )
        }
        _ => bail!("give either --format and --data, or --train and --test"),
    };
    if train.nnz() == 0 {
        bail!("no training interactions");
    }
    let (features, ild_features) = item_features(tags, &train);
    let protocol = Protocol {
        data,
        split,
        seed: a.seed,
        k: a.k,
        users: train.n_rows(),
        items: train.n_cols(),
        train_interactions: train.nnz(),
        test_interactions: test.nnz(),
        evaluated_users: (0..test.n_rows())
            .filter(|&u| !test.row(u).is_empty())
            .count(),
        ild_features: ild_features.to_string(),
        relevance: "every rating is a positive; full ranking with training items excluded".into(),
    };
    let mut bar = TrainingBar::new();
    let results = evaluate(&train, &test, &features, a.k, &models, &mut |w, d, t| {
        bar.update(w, d, t)
    })?;
    drop(bar);
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&to_json(&protocol, &results))?
        );
    } else {
        print!("{}", to_table(&protocol, &results));
    }
    Ok(())
}

/// Maps the ids of two interaction files onto one index space (the union of
/// both files' users and items) and builds the two matrices.
pub(super) fn matrices_from_files(
    train: &[RawInteraction],
    test: &[RawInteraction],
) -> (SparseMatrix, SparseMatrix) {
    let mut users: HashMap<&str, u32> = HashMap::new();
    let mut items: HashMap<&str, u32> = HashMap::new();
    let mut triplets = [Vec::new(), Vec::new()];
    for (rows, out) in [train, test].into_iter().zip(triplets.iter_mut()) {
        for r in rows {
            let nu = users.len() as u32;
            let u = *users.entry(r.user.as_str()).or_insert(nu);
            let ni = items.len() as u32;
            let i = *items.entry(r.item.as_str()).or_insert(ni);
            out.push((u, i, r.rating));
        }
    }
    let (nu, ni) = (users.len(), items.len());
    let [tr, te] = triplets;
    (
        SparseMatrix::from_triplets(nu, ni, tr),
        SparseMatrix::from_triplets(nu, ni, te),
    )
}
