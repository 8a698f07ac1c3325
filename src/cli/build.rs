//! `kith build`: one bundle file from a catalog, its interactions and the
//! converted encoder.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use super::progress::TrainingBar;
use super::FormatArg;
use crate::core::bundle::Bundle;
use crate::core::encoder::Encoder;
use crate::core::mf::als::AlsParams;
use crate::offline::build::bundle::{
    build, check_facet_settings, read_item_factors, BuildInputs, CatalogInfo, MfSettings,
};
use crate::offline::build::{load, Format, LoadOptions};
use crate::offline::calibrate::SearchPlan;
use crate::offline::eval::{tuned, TunedFor};

/// Arguments of `kith build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Format of --data.
    #[arg(long, value_enum)]
    format: FormatArg,
    /// Data-set folder.
    #[arg(long)]
    data: PathBuf,
    /// Encoder GGUF written by `kith model convert`.
    #[arg(long, default_value = "models/all-MiniLM-L6-v2.q8.gguf")]
    model: PathBuf,
    /// Build without the encoder: no text understanding by meaning, a much smaller file.
    #[arg(long, conflicts_with = "model")]
    no_encoder: bool,
    /// Item factors trained elsewhere: CSV with header `item,f1,…,fd[,bias]`
    /// (e.g. exported from Spark MLlib ALS). Skips training here.
    #[arg(long)]
    factors: Option<PathBuf>,
    /// Output bundle.
    #[arg(long)]
    out: PathBuf,
    /// Catalog name (default: from the format, or the folder name).
    #[arg(long)]
    name: Option<String>,
    /// Item noun, singular and plural, for csv catalogs ("item,items").
    #[arg(long, value_delimiter = ',')]
    noun: Option<Vec<String>>,
    /// Verb for consuming an item, for csv catalogs ("read", "watched", "tried").
    #[arg(long)]
    verb: Option<String>,
    /// What a creator did to an item, for explanations ("wrote", "directed";
    /// default: "wrote" for goodbooks, otherwise "made").
    #[arg(long)]
    creator_verb: Option<String>,
    /// Attribution and licence of the data, for csv catalogs.
    #[arg(long)]
    attribution: Option<String>,
    /// Ridge penalty of the text-to-MF bridge (default: chosen on this
    /// catalog's items held out of an MF fit, among 1, 3, … 1000).
    #[arg(long)]
    bridge_lambda: Option<f32>,
    /// Correct a mood, audience, pace or length learned from the tags:
    /// `--facet children=picture-books,middle-grade` sets its tags, `--facet light=`
    /// removes it (repeatable; facets: light, dark, gripping, children, teen,
    /// short, long, explicit). The build prints what it learned.
    #[arg(long, value_name = "NAME=TAGS")]
    facet: Vec<String>,
    /// Seconds the search for MF settings may take (validation folds of
    /// these interactions; the best configuration so far wins when it runs out).
    #[arg(long, default_value_t = 240.0, value_name = "SECONDS")]
    budget: f64,
    /// Largest MF dimension the search may choose: the bundle's factors and
    /// each visitor's fold-in grow with it.
    #[arg(long, default_value_t = 512, value_name = "DIM", value_parser = clap::value_parser!(u32).range(8..=crate::core::bundle::MAX_MF_DIM as i64))]
    max_dim: u32,
    /// Set the ALS settings instead of searching, e.g. '{"dim": 64, "reg": 10, "alpha": 16}'
    /// (fields of AlsParams: dim, iterations, reg, alpha, reg_exponent, cg_steps, seed;
    /// unnamed fields keep their defaults). Also the fold-in settings of --factors.
    #[arg(long, value_name = "JSON")]
    als: Option<String>,
    /// Seed of training.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Skip malformed rows and report how many.
    #[arg(long)]
    lenient: bool,
}

