//! `kith coldstart`: item cold start measured by holding items out of training.

use anyhow::Result;
use clap::Args;

use crate::offline::coldstart::evaluate;

/// Arguments of `kith coldstart`.
#[derive(Debug, Args)]
pub struct ColdStartArgs {
    #[command(flatten)]
    input: super::DataWithBundle,
    /// Bridge ridge penalties tried on the validation split.
    #[arg(long, value_delimiter = ',', default_value = "0.1,0.3,1,3,10,30")]
    lambdas: Vec<f32>,
    /// List length.
    #[arg(long, default_value_t = 10)]
    k: usize,
    /// Seed of the item split.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(a: ColdStartArgs) -> Result<()> {
    let (data, bundle) = a.input.load()?;
    let (als, _) = super::bundle_settings(a.input.format, &bundle, a.seed);
    let r = evaluate(
        &data.interactions.to_matrix(),
        &bundle.item_embeddings,
        &als,
        &a.lambdas,
        a.k,
        a.seed,
    )?;
    if a.json {
        outln!("{}", serde_json::to_string_pretty(&r)?);
        return Ok(());
    }
    outln!(
        "{}: {} items held out of MF training, {} users ranked over the cold items (K = {})",
        bundle.meta.name,
        r.cold_items,
        r.users,
        r.k
    );
    let val: Vec<String> = r
        .validation
        .iter()
        .map(|(l, n)| format!("λ={l}: {n:.4}"))
        .collect();
    outln!(
        "bridge ridge penalty on validation (NDCG@{}): {}  → λ = {}",
        r.k,
        val.join(", "),
        r.lambda
    );
    outln!(
        "{:<20} {:>8} {:>8}",
        "model",
        format!("NDCG@{}", r.k),
        format!("HR@{}", r.k)
    );
    for m in &r.models {
        outln!("{:<20} {:>8.4} {:>8.4}", m.name, m.ndcg, m.hr);
    }
    Ok(())
}
