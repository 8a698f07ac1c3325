//! `kith embed`: sentence vectors from the command line.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Args;

use crate::core::encoder::Encoder;

/// Arguments of `kith embed`.
#[derive(Debug, Args)]
pub struct EmbedArgs {
    /// Encoder GGUF written by `kith model convert`.
    #[arg(long, default_value = "models/all-MiniLM-L6-v2.q8.gguf")]
    model: PathBuf,
    /// Print `{"embeddings": [[...], ...]}` instead of one line per text.
    #[arg(long)]
    json: bool,
    /// Texts to embed (input past 256 tokens is truncated).
    #[arg(required = true)]
    texts: Vec<String>,
}

pub fn run(a: EmbedArgs) -> Result<()> {
    let bytes = std::fs::read(&a.model).with_context(|| {
        format!(
            "{} (run `kith model fetch` and `kith model convert` first)",
            a.model.display()
        )
    })?;
    let encoder =
        Encoder::from_gguf_bytes(&bytes).with_context(|| a.model.display().to_string())?;
    let texts: Vec<&str> = a.texts.iter().map(String::as_str).collect();
    if texts.is_empty() {
        bail!("give at least one text");
    }
    let vectors = encoder.embed_batch(&texts)?;
    if a.json {
        outln!("{}", serde_json::json!({ "embeddings": vectors }));
    } else {
        for (t, v) in texts.iter().zip(&vectors) {
            let head: Vec<String> = v.iter().take(6).map(|x| format!("{x:.4}")).collect();
            outln!("{} dims [{}, …]  {t}", v.len(), head.join(", "));
        }
    }
    Ok(())
}
