//! `kith eval`: the standard offline protocol, on a data set or on a split
//! made elsewhere.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, ensure, Context, Result};
use clap::Args;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::progress::TrainingBar;
use super::FormatArg;
use crate::core::interactions::SparseMatrix;
use crate::offline::build::loaders::{read_plain_interactions, RawInteraction};
use crate::offline::build::{load, Dataset, LoadOptions, LoadReport};
use crate::offline::calibrate::{calibrate_als, CalibrationError, SearchPlan, Trial};
use crate::offline::eval::{evaluate, item_features, ModelSpec, TunedFor};
use crate::offline::report::{to_json, to_table, Protocol};

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
    /// Override the tuned ALS values, e.g. '{"dim": 48, "reg": 4, "alpha": 2, "reg_exponent": 0.25}'
    /// (fields of AlsParams: dim, iterations, reg, alpha, reg_exponent, cg_steps, seed).
    #[arg(long, value_name = "JSON")]
    als: Option<String>,
    /// Override the tuned BPR values, e.g. '{"epochs": 50}' (fields of BprParams:
    /// dim, epochs, learning_rate, reg, bias_reg, seed).
    #[arg(long, value_name = "JSON")]
    bpr: Option<String>,
    /// Also write the split to DIR/train.tsv and DIR/test.tsv (`user item rating`,
    /// the data set's own ids), so other tools can be scored on exactly the same data.
    #[arg(long, value_name = "DIR", requires = "data")]
    save_split: Option<PathBuf>,
    /// Seconds the search for ALS settings may take, on catalogs with no
    /// recorded values (csv, --train/--test): validation folds of the
    /// training part, never the test part. Ignored with --als.
    #[arg(long, default_value_t = 240.0, value_name = "SECONDS")]
    budget: f64,
    /// Largest MF dimension the search may choose: the bundle's factors and
    /// each visitor's fold-in grow with it.
    #[arg(long, default_value_t = 512, value_name = "DIM", value_parser = clap::value_parser!(u32).range(8..=4096))]
    max_dim: u32,
    /// Search ALS's settings on the training part for the named formats too,
    /// as `kith build` does, instead of using the values recorded for them.
    #[arg(long, conflicts_with = "als")]
    calibrate: bool,
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

/// The models asked for, with the values tuned for `catalog` and the
/// command line's `--als` / `--bpr` overrides.
fn resolve_models(a: &EvalArgs, catalog: TunedFor) -> Result<Vec<ModelSpec>> {
    let mut models = model_specs(&a.models, catalog, a.seed)?;
    for m in &mut models {
        match (m, &a.als, &a.bpr) {
            (ModelSpec::Als(p), Some(json), _) => {
                *p = with_overrides(*p, json).context("--als")?;
            }
            (ModelSpec::Bpr(p), _, Some(json)) => {
                *p = with_overrides(*p, json).context("--bpr")?;
            }
            _ => {}
        }
    }
    Ok(models)
}

