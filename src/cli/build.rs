//! `kith build`: one bundle file from a catalog, its interactions and the
//! converted encoder.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use super::progress::TrainingBar;
use super::FormatArg;
use crate::build::bundle::{build, read_item_factors, BuildInputs, CatalogInfo};
use crate::build::{load, Format, LoadOptions};
use crate::bundle::Bundle;
use crate::encoder::Encoder;
use crate::eval::{tuned, TunedFor};

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
    /// Attribution and licence of the data, for csv catalogs.
    #[arg(long)]
    attribution: Option<String>,
    /// Ridge penalty of the text-to-MF bridge (default: tuned per catalog by `kith coldstart`).
    #[arg(long)]
    bridge_lambda: Option<f32>,
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
    let folder = a
        .data
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "catalog".into());
    let (name, noun, verb, attribution, tuned_for) = match a.format {
        FormatArg::Goodbooks => (
            "goodbooks-10k".to_string(),
            ("book", "books"),
            "read",
            "goodbooks-10k by Zygmunt Zając (github.com/zygmuntz/goodbooks-10k), CC BY-SA 4.0; derived data shared under the same licence".to_string(),
            TunedFor::Goodbooks,
        ),
        FormatArg::Ml100k => (
            "movielens-100k".to_string(),
            ("film", "films"),
            "watched",
            "MovieLens 100K, GroupLens Research (grouplens.org): research use only, not for redistribution".to_string(),
            TunedFor::Ml100k,
        ),
        FormatArg::Csv => (
            folder,
            ("item", "items"),
            "enjoyed",
            String::new(),
            TunedFor::Other {
                items: data.catalog.len(),
            },
        ),
    };
    let noun = match &a.noun {
        Some(v) if v.len() == 2 => (v[0].clone(), v[1].clone()),
        Some(_) => anyhow::bail!("--noun takes a singular and a plural: --noun book,books"),
        None => (noun.0.to_string(), noun.1.to_string()),
    };
    let info = CatalogInfo {
        name: a.name.clone().unwrap_or(name),
        item_noun: noun,
        consume_verb: a.verb.clone().unwrap_or_else(|| verb.to_string()),
        attribution: a.attribution.clone().unwrap_or(attribution),
    };
    let imported = match &a.factors {
        Some(path) => Some(
            read_item_factors(path, &data.catalog)
                .with_context(|| format!("reading item factors {}", path.display()))?,
        ),
        None => None,
    };
    let (_, als) = tuned(tuned_for, a.seed);
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
            als,
            bridge_lambda: a
                .bridge_lambda
                .unwrap_or(crate::eval::tuned_bridge_lambda(tuned_for)),
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
    for (name, size) in Bundle::section_sizes(&bytes)? {
        eprintln!("  {name:<16} {:>10.2} MB", size as f64 / 1e6);
    }
    Ok(())
}
