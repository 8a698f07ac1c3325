//! `kith simulate`: simulated new visitors, question strategies against
//! baselines, and the beyond-accuracy and bias report.

use anyhow::{Context, Result};
use clap::Args;

use super::progress::TrainingBar;
use crate::core::encoder::Encoder;
use crate::offline::simulate::{simulate, SimulationReport, SimulationSettings};

/// Arguments of `kith simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    #[command(flatten)]
    input: super::DataWithBundle,
    /// Simulated users.
    #[arg(long, default_value_t = 200)]
    users: usize,
    /// Turns after the opening.
    #[arg(long, default_value_t = 5)]
    turns: usize,
    /// List length.
    #[arg(long, default_value_t = 10)]
    k: usize,
    /// Seed of the split and the sample.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Ranking weights as JSON, e.g. '{"popularity": 0.5}' (others keep their defaults).
    #[arg(long)]
    weights: Option<String>,
    /// a in p ← a·p + (1−a)·f(answer).
    #[arg(long)]
    memory: Option<f32>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(a: SimulateArgs) -> Result<()> {
    let (data, mut bundle) = a.input.load()?;
    let encoder = match bundle.encoder.take() {
        Some(gguf) => Some(Encoder::from_gguf_bytes(&gguf)?),
        None => {
            eprintln!("kith: warning: the bundle has no encoder; simulating without understanding by meaning");
            None
        }
    };
    let (als, bridge_lambda) = super::bundle_settings(a.input.format, &bundle, a.seed);
    let settings = SimulationSettings {
        users: a.users,
        turns: a.turns,
        k: a.k,
        seed: a.seed,
        als,
        bridge_lambda,
        options: {
            let mut o = crate::core::variant::EngineOptions::default();
            if let Some(w) = &a.weights {
                o.weights = serde_json::from_str(w).context("--weights")?;
            }
            if let Some(m) = a.memory {
                anyhow::ensure!((0.0..1.0).contains(&m), "--memory must be in 0..1");
                o.memory = m;
            }
            o
        },
    };
    let bar = std::sync::Mutex::new(TrainingBar::new());
    let progress = |stage: &str, d: usize, t: usize| {
        if let Ok(mut b) = bar.lock() {
            b.update(stage, d, t);
        }
    };
    let t0 = std::time::Instant::now();
    let report = simulate(
        &bundle,
        encoder,
        &data.interactions.to_matrix(),
        &settings,
        &progress,
    )?;
    drop(bar);
    if a.json {
        outln!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        out!("{}", table(&report));
        eprintln!("kith: simulated in {:.1} s", t0.elapsed().as_secs_f64());
    }
    Ok(())
}

/// The report as readable tables.
pub fn table(r: &SimulationReport) -> String {
    let mut s = format!(
        "{}: {} simulated users, K = {}, turns 0..{}\n\n",
        r.catalog, r.users, r.k, r.turns
    );
    let turns: Vec<String> = (0..=r.turns).map(|t| format!("t{t}")).collect();
    s.push_str(&format!(
        "{:<16} {:<6} {}  success  first-hit  questions\n",
        "strategy",
        "metric",
        turns.iter().map(|t| format!("{t:>6}")).collect::<String>()
    ));
    for x in &r.results {
        for (metric, v) in [
            ("HR", &x.hr),
            ("NDCG", &x.ndcg),
            ("hit by", &x.success_by_turn),
        ] {
            let vals: String = v.iter().map(|v| format!("{v:>6.3}")).collect();
            if metric == "HR" {
                s.push_str(&format!(
                    "{:<16} {:<6} {vals}  {:>7.3}  {:>9}  {:>9.2}\n",
                    x.name,
                    metric,
                    x.success_rate,
                    x.mean_turns_to_first_hit
                        .map_or("-".into(), |t| format!("{t:.2}")),
                    x.questions_per_user
                ));
            } else {
                s.push_str(&format!("{:<16} {:<6} {vals}\n", "", metric));
            }
        }
    }
    let b = &r.bias;
    s.push_str(&format!(
        "\nbeyond accuracy ({}):\n  ILD {:.3}  novelty {:.2} bits  serendipity {:.4}  coverage {:.4}  Gini {:.3}\n  popularity bias: {:.1}% of recommendations from the top-10% most popular items vs {:.1}% of history\n  genre exposure (tag: share of recommendations vs share of history):\n",
        b.lists, b.ild, b.novelty, b.serendipity, b.coverage, b.gini,
        100.0 * b.popular_share_recommended, 100.0 * b.popular_share_history
    ));
    for (t, rec, hist) in &b.genre_exposure {
        s.push_str(&format!(
            "    {t:<22} {:>5.1}%  vs {:>5.1}%\n",
            100.0 * rec,
            100.0 * hist
        ));
    }
    s.push_str("\nexample conversation (first user, information gain):\n");
    for line in &r.example {
        s.push_str(&format!("  {line}\n"));
    }
    s
}
