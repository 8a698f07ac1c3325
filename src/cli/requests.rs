//! `kith requests`: does the engine do what visitors ask? (see [`crate::offline::requests`]).

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use super::recommend::load_engine;
use crate::offline::requests::{measure, parse};

/// Arguments of `kith requests`.
#[derive(Debug, Args)]
pub struct RequestsArgs {
    /// Bundle to ask.
    #[arg(long)]
    bundle: PathBuf,
    /// JSON list of requests: [{"say": "…", "wants": ["tag"], "avoids": ["tag"]}, …]
    #[arg(long)]
    requests: PathBuf,
    /// List length K.
    #[arg(long, default_value_t = 10)]
    k: usize,
    /// Print one JSON object instead of a summary.
    #[arg(long)]
    json: bool,
}

pub fn run(a: RequestsArgs) -> Result<()> {
    anyhow::ensure!((1..=100).contains(&a.k), "--k must be 1 to 100");
    let engine = load_engine(&a.bundle)?;
    let text =
        std::fs::read_to_string(&a.requests).with_context(|| a.requests.display().to_string())?;
    let requests = parse(&text, &engine).with_context(|| a.requests.display().to_string())?;
    let report = measure(&engine, &requests, a.k)?;
    if a.json {
        outln!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    let measured_tags = report
        .results
        .iter()
        .any(|r| r.precision.is_some() || r.avoided.is_some());
    if measured_tags {
        outln!(
        "{} requests, top {}: precision on wanted tags {:.3} (popularity {:.3}), avoided share {:.3}, \
         truthful explanations {:.1}%",
        report.requests,
        report.k,
        report.precision,
        report.popularity_precision,
        report.avoided,
        report.truthful * 100.0
    );
    }
    let kinds: Vec<String> = report
        .explanation_kinds
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    outln!("explanations: {}", kinds.join(", "));
    for f in &engine.bundle().attributes.facets {
        outln!("tags read as {}: {}", f.facet.describe(), f.tags.join(", "));
    }
    if let Some(u) = report.useful_first_replies {
        outln!(
            "vague openings: {} of {} first replies useful ({:.1}%)",
            (u * report.vague_openings as f64).round(),
            report.vague_openings,
            u * 100.0
        );
    }
    for r in &report.results {
        let f = |v: Option<f64>| v.map_or("   -".to_string(), |x| format!("{x:.2}"));
        match r.useful {
            Some(u) => outln!(
                "{}  {:?}  ->  {}",
                if u { "useful " } else { "NOT useful" },
                r.say,
                r.question.as_deref().unwrap_or("(no question)")
            ),
            None => outln!("{}  {}  {}", f(r.precision), f(r.avoided), r.say),
        }
    }
    Ok(())
}