pub fn run(a: BuildArgs) -> Result<()> {
    let t0 = std::time::Instant::now();
    let format: Format = a.format.into();
    let data = load(format, &a.data, LoadOptions { lenient: a.lenient })
        .with_context(|| format!("loading {}", a.data.display()))?;
    if let Some(s) = data.report.summary() {
        eprintln!("kith: {s}");
    }
    check_facet_settings(&data, &a.facet).context("--facet")?;
    let folder = a
        .data
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "catalog".into());
    let defaults = CatalogInfo::defaults(format, &folder);
    let noun = match &a.noun {
        Some(v) if v.len() == 2 => (v[0].clone(), v[1].clone()),
        Some(_) => anyhow::bail!("--noun takes a singular and a plural: --noun book,books"),
        None => defaults.item_noun,
    };
    let info = CatalogInfo {
        name: a.name.clone().unwrap_or(defaults.name),
        item_noun: noun,
        consume_verb: a.verb.clone().unwrap_or(defaults.consume_verb),
        creator_verb: a.creator_verb.clone().unwrap_or_default(),
        attribution: a.attribution.clone().unwrap_or(defaults.attribution),
    };
    let imported = match &a.factors {
        Some(path) => Some(
            read_item_factors(path, &data.catalog)
                .with_context(|| format!("reading item factors {}", path.display()))?,
        ),
        None => None,
    };
    anyhow::ensure!(
        a.budget.is_finite() && a.budget >= 0.0,
        "--budget must be a number of seconds, 0 or more"
    );
    let given = match &a.als {
        Some(json) => Some(
            super::eval::with_overrides(
                AlsParams {
                    seed: a.seed,
                    ..AlsParams::default()
                },
                json,
            )
            .context("--als")?,
        ),
        None => None,
    };
    let mf = match given {
        Some(p) => MfSettings::Given(p),
        None => MfSettings::Search(SearchPlan {
            budget: std::time::Duration::from_secs_f64(a.budget),
            seed: a.seed,
            max_dim: a.max_dim as usize,
            ..SearchPlan::default()
        }),
    };
    // Imported factors: the fold-in settings given, or the default ALS
    // penalty scaled to this catalog's size (crate::offline::eval::tuned).
    let fallback_als = given.unwrap_or_else(|| {
        tuned(
            TunedFor::Other {
                items: data.catalog.len(),
            },
            a.seed,
        )
        .1
    });
    let encoder_bytes;
    let encoder;
    let enc = if a.no_encoder {
        None
    } else {
        encoder_bytes = std::fs::read(&a.model).with_context(|| {
            format!(
                "{} (run `kith model fetch` and `kith model convert` first, or pass --no-encoder)",
                a.model.display()
            )
        })?;
        encoder = Encoder::from_gguf_bytes(&encoder_bytes)
            .with_context(|| a.model.display().to_string())?;
        Some((&encoder, encoder_bytes.clone()))
    };
    let bar = std::sync::Mutex::new(TrainingBar::new());
    let progress = |stage: &str, done: usize, total: usize| {
        if let Ok(mut b) = bar.lock() {
            b.update(stage, done, total);
        }
    };
    let (bundle, report) = build(
        &data,
        BuildInputs {
            info,
            encoder: enc,
            imported,
            mf,
            fallback_als,
            bridge_lambda: a.bridge_lambda,
            facet_settings: a.facet.clone(),
        },
        &progress,
    )?;
    drop(bar);
    let bytes = bundle.to_bytes();
    // Prove the file reads back before replacing anything.
    Bundle::from_bytes(&bytes).context("the written bundle does not read back")?;
    if let Some(dir) = a.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| dir.display().to_string())?;
    }
    let tmp = a.out.with_extension("kith.partial");
    std::fs::write(&tmp, &bytes).with_context(|| tmp.display().to_string())?;
    std::fs::rename(&tmp, &a.out).with_context(|| a.out.display().to_string())?;
    eprintln!(
        "kith: wrote {} ({:.1} MB, {} items, MF {}; {} items got factors from their text) in {:.1} s",
        a.out.display(),
        bytes.len() as f64 / 1e6,
        bundle.catalog.len(),
        bundle.meta.mf_source,
        report.cold_items,
        t0.elapsed().as_secs_f64()
    );
    if let Some(c) = &report.calibration {
        eprintln!(
            "kith: MF settings chosen on validation folds: {}",
            c.summary(10)
        );
    }
    if let Some(why) = &report.search_skipped {
        eprintln!("kith: warning: MF settings not searched, defaults used: {why}");
    }
    if let Some(l) = bundle.meta.bridge_lambda {
        if !report.bridge_validation.is_empty() {
            eprintln!("kith: bridge penalty chosen on held-out items: {l}");
        }
    }
    if bundle.attributes.facets.is_empty() {
        eprintln!("kith: no tags read as moods, audiences, pace or length (requests for them will say so)");
    }
    for f in &bundle.attributes.facets {
        eprintln!(
            "kith: tags read as {}: {}",
            f.facet.describe(),
            f.tags.join(", ")
        );
    }
    for (name, size) in Bundle::section_sizes(&bytes)? {
        eprintln!("  {name:<16} {:>10.2} MB", size as f64 / 1e6);
    }
    Ok(())
}
