//! `kith phrasing`: loads the bundle and the language model, simulates
//! visitors, and prints what [`crate::offline::phrasing::measure`] found.

use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;

use crate::core::encoder::Encoder;
use crate::core::llm::Llm;
use crate::core::session::Engine;
use crate::offline::phrasing::measure;
use crate::offline::simulate::{dialogues, SimulationSettings};

/// Arguments of `kith phrasing`.
#[derive(Debug, Args)]
pub struct PhrasingArgs {
    #[command(flatten)]
    input: super::DataWithBundle,
    /// The language model (GGUF).
    #[arg(long, default_value = "models/SmolLM2-135M-Instruct.q8.gguf")]
    llm: std::path::PathBuf,
    /// Simulated visitors.
    #[arg(long, default_value_t = 20)]
    users: usize,
    /// Turns after the opening.
    #[arg(long, default_value_t = 3)]
    turns: usize,
    /// Explanations phrased per reply (the question always is).
    #[arg(long, default_value_t = 3)]
    top: usize,
    /// Seed of the user sample.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Samples written to the JSON output.
    #[arg(long, default_value_t = 40)]
    samples: usize,
    /// Print JSON (stats and samples).
    #[arg(long)]
    json: bool,
}

pub fn run(a: PhrasingArgs) -> Result<()> {
    let (data, mut bundle) = a.input.load()?;
    let encoder = match bundle.encoder.take() {
        Some(gguf) => Some(Encoder::from_gguf_bytes(&gguf)?),
        None => None,
    };
    let bytes = std::fs::read(&a.llm).with_context(|| {
        format!(
            "{} (get it with `kith model fetch --llm && kith model convert --llm`)",
            a.llm.display()
        )
    })?;
    let t = Instant::now();
    let mut llm = Llm::from_gguf_bytes(&bytes).with_context(|| a.llm.display().to_string())?;
    let load_ms = t.elapsed().as_secs_f64() * 1e3;
    let (als, bridge_lambda) = super::bundle_settings(a.input.format, &bundle, a.seed);
    let settings = SimulationSettings {
        users: a.users,
        turns: a.turns,
        k: 10,
        seed: a.seed,
        als,
        bridge_lambda,
        options: crate::core::variant::EngineOptions::default(),
    };
    let engine = Engine::with_encoder(bundle, encoder);
    let runs = dialogues(&engine, &data.interactions.to_matrix(), &settings)?;
    let r = measure(
        &engine,
        &mut llm,
        &runs,
        a.top,
        a.samples,
        &mut |u, users, stats| {
            eprint!(
                "\rkith: user {}/{} · {} phrased, {} rejected   ",
                u + 1,
                users,
                stats.kept + stats.rejected,
                stats.rejected
            );
        },
    );
    eprintln!();
    let report = serde_json::json!({
        "model": a.llm.display().to_string(),
        "users": r.users,
        "phrased": r.phrased,
        "kept": r.kept,
        "rejected": r.rejected,
        "rejection_rate": r.rejection_rate,
        "reasons": r.reasons,
        "load_ms": load_ms,
        "mean_ms_per_sentence": r.mean_ms_per_sentence,
        "mean_ms_to_first_text": r.mean_ms_to_first_text,
        "tokens_per_second": r.tokens_per_second,
        "samples": r.samples,
    });
    if a.json {
        outln!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        outln!(
            "{} sentences phrased for {} simulated visitors: {} kept, {} rejected ({:.1}%)",
            r.phrased,
            r.users,
            r.kept,
            r.rejected,
            100.0 * r.rejection_rate
        );
        for (k, v) in &r.reasons {
            outln!("  rejected, {k}: {v}");
        }
        outln!(
            "model load {:.0} ms; per sentence {:.0} ms (first text after {:.0} ms); {:.1} tokens/s",
            load_ms,
            r.mean_ms_per_sentence,
            r.mean_ms_to_first_text,
            r.tokens_per_second
        );
    }
    Ok(())
}
