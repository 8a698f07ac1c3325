//! Measuring the optional phrasing model on simulated visitors' dialogues:
//! how often the guard rejects its output and why, how fast it writes, and
//! side-by-side samples of the template and the generated sentence
//! (`kith phrasing`, docs/BENCHMARKS.md §5).

use std::time::Instant;

use serde::Serialize;

use crate::core::llm::Llm;
use crate::core::phrasing::{phrase, reply_facts, Grounding, PhrasingStats};
use crate::core::profile::Profile;
use crate::core::session::{Engine, Reply};

/// What phrasing every reply of a set of dialogues gave.
#[derive(Debug, Clone, Serialize)]
pub struct PhrasingReport {
    /// Simulated visitors whose dialogues were phrased.
    pub users: usize,
    /// Sentences phrased.
    pub phrased: u32,
    /// Kept by the guard.
    pub kept: u32,
    /// Rejected by the guard (the template shown instead).
    pub rejected: u32,
    /// rejected / phrased.
    pub rejection_rate: f32,
    /// Rejections by reason.
    pub reasons: std::collections::BTreeMap<String, u32>,
    /// Mean time per sentence.
    pub mean_ms_per_sentence: f64,
    /// Mean time to the first streamed text.
    pub mean_ms_to_first_text: f64,
    /// Tokens generated per second of generation.
    pub tokens_per_second: f64,
    /// The first sentences, template beside generated text.
    pub samples: Vec<serde_json::Value>,
}

/// Phrases the question and the first `top` explanations of every reply in
/// `runs` (one dialogue per simulated visitor: each turn's profile and
/// reply), keeping `samples` samples; `progress(user, users, stats)` after
/// each sentence.
pub fn measure(
    engine: &Engine,
    llm: &mut Llm,
    runs: &[Vec<(Profile, Reply)>],
    top: usize,
    samples: usize,
    progress: &mut dyn FnMut(usize, usize, &PhrasingStats),
) -> PhrasingReport {
    let grounding = Grounding::of(engine);
    let mut stats = PhrasingStats::default();
    let mut kept_samples = Vec::new();
    let (mut tokens, mut gen_s, mut first_s, mut n) = (0usize, 0f64, 0f64, 0usize);
    for (u, run) in runs.iter().enumerate() {
        for (turn, (profile, reply)) in run.iter().enumerate() {
            for (slot, facts) in reply_facts(engine, profile, reply, top) {
                let t = Instant::now();
                let mut first = None;
                let got = phrase(llm, &facts, &grounding, &mut |_| {
                    first.get_or_insert(t.elapsed().as_secs_f64());
                    true
                });
                let secs = t.elapsed().as_secs_f64();
                tokens += llm.last_generated();
                gen_s += secs;
                first_s += first.unwrap_or(secs);
                n += 1;
                stats.add(&got);
                progress(u, runs.len(), &stats);
                if kept_samples.len() < samples {
                    kept_samples.push(serde_json::json!({
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
    PhrasingReport {
        users: runs.len(),
        phrased: stats.kept + stats.rejected,
        kept: stats.kept,
        rejected: stats.rejected,
        rejection_rate: stats.rejection_rate(),
        reasons: stats.reasons.clone(),
        mean_ms_per_sentence: 1e3 * gen_s / n.max(1) as f64,
        mean_ms_to_first_text: 1e3 * first_s / n.max(1) as f64,
        tokens_per_second: tokens as f64 / gen_s.max(1e-9),
        samples: kept_samples,
    }
}