/// `base` with the fields named in the JSON object `json` replaced; an
/// unknown field or a value of the wrong type is an error naming it.
pub(super) fn with_overrides<T: Serialize + DeserializeOwned>(base: T, json: &str) -> Result<T> {
    let serde_json::Value::Object(mut fields) = serde_json::to_value(&base)? else {
        bail!("internal: parameters are not a JSON object");
    };
    let given: serde_json::Value =
        serde_json::from_str(json).context("not valid JSON (expected an object)")?;
    let serde_json::Value::Object(given) = given else {
        bail!("expected a JSON object such as {{\"dim\": 48}}");
    };
    for (key, value) in given {
        if !fields.contains_key(&key) {
            let known: Vec<&str> = fields.keys().map(String::as_str).collect();
            bail!("unknown field {key:?} (known: {})", known.join(", "));
        }
        fields.insert(key, value);
    }
    serde_json::from_value(serde_json::Value::Object(fields)).context("a value has the wrong type")
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
    // Names and overrides are checked before any data is read.
    resolve_models(&a, TunedFor::Ml100k)?;
    let opts = LoadOptions { lenient: a.lenient };
    let (train, test, tags, data, split) = match (&a.format, &a.data, &a.train, &a.test) {
        (Some(f), Some(dir), _, _) => {
            let d = load((*f).into(), dir, opts)?;
            report_load(&d.report);
            let m = d.interactions.to_matrix();
            let (train, test) = m.split_per_row(crate::offline::eval::TEST_FRACTION, a.seed);
            if let Some(out) = &a.save_split {
                save_split(out, &d, &train, &test)?;
            }
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
    let catalog = match a.format {
        Some(f) => super::tuned_for(f, train.n_cols()),
        None => TunedFor::Other {
            items: train.n_cols(),
        },
    };
    let mut models = resolve_models(&a, catalog)?;
    let (als_search, als_trials) = match catalog {
        TunedFor::Other { .. } if a.als.is_none() => search_als(&a, &train, &mut models)?,
        _ if a.calibrate => search_als(&a, &train, &mut models)?,
        _ => (None, Vec::new()),
    };
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
        als_search,
        als_trials,
    };
    let mut bar = TrainingBar::new();
    let results = evaluate(&train, &test, &features, a.k, &models, &mut |w, d, t| {
        bar.update(w, d, t)
    })?;
    drop(bar);
    if a.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&to_json(&protocol, &results))?
        );
    } else {
        out!("{}", to_table(&protocol, &results));
    }
    Ok(())
}

/// Chooses ALS's settings on validation folds of `train` (as `kith build`
/// does) and puts them in `models`; returns what was chosen and every
/// configuration tried, for the report.
fn search_als(
    a: &EvalArgs,
    train: &SparseMatrix,
    models: &mut [ModelSpec],
) -> Result<(Option<String>, Vec<Trial>)> {
    if !models.iter().any(|m| matches!(m, ModelSpec::Als(_))) {
        return Ok((None, Vec::new()));
    }
    ensure!(
        a.budget.is_finite() && a.budget >= 0.0,
        "--budget must be a number of seconds, 0 or more"
    );
    let plan = SearchPlan {
        budget: std::time::Duration::from_secs_f64(a.budget),
        k: a.k,
        seed: a.seed,
        max_dim: a.max_dim as usize,
        ..SearchPlan::default()
    };
    let mut bar = TrainingBar::new();
    let c = match calibrate_als(train, &plan, &mut |stage, d, t| bar.update(stage, d, t)) {
        Ok(c) => c,
        Err(e @ CalibrationError::TooLittleData { .. }) => {
            drop(bar);
            return Ok((Some(format!("default settings: {e}")), Vec::new()));
        }
        Err(e) => return Err(e.into()),
    };
    drop(bar);
    for m in models.iter_mut() {
        if let ModelSpec::Als(p) = m {
            *p = c.params;
        }
    }
    let summary = format!(
        "chosen on validation folds of the training part: {}",
        c.summary(a.k)
    );
    Ok((Some(summary), c.trials))
}

/// Writes a split as two tab-separated files with the data set's own user and
/// item ids, the format `--train`/`--test` read back.
fn save_split(dir: &Path, d: &Dataset, train: &SparseMatrix, test: &SparseMatrix) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let items = d.catalog.items();
    for (name, m) in [("train.tsv", train), ("test.tsv", test)] {
        let path = dir.join(name);
        let mut text = String::with_capacity(m.nnz() * 16);
        for (u, i, r) in m.triplets() {
            let (Some(user), Some(item)) =
                (d.interactions.users.get(u as usize), items.get(i as usize))
            else {
                bail!("internal: split names an unknown user or item");
            };
            text.push_str(&format!("{user}\t{}\t{r}\n", item.id));
        }
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    eprintln!("kith: split written to {}", dir.display());
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
