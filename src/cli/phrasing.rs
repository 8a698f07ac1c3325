//! `kith phrasing`: the language model on the simulated visitors'
//! dialogues: how often the guard rejects its output, why, how fast it runs,
//! and side-by-side samples of the template and the generated sentence.

use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;

use crate::core::encoder::Encoder;
use crate::core::llm::Llm;
use crate::core::phrasing::{phrase, reply_facts, PhrasingStats};
use crate::core::session::Engine;
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
    let grounding = crate::core::phrasing::Grounding::of(&engine);
    let mut stats = PhrasingStats::default();
    let mut samples = Vec::new();
    let (mut tokens, mut gen_s, mut first_s, mut n) = (0usize, 0f64, 0f64, 0usize);
    for (u, run) in runs.iter().enumerate() {
        for (turn, (profile, reply)) in run.iter().enumerate() {
            for (slot, facts) in reply_facts(&engine, profile, reply, a.top) {
                let t = Instant::now();
                let mut first = None;
                let got = phrase(&mut llm, &facts, &grounding, &mut |_| {
                    first.get_or_insert(t.elapsed().as_secs_f64());
                    true
                });
                let secs = t.elapsed().as_secs_f64();
                tokens += llm.last_generated();
                gen_s += secs;
                first_s += first.unwrap_or(secs);
                n += 1;
                stats.add(&got);
                eprint!(
                    "\rkith: user {}/{} · {} phrased, {} rejected   ",
                    u + 1,
                    runs.len(),
                    stats.kept + stats.rejected,
                    stats.rejected
                );
                if samples.len() < a.samples {
                    samples.push(serde_json::json!({
                        "user": u, "turn": turn,
                        "slot": slot,
                        "kind": facts.kind,
                        "template": facts.template,
                        "generated": got.generated.trim(),
                        "kept": got.kept,
                        "rejection": got.rejection.as_ref().map(|r| r.to_string()),
                    }));
                }
            }
        }
    }
    eprintln!();
    let report = serde_json::json!({
        "model": a.llm.display().to_string(),
        "users": runs.len(),
        "phrased": stats.kept + stats.rejected,
        "kept": stats.kept,
        "rejected": stats.rejected,
        "rejection_rate": stats.rejection_rate(),
        "reasons": stats.reasons,
        "load_ms": load_ms,
        "mean_ms_per_sentence": 1e3 * gen_s / n.max(1) as f64,
        "mean_ms_to_first_text": 1e3 * first_s / n.max(1) as f64,
        "tokens_per_second": tokens as f64 / gen_s.max(1e-9),
        "samples": samples,
    });
    if a.json {
        outln!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        outln!(
            "{} sentences phrased for {} simulated visitors: {} kept, {} rejected ({:.1}%)",
            stats.kept + stats.rejected,
            runs.len(),
            stats.kept,
            stats.rejected,
            100.0 * stats.rejection_rate()
        );
        for (k, v) in &stats.reasons {
            outln!("  rejected, {k}: {v}");
        }
        outln!(
            "model load {:.0} ms; per sentence {:.0} ms (first text after {:.0} ms); {:.1} tokens/s",
            load_ms,
            1e3 * gen_s / n.max(1) as f64,
            1e3 * first_s / n.max(1) as f64,
            tokens as f64 / gen_s.max(1e-9)
        );
    }
    Ok(())
}
